/**
 * Single-precision natural log: `logf4` (f32x4) and its scalar twin `logf1`.
 *
 * Algorithm (the classic fdlibm/Sun `logf` argument reduction with the `atanh` series; our own
 * coefficients and SIMD formulation):
 *
 * 1. Reduction without float→int conversion: `ix = bits(x) − bits(√½)`, `k = ix >> 23`
 *    (arithmetic), mantissa `m = bits⁻¹((ix & 0x7fffff) + bits(√½)) ∈ [√½, √2)`, so
 *    `x = 2^k·m` exactly and `f = m − 1 ∈ [−0.2929, 0.4142]` is exact (Sterbenz).
 * 2. `log(1+f) = 2·atanh(s)` with `s = f/(2+f) = f/(m+1)`, `|s| ≤ 0.1716`, written as
 *    `f − hfsq + s·(hfsq + R(s²))`, `hfsq = f²/2`, so the leading term `f` is exact and every
 *    rounding error lands in terms that are ≤ ~1/6 of the result. This is what keeps the
 *    *relative* error small near x = 1 (no absolute-error floor, unlike rational log kernels
 *    that work on x·√2).
 * 3. `R(z) = z·(A1 + A2 z + A3 z²)`, our own minimax fit of `(2·atanh(s) − 2s)/s` in `z = s²`
 *    on [0, 0.02945] (max abs error 2.8e-9 ⇒ ≤ 0.03 ulp on the result).
 * 4. `log x = k·ln2_hi − ((hfsq − (s·(hfsq+R) + k·ln2_lo)) − f)` with a 15-bit `ln2_hi`
 *    (`k·ln2_hi` exact for |k| ≤ 152).
 *
 * Special values: x < 0 (incl. −inf) → NaN (canonical 0x7fc00000), ±0 → −inf, +inf → +inf,
 * NaN → the same NaN, subnormal x → exact (scaled by 2^23 first, k corrected), log(1) = +0.
 *
 * Measured accuracy, exhaustive over all 2^32 f32 inputs on the real wasm
 * (bench/exhaustive-math.mjs): max 0.8399 ulp (at x = 1.4133185, just below √2), subnormals
 * included; ≤ 0.57 ulp on (0.9, 1.1) (sampled). SIMD and scalar twin agree bit for bit on all
 * inputs, NaN payloads included.
 *
 * Cost: ≈ 26 v128 ops incl. one `f32x4.div`, plus ≈ 10 for the per-lane subnormal scaling and
 * special-value selects.
 */

// @ts-ignore: decorator
@inline const SQRTH_BITS: i32 = 0x3f3504f3; // √½ rounded to f32
// @ts-ignore: decorator
@inline const MANT_MASK: i32 = 0x007fffff;
// @ts-ignore: decorator
@inline const MIN_NORMAL_BITS: i32 = 0x00800000;
// @ts-ignore: decorator
@inline const INF_BITS: i32 = 0x7f800000;
// @ts-ignore: decorator
@inline const NEG_INF_BITS: i32 = 0xff800000;
// @ts-ignore: decorator
@inline const QNAN_BITS: i32 = 0x7fc00000;
// @ts-ignore: decorator
@inline const TWO_P23_BITS: i32 = 0x4b000000; // 2^23

import { maddF32, maddF32x4, select32 } from './relaxed';

