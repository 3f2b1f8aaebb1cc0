import type { FloatArray } from '../../types.js';
import { SLICE_STATS, STAT } from '../kernels.js';

/** Per-slice statistics for `diagnose` (see `Kernels.sliceStats` and `STAT`), in float64. */
export function sliceStats(x: FloatArray, outer: number, size: number, inner: number, withLse: boolean, out: Float64Array): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let nan = 0;
      let posInf = 0;
      let negInf = 0;
      let negative = 0;
      let aboveOne = 0;
      let sum = 0;
      let mn = Infinity;
      let mx = -Infinity;
      for (let k = 0, p = base; k < size; k++, p += inner) {
        const v = x[p]!;
        if (v !== v) nan++;
        else if (v === Infinity) posInf++;
        else if (v === -Infinity) negInf++;
        else {
          if (v < 0) negative++;
          if (v > 1) aboveOne++;
          sum += v;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
      }
      const m = posInf > 0 ? Infinity : mx;
      let e = 0;
      if (withLse && Number.isFinite(m)) {
        for (let k = 0, p = base; k < size; k++, p += inner) {
          const v = x[p]!;
          if (v === v) e += Math.exp(v - m);
        }
      }
      const d = (o * inner + i) * SLICE_STATS;
      out[d + STAT.nan] = nan;
      out[d + STAT.posInf] = posInf;
      out[d + STAT.negInf] = negInf;
      out[d + STAT.negative] = negative;
      out[d + STAT.aboveOne] = aboveOne;
      out[d + STAT.sum] = sum;
      out[d + STAT.minFinite] = mn;
      out[d + STAT.maxFinite] = mx;
      out[d + STAT.max] = m;
      out[d + STAT.expSum] = e;
    }
  }
}
