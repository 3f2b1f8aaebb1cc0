// Vectorised exp/log primitives (f32x4, f64x2) and their bit-identical scalar twins.
// All are `@inline`; SIMD ones need `--enable simd` (guard with ASC_FEATURE_SIMD), scalar twins
// compile without it. Constants live in memory.data tables below __heap_base.
export { expf4, expf4Clamp, expf4V, expf4T, expf4Finish, expf4Neg, expf4NegClamp, expf4NegV, expf4NegT, expf4NegFinish, expf1, expf1Neg } from './expf';
export { logf4, logf1, xlogxf4, xlogxf4NormalFromParts, logf4Mant, logf4Quot, logf4Poly, xlogxNormalCheck, XLOGX_NORMAL_LIMIT } from './logf';
export { exp2d, exp2dClamp, exp2dV, exp2dT, exp2dFinish, exp1d } from './exp64';
export { log2d, log1d, log2dMant, log2dQuot, log2dPoly, xlogxNormal2dFromParts, xlogxNormalCheck2d, xlogxNormalFailed2d } from './log64';