// Vector constants come from a static table (one load each) rather than v128.const, which
// V8 re-materialises per use; see the note in expf.ts.
const LOGF_K = memory.data<i32>([
  0x3f3504f3, 0x3f3504f3, 0x3f3504f3, 0x3f3504f3, //   0 √½ (bits)
  0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff, //  16 MANT_MASK
  0x3f2aaabd, 0x3f2aaabd, 0x3f2aaabd, 0x3f2aaabd, //  32 A1 0x1.55557ap-1
  0x3eccad6c, 0x3eccad6c, 0x3eccad6c, 0x3eccad6c, //  48 A2 0x1.995ad8p-2
  0x3e9938af, 0x3e9938af, 0x3e9938af, 0x3e9938af, //  64 A3 0x1.32715ep-2
  0x3f317200, 0x3f317200, 0x3f317200, 0x3f317200, //  80 ln2_hi 0x1.62e400p-1 (15 bits)
  0x35bfbe8e, 0x35bfbe8e, 0x35bfbe8e, 0x35bfbe8e, //  96 ln2_lo 0x1.7f7d1cp-20
  0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000, // 112 ONE
  0x3f000000, 0x3f000000, 0x3f000000, 0x3f000000, // 128 HALF
  0x00800000, 0x00800000, 0x00800000, 0x00800000, // 144 MIN_NORMAL
  0x7f800000, 0x7f800000, 0x7f800000, 0x7f800000, // 160 INF
  0xff800000, 0xff800000, 0xff800000, 0xff800000, // 176 NEG_INF
  0x7fc00000, 0x7fc00000, 0x7fc00000, 0x7fc00000, // 192 QNAN
  0x4b000000, 0x4b000000, 0x4b000000, 0x4b000000, // 208 2^23
  23, 23, 23, 23, //                                  224 exponent correction for scaled subnormals
], 16);
// @ts-ignore: decorator
@inline const K_SQRTH: usize = 0;
// @ts-ignore: decorator
@inline const K_MANT: usize = 16;
// @ts-ignore: decorator
@inline const K_A1: usize = 32;
// @ts-ignore: decorator
@inline const K_A2: usize = 48;
// @ts-ignore: decorator
@inline const K_A3: usize = 64;
// @ts-ignore: decorator
@inline const K_LN2_HI: usize = 80;
// @ts-ignore: decorator
@inline const K_LN2_LO: usize = 96;
// @ts-ignore: decorator
@inline const K_ONE: usize = 112;
// @ts-ignore: decorator
@inline const K_HALF: usize = 128;
// @ts-ignore: decorator
@inline const K_MIN_NORMAL: usize = 144;
// @ts-ignore: decorator
@inline const K_INF: usize = 160;
// @ts-ignore: decorator
@inline const K_NEG_INF: usize = 176;
// @ts-ignore: decorator
@inline const K_QNAN: usize = 192;
// @ts-ignore: decorator
@inline const K_TWO_P23: usize = 208;
// @ts-ignore: decorator
@inline const K_23: usize = 224;

// @ts-ignore: decorator
@inline function k(off: usize): v128 {
  return v128.load(LOGF_K + off);
}

/** Scalar constants come from the same table (one load; an f32 immediate costs two). */
// @ts-ignore: decorator
@inline function kf(off: usize): f32 {
  return load<f32>(LOGF_K + off);
}

/**
 * The first stage of logf4Core: the reduced mantissa m ∈ [√½, √2) of `x` (from its bits alone).
 * Split out, with logf4Quot and logf4FromParts, so a loop can issue this stage and the division
 * for the next vector while it finishes the current one (see klDiv.ts, termsLoop).
 */
// @ts-ignore: decorator
@inline export function logf4Mant(x: v128): v128 {
  return i32x4.add(v128.and(i32x4.sub(x, k(K_SQRTH)), k(K_MANT)), k(K_SQRTH));
}

/** s = (m − 1) / (m + 1) of logf4Core, from logf4Mant's m. */
// @ts-ignore: decorator
@inline export function logf4Quot(m: v128): v128 {
  const one = k(K_ONE);
  return f32x4.div(f32x4.sub(m, one), f32x4.add(m, one));
}

/** The polynomial r(s²) of logf4Core, from logf4Quot's s. */
// @ts-ignore: decorator
@inline export function logf4Poly(s: v128): v128 {
  const z = f32x4.mul(s, s);
  let r = maddF32x4(z, k(K_A3), k(K_A2));
  r = maddF32x4(z, r, k(K_A1));
  return f32x4.mul(z, r);
}

