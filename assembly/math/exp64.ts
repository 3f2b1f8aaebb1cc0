/**
 * Double-precision exp: `exp2d` (f64x2) and its scalar twin `exp1d`.
 *
 * Algorithm (same structure as the f32 `expf`, widened, plus an exact final sum):
 *
 * 1. `n = round(x·log2 e)` via the magic bias 1.5·2^52 (+1023 so the low bits, shifted left by
 *    52, are the exponent field of 2^n); no float→int conversion.
 * 2. Cody–Waite reduction with fdlibm's split of ln2 (`ln2_hi` has 32 significant bits, so
 *    `n·ln2_hi` and `th = x − n·ln2_hi` are exact): `t = th − n·ln2_lo`, and the rounding error
 *    of that subtraction is kept, `dt = (th − t) − n·ln2_lo` (Fast2Sum).
 * 3. `e^t ≈ 1 + t + t²·q(t)`, `q` of degree 9 (total degree 11): our own weighted-minimax
 *    (Remez) fit for the relative error of e^t on [−0.3468, 0.3468] (max relative
 *    approximation error 7.8e-18 ≈ 0.07 ulp).
 * 4. `1 + t` is split exactly (`hi = 1 + t`, `lo = (1 − hi) + t`) and the result assembled as
 *    `hi + (lo + (t²q + dt·hi))`, so only the last addition rounds at full size.
 * 5. Scaling by 2^n as in `expf`: unscaled for |x| ≤ 700 (SIMD fast path), otherwise
 *    `2^(n+54)·p·2^-54` for x < 0 and `2^(n−1)·p·2` for x ≥ 0, which yields correctly scaled
 *    subnormals and overflow to +inf with no special cases.
 *
 * Special values: ±0 → 1, +inf → +inf, x > 709.78 → +inf, −inf → +0, x < −745.13 → +0,
 * subnormal results not flushed, NaN → NaN (payload unspecified).
 *
 * Measured accuracy: ≤ 1 ulp — see test/wasm-math.test.ts (double-double reference) for the
 * sampled maximum (0.76 ulp in the C prototype over 6·10^6 samples).
 */

const EXP64_K = memory.data<i64>([
  0x3ff71547652b82fe, 0x3ff71547652b82fe, //   0 log2 e
  0x43380000000003ff, 0x43380000000003ff, //  16 magic 1.5·2^52 + 1023
  0x3fe62e42fee00000, 0x3fe62e42fee00000, //  32 ln2_hi
  0x3dea39ef35793c76, 0x3dea39ef35793c76, //  48 ln2_lo
  0x3fe0000000000009, 0x3fe0000000000009, //  64 Q2
  0x3fc5555555555558, 0x3fc5555555555558, //  80 Q3
  0x3fa5555555550387, 0x3fa5555555550387, //  96 Q4
  0x3f8111111110f7e7, 0x3f8111111110f7e7, // 112 Q5
  0x3f56c16c18617fa4, 0x3f56c16c18617fa4, // 128 Q6
  0x3f2a01a01b019bfe, 0x3f2a01a01b019bfe, // 144 Q7
  0x3efa01993751a68c, 0x3efa01993751a68c, // 160 Q8
  0x3ec71ddf68d91b88, 0x3ec71ddf68d91b88, // 176 Q9
  0x3e928b44b9651a1f, 0x3e928b44b9651a1f, // 192 Q10
  0x3e5af63731e21625, 0x3e5af63731e21625, // 208 Q11
  0x3ff0000000000000, 0x3ff0000000000000, // 224 1.0
  0xc087500000000000, 0xc087500000000000, // 240 X_LO −746
  0x4086300000000000, 0x4086300000000000, // 256 X_HI 710
  0x4085e00000000000, 0x4085e00000000000, // 272 FAST_LIM 700
  0x0360000000000000, 0x0360000000000000, // 288 +54 in the exponent field
  0xfff0000000000000, 0xfff0000000000000, // 304 −1 in the exponent field
  0x3c90000000000000, 0x3c90000000000000, // 320 2^-54
  0x4000000000000000, 0x4000000000000000, // 336 2.0
], 16);

// @ts-ignore: decorator
@inline function k(off: usize): v128 {
  return v128.load(EXP64_K + off);
}
// @ts-ignore: decorator
@inline function c(off: usize): f64 {
  return load<f64>(EXP64_K + off);
}

