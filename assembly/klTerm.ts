// The termwise (Bregman) KL helpers shared by the fused kernels (klDivLogits.ts and
// klDivLogitsGrad.ts, so both compute the loss with the same formulas in the same order): one term
// q·φ(p/q) from u = log(p/q), p and q; the 'none' point term p·u; the series h(u) = φ(e^u)/u²;
// and c = lse(y/T) − lse(x/T). Derivation: klDivLogits.ts and
// ../shared/reference/fused-kl-numerics.md.
import { madd, maddF32x4, maddF64x2, select32, select64 } from './math/relaxed';
import { demotePair, promoteHigh } from './common';

// Series coefficients (k−1)/k!, k = 2..9 for f32 (through u⁹: < 3e-7 relative at |u| = 0.5) and
// k = 2..15 for f64 (< 3e-15).
export const C2: f64 = 1.0 / 2.0;
export const C3: f64 = 2.0 / 6.0;
export const C4: f64 = 3.0 / 24.0;
export const C5: f64 = 4.0 / 120.0;
export const C6: f64 = 5.0 / 720.0;
export const C7: f64 = 6.0 / 5040.0;
export const C8: f64 = 7.0 / 40320.0;
export const C9: f64 = 8.0 / 362880.0;
export const C10: f64 = 9.0 / 3628800.0;
export const C11: f64 = 10.0 / 39916800.0;
export const C12: f64 = 11.0 / 479001600.0;
export const C13: f64 = 12.0 / 6227020800.0;
export const C14: f64 = 13.0 / 87178291200.0;
export const C15: f64 = 14.0 / 1307674368000.0;
export const SERIES_LIMIT: f64 = 0.5;

/**
 * h(u) = φ(e^u)/u² in T's precision, given u and u² (the caller needs u² anyway).
 * Estrin's scheme (pairs C_k + C_{k+1}·u, then combined with u², u⁴, u⁸) rather than Horner: the
 * same number of operations but a dependency chain of 4 multiply-add levels instead of 7 (f32) or
 * 13 (f64); the term loops are latency-bound on this chain (measured: klTerm A/B in the CHANGELOG).
 */
// @ts-ignore: decorator
@inline export function seriesS<T>(u: T, u2: T): T {
  const u4 = u2 * u2;
  if (sizeof<T>() == 4) {
    const a = madd<T>(<T>C3, u, <T>C2);
    const b = madd<T>(<T>C5, u, <T>C4);
    const c = madd<T>(<T>C7, u, <T>C6);
    const d = madd<T>(<T>C9, u, <T>C8);
    return madd<T>(madd<T>(d, u2, c), u4, madd<T>(b, u2, a));
  }
  const a = madd<T>(<T>C3, u, <T>C2);
  const b = madd<T>(<T>C5, u, <T>C4);
  const c = madd<T>(<T>C7, u, <T>C6);
  const d = madd<T>(<T>C9, u, <T>C8);
  const e = madd<T>(<T>C11, u, <T>C10);
  const f = madd<T>(<T>C13, u, <T>C12);
  const g = madd<T>(<T>C15, u, <T>C14);
  const lo = madd<T>(madd<T>(d, u2, c), u4, madd<T>(b, u2, a));
  const hi = madd<T>(g, u4, madd<T>(f, u2, e));
  return madd<T>(hi, u4 * u4, lo);
}

/**
 * One term q·φ(p/q) given u = log(p/q), p, q and the target logit y (scalar twin of the vector
 * code). p = 0 and q = 0 are decided from the logits, not from probabilities that underflowed:
 * y = −inf → q (0·log 0 = 0); u = +inf (x = −inf, y finite) → +inf.
 */
// @ts-ignore: decorator
@inline export function termS<T>(u: T, p: T, q: T, y: T): T {
  if (y == <T>-Infinity) return q + p; // q; NaN (p) where the whole target slice is −inf
  if (u == <T>Infinity) return <T>Infinity;
  const u2 = u * u;
  const t = abs<T>(u) < <T>SERIES_LIMIT ? q * (u2 * seriesS<T>(u, u2)) : p * u - p + q;
  return max<T>(t, <T>0);
}

/** The 'none' term p·u·scale with the same logit rules (0 where y = −inf, +inf where u = +inf). */
// @ts-ignore: decorator
@inline export function pointS<T>(u: T, p: T, y: T, scale: T): T {
  if (y == <T>-Infinity) return p * <T>0; // 0; NaN (p) where the whole target slice is −inf
  if (u == <T>Infinity) return <T>Infinity;
  return p * u * scale;
}

