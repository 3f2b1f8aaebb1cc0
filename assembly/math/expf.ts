/**
 * Single-precision exp: `expf4` / `expf4Neg` (f32x4) and their scalar twins `expf1` / `expf1Neg`.
 *
 * Algorithm (one for all four functions, so every lane of a SIMD result is bit-identical to the
 * scalar twin on the same input):
 *
 * 1. Range reduction, Cody–Waite style: `n = round(x·log2 e)` via the "magic bias" trick
 *    (add 1.5·2^23 plus the exponent bias, so the rounded integer lands in the low mantissa bits;
 *    no float→int conversion, which V8 lowers to a long sequence), then
 *    `t = (x − n·ln2_hi) − n·ln2_lo` with a 15-bit `ln2_hi` so `n·ln2_hi` and the first subtraction
 *    are exact; |t| ≤ ~0.3466.
 * 2. `e^t ≈ 1 + t + t²·q(t)`, `q` of degree 4 (total degree 6), evaluated by Estrin's scheme
 *    (`(C2 + C3 t) + t²(C4 + C5 t) + t⁴C6`: one more multiply than Horner but a shorter
 *    dependency chain, 0.815 → 0.764 ns/elem for expf4Neg, and 4.7 → 4.0 for the scalar twin). The
 *    coefficients are our own weighted-minimax (Remez) fit of `(e^t − 1 − t)/t²` for the relative
 *    error of e^t on [−0.3468, 0.3468] (max relative approximation error 3.1e-9 ≈ 0.05 ulp),
 *    rounded to f32. Keeping `1 + t` explicit (instead of XNNPACK's `s + (t·s)·p`) means the only
 *    large rounding is the final `1 + u`, which is what gets this to ~1 ulp without FMA
 *    (XNNPACK's degree-5 form measures 2.26 ulp; no degree-5 refit of it got below 2.2).
 * 3. Reconstruction `2^n·(1 + u)`, with `2^n` built by shifting the magic-biased value's bits
 *    into the exponent field. To cover results that are subnormal or overflow, the power of two
 *    is biased into the normal range and undone with one exact (or correctly rounding) multiply:
 *    `2^(n+24)·(1+u)·2^-24` for x < 0, `2^(n−1)·(1+u)·2` for x ≥ 0.
 *
 * This is the structure of the classic Cephes/sse_mathfun `expf` and XNNPACK's `rr2` kernels
 * (magic-bias rounding, two-constant reduction); the polynomial form, coefficients and the
 * subnormal/overflow scaling are our own.
 *
 * Measured accuracy, exhaustive over every f32 input on the real wasm (bench/exhaustive-math.mjs),
 * in ulps of the exact result (subnormal results in units of 2^-149):
 *   expf4 / expf1        max 1.0272 ulp (at x = 5.1991334; ≤ 0.9961 for x ≤ 0)
 *   expf4Neg / expf1Neg  max 0.9961 ulp on [−inf, 0] (at x = −5.1924815)
 * (Horner evaluation of the same polynomial measures 0.969 / 0.989, but costs ~7 % more time;
 * the issue bound is 2 ulp.) SIMD and scalar twins agree bit for bit on all 2^32 inputs, NaN
 * payloads aside.
 *
 * Cost: `expf4Neg` ≈ 24 v128 ops per 4 lanes (≈ 0.76 ns/elem on the project machine, 2-way
 * unrolled map); `expf4` ≈ 29 (clamp on both sides and sign-dependent scaling, ≈ 1.0 ns/elem).
 * Lanes that underflow to +0 (incl. −inf) cost nothing extra (see the clamp in expf4Neg), but
 * lanes whose result is genuinely subnormal (−103.97 ≤ x < −87.34) run subnormal arithmetic,
 * which x86 executes slowly: a vector of such lanes measured ≈ 2.7× slower.
 */

import { maddF32, maddF32x4, select32 } from './relaxed';

