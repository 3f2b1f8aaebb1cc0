/**
 * The relaxed-SIMD instructions the kernels use, each with the plain-SIMD / scalar form the other
 * builds compile instead: the one place that decides between them.
 *
 * 1. Multiply-add `a·b + c` for the polynomial evaluations of the exp/log primitives and of the KL
 *    series (klTerm.ts): fused or not.
 *
 * - The relaxed-SIMD build (`--enable simd,relaxed-simd`, ASC_FEATURE_RELAXED_SIMD) uses
 *   `relaxed_madd`, which the engine lowers to one fused multiply-add (one rounding) where the
 *   hardware has one (x86 FMA3, Arm NEON) and to a multiply and an add elsewhere. Fusing is not
 *   automatically more accurate for a polynomial fitted without it: each use was kept only where
 *   the exhaustive f32 sweep (bench/exhaustive-math.mjs --relaxed) stayed within the SIMD build's
 *   class of bounds (expf's final t²·q + t stays unfused: fused, it measured 1.0423 ulp). The
 *   accuracy suites run on this build too (test/wasm-math.test.ts).
 * - The SIMD and scalar builds compute `a·b + c` with two roundings, exactly as before this
 *   helper existed (every call site was `add(mul(a, b), c)` or `c + a·b`, and IEEE addition is
 *   commutative, so their results are unchanged bit for bit).
 *
 * The scalar twins (`maddF32`, `maddF64`) go through lane 0 of the same vector instruction in the
 * relaxed build: WebAssembly has no scalar FMA, and this keeps every scalar tail bit-identical to
 * a vector lane within one binary on one machine (the property the twin tests check).
 */

/** a·b + c on four f32 lanes. */
// @ts-ignore: decorator
@inline export function maddF32x4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** a·b + c on two f64 lanes. */
// @ts-ignore: decorator
@inline export function maddF64x2(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/** Scalar twin of maddF32x4 (bit-identical to one lane). */
// @ts-ignore: decorator
@inline export function maddF32(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  return a * b + c;
}

/** Scalar twin of maddF64x2 (bit-identical to one lane). */
// @ts-ignore: decorator
@inline export function maddF64(a: f64, b: f64, c: f64): f64 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.extract_lane(f64x2.relaxed_madd(f64x2.splat(a), f64x2.splat(b), f64x2.splat(c)), 0);
  return a * b + c;
}

/** a·b + c in T's precision (f32 or f64), for code generic over the element type. */
// @ts-ignore: decorator
@inline export function madd<T>(a: T, b: T, c: T): T {
  if (sizeof<T>() == 4) return <T>maddF32(<f32>a, <f32>b, <f32>c);
  return <T>maddF64(<f64>a, <f64>b, <f64>c);
}

// ---------------------------------------------------------------------------------------------
// 2. Lane selects on comparison masks. `relaxed_laneselect` is one blend instruction on x86
// (blendvps / blendvpd) where `v128.bitselect` is three (and, andnot, or). The two agree exactly
// when every mask lane is all ones or all zeros, which is what a comparison returns — so these
// helpers take only comparison results (or and/or/not of them) and give the same bits in every
// build and on every machine.

/** Lanes of `a` where the 32-bit lane of `m` is set, else of `b`; `m` from an f32x4/i32x4 comparison. */
// @ts-ignore: decorator
@inline export function select32(a: v128, b: v128, m: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_laneselect(a, b, m);
  return v128.bitselect(a, b, m);
}

/** Lanes of `a` where the 64-bit lane of `m` is set, else of `b`; `m` from an f64x2/i64x2 comparison. */
// @ts-ignore: decorator
@inline export function select64(a: v128, b: v128, m: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i64x2.relaxed_laneselect(a, b, m);
  return v128.bitselect(a, b, m);
}
