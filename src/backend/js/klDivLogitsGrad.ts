import type { FloatArray } from '../../types.js';
import { prepareSlice, uBound, uOf } from './klSlice.js';
import { scratch } from './softmax.js';

/** φ(e^u)/u² series coefficients, highest first — the same table as `klDivLogits.ts`. */
const PHI_SERIES: readonly number[] = (() => {
  const coeffs: number[] = [];
  let fact = 1;
  for (let k = 1; k <= 15; k++) {
    fact *= k;
    if (k >= 2) coeffs.push((k - 1) / fact);
  }
  return coeffs.reverse();
})();
const SERIES_LIMIT = 0.5;

/**
 * Whether p counts as 0 for the teacher gradient (0 there, the limit p → 0) and the 'none' sum B
 * (left out), as in the kernels: y = −inf, or p below the dtype's range — rounded to float32
 * first for float32 data, where the kernels' p lives. (Near float32's underflow edge the
 * kernels' own exponential may still round the other way: the two agree to ~1e-45 there, and
 * differ only where the KL is infinite or NaN.)
 */
function pIsZero(p: number, f32: boolean): boolean {
  return f32 ? Math.fround(p) === 0 : p === 0;
}

/**
 * `klDivLogits` fused with its gradients, in float64 (see `Kernels.klDivLogitsGrad`).
 *
 * The loss is computed exactly as `klDivLogits.ts` computes it (same passes, same termwise form,
 * same compensated sums), so `loss` is bit-identical to `klDivLogits`. The gradients use the
 * quantities those passes already have:
 *
 *   L = T²·Σ_i p_i·u_i, u = log p − log q, q = softmax(x/T), p = softmax(y/T), Σp = Σq = 1:
 *   ∂L/∂x_j = −T²·Σ_i p_i·∂log q_i/∂x_j = −T·Σ_i p_i(δ_ij − q_j) = T·(q_j − p_j)
 *   ∂L/∂y_j = T²·Σ_i (u_i + 1)·∂p_i/∂y_j = T·Σ_i (u_i + 1)·p_i(δ_ij − p_j) = T·p_j·(u_j − KL)
 * and, for the pointwise terms L_i = T²·p_i·u_i weighted by an upstream gradient G:
 *   Σ_i G_i ∂L_i/∂x_j = T·(q_j·Σ_i G_i p_i − G_j p_j)
 *   Σ_i G_i ∂L_i/∂y_j = T·p_j·(G_j(u_j + 1) − Σ_i G_i p_i (u_i + 1)).
 * The facade folds T, the reduction's divisor and a scalar upstream gradient into `gradScale`.
 * Where p = 0 (y = −inf, or p underflows; see pIsZero) ∂/∂y is 0, its limit (PyTorch's chain:
 * NaN from 0·log 0), and that point stays out of Σ G p (u + 1).
 */
export function klDivLogitsGrad(
  x: FloatArray,
  y: FloatArray,
  outer: number,
  size: number,
  inner: number,
  temperature: number,
  pointScale: number,
  gradScale: number,
  gradOut: FloatArray | null,
  sliceScale: Float64Array | null,
  perSlice: Float64Array | null,
  pointwise: FloatArray | null,
  gradInput: FloatArray,
  gradTarget: FloatArray | null,
): number {
  const ex = scratch(2 * size);
  const ey = ex.subarray(size, 2 * size);
  const T = temperature;
  const bound = uBound(x);
  const f32 = x instanceof Float32Array;
  let total = 0;
  let totalC = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      const { mx, my, L, invSa, invSb } = prepareSlice(x, y, base, size, inner, T, ex, ey);
      const s = gradScale * (sliceScale !== null && gradOut === null ? sliceScale[o * inner + i]! : 1);
      let sum = 0;
      let sc = 0;
      let A = 0;
      let B = 0;
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
          if (term < 0) term = 0;
          point = pk * u;
        }
        if (pointwise !== null) pointwise[p] = point * pointScale;
        const t = sum + term;
        sc += sum >= term ? sum - t + term : term - t + sum;
        sum = t;
        if (gradOut !== null) {
          const gp = gradOut[p]! * pk;
          A += gp;
          if (!pIsZero(pk, f32)) B += gp * (u + 1);
        } else {
          gradInput[p] = s * (q - pk);
        }
      }
      const kl = Number.isFinite(sum) ? sum + sc : sum;
      if (perSlice !== null) perSlice[o * inner + i] = kl;
      const t = total + kl;
      totalC += Math.abs(total) >= Math.abs(kl) ? total - t + kl : kl - t + total;
      total = t;
      if (gradOut !== null || gradTarget !== null) {
        for (let k = 0, p = base; k < size; k++, p += inner) {
          const q = ex[k]! * invSa;
          const pk = ey[k]! * invSb;
          const g = gradOut !== null ? gradOut[p]! : 0;
          if (gradOut !== null) gradInput[p] = s * (q * A - g * pk);
          if (gradTarget !== null) {
            const u = uOf(x[p]!, y[p]!, mx, my, T, L, bound);
            gradTarget[p] = pIsZero(pk, f32) ? pk * 0 : gradOut !== null ? s * (g * pk * (u + 1) - pk * B) : s * (pk * (u - kl));
          }
        }
      }
    }
  }
  return Number.isFinite(total) ? total + totalC : total;
}