// ---- constants -------------------------------------------------------------------------------
// Vector constants are loaded from this static table instead of being written as v128.const:
// V8 (Node 20) re-materialises every v128.const at each use (≈3 instructions), whereas a load
// from a fixed address is one instruction and stays in L1. Measured on expf4Neg over 32 K
// elements (min of interleaved runs): 1.085 ns/elem with v128.const, 0.815 with table loads,
// 0.77 with constants hoisted into locals by hand (which would need a 12-parameter signature).
// The scalar twins read lane 0 of the same entries (an f32 immediate costs two instructions in
// V8; this took expf1 from 7.2 to 4.7 ns/elem). The table lives in the module's static data,
// below __heap_base, so a facade must start its arena at __heap_base.
const EXPF_K = memory.data<i32>([
  0x3fb8aa3b, 0x3fb8aa3b, 0x3fb8aa3b, 0x3fb8aa3b, //   0 log2 e  0x1.715476p+0
  0x3f317200, 0x3f317200, 0x3f317200, 0x3f317200, //  16 ln2_hi  0x1.62e400p-1 (15 significant bits)
  0x35bfbe8e, 0x35bfbe8e, 0x35bfbe8e, 0x35bfbe8e, //  32 ln2_lo  0x1.7f7d1cp-20
  0x3efffffe, 0x3efffffe, 0x3efffffe, 0x3efffffe, //  48 C2      0x1.fffffcp-2   q(t) = C2 + C3 t + … + C6 t^4
  0x3e2aaa48, 0x3e2aaa48, 0x3e2aaa48, 0x3e2aaa48, //  64 C3      0x1.555490p-3
  0x3d2aac7a, 0x3d2aac7a, 0x3d2aac7a, 0x3d2aac7a, //  80 C4      0x1.5558f4p-5
  0x3c091d1b, 0x3c091d1b, 0x3c091d1b, 0x3c091d1b, //  96 C5      0x1.123a36p-7
  0x3ab511d5, 0x3ab511d5, 0x3ab511d5, 0x3ab511d5, // 112 C6      0x1.6a23aap-10
  0x4b40007f, 0x4b40007f, 0x4b40007f, 0x4b40007f, // 128 1.5·2^23 + 127: bits(v) << 23 = bits(2^n)
  0x4b400097, 0x4b400097, 0x4b400097, 0x4b400097, // 144 1.5·2^23 + 151: bits(v) << 23 = bits(2^(n+24))
  0x0c000000, 0x0c000000, 0x0c000000, 0x0c000000, // 160 +24 in the exponent field (x < 0)
  0xff800000, 0xff800000, 0xff800000, 0xff800000, // 176 −1 in the exponent field (x ≥ 0)
  0x33800000, 0x33800000, 0x33800000, 0x33800000, // 192 2^-24
  0x40000000, 0x40000000, 0x40000000, 0x40000000, // 208 2.0
  0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000, // 224 1.0
  0xc2d13333, 0xc2d13333, 0xc2d13333, 0xc2d13333, // 240 −104.6: clamp where n = −151, so 2^(n+24) = +0
  0x42b20000, 0x42b20000, 0x42b20000, 0x42b20000, // 256 89: e^89 > FLT_MAX, overflows to +inf
], 16);
// @ts-ignore: decorator
@inline const EXP_P24: i32 = 24 << 23;
// @ts-ignore: decorator
@inline const EXP_M1: i32 = -1 << 23;
// @ts-ignore: decorator
@inline const TWO_M24_BITS: i32 = 0x33800000;
// @ts-ignore: decorator
@inline const TWO_BITS: i32 = 0x40000000;
// @ts-ignore: decorator
@inline const K_LOG2E: usize = 0;
// @ts-ignore: decorator
@inline const K_LN2_HI: usize = 16;
// @ts-ignore: decorator
@inline const K_LN2_LO: usize = 32;
// @ts-ignore: decorator
@inline const K_C2: usize = 48;
// @ts-ignore: decorator
@inline const K_C3: usize = 64;
// @ts-ignore: decorator
@inline const K_C4: usize = 80;
// @ts-ignore: decorator
@inline const K_C5: usize = 96;
// @ts-ignore: decorator
@inline const K_C6: usize = 112;
// @ts-ignore: decorator
@inline const K_MAGIC: usize = 128;
// @ts-ignore: decorator
@inline const K_MAGIC_NEG: usize = 144;
// @ts-ignore: decorator
@inline const K_EXP_P24: usize = 160;
// @ts-ignore: decorator
@inline const K_EXP_M1: usize = 176;
// @ts-ignore: decorator
@inline const K_TWO_M24: usize = 192;
// @ts-ignore: decorator
@inline const K_TWO: usize = 208;
// @ts-ignore: decorator
@inline const K_ONE: usize = 224;
// @ts-ignore: decorator
@inline const K_X_LO: usize = 240;
// @ts-ignore: decorator
@inline const K_X_HI: usize = 256;

/** Lane 0 of the splatted constant at byte offset `off` of {@link EXPF_K}, as a scalar. */
// @ts-ignore: decorator
@inline function kf(off: usize): f32 {
  return load<f32>(EXPF_K + off);
}

