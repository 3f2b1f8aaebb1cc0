// The exp/log approximations every kernel uses, in one place, so the SIMD build, its scalar tails
// and the scalar build compute identical values (the scalar twins are bit-identical to one vector
// lane). Algorithms, measured accuracy and cost: assembly/math/*.ts — f32 exp ≤ 1.03 ulp
// (≤ 0.9961 for x ≤ 0), f32 log ≤ 0.84 ulp, both exhaustive over every f32 input; f64 exp/log ≤ 1 ulp.
import { exp1d, exp2d, expf1, expf1Neg, expf4, expf4Neg, log1d, log2d, logf1, logf4, xlogxf4 } from './math/index';

/** e^x for f32 lanes, any x (NaN → NaN, −inf → 0, overflow → +inf). */
// @ts-ignore: decorator
@inline export function expF32x4(x: v128): v128 {
  return expf4(x);
}

/** e^x for f32 lanes with x ≤ 0 or NaN (the x − max case). */
// @ts-ignore: decorator
@inline export function expNegF32x4(x: v128): v128 {
  return expf4Neg(x);
}

/** ln x for f32 lanes (x < 0 → NaN, 0 → −inf). */
// @ts-ignore: decorator
@inline export function logF32x4(x: v128): v128 {
  return logf4(x);
}

/** t·ln t for f32 lanes with 0·ln 0 = 0 (xlogy(t, t)); see math/logf.ts. */
// @ts-ignore: decorator
@inline export function xlogxF32x4(t: v128): v128 {
  return xlogxf4(t);
}

/** e^x for f64 lanes. */
// @ts-ignore: decorator
@inline export function expF64x2(x: v128): v128 {
  return exp2d(x);
}

/** e^x for f64 lanes with x ≤ 0 or NaN. */
// @ts-ignore: decorator
@inline export function expNegF64x2(x: v128): v128 {
  return exp2d(x);
}

// The stages the exponentials and logs above are built from, for the software-pipelined loops
// (rowsum.ts, klRows.ts, klDiv.ts), which issue the first stages of the next vector before
// finishing the current one. Composed in order they are exactly expF32x4 (expf4Clamp → expf4V →
// expf4T → expf4Finish), expNegF32x4 (expf4NegClamp → expf4NegV → expf4NegT → expf4NegFinish),
// expF64x2 and expNegF64x2 (exp2dClamp → exp2dV → exp2dT → exp2dFinish) and the cores of the
// logs (logf4Mant → logf4Quot → logf4Poly, log2dMant → log2dQuot → log2dPoly; kl_div's fast
// t·log t finishes them), so the scalar twins below stay bit-identical to every lane.
export {
  expf4Clamp, expf4V, expf4T, expf4Finish,
  expf4NegClamp, expf4NegV, expf4NegT, expf4NegFinish, exp2dClamp, exp2dV, exp2dT, exp2dFinish,
  logf4Mant, logf4Quot, logf4Poly, log2dMant, log2dQuot, log2dPoly,
  xlogxf4NormalFromParts, xlogxNormal2dFromParts, xlogxNormalCheck, xlogxNormalCheck2d, xlogxNormalFailed2d, XLOGX_NORMAL_LIMIT,
} from './math/index';

/** ln x for f64 lanes. */
// @ts-ignore: decorator
@inline export function logF64x2(x: v128): v128 {
  return log2d(x);
}

/**
 * logF64 as a call (one copy in the binary) for the once-per-slice logs of the softmax family:
 * inlined at every such site they grew each binary by ~7 kB for nothing. (The vector twin is a
 * local function where it is used: AssemblyScript warns about exported v128 signatures.)
 */
export function logF64Call(x: f64): f64 {
  return log1d(x);
}

// Scalar twins (same approximation as one vector lane).
// @ts-ignore: decorator
@inline export function expF32(x: f32): f32 {
  return expf1(x);
}
// @ts-ignore: decorator
@inline export function expNegF32(x: f32): f32 {
  return expf1Neg(x);
}
// @ts-ignore: decorator
@inline export function logF32(x: f32): f32 {
  return logf1(x);
}
// @ts-ignore: decorator
@inline export function expF64(x: f64): f64 {
  return exp1d(x);
}
// @ts-ignore: decorator
@inline export function expNegF64(x: f64): f64 {
  return exp1d(x);
}
// @ts-ignore: decorator
@inline export function logF64(x: f64): f64 {
  return log1d(x);
}
