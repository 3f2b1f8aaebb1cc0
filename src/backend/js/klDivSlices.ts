import type { FloatArray } from '../../types.js';

/**
 * Per-slice sums of kl_div terms (see `Kernels.klDivSlices`), terms in float64 exactly as
 * `klDivBlock` computes them, summed with Neumaier compensation.
 */
export function klDivSlices(
  input: FloatArray,
  target: FloatArray,
  outer: number,
  size: number,
  inner: number,
  logTarget: boolean,
  out: Float64Array,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      let c = 0;
      for (let k = 0, p = o * size * inner + i; k < size; k++, p += inner) {
        const x = input[p]!;
        const t = target[p]!;
        const v = logTarget ? Math.exp(t) * (t - x) : (t === 0 ? 0 : t * Math.log(t)) - t * x;
        const sum = s + v;
        c += Math.abs(s) >= Math.abs(v) ? s - sum + v : v - sum + s;
        s = sum;
      }
      out[o * inner + i] = Number.isFinite(s) ? s + c : s;
    }
  }
}