// Vector constants of the f32 term code, loaded from a static table rather than written as
// v128.const: V8 (Node 20) re-materialises a v128.const at every use (≈3 instructions), a load from
// a fixed address is one instruction and stays in L1 (the same finding as assembly/math/expf.ts).
const KT = memory.data<f32>([
  <f32>C9, <f32>C9, <f32>C9, <f32>C9, //   0
  <f32>C8, <f32>C8, <f32>C8, <f32>C8, //  16
  <f32>C7, <f32>C7, <f32>C7, <f32>C7, //  32
  <f32>C6, <f32>C6, <f32>C6, <f32>C6, //  48
  <f32>C5, <f32>C5, <f32>C5, <f32>C5, //  64
  <f32>C4, <f32>C4, <f32>C4, <f32>C4, //  80
  <f32>C3, <f32>C3, <f32>C3, <f32>C3, //  96
  <f32>C2, <f32>C2, <f32>C2, <f32>C2, // 112
  <f32>SERIES_LIMIT, <f32>SERIES_LIMIT, <f32>SERIES_LIMIT, <f32>SERIES_LIMIT, // 128
  Infinity, Infinity, Infinity, Infinity, // 144
  -Infinity, -Infinity, -Infinity, -Infinity, // 160
], 16);

/** Vector twin of seriesS<f32> (same Estrin order, so lanes match the scalar bit for bit). */
// @ts-ignore: decorator
@inline export function seriesF32x4(u: v128, u2: v128): v128 {
  const u4 = f32x4.mul(u2, u2);
  const a = maddF32x4(v128.load(KT, 96), u, v128.load(KT, 112));
  const b = maddF32x4(v128.load(KT, 64), u, v128.load(KT, 80));
  const c = maddF32x4(v128.load(KT, 32), u, v128.load(KT, 48));
  const d = maddF32x4(v128.load(KT, 0), u, v128.load(KT, 16));
  const lo = maddF32x4(b, u2, a);
  const hi = maddF32x4(d, u2, c);
  return maddF32x4(hi, u4, lo);
}

/**
 * One f32x4 of terms q·φ(p/q) with the finite-case rules only: the Taylor branch for
 * |u| < SERIES_LIMIT, p·u − p + q otherwise, clamped at ≥ 0 (NaN passes through). Exact for
 * slices without −inf logits; termF32x4 adds the −inf rules.
 */
// @ts-ignore: decorator
@inline export function termFiniteF32x4(u: v128, p: v128, q: v128): v128 {
  return termFiniteWithSeriesF32x4(u, p, q, seriesTermF32x4(u));
}

/** u²·h(u), the Taylor branch's factor of q: the part of a term that needs only u (a pipelined loop issues it one vector ahead). */
// @ts-ignore: decorator
@inline export function seriesTermF32x4(u: v128): v128 {
  const u2 = f32x4.mul(u, u);
  return f32x4.mul(u2, seriesF32x4(u, u2));
}

/** termFiniteF32x4 given w = seriesTermF32x4(u): the same operations, so the same bits. */
// @ts-ignore: decorator
@inline export function termFiniteWithSeriesF32x4(u: v128, p: v128, q: v128, w: v128): v128 {
  const small = f32x4.mul(q, w);
  const large = f32x4.add(f32x4.sub(f32x4.mul(p, u), p), q);
  const t = select32(small, large, f32x4.lt(f32x4.abs(u), v128.load(KT, 128)));
  return f32x4.pmax(t, f32x4.splat(0)); // t < 0 ? 0 : t — NaN passes through
}

// @ts-ignore: decorator
@inline export function termF32x4(u: v128, p: v128, q: v128, y: v128): v128 {
  return termWithSeriesF32x4(u, p, q, y, seriesTermF32x4(u));
}

/** termF32x4 given w = seriesTermF32x4(u). */
// @ts-ignore: decorator
@inline export function termWithSeriesF32x4(u: v128, p: v128, q: v128, y: v128, w: v128): v128 {
  const t = select32(v128.load(KT, 144), termFiniteWithSeriesF32x4(u, p, q, w), f32x4.eq(u, v128.load(KT, 144)));
  return select32(f32x4.add(q, p), t, f32x4.eq(y, v128.load(KT, 160)));
}

/** Vector twin of pointS. */
// @ts-ignore: decorator
@inline export function pointF32x4(u: v128, p: v128, y: v128, scale: v128): v128 {
  const inf = v128.load(KT, 144);
  const pt = select32(inf, f32x4.mul(f32x4.mul(p, u), scale), f32x4.eq(u, inf));
  return select32(f32x4.mul(p, f32x4.splat(0)), pt, f32x4.eq(y, v128.load(KT, 160)));
}

