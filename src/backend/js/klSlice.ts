import type { FloatArray } from '../../types.js';

/** What the fused KL kernels need after their first two passes over a slice. */
export interface SlicePrep {
  /** max x and max y (raw logits). */
  mx: number;
  my: number;
  /** log Σ exp((y − max y)/T) − log Σ exp((x − max x)/T). */
  L: number;
  /** 1 / Σ exp((x − max x)/T). */
  invSa: number;
  /** 1 / Σ exp((y − max y)/T). */
  invSb: number;
}

const prep: SlicePrep = { mx: 0, my: 0, L: 0, invSa: 0, invSb: 0 };

/**
 * The first two passes over slice `base` (stride `inner`, `size` elements) shared by the js
 * backend's klDivLogits and klDivLogitsWithGrad: the raw maxima, then exp((· − max)/T) into
 * `ex` / `ey` with Neumaier-compensated sums. u then follows per element as `uOf` (each logit's
 * distance to its slice's maximum first, so huge logits neither cancel nor swamp the rest; u = 0
 * exactly for identical slices).
 * Returns a reused object (valid until the next call).
 */
export function prepareSlice(
  x: FloatArray,
  y: FloatArray,
  base: number,
  size: number,
  inner: number,
  T: number,
  ex: Float64Array,
  ey: Float64Array,
): SlicePrep {
  let mx = -Infinity;
  let my = -Infinity;
  for (let k = 0, p = base; k < size; k++, p += inner) {
    if (x[p]! > mx) mx = x[p]!;
    if (y[p]! > my) my = y[p]!;
  }
  // Each logit's distance to the maximum first, then / T (as the kernels' (x − max)·(1/T)):
  // x/T − max/T overflows for logits near ±max at T < 1 and would give NaN where the softmax is
  // well defined ([max, max, 1] at T = 0.5).
  let sa = 0;
  let ca = 0;
  let sb = 0;
  let cb = 0;
  for (let k = 0, p = base; k < size; k++, p += inner) {
    const va = Math.exp((x[p]! - mx) / T);
    const vb = Math.exp((y[p]! - my) / T);
    ex[k] = va;
    ey[k] = vb;
    let t = sa + va;
    ca += sa >= va ? sa - t + va : va - t + sa;
    sa = t;
    t = sb + vb;
    cb += sb >= vb ? sb - t + vb : vb - t + sb;
    sb = t;
  }
  sa += ca;
  sb += cb;
  prep.mx = mx;
  prep.my = my;
  prep.L = Math.log(sb / sa); // one log, and exact to 2^-53 absolute (see assembly/klTerm.ts logRatio)
  prep.invSa = 1 / sa;
  prep.invSb = 1 / sb;
  return prep;
}

/**
 * u = log(p/q) of one element: ((y − max y) − (x − max x))/T − L, clamped below at −bound/2 and
 * above at bound (uBound: the operands' dtype max) except u = +inf from x = −inf (q = 0: an
 * infinite term). u below −bound/2 only where p = 0 (the clamp keeps p·u = 0, and the gradient's
 * u − KL finite, rather than NaN); u above bound with a finite x (a student masked with the
 * dtype's most negative value at T < 1) must not be taken for x = −inf. The same formula and
 * clamps as assembly/klTerm.ts uS, which explains the order of the differences.
 */
export function uOf(x: number, y: number, mx: number, my: number, T: number, L: number, bound: number): number {
  const u = (y - my - (x - mx)) / T - L;
  if (u < -0.5 * bound) return -0.5 * bound;
  return u > bound && x !== -Infinity ? bound : u;
}

/** uOf's upper bound for operands of `data`'s type: the dtype's max (u is clamped below at half of it), as the kernels. */
export function uBound(data: FloatArray): number {
  return data instanceof Float32Array ? 3.4028234663852886e38 : Number.MAX_VALUE;
}
