/**
 * Double-precision natural log: `log2d` (f64x2) and its scalar twin `log1d`.
 *
 * Algorithm: as `logf` (fdlibm `log` reduction, `log(1+f) = f − hfsq + s·(hfsq + R(s²))`,
 * `s = f/(2+f)`), widened: `x = 2^k·m`, `m ∈ [√½, √2)` by integer arithmetic on the bits,
 * `R(z) = z·(A1 + A2 z + … + A7 z⁶)` with our own minimax coefficients on z ∈ [0, 0.02945]
 * (max abs error 4.6e-18 ⇒ ≈ 0.02 ulp), and `k·ln2_hi − ((hfsq − (s·(hfsq+R) + k·ln2_lo)) − f)`
 * with a 32-bit `ln2_hi`. `k` (an i64 lane) is turned into a double through the mantissa of
 * 2^52, because WASM SIMD has no i64x2→f64x2 conversion (see core2FromParts).
 *
 * Special values: x < 0 (incl. −inf) → NaN (canonical), ±0 → −inf, +inf → +inf, NaN → the same
 * NaN, subnormals exact (scaled by 2^54 first), log(1) = +0. Accurate relative to the result
 * near x = 1 (the leading term `f = m − 1` is exact).
 *
 * Measured accuracy against a double-double reference: max 0.788 ulp over the 1.0·10^6-input
 * test set (test/wasm-math.test.ts), 0.813 ulp over 2·10^7 seeded random inputs
 * (bench/exhaustive-math.mjs), worst cases just below √½ (k = −1, f ≈ 0.414). SIMD and scalar
 * agree bit for bit, NaN payloads included.
 */

import { maddF64, maddF64x2, select64 } from './relaxed';

const LOG64_K = memory.data<i64>([
  0x3fe6a09e667f3bcd, 0x3fe6a09e667f3bcd, //   0 √½
  0x000fffffffffffff, 0x000fffffffffffff, //  16 mantissa mask
  0x3fe555555555557c, 0x3fe555555555557c, //  32 A1
  0x3fd9999999984705, 0x3fd9999999984705, //  48 A2
  0x3fd2492493fbcafa, 0x3fd2492493fbcafa, //  64 A3
  0x3fcc71c52b062b21, 0x3fcc71c52b062b21, //  80 A4
  0x3fc74664b04d974c, 0x3fc74664b04d974c, //  96 A5
  0x3fc399cd2ada2016, 0x3fc399cd2ada2016, // 112 A6
  0x3fc2f5486d4cc4f5, 0x3fc2f5486d4cc4f5, // 128 A7
  0x3fe62e42fee00000, 0x3fe62e42fee00000, // 144 ln2_hi
  0x3dea39ef35793c76, 0x3dea39ef35793c76, // 160 ln2_lo
  0x3ff0000000000000, 0x3ff0000000000000, // 176 1.0
  0x3fe0000000000000, 0x3fe0000000000000, // 192 0.5
  0x40195f619980c433, 0x40195f619980c433, // 208 2^63 − bits(√½): x + this = 2^63 + ix (mod 2^64)
  0x0010000000000000, 0x0010000000000000, // 224 DBL_MIN
  0x7ff0000000000000, 0x7ff0000000000000, // 240 +inf
  0xfff0000000000000, 0xfff0000000000000, // 256 −inf
  0x7ff8000000000000, 0x7ff8000000000000, // 272 canonical NaN
  0x4350000000000000, 0x4350000000000000, // 288 2^54
  54, 54, //                                   304 exponent correction for scaled subnormals
  0xffffffff00000000, 0xffffffff00000000, // 320 high words (xlogxNormalCheck2d)
  0x4330000000000000, 0x4330000000000000, // 336 2^52 (its mantissa takes k + 2048)
  0x4330000000000800, 0x4330000000000800, // 352 2^52 + 2048
], 16);

// @ts-ignore: decorator
@inline function k(off: usize): v128 {
  return v128.load(LOG64_K + off);
}
// @ts-ignore: decorator
@inline function c(off: usize): f64 {
  return load<f64>(LOG64_K + off);
}

