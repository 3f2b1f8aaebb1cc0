import type { FloatArray } from '../../types.js';
import { prepareSlice, uBound, uOf } from './klSlice.js';
import { scratch } from './softmax.js';

/**
 * Coefficients of φ(e^u) = u·e^u − e^u + 1 = Σ_{k≥2} (k−1)/k! · u^k, highest first for Horner.
 * Used for |u| < SERIES_LIMIT; at |u| = 0.5 the first omitted term (k = 16) is < 1e-16 relative.
 */
const PHI_SERIES: readonly number[] = (() => {
  const coeffs: number[] = [];
  let fact = 1;
  for (let k = 1; k <= 15; k++) {
    fact *= k;
    if (k >= 2) coeffs.push((k - 1) / fact);
  }
  return coeffs.reverse(); // [c15, c14, ..., c2]
})();
const SERIES_LIMIT = 0.5;

/**
 * Fused KL(p ‖ q) per slice, p = softmax(y/T), q = softmax(x/T), in float64 (see `Kernels.klDivLogits`).
 *
 * Why not Σ p·(log p − log q): for nearby distributions KL is second order in u = log(p/q) while
 * the rounding error of each p_i is first order, so the textbook sum loses most digits and can go
 * negative (PyTorch's float32 chain gives −3.1e-7 on identical [16,1000] logits). Instead we use
 * the termwise (Bregman) form
 *     KL = Σ q_i · φ(p_i / q_i),  φ(r) = r·log r − r + 1 ≥ 0,
 * which equals Σ p_i u_i because Σ p = Σ q = 1, but has a non-negative term per element whose
 * rounding error is relative to the term itself. With u_i = log(p_i/q_i) taken from the logits
 * rather than from rounded probabilities, as ((y_i − max y) − (x_i − max x))/T − log(Σb/Σa)
 * (each logit's distance to its maximum first, so huge logits neither cancel nor swamp the rest;
 * see `uOf`):
 * - |u| < 0.5: q·φ(e^u) by its Taylor series (no cancellation);
 * - otherwise: p·u − p + q, well conditioned once |u| is not small.
 * Identical slices give u ≡ 0 exactly and therefore exactly 0. Each term is clamped at 0 so
 * rounding can never make a slice negative. p = 0 and q = 0 are decided from the logits (−inf),
 * not from probabilities that underflowed: y = −inf gives the term q (0·log 0 = 0), x = −inf with
 * finite y gives +inf. A target slice that is all −inf has no distribution (p = NaN), and its KL,
 * point terms and gradients are NaN, as softmax of it is in PyTorch.
 * Reference: ../shared/reference/fused-kl-numerics.md.
 */
export function klDivLogits(
  x: FloatArray,
  y: FloatArray,
  outer: number,
  size: number,
  inner: number,
  temperature: number,
  pointScale: number,
  perSlice: Float64Array | null,
  pointwise: FloatArray | null,
): number {
  const ex = scratch(2 * size);
  const ey = ex.subarray(size, 2 * size);
  const T = temperature;
  const bound = uBound(x);
  let total = 0;
  let totalC = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      const { mx, my, L, invSa, invSb } = prepareSlice(x, y, base, size, inner, T, ex, ey);
      let s = 0;
      let sc = 0;
      for (let k = 0, p = base; k < size; k++, p += inner) {
        const q = ex[k]! * invSa;
        const pk = ey[k]! * invSb;
        const u = uOf(x[p]!, y[p]!, mx, my, T, L, bound);
        let term: number;
        let point: number;
        if (y[p] === -Infinity) {
          // p = 0 exactly: 0·log(0/q) = 0, the Bregman term is q. Where the whole target slice is
          // −inf, p (0·1/0) is NaN, and so are the term and the point, as softmax of that slice.
          term = q + pk;
          point = pk * 0;
        } else if (u === Infinity) {
          // q = 0 exactly (x = −inf) where p > 0: infinite KL, even if p underflowed.
          term = Infinity;
          point = Infinity;
        } else {
          if (u < SERIES_LIMIT && u > -SERIES_LIMIT) {
            let h = PHI_SERIES[0]!;
            for (let j = 1; j < PHI_SERIES.length; j++) h = h * u + PHI_SERIES[j]!;
            term = q * (h * u * u);
          } else {
            term = pk * u - pk + q;
          }
          if (term < 0) term = 0; // rounding only; never let a slice go negative
          point = pk * u;
        }
        if (pointwise !== null) pointwise[p] = point * pointScale;
        const t = s + term;
        sc += s >= term ? s - t + term : term - t + s;
        s = t;
      }
      const kl = Number.isFinite(s) ? s + sc : s;
      if (perSlice !== null) perSlice[o * inner + i] = kl;
      const t = total + kl;
      totalC += Math.abs(total) >= Math.abs(kl) ? total - t + kl : kl - t + total;
      total = t;
    }
  }
  return Number.isFinite(total) ? total + totalC : total;
}