// @ts-ignore: decorator
@inline const L2E: f64 = reinterpret<f64>(0x3ff71547652b82fe);
// @ts-ignore: decorator
@inline const MAGIC: f64 = reinterpret<f64>(0x43380000000003ff);
// @ts-ignore: decorator
@inline const LN2_HI: f64 = reinterpret<f64>(0x3fe62e42fee00000);
// @ts-ignore: decorator
@inline const LN2_LO: f64 = reinterpret<f64>(0x3dea39ef35793c76);
// @ts-ignore: decorator
@inline const X_LO: f64 = -746.0;
// @ts-ignore: decorator
@inline const X_HI: f64 = 710.0;

/** `p = e^t` (≈ [0.7, 1.42]) for `x` and the float-valued integer `n`; see steps 2–4. */
// @ts-ignore: decorator
@inline function core2(x: v128, n: v128): v128 {
  const th = f64x2.sub(x, f64x2.mul(n, k(32)));
  const tl = f64x2.mul(n, k(48));
  const t = f64x2.sub(th, tl);
  const dt = f64x2.sub(f64x2.sub(th, t), tl);
  let q = f64x2.add(f64x2.mul(k(208), t), k(192));
  q = f64x2.add(f64x2.mul(q, t), k(176));
  q = f64x2.add(f64x2.mul(q, t), k(160));
  q = f64x2.add(f64x2.mul(q, t), k(144));
  q = f64x2.add(f64x2.mul(q, t), k(128));
  q = f64x2.add(f64x2.mul(q, t), k(112));
  q = f64x2.add(f64x2.mul(q, t), k(96));
  q = f64x2.add(f64x2.mul(q, t), k(80));
  q = f64x2.add(f64x2.mul(q, t), k(64));
  const one = k(224);
  const hi = f64x2.add(one, t);
  const lo = f64x2.add(f64x2.sub(one, hi), t);
  const u = f64x2.add(f64x2.mul(f64x2.mul(t, t), q), f64x2.mul(dt, hi));
  return f64x2.add(hi, f64x2.add(lo, u));
}

// @ts-ignore: decorator
@inline function core1(x: f64, n: f64): f64 {
  const th = x - n * LN2_HI;
  const tl = n * LN2_LO;
  const t = th - tl;
  const dt = (th - t) - tl;
  let q = c(208) * t + c(192);
  q = q * t + c(176);
  q = q * t + c(160);
  q = q * t + c(144);
  q = q * t + c(128);
  q = q * t + c(112);
  q = q * t + c(96);
  q = q * t + c(80);
  q = q * t + c(64);
  const hi = 1.0 + t;
  const lo = (1.0 - hi) + t;
  const u = (t * t) * q + dt * hi;
  return hi + (lo + u);
}

/** Per-lane general path of {@link exp2d} (clamp, sign-dependent 2^n bias). */
// @ts-ignore: decorator
@noinline function exp2dWide(x: v128): v128 {
  const neg = f64x2.lt(x, f64x2.splat(0));
  x = f64x2.pmax(f64x2.pmin(x, k(256)), k(240)); // NaN stays NaN
  const v = f64x2.add(f64x2.mul(x, k(0)), k(16));
  const n = f64x2.sub(v, k(16));
  const s = i64x2.add(i64x2.shl(v, 52), v128.bitselect(k(288), k(304), neg));
  const scale = v128.bitselect(k(320), k(336), neg);
  return f64x2.mul(f64x2.mul(core2(x, n), s), scale);
}

/**
 * e^x, f64x2, full range (special values in the file comment). Lanes with |x| ≤ 700 in both
 * lanes take the unscaled path, which gives the same bits as the scaled one.
 */
// @ts-ignore: decorator
@inline export function exp2d(x: v128): v128 {
  if (i64x2.all_true(f64x2.le(f64x2.abs(x), k(272)))) {
    const v = f64x2.add(f64x2.mul(x, k(0)), k(16));
    const n = f64x2.sub(v, k(16));
    return f64x2.mul(core2(x, n), i64x2.shl(v, 52));
  }
  return exp2dWide(x);
}

/** Scalar twin of {@link exp2d}: bit-identical to each lane (NaN payloads aside). */
// @ts-ignore: decorator
@inline export function exp1d(x: f64): f64 {
  const neg = x < 0;
  x = select<f64>(X_HI, x, X_HI < x);
  x = select<f64>(X_LO, x, x < X_LO);
  const v = x * L2E + MAGIC;
  const n = v - MAGIC;
  const s = reinterpret<f64>(
    (reinterpret<i64>(v) << 52) + select<i64>(0x0360000000000000, 0xfff0000000000000, neg),
  );
  const scale = select<f64>(reinterpret<f64>(0x3c90000000000000), 2.0, neg);
  return (core1(x, n) * s) * scale;
}