/** Loads the splatted constant at byte offset `off` of {@link EXPF_K}. */
// @ts-ignore: decorator
@inline function k(off: usize): v128 {
  return v128.load(EXPF_K + off);
}

// ---- shared core ------------------------------------------------------------------------------

/** `(1 + t + t²q(t))` for reduced `t`, lane-wise. */
// @ts-ignore: decorator
@inline function poly4(t: v128): v128 {
  const t2 = f32x4.mul(t, t);
  const t4 = f32x4.mul(t2, t2);
  const q23 = maddF32x4(k(K_C3), t, k(K_C2));
  const q45 = maddF32x4(k(K_C5), t, k(K_C4));
  const q = maddF32x4(k(K_C6), t4, maddF32x4(q45, t2, q23));
  // Not fused even in the relaxed build: a fused t²·q + t raised the exhaustive maximum error from
  // 0.99 to 1.0423 ulp (x = −59.9527), while fusing q's own steps keeps it below 1 ulp.
  const u = f32x4.add(f32x4.mul(t2, q), t);
  return f32x4.add(k(K_ONE), u);
}

// @ts-ignore: decorator
@inline function poly1(t: f32): f32 {
  const t2 = t * t;
  const t4 = t2 * t2;
  const q = maddF32(kf(K_C6), t4, maddF32(maddF32(kf(K_C5), t, kf(K_C4)), t2, maddF32(kf(K_C3), t, kf(K_C2))));
  const u = t2 * q + t; // unfused, as in poly4
  return kf(K_ONE) + u;
}

/** Reduced argument t = (x − n·ln2_hi) − n·ln2_lo for the float-valued integer n. */
// @ts-ignore: decorator
@inline function reduce4(x: v128, n: v128): v128 {
  const t = f32x4.sub(x, f32x4.mul(n, k(K_LN2_HI)));
  return f32x4.sub(t, f32x4.mul(n, k(K_LN2_LO)));
}

// @ts-ignore: decorator
@inline function reduce1(x: f32, n: f32): f32 {
  const t = x - n * kf(K_LN2_HI);
  return t - n * kf(K_LN2_LO);
}

// ---- x ≤ 0 variant ----------------------------------------------------------------------------

/**
 * e^x for x ≤ 0 (the `x − max` of softmax / log-sum-exp), f32x4.
 *
 * Domain: [−inf, 0] and NaN. −inf → +0, −0/+0 → 1, NaN → NaN (payload unspecified), results
 * below 2^-126 are correctly scaled subnormals (no flush), x < −103.97 → +0.
 * Inputs x > 0 are outside the contract (results are finite garbage above x ≈ 71).
 * Measured max error 0.9961 ulp (exhaustive over all f32 in [−inf, 0]).
 * Same algorithm as `expf4` minus the sign-dependent scaling: clamp, reduce, degree-6
 * polynomial, `2^(n+24)·p·2^-24`.
 */
// @ts-ignore: decorator
@inline export function expf4Neg(x: v128): v128 {
  // pmax(x, c) = x < c ? c : x — keeps NaN (a single maxps in V8, unlike f32x4.max). The clamp
  // −104.6 rounds to n = −151, whose biased power of two 2^(n+24) has all-zero bits: clamped lanes
  // (−inf, masked logits) give exactly +0 without touching subnormal arithmetic, which costs
  // 2–4× on x86 (measured: 1/16 −inf lanes made a clamp at −104 2× slower).
  const xc = expf4NegClamp(x);
  const v = expf4NegV(xc);
  return expf4NegFinish(v, expf4NegT(xc, v));
}

/**
 * expf4Neg's stages, which it is built from; loops issue the first ones for the next vector
 * before finishing the current one (see rowsum.ts): `expf4NegClamp` gives the clamped argument,
 * `expf4NegV` its `x·log2e + magic` (v), `expf4NegT` the reduced argument t, and
 * `expf4NegFinish(v, t)` the result.
 */
// @ts-ignore: decorator
@inline export function expf4NegClamp(x: v128): v128 {
  return f32x4.pmax(x, k(K_X_LO));
}

/** See {@link expf4NegClamp}: v from the clamped argument. */
// @ts-ignore: decorator
@inline export function expf4NegV(xc: v128): v128 {
  return maddF32x4(xc, k(K_LOG2E), k(K_MAGIC_NEG));
}

/** See {@link expf4NegClamp}: the reduced argument from the clamped argument and v. */
// @ts-ignore: decorator
@inline export function expf4NegT(xc: v128, v: v128): v128 {
  return reduce4(xc, f32x4.sub(v, k(K_MAGIC_NEG)));
}