/**
 * logf4Core from its first three stages (m = logf4Mant(x), s = logf4Quot(m), r = logf4Poly(s)):
 * the same operations, so the same bits.
 */
// @ts-ignore: decorator
@inline export function logf4FromParts(x: v128, kadj: v128, adjust: bool, m: v128, s: v128, r: v128): v128 {
  const ix = i32x4.sub(x, k(K_SQRTH));
  const kk = adjust ? i32x4.sub(i32x4.shr_s(ix, 23), kadj) : i32x4.shr_s(ix, 23);
  const f = f32x4.sub(m, k(K_ONE));
  const hfsq = f32x4.mul(f32x4.mul(k(K_HALF), f), f);
  const kf = f32x4.convert_i32x4_s(kk);
  const c = f32x4.add(f32x4.mul(s, f32x4.add(hfsq, r)), f32x4.mul(kf, k(K_LN2_LO)));
  return f32x4.sub(f32x4.mul(kf, k(K_LN2_HI)), f32x4.sub(f32x4.sub(hfsq, c), f));
}

/** log of a positive normal finite `x`, with `kadj` (0 or 23 per lane) subtracted from k; other lanes give garbage that logf4 replaces. */
// @ts-ignore: decorator
@inline function logf4Core(x: v128, kadj: v128, adjust: bool = true): v128 {
  const m = logf4Mant(x);
  const s = logf4Quot(m);
  return logf4FromParts(x, kadj, adjust, m, s, logf4Poly(s));
}

// @ts-ignore: decorator
@inline function logf1Core(x: f32, kadj: i32): f32 {
  const ix = reinterpret<i32>(x) - SQRTH_BITS;
  const kk = (ix >> 23) - kadj;
  const m = reinterpret<f32>((ix & MANT_MASK) + SQRTH_BITS);
  const one = kf(K_ONE);
  const f = m - one;
  const s = f / (m + one);
  const z = s * s;
  let r = maddF32(z, kf(K_A3), kf(K_A2));
  r = maddF32(z, r, kf(K_A1));
  r = z * r;
  const hfsq = (kf(K_HALF) * f) * f;
  const kx = <f32>kk;
  const c = s * (hfsq + r) + kx * kf(K_LN2_LO);
  return kx * kf(K_LN2_HI) - ((hfsq - c) - f);
}

/**
 * Natural logarithm, f32x4, all inputs (see file comment for special values).
 * Measured max error 0.8399 ulp (exhaustive over all f32).
 *
 * Subnormal lanes are pre-scaled by 2^23 and the special lanes patched with three selects, on
 * every vector: a branch on `all_true(normal positive finite)` around an out-of-line fix-up path
 * was measured ~55 % slower (2.16 vs 1.38 ns/elem) even when the branch was never taken —
 * presumably register allocation around the call, which clobbers all vector registers in V8 —
 * so the fix-up is always applied.
 */
// @ts-ignore: decorator
@inline export function logf4(x: v128): v128 {
  const tiny = f32x4.lt(x, k(K_MIN_NORMAL)); // subnormals, ±0 and negatives
  const xs = select32(f32x4.mul(x, k(K_TWO_P23)), x, tiny);
  let r = logf4Core(xs, v128.and(tiny, k(K_23)));
  r = select32(k(K_NEG_INF), r, f32x4.eq(x, f32x4.splat(0)));
  r = select32(k(K_QNAN), r, f32x4.lt(x, f32x4.splat(0)));
  // +inf and NaN pass through unchanged (NaN keeps its payload).
  return select32(r, x, f32x4.lt(x, k(K_INF)));
}