// @ts-ignore: decorator
@inline const SQRTH_BITS: i64 = 0x3fe6a09e667f3bcd;
// @ts-ignore: decorator
@inline const MANT_MASK: i64 = 0x000fffffffffffff;

/**
 * core2's first stages, split out (with log2dQuot, log2dPoly and core2FromParts) so a loop can
 * issue them for the next vector before finishing the current one (see klDiv.ts, termsLoop):
 * the reduced mantissa m ∈ [√½, √2) of `x`.
 */
// @ts-ignore: decorator
@inline export function log2dMant(x: v128): v128 {
  return i64x2.add(v128.and(i64x2.sub(x, k(0)), k(16)), k(0));
}

/** s = (m − 1) / (m + 1) of core2, from log2dMant's m. */
// @ts-ignore: decorator
@inline export function log2dQuot(m: v128): v128 {
  const one = k(176);
  return f64x2.div(f64x2.sub(m, one), f64x2.add(m, one));
}

/** R(z) = z·(A1 + A2 z + … + A7 z⁶), z = s², by Estrin's scheme (shorter dependency chain). */
// @ts-ignore: decorator
@inline export function log2dPoly(s: v128): v128 {
  const z = f64x2.mul(s, s);
  const z2 = f64x2.mul(z, z);
  const z4 = f64x2.mul(z2, z2);
  const p12 = maddF64x2(k(48), z, k(32));
  const p34 = maddF64x2(k(80), z, k(64));
  const p56 = maddF64x2(k(112), z, k(96));
  const p57 = maddF64x2(k(128), z2, p56);
  const p14 = maddF64x2(p34, z2, p12);
  return f64x2.mul(z, maddF64x2(p57, z4, p14));
}

/** core2 from its first stages (m = log2dMant(x), s = log2dQuot(m), r = log2dPoly(s)): the same operations, so the same bits. */
// @ts-ignore: decorator
@inline function core2FromParts(x: v128, kadj: v128, adjust: bool, m: v128, s: v128, r: v128): v128 {
  // k = ix >> 52 (ix = bits(x) − bits(√½)) as a double. WASM SIMD's i64x2.shr_s has no SSE/AVX2
  // instruction (V8 emulates it in ~6), so k + 2048 comes from a logical shift of 2^63 + ix, and
  // becomes a double in the mantissa of 2^52 (exact: 0 ≤ k + 2048 < 2^52). The same kf as an
  // arithmetic shift, so the same bits.
  let kb = i64x2.shr_u(i64x2.add(x, k(208)), 52); // k + 2048
  if (adjust) kb = i64x2.sub(kb, kadj);
  const f = f64x2.sub(m, k(176));
  const hfsq = f64x2.mul(f64x2.mul(k(192), f), f);
  const kf = f64x2.sub(v128.or(kb, k(336)), k(352));
  const cc = f64x2.add(f64x2.mul(s, f64x2.add(hfsq, r)), f64x2.mul(kf, k(160)));
  return f64x2.sub(f64x2.mul(kf, k(144)), f64x2.sub(f64x2.sub(hfsq, cc), f));
}

// @ts-ignore: decorator
@inline function core2(x: v128, kadj: v128, adjust: bool = true): v128 {
  const m = log2dMant(x);
  const s = log2dQuot(m);
  return core2FromParts(x, kadj, adjust, m, s, log2dPoly(s));
}

// @ts-ignore: decorator
@inline function core1(x: f64, kadj: i64): f64 {
  const ix = reinterpret<i64>(x) - SQRTH_BITS;
  const kk = (ix >> 52) - kadj;
  const m = reinterpret<f64>((ix & MANT_MASK) + SQRTH_BITS);
  const one = c(176);
  const f = m - one;
  const s = f / (m + one);
  const z = s * s;
  const z2 = z * z;
  const z4 = z2 * z2;
  const p57 = maddF64(c(128), z2, maddF64(c(112), z, c(96)));
  const p14 = maddF64(maddF64(c(80), z, c(64)), z2, maddF64(c(48), z, c(32)));
  const r = z * maddF64(p57, z4, p14);
  const hfsq = (c(192) * f) * f;
  const kf = <f64>kk;
  const cc = s * (hfsq + r) + kf * c(160);
  return kf * c(144) - ((hfsq - cc) - f);
}