/** Vector twin of seriesS<f64>. */
// @ts-ignore: decorator
@inline export function seriesF64x2(u: v128, u2: v128): v128 {
  const u4 = f64x2.mul(u2, u2);
  const a = maddF64x2(f64x2.splat(C3), u, f64x2.splat(C2));
  const b = maddF64x2(f64x2.splat(C5), u, f64x2.splat(C4));
  const c = maddF64x2(f64x2.splat(C7), u, f64x2.splat(C6));
  const d = maddF64x2(f64x2.splat(C9), u, f64x2.splat(C8));
  const e = maddF64x2(f64x2.splat(C11), u, f64x2.splat(C10));
  const f = maddF64x2(f64x2.splat(C13), u, f64x2.splat(C12));
  const g = maddF64x2(f64x2.splat(C15), u, f64x2.splat(C14));
  const lo = maddF64x2(maddF64x2(d, u2, c), u4, maddF64x2(b, u2, a));
  const hi = maddF64x2(g, u4, maddF64x2(f, u2, e));
  return maddF64x2(hi, f64x2.mul(u4, u4), lo);
}

// @ts-ignore: decorator
@inline export function termF64x2(u: v128, p: v128, q: v128, y: v128): v128 {
  const zero = f64x2.splat(0);
  const inf = f64x2.splat(Infinity);
  const u2 = f64x2.mul(u, u);
  const small = f64x2.mul(q, f64x2.mul(u2, seriesF64x2(u, u2)));
  const large = f64x2.add(f64x2.sub(f64x2.mul(p, u), p), q);
  let t = select64(small, large, f64x2.lt(f64x2.abs(u), f64x2.splat(SERIES_LIMIT)));
  t = select64(inf, f64x2.pmax(t, zero), f64x2.eq(u, inf));
  return select64(f64x2.add(q, p), t, f64x2.eq(y, f64x2.neg(inf)));
}

/** Vector twin of pointS (f64). */
// @ts-ignore: decorator
@inline export function pointF64x2(u: v128, p: v128, y: v128, scale: v128): v128 {
  const inf = f64x2.splat(Infinity);
  const pt = select64(inf, f64x2.mul(f64x2.mul(p, u), scale), f64x2.eq(u, inf));
  return select64(f64x2.mul(p, f64x2.splat(0)), pt, f64x2.eq(y, f64x2.neg(inf)));
}

/**
 * L = log Σ exp((y − max y)/T) − log Σ exp((x − max x)/T) from the two sums; 0 for equal slices.
 * As log(Σy/Σx): one log instead of two (a per-slice cost that shows in small calls), and more
 * accurate — the quotient's rounding is 2^-53 relative, i.e. an absolute error of 2^-53 in L,
 * where each of two logs of sums near 10^4 errs by up to ulp(9.2) = 2^-50. Both sums are ≥ 1
 * (the maximum contributes e^0) and finite, or NaN.
 */
// @ts-ignore: decorator
@inline export function logRatio(sx: f64, sy: f64): f64 {
  return Math.log(sy / sx);
}

// ---------------------------------------------------------------------------------------------
// u = log(p/q) per element, as ((y − max y) − (x − max x))·(1/T) − L with
// L = log Σ exp((y − max y)/T) − log Σ exp((x − max x)/T), all in f64, then clamped below at
// −max of the element type and rounded once to it:
// - each difference of two f32 logits is exact in f64 unless their exponents are more than 29
//   apart, and then the small one is negligible; the outer difference cancels only when the two
//   are close, and then it is exact. So u keeps the noise of shifted logits (teacher = student +
//   3 + noise), and huge logits neither cancel each other nor swamp the rest: with y = [0, 0,
//   1e20] and x = [2, 1, 0] the last u is 2 − log Σ… exactly (the earlier form ((y − x) − D),
//   D = max y − max x, rounded y − x and D at 1e20 and lost the 2);
// - u < −max/2 only where p underflowed to 0 (p > 0 bounds u below by about −104·… − log K),
//   e.g. a teacher masked with −FLT_MAX at T < 1; the clamp at −max/2 (2^127 for f32, 2^1023 for
//   f64: half the dtype's range, so that the gradient's u − KL and u + 1 stay finite too) keeps
//   p·u = 0 there instead of 0·(−inf) = NaN;
// - u = +inf means q = 0 exactly (x = −inf; that term is +inf) and is kept. A finite x far below
//   max x at T < 1 (a student masked with the dtype's most negative value) can also take u past
//   the dtype's max; such u are clamped to the max, so that x is not taken for −inf: p·u − p + q
//   is then finite, and q (= 0 there) where p underflowed (it was +inf, and NaN in the gradient's
//   p·(u + 1)). Where p did not underflow the term is at most p·max, an underestimate of an
//   astronomically large KL (PyTorch's chain gives inf there); the js backend clamps the same;
// - identical slices give u = 0 exactly.