/** See {@link expf4NegClamp}: e^x from v and t. */
// @ts-ignore: decorator
@inline export function expf4NegFinish(v: v128, t: v128): v128 {
  const s = i32x4.shl(v, 23); // 2^(n+24): normal for n ∈ [−150, 103], +0 for n = −151
  return f32x4.mul(f32x4.mul(poly4(t), s), k(K_TWO_M24));
}

/** Scalar twin of {@link expf4Neg}: the same operations on one lane, bit-identical results. */
// @ts-ignore: decorator
@inline export function expf1Neg(x: f32): f32 {
  x = select<f32>(kf(K_X_LO), x, x < kf(K_X_LO));
  const v = maddF32(x, kf(K_LOG2E), kf(K_MAGIC_NEG));
  const s = reinterpret<f32>(reinterpret<i32>(v) << 23);
  const n = v - kf(K_MAGIC_NEG);
  const p = poly1(reduce1(x, n));
  return (p * s) * kf(K_TWO_M24);
}

// ---- full range -------------------------------------------------------------------------------

/**
 * e^x, f32x4, full range.
 *
 * Special values: ±0 → 1, +inf → +inf, x > 88.7228 → +inf (overflow), −inf → +0,
 * x < −103.97 → +0, subnormal results correctly rounded (no flush), NaN → NaN (payload
 * unspecified). Measured max error 1.0272 ulp over all f32 inputs (exhaustive; 0.9961 for
 * x ≤ 0).
 *
 * Every lane is clamped to [−104.6, 89] and its power of two is biased by the sign of x, so there
 * is no branch: an `all_true(|x| ≤ 80)` test selecting an unscaled fast path was measured
 * slower (1.21 vs 1.07 ns/elem, even with every lane in range) than always scaling.
 */
// @ts-ignore: decorator
@inline export function expf4(x: v128): v128 {
  const xc = expf4Clamp(x);
  const v = expf4V(xc);
  return expf4Finish(xc, v, expf4T(xc, v));
}

/**
 * expf4's stages, which it is built from (as expf4Neg's; see expf4NegClamp): the clamped
 * argument xc, v = xc·log2e + magic, the reduced argument t, and the result. The sign test is on
 * xc, which has x's sign (the clamp keeps signs and NaN), so the bits are those of a test on x.
 */
// @ts-ignore: decorator
@inline export function expf4Clamp(x: v128): v128 {
  // pmin/pmax(x, c) return x when x is NaN, so NaN propagates.
  return f32x4.pmax(f32x4.pmin(x, k(K_X_HI)), k(K_X_LO)); // see expf4Neg for the −104.6 clamp
}

/** See {@link expf4Clamp}. */
// @ts-ignore: decorator
@inline export function expf4V(xc: v128): v128 {
  return maddF32x4(xc, k(K_LOG2E), k(K_MAGIC));
}

/** See {@link expf4Clamp}. */
// @ts-ignore: decorator
@inline export function expf4T(xc: v128, v: v128): v128 {
  return reduce4(xc, f32x4.sub(v, k(K_MAGIC)));
}

/** See {@link expf4Clamp}: e^x from xc, v and t. */
// @ts-ignore: decorator
@inline export function expf4Finish(xc: v128, v: v128, t: v128): v128 {
  const neg = f32x4.lt(xc, f32x4.splat(0));
  const s = i32x4.add(i32x4.shl(v, 23), select32(k(K_EXP_P24), k(K_EXP_M1), neg));
  return f32x4.mul(f32x4.mul(poly4(t), s), select32(k(K_TWO_M24), k(K_TWO), neg));
}

/** Scalar twin of {@link expf4}: bit-identical to each lane of `expf4` (NaN payloads aside). */
// @ts-ignore: decorator
@inline export function expf1(x: f32): f32 {
  const neg = x < 0;
  x = select<f32>(kf(K_X_HI), x, kf(K_X_HI) < x);
  x = select<f32>(kf(K_X_LO), x, x < kf(K_X_LO));
  const v = maddF32(x, kf(K_LOG2E), kf(K_MAGIC));
  const s = reinterpret<f32>((reinterpret<i32>(v) << 23) + select<i32>(EXP_P24, EXP_M1, neg));
  const n = v - kf(K_MAGIC);
  const p = poly1(reduce1(x, n));
  return (p * s) * reinterpret<f32>(select<i32>(TWO_M24_BITS, TWO_BITS, neg));
}
