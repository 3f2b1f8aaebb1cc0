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
 * 5. Scaling by 2^n as in `expf`: `2^(n+54)·p·2^-54` for x < 0 and `2^(n−1)·p·2` for x ≥ 0
 *    (x clamped to [−746.5, 710] first), which yields correctly scaled subnormals and overflow to
 *    +inf with no special cases. −746.5 rounds to n = −1077, whose biased power of two
 *    2^(n+54) is +0, so lanes that underflow (−inf, masked values) never run subnormal
 *    arithmetic (slow on x86); only genuinely subnormal results do.
 *
 * Special values: ±0 → 1, +inf → +inf, x > 709.78 → +inf, −inf → +0, x < −745.13 → +0,
 * subnormal results not flushed, NaN → NaN (payload unspecified).
 *
 * Measured accuracy against a double-double reference: max 0.764 ulp over the 1.0·10^6-input
 * test set (test/wasm-math.test.ts), 0.783 ulp over 2·10^7 seeded random inputs
 * (bench/exhaustive-math.mjs), worst cases in the subnormal-result range near x = −708.7.
 * SIMD and scalar twin agree bit for bit (NaN payloads aside).
 */

import { maddF64, maddF64x2, select64 } from './relaxed';

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
  0xc087540000000000, 0xc087540000000000, // 240 X_LO −746.5: n = −1077, 2^(n+54) = +0 (see expf.ts)
  0x4086300000000000, 0x4086300000000000, // 256 X_HI 710
  0x0000000000000000, 0x0000000000000000, // 272 (unused)
  0x0360000000000000, 0x0360000000000000, // 288 +54 in the exponent field
  0xfff0000000000000, 0xfff0000000000000, // 304 −1 in the exponent field
  0x3c90000000000000, 0x3c90000000000000, // 320 2^-54
  0x4000000000000000, 0x4000000000000000, // 336 2.0
], 16);

// @ts-ignore: decorator
@inline function k(off: usize): v128 {
  return v128.load(EXP64_K + off);
}
/** Scalar twins read lane 0 of the same entries (an f64 immediate costs two instructions in V8). */
// @ts-ignore: decorator
@inline function c(off: usize): f64 {
  return load<f64>(EXP64_K + off);
}


/**
 * `p = e^t` (≈ [0.7, 1.42]) for `x`, the float-valued integer `n` and t = th − tl (exp2dT; th
 * and tl are recomputed here for dt, off the critical path of a pipelined caller); steps 2–4.
 */
// @ts-ignore: decorator
@inline function core2From(x: v128, n: v128, t: v128): v128 {
  const th = f64x2.sub(x, f64x2.mul(n, k(32)));
  const tl = f64x2.mul(n, k(48));
  const dt = f64x2.sub(f64x2.sub(th, t), tl);
  // q(t) by Estrin's scheme: a shorter dependency chain than Horner (measured exp1d 11.7 → 7.2
  // ns/elem, exp2d 3.75 → 3.07), same accuracy.
  const t2 = f64x2.mul(t, t);
  const t4 = f64x2.mul(t2, t2);
  const p23 = maddF64x2(k(80), t, k(64));
  const p45 = maddF64x2(k(112), t, k(96));
  const p67 = maddF64x2(k(144), t, k(128));
  const p89 = maddF64x2(k(176), t, k(160));
  const p1011 = maddF64x2(k(208), t, k(192));
  const p25 = maddF64x2(p45, t2, p23);
  const p69 = maddF64x2(p89, t2, p67);
  const p611 = maddF64x2(p1011, t4, p69);
  const q = maddF64x2(p611, t4, p25);
  const one = k(224);
  const hi = f64x2.add(one, t);
  const lo = f64x2.add(f64x2.sub(one, hi), t);
  const u = maddF64x2(t2, q, f64x2.mul(dt, hi));
  return f64x2.add(hi, f64x2.add(lo, u));
}

// @ts-ignore: decorator
@inline function core1(x: f64, n: f64): f64 {
  const th = x - n * c(32);
  const tl = n * c(48);
  const t = th - tl;
  const dt = (th - t) - tl;
  const t2 = t * t;
  const t4 = t2 * t2;
  const p25 = maddF64(maddF64(c(112), t, c(96)), t2, maddF64(c(80), t, c(64)));
  const p69 = maddF64(maddF64(c(176), t, c(160)), t2, maddF64(c(144), t, c(128)));
  const q = maddF64(maddF64(maddF64(c(208), t, c(192)), t4, p69), t4, p25);
  const one = c(224);
  const hi = one + t;
  const lo = (one - hi) + t;
  const u = maddF64(t2, q, dt * hi);
  return hi + (lo + u);
}

/**
 * e^x, f64x2, full range (special values in the file comment). Clamp and sign-dependent 2^n
 * bias on every vector (a branch to an unscaled fast path was measured slower).
 */
// @ts-ignore: decorator
@inline export function exp2d(x: v128): v128 {
  const xc = exp2dClamp(x);
  const v = exp2dV(xc);
  return exp2dFinish(xc, v, exp2dT(xc, v));
}

/**
 * exp2d's stages, which it is built from; loops issue the first ones for the next vector before
 * finishing the current one (see rowsum.ts): `exp2dClamp` gives the clamped argument xc (NaN
 * stays NaN), `exp2dV` its v = xc·log2e + magic, `exp2dT` the reduced argument t, and
 * `exp2dFinish(xc, v, t)` the result. The sign test is on xc, which has x's sign (the clamp
 * keeps signs and NaN), so the bits are those of a test on x.
 */
// @ts-ignore: decorator
@inline export function exp2dClamp(x: v128): v128 {
  return f64x2.pmax(f64x2.pmin(x, k(256)), k(240));
}

/** See {@link exp2dClamp}. */
// @ts-ignore: decorator
@inline export function exp2dV(xc: v128): v128 {
  return maddF64x2(xc, k(0), k(16));
}

/** See {@link exp2dClamp}: t of core2's step 2. */
// @ts-ignore: decorator
@inline export function exp2dT(xc: v128, v: v128): v128 {
  const n = f64x2.sub(v, k(16));
  return f64x2.sub(f64x2.sub(xc, f64x2.mul(n, k(32))), f64x2.mul(n, k(48)));
}

/** See {@link exp2dClamp}: e^x from xc, v and t. */
// @ts-ignore: decorator
@inline export function exp2dFinish(xc: v128, v: v128, t: v128): v128 {
  const neg = f64x2.lt(xc, f64x2.splat(0));
  const n = f64x2.sub(v, k(16));
  const s = i64x2.add(i64x2.shl(v, 52), select64(k(288), k(304), neg));
  const scale = select64(k(320), k(336), neg);
  return f64x2.mul(f64x2.mul(core2From(xc, n, t), s), scale);
}

/** Scalar twin of {@link exp2d}: bit-identical to each lane (NaN payloads aside). */
// @ts-ignore: decorator
@inline export function exp1d(x: f64): f64 {
  const neg = x < 0;
  x = select<f64>(c(256), x, c(256) < x);
  x = select<f64>(c(240), x, x < c(240));
  const v = maddF64(x, c(0), c(16));
  const n = v - c(16);
  const s = reinterpret<f64>(
    (reinterpret<i64>(v) << 52) + select<i64>(0x0360000000000000, 0xfff0000000000000, neg),
  );
  const scale = select<f64>(c(320), c(336), neg);
  return (core1(x, n) * s) * scale;
}

