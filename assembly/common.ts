// Shared helpers for the kernels: lane reductions, f32→f64 widening, generic scalar math dispatch.
// Everything is @inline: no call overhead in hot loops, and constants stay local to each kernel.
import { expF32, expF64, expNegF32, expNegF64, logF32, logF64 } from './vmath';

/** Max of the four f32 lanes; NaN if any lane is NaN (WASM's f32x4.max propagates NaN). */
// @ts-ignore: decorator
@inline export function hmaxF32(v: v128): f32 {
  const a = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const b = f32x4.max(a, v128.shuffle<f32>(a, a, 1, 0, 3, 2));
  return f32x4.extract_lane(b, 0);
}

/** Max of the two f64 lanes, NaN-propagating. */
// @ts-ignore: decorator
@inline export function hmaxF64(v: v128): f64 {
  return max<f64>(f64x2.extract_lane(v, 0), f64x2.extract_lane(v, 1));
}

/** Sum of the two f64 lanes. */
// @ts-ignore: decorator
@inline export function hsumF64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Lanes 2 and 3 of an f32x4 widened to f64x2 (lanes 0 and 1: f64x2.promote_low_f32x4). */
// @ts-ignore: decorator
@inline export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Two f64x2 vectors narrowed to one f32x4 [lo0, lo1, hi0, hi1]. */
// @ts-ignore: decorator
@inline export function demotePair(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** e^x for x ≤ 0 or NaN, in T's precision (the same approximation as a vector lane). */
// @ts-ignore: decorator
@inline export function expNegS<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>expNegF32(<f32>x);
  return <T>expNegF64(<f64>x);
}

/** e^x for any x, in T's precision. */
// @ts-ignore: decorator
@inline export function expS<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>expF32(<f32>x);
  return <T>expF64(<f64>x);
}

/** ln x in T's precision. */
// @ts-ignore: decorator
@inline export function logS<T>(x: T): T {
  if (sizeof<T>() == 4) return <T>logF32(<f32>x);
  return <T>logF64(<f64>x);
}

/** Byte address of element `i` of a T array at `p`. */
// @ts-ignore: decorator
@inline export function at<T>(p: usize, i: i32): usize {
  return p + ((<usize>i) << alignof<T>());
}

/** Max of one slice (`n` elements, element stride `stride`), NaN-propagating; -inf when n = 0. */
// @ts-ignore: decorator
@inline export function sliceMaxScalar<T>(p: usize, n: i32, stride: i32): T {
  let m: T = <T>-Infinity;
  for (let k = 0; k < n; k++) m = max<T>(m, load<T>(at<T>(p, k * stride)));
  return m;
}

/** Whether a slice (`n` elements, element stride `stride`) contains a NaN (rare-path check). */
// @ts-ignore: decorator
@inline export function sliceHasNaN<T>(p: usize, n: i32, stride: i32): bool {
  for (let k = 0; k < n; k++) {
    const v = load<T>(at<T>(p, k * stride));
    if (v != v) return true;
  }
  return false;
}