// Bounds of u, loaded rather than materialised (see KT above): −2^1023, DBL_MAX and −inf (f64
// pairs), −2^127, FLT_MAX and −inf (f32 quads); −inf finds the lanes with x = −inf.
const UBOUNDS_F64 = memory.data<f64>([
  -8.98846567431158e307, -8.98846567431158e307, //  0  −2^1023
  1.7976931348623157e308, 1.7976931348623157e308, // 16  DBL_MAX
  -Infinity, -Infinity, //                             32
], 16);
const UBOUNDS_F32 = memory.data<f32>([
  <f32>-1.7014118346046923e38, <f32>-1.7014118346046923e38, <f32>-1.7014118346046923e38, <f32>-1.7014118346046923e38, //  0  −2^127
  <f32>3.4028234663852886e38, <f32>3.4028234663852886e38, <f32>3.4028234663852886e38, <f32>3.4028234663852886e38, //      16  FLT_MAX
  -Infinity, -Infinity, -Infinity, -Infinity, //                                                                      32
], 16);

/** u for one element in T's precision (the scalar twin of uF32x4 / the f64 vector code). */
// @ts-ignore: decorator
@inline export function uS<T>(x: T, y: T, my: f64, mx: f64, invT: f64, L: f64): T {
  const u = ((<f64>y - my) - (<f64>x - mx)) * invT - L;
  if (sizeof<T>() == 4) {
    const v = max<f32>(<f32>u, <f32>-1.7014118346046923e38);
    return <f32>x == <f32>-Infinity ? v : min<f32>(v, <f32>3.4028234663852886e38);
  }
  const v = max<f64>(u, -8.98846567431158e307);
  return <T>(<f64>x == -Infinity ? v : min<f64>(v, 1.7976931348623157e308));
}

/** The f32 clamps of u (see above): below at −2^127, above at FLT_MAX unless x = −inf. */
// @ts-ignore: decorator
@inline function clampUF32x4(u: v128, x: v128): v128 {
  const v = f32x4.pmax(u, v128.load(UBOUNDS_F32));
  return v128.bitselect(v, f32x4.pmin(v, v128.load(UBOUNDS_F32, 16)), f32x4.eq(x, v128.load(UBOUNDS_F32, 32)));
}

/**
 * u for four f32 lanes: widened to f64 pairs, computed as uS, narrowed once and clamped. UNIT =
 * `string` compiles the T = 1 variant without the multiply by 1/T (x·1 = x, so the results are
 * identical; the row kernels pick it when invT == 1, the common case, and it measured ≈ 6 % on W2).
 * CLAMP = `i32` leaves out the clamps, for rows whose extrema show that |u| stays below FLT_MAX
 * (klRowF32: the clamps would change nothing there, so the bits are the same).
 */
// @ts-ignore: decorator
@inline export function uF32x4<UNIT, CLAMP = string>(x: v128, y: v128, vMy: v128, vMx: v128, vInvT: v128, vL: v128): v128 {
  let lo = f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(y), vMy), f64x2.sub(f64x2.promote_low_f32x4(x), vMx));
  let hi = f64x2.sub(f64x2.sub(promoteHigh(y), vMy), f64x2.sub(promoteHigh(x), vMx));
  if (!isReference<UNIT>()) {
    lo = f64x2.mul(lo, vInvT);
    hi = f64x2.mul(hi, vInvT);
  }
  const u = demotePair(f64x2.sub(lo, vL), f64x2.sub(hi, vL));
  return isReference<CLAMP>() ? clampUF32x4(u, x) : u;
}

/** uF32x4 with per-lane maxima and L (column kernels: lanes are different slices). */
// @ts-ignore: decorator
@inline export function uF32x4Lanes(
  x: v128, y: v128, vMyLo: v128, vMyHi: v128, vMxLo: v128, vMxHi: v128, vInvT: v128, vLlo: v128, vLhi: v128,
): v128 {
  const lo = f64x2.sub(f64x2.mul(f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(y), vMyLo), f64x2.sub(f64x2.promote_low_f32x4(x), vMxLo)), vInvT), vLlo);
  const hi = f64x2.sub(f64x2.mul(f64x2.sub(f64x2.sub(promoteHigh(y), vMyHi), f64x2.sub(promoteHigh(x), vMxHi)), vInvT), vLhi);
  return clampUF32x4(demotePair(lo, hi), x);
}

/** u for two f64 lanes. */
// @ts-ignore: decorator
@inline export function uF64x2(x: v128, y: v128, vMy: v128, vMx: v128, vInvT: v128, vL: v128): v128 {
  const u = f64x2.pmax(f64x2.sub(f64x2.mul(f64x2.sub(f64x2.sub(y, vMy), f64x2.sub(x, vMx)), vInvT), vL), v128.load(UBOUNDS_F64));
  return v128.bitselect(u, f64x2.pmin(u, v128.load(UBOUNDS_F64, 16)), f64x2.eq(x, v128.load(UBOUNDS_F64, 32)));
}