/**
 * Natural logarithm, f64x2, all inputs (special values in the file comment). As in `logf4`, the
 * subnormal scaling and special-value selects run on every vector (cheaper than a branch).
 */
// @ts-ignore: decorator
@inline export function log2d(x: v128): v128 {
  const tiny = f64x2.lt(x, k(224)); // subnormals, ±0 and negatives
  const xs = select64(f64x2.mul(x, k(288)), x, tiny);
  let r = core2(xs, v128.and(tiny, k(304)));
  r = select64(k(256), r, f64x2.eq(x, f64x2.splat(0)));
  r = select64(k(272), r, f64x2.lt(x, f64x2.splat(0)));
  return select64(r, x, f64x2.lt(x, k(240))); // +inf and NaN pass through
}

/**
 * `t·log t` for f64 lanes that are ±0 or positive, normal and finite (`nonzero` = `t ≠ 0`), with
 * the check left to the caller (`xlogxNormalCheck2d`): such lanes get the bits of `t·log2d(t)` (the
 * same core with no subnormal scaling), ±0 gives +0, any other lane gives garbage. The f64 twin
 * of `xlogxf4NormalFromParts` in logf.ts, and like it takes core2's first stages (m = log2dMant(t),
 * s = log2dQuot(m), r = log2dPoly(s); see core2FromParts) so the caller can issue them one vector
 * ahead.
 */
// @ts-ignore: decorator
@inline export function xlogxNormal2dFromParts(t: v128, nonzero: v128, m: v128, s: v128, r: v128): v128 {
  return v128.and(f64x2.mul(t, core2FromParts(t, t, false, m, s, r)), nonzero);
}

/**
 * One step of the check behind {@link xlogxNormal2dFromParts}, on the high 32-bit word of each
 * lane (sign, exponent and the top of the mantissa), as the f32 check does on whole lanes: a lane
 * is positive, normal and finite iff its high word minus that of DBL_MIN is, unsigned, below
 * bits(+inf) − bits(DBL_MIN) in the high word, 0x7fe00000 (subnormals and negatives wrap to large values, +inf and NaN land at or
 * above it). Zero lanes are masked out (`nonzero`), and the low words are ignored by
 * {@link xlogxNormalFailed2d}. Three operations (subtract, and, unsigned max) instead of two
 * float comparisons and three logic operations.
 */
// @ts-ignore: decorator
@inline export function xlogxNormalCheck2d(acc: v128, t: v128, nonzero: v128): v128 {
  return i32x4.max_u(acc, v128.and(i32x4.sub(t, k(224)), nonzero));
}

/** Whether a {@link xlogxNormalCheck2d} accumulator saw a lane outside the fast term's domain. */
// @ts-ignore: decorator
@inline export function xlogxNormalFailed2d(acc: v128): bool {
  return v128.any_true(i32x4.ge_u(v128.and(acc, k(320)), i32x4.splat(0x7fe00000)));
}

/** Scalar twin of {@link log2d}: bit-identical results, NaN payloads included. */
// @ts-ignore: decorator
@inline export function log1d(x: f64): f64 {
  let kadj: i64 = 0;
  if (<u64>reinterpret<i64>(x) - 0x0010000000000000 >= <u64>0x7fe0000000000000) {
    if (!(x < Infinity)) return x; // +inf, NaN
    if (x < 0) return reinterpret<f64>(0x7ff8000000000000);
    if (x == 0) return -Infinity;
    x *= reinterpret<f64>(0x4350000000000000);
    kadj = 54;
  }
  return core1(x, kadj);
}
