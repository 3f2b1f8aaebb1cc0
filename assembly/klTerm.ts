// The termwise (Bregman) KL helpers shared by the fused kernels: one term q·φ(p/q) from
// u = log(p/q), p and q; the 'none' point term p·u; the series h(u) = φ(e^u)/u²; and
// c = lse(y/T) − lse(x/T). These are the same formulas, in the same evaluation order, as the
// (module-private) helpers of klDivLogits.ts, so klDivLogitsGrad.ts computes the loss exactly as
// klDivLogits does. (klDivLogits.ts can import them from here instead of keeping its own copy.)
// See klDivLogits.ts and ../shared/reference/fused-kl-numerics.md for the derivation.
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

/** h(u) = φ(e^u)/u² by Horner, in T's precision. */
// @ts-ignore: decorator
@inline export function seriesS<T>(u: T): T {
  if (sizeof<T>() == 4) {
    let h = <T>C9;
    h = h * u + <T>C8;
    h = h * u + <T>C7;
    h = h * u + <T>C6;
    h = h * u + <T>C5;
    h = h * u + <T>C4;
    h = h * u + <T>C3;
    return h * u + <T>C2;
  }
  let h = <T>C15;
  h = h * u + <T>C14;
  h = h * u + <T>C13;
  h = h * u + <T>C12;
  h = h * u + <T>C11;
  h = h * u + <T>C10;
  h = h * u + <T>C9;
  h = h * u + <T>C8;
  h = h * u + <T>C7;
  h = h * u + <T>C6;
  h = h * u + <T>C5;
  h = h * u + <T>C4;
  h = h * u + <T>C3;
  return h * u + <T>C2;
}

/**
 * One term q·φ(p/q) given u = log(p/q), p, q and the target logit y (scalar twin of the vector
 * code). p = 0 and q = 0 are decided from the logits, not from probabilities that underflowed:
 * y = −inf → q (0·log 0 = 0); u = +inf (x = −inf, y finite) → +inf.
 */
// @ts-ignore: decorator
@inline export function termS<T>(u: T, p: T, q: T, y: T): T {
  if (y == <T>-Infinity) return q;
  if (u == <T>Infinity) return <T>Infinity;
  const t = abs<T>(u) < <T>SERIES_LIMIT ? q * (u * u * seriesS<T>(u)) : p * u - p + q;
  return max<T>(t, <T>0);
}

/** The 'none' term p·u·scale with the same logit rules (0 where y = −inf, +inf where u = +inf). */
// @ts-ignore: decorator
@inline export function pointS<T>(u: T, p: T, y: T, scale: T): T {
  if (y == <T>-Infinity) return <T>0;
  if (u == <T>Infinity) return <T>Infinity;
  return p * u * scale;
}

// @ts-ignore: decorator
@inline export function seriesF32x4(u: v128): v128 {
  let h = f32x4.splat(<f32>C9);
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C8));
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C7));
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C6));
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C5));
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C4));
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C3));
  return f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C2));
}

// @ts-ignore: decorator
@inline export function termF32x4(u: v128, p: v128, q: v128, y: v128): v128 {
  const zero = f32x4.splat(0);
  const inf = f32x4.splat(Infinity);
  const small = f32x4.mul(q, f32x4.mul(f32x4.mul(u, u), seriesF32x4(u)));
  const large = f32x4.add(f32x4.sub(f32x4.mul(p, u), p), q);
  let t = v128.bitselect(small, large, f32x4.lt(f32x4.abs(u), f32x4.splat(<f32>SERIES_LIMIT)));
  t = v128.bitselect(inf, f32x4.max(t, zero), f32x4.eq(u, inf));
  return v128.bitselect(q, t, f32x4.eq(y, f32x4.neg(inf)));
}

/** Vector twin of pointS. */
// @ts-ignore: decorator
@inline export function pointF32x4(u: v128, p: v128, y: v128, scale: v128): v128 {
  const inf = f32x4.splat(Infinity);
  const pt = v128.bitselect(inf, f32x4.mul(f32x4.mul(p, u), scale), f32x4.eq(u, inf));
  return v128.bitselect(f32x4.splat(0), pt, f32x4.eq(y, f32x4.neg(inf)));
}

// @ts-ignore: decorator
@inline export function seriesF64x2(u: v128): v128 {
  let h = f64x2.splat(C15);
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C14));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C13));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C12));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C11));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C10));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C9));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C8));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C7));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C6));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C5));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C4));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C3));
  return f64x2.add(f64x2.mul(h, u), f64x2.splat(C2));
}

// @ts-ignore: decorator
@inline export function termF64x2(u: v128, p: v128, q: v128, y: v128): v128 {
  const zero = f64x2.splat(0);
  const inf = f64x2.splat(Infinity);
  const small = f64x2.mul(q, f64x2.mul(f64x2.mul(u, u), seriesF64x2(u)));
  const large = f64x2.add(f64x2.sub(f64x2.mul(p, u), p), q);
  let t = v128.bitselect(small, large, f64x2.lt(f64x2.abs(u), f64x2.splat(SERIES_LIMIT)));
  t = v128.bitselect(inf, f64x2.max(t, zero), f64x2.eq(u, inf));
  return v128.bitselect(q, t, f64x2.eq(y, f64x2.neg(inf)));
}

/** Vector twin of pointS (f64). */
// @ts-ignore: decorator
@inline export function pointF64x2(u: v128, p: v128, y: v128, scale: v128): v128 {
  const inf = f64x2.splat(Infinity);
  const pt = v128.bitselect(inf, f64x2.mul(f64x2.mul(p, u), scale), f64x2.eq(u, inf));
  return v128.bitselect(f64x2.splat(0), pt, f64x2.eq(y, f64x2.neg(inf)));
}

/** c = lse(y/T) − lse(x/T) from the maxima and sums of exp((· − max)/T); exactly 0 for equal slices. */
// @ts-ignore: decorator
@inline export function lseDiff(mx: f64, my: f64, sx: f64, sy: f64, invT: f64): f64 {
  return (my - mx) * invT + (Math.log(sy) - Math.log(sx));
}
