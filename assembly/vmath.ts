// Vector and scalar exp/log used by the kernels, in one place so every kernel gets the same
// approximations in the SIMD build, its scalar tails and the scalar build.
//
// PLACEHOLDER: lane-wise AssemblyScript Math/Mathf (correctly rounded to ~0.5 ulp, slow) until the
// polynomial kernels in assembly/math/ land.

/** e^x for f32 lanes, any x (NaN → NaN, −inf → 0, overflow → +inf). */
// @ts-ignore: decorator
@inline export function expF32x4(x: v128): v128 {
  let r = f32x4.splat(Mathf.exp(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.exp(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.exp(f32x4.extract_lane(x, 2)));
  return f32x4.replace_lane(r, 3, Mathf.exp(f32x4.extract_lane(x, 3)));
}

/** e^x for f32 lanes with x ≤ 0 or NaN (the x − max case). */
// @ts-ignore: decorator
@inline export function expNegF32x4(x: v128): v128 {
  return expF32x4(x);
}

/** ln x for f32 lanes (x < 0 → NaN, 0 → −inf). */
// @ts-ignore: decorator
@inline export function logF32x4(x: v128): v128 {
  let r = f32x4.splat(Mathf.log(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.log(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.log(f32x4.extract_lane(x, 2)));
  return f32x4.replace_lane(r, 3, Mathf.log(f32x4.extract_lane(x, 3)));
}

/** e^x for f64 lanes. */
// @ts-ignore: decorator
@inline export function expF64x2(x: v128): v128 {
  const r = f64x2.splat(Math.exp(f64x2.extract_lane(x, 0)));
  return f64x2.replace_lane(r, 1, Math.exp(f64x2.extract_lane(x, 1)));
}

/** e^x for f64 lanes with x ≤ 0 or NaN. */
// @ts-ignore: decorator
@inline export function expNegF64x2(x: v128): v128 {
  return expF64x2(x);
}

/** ln x for f64 lanes. */
// @ts-ignore: decorator
@inline export function logF64x2(x: v128): v128 {
  const r = f64x2.splat(Math.log(f64x2.extract_lane(x, 0)));
  return f64x2.replace_lane(r, 1, Math.log(f64x2.extract_lane(x, 1)));
}

// Scalar twins (same approximation as one vector lane).
// @ts-ignore: decorator
@inline export function expF32(x: f32): f32 {
  return Mathf.exp(x);
}
// @ts-ignore: decorator
@inline export function expNegF32(x: f32): f32 {
  return Mathf.exp(x);
}
// @ts-ignore: decorator
@inline export function logF32(x: f32): f32 {
  return Mathf.log(x);
}
// @ts-ignore: decorator
@inline export function expF64(x: f64): f64 {
  return Math.exp(x);
}
// @ts-ignore: decorator
@inline export function expNegF64(x: f64): f64 {
  return Math.exp(x);
}
// @ts-ignore: decorator
@inline export function logF64(x: f64): f64 {
  return Math.log(x);
}
