import type { FloatArray } from '../../types.js';

/**
 * logsumexp of each slice of `(outer, size, inner)` into `out[o * inner + i]`, in float64.
 * As PyTorch's `logsumexp_out_impl`: the max is replaced by 0 when it is ±inf, so an all -inf slice
 * gives -inf (not NaN), any +inf gives +inf, and an empty slice gives -inf.
 */
export function logSumExp(x: FloatArray, out: FloatArray, outer: number, size: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let m = -Infinity;
      for (let k = 0, p = base; k < size; k++, p += inner) {
        const v = x[p]!;
        if (v > m) m = v;
      }
      if (m === Infinity || m === -Infinity) m = 0;
      let s = 0;
      let c = 0;
      for (let k = 0, p = base; k < size; k++, p += inner) {
        const v = Math.exp(x[p]! - m);
        const t = s + v;
        c += s >= v ? s - t + v : v - t + s;
        s = t;
      }
      // Compensation is meaningless once the sum is infinite (inf - inf would give NaN).
      out[o * inner + i] = Math.log(Number.isFinite(s) ? s + c : s) + m;
    }
  }
}