/**
 * `t·log t` for f32x4 lanes with xlogy's convention `0·log 0 = 0`: the first product of kl_div's
 * term, in two selects where `t·logf4(t)` plus the caller's zero test takes five. Lanes with
 * 0 < t < inf (subnormals included) are bit-identical to `t·logf4(t)`; the other lanes come from
 * `t·√t`, which is +0 for ±0, +inf for +inf and NaN for t < 0 or NaN — the values xlogy gives
 * there (NaN sign and payload unspecified). Measured on kl_div 'sum' (W1): see the CHANGELOG.
 */
// @ts-ignore: decorator
@inline export function xlogxf4(t: v128): v128 {
  const tiny = f32x4.lt(t, k(K_MIN_NORMAL)); // subnormals, ±0 and negatives
  const ts = select32(f32x4.mul(t, k(K_TWO_P23)), t, tiny);
  const r = f32x4.mul(t, logf4Core(ts, v128.and(tiny, k(K_23))));
  const valid = v128.and(f32x4.gt(t, f32x4.splat(0)), f32x4.lt(t, k(K_INF)));
  return select32(r, f32x4.mul(t, f32x4.sqrt(t)), valid);
}

/**
 * `xlogxf4` for lanes that are ±0 or positive, normal and finite, with the check left to the
 * caller: the lanes it is exact for get the same bits as `xlogxf4` (the same core, with no
 * subnormal scaling: `kadj` = 0), ±0 gives +0, and any other lane gives garbage. The caller folds
 * `xlogxNormalCheck` over its inputs and recomputes with `xlogxf4` if any lane fell outside (a
 * rare input: subnormal, negative, infinite or NaN targets). That moves the special-value selects
 * and the `t·√t` of `xlogxf4` (≈ 12 instructions, one square root) out of the hot loop, where the
 * check costs three (a subtract, an and, an unsigned max).
 *
 * It takes logf4's first stages (m = logf4Mant(t), s = logf4Quot(m), r = logf4Poly(s); see
 * logf4FromParts), so that the caller can issue them one vector ahead.
 */
// @ts-ignore: decorator
@inline export function xlogxf4NormalFromParts(t: v128, nonzero: v128, m: v128, s: v128, r: v128): v128 {
  return v128.and(f32x4.mul(t, logf4FromParts(t, t, false, m, s, r)), nonzero);
}

/**
 * One step of the check behind {@link xlogxf4NormalFromParts}: `acc` is the unsigned max over lanes of
 * `bits(t) − bits(MIN_NORMAL)` (0 for ±0 lanes, via `nonzero` = `t ≠ 0`). Every lane seen was
 * ±0 or positive, normal and finite exactly when all lanes of `acc` are below
 * `XLOGX_NORMAL_LIMIT` (unsigned): negative values and subnormals wrap to large unsigned values,
 * +inf and NaN land at or above the limit.
 */
// @ts-ignore: decorator
@inline export function xlogxNormalCheck(acc: v128, t: v128, nonzero: v128): v128 {
  return i32x4.max_u(acc, v128.and(i32x4.sub(t, k(K_MIN_NORMAL)), nonzero));
}

/** `bits(+inf) − bits(MIN_NORMAL)`: the bound of {@link xlogxNormalCheck}'s accumulator. */
// @ts-ignore: decorator
@inline export const XLOGX_NORMAL_LIMIT: i32 = INF_BITS - MIN_NORMAL_BITS;

/** Scalar twin of {@link logf4}: bit-identical results, NaN payloads included. */
// @ts-ignore: decorator
@inline export function logf1(x: f32): f32 {
  let kadj = 0;
  if (<u32>reinterpret<i32>(x) - <u32>MIN_NORMAL_BITS >= <u32>(INF_BITS - MIN_NORMAL_BITS)) {
    if (!(x < reinterpret<f32>(INF_BITS))) return x; // +inf, NaN
    if (x < 0) return reinterpret<f32>(QNAN_BITS);
    if (x == 0) return reinterpret<f32>(NEG_INF_BITS);
    x *= reinterpret<f32>(TWO_P23_BITS);
    kadj = 23;
  }
  return logf1Core(x, kadj);
}

