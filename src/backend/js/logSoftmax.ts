import { allocOverwritten } from '../../alloc.js';
import type { FloatArray } from '../../types.js';
import { dtypeOf } from '../../types.js';

/**
 * log_softmax along the middle axis of `(outer, size, inner)`, in float64, evaluated as
 * `(x - max) - log(Σ exp(x - max))` — PyTorch's order (pytorch#11752: adding max and log-sum first
 * loses precision for large logits).
 */
export function logSoftmax(x: FloatArray, outArg: FloatArray | null, outer: number, size: number, inner: number): FloatArray {
  const out = outArg ?? allocOverwritten(dtypeOf(x), x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let m = -Infinity;
      for (let k = 0, p = base; k < size; k++, p += inner) {
        const v = x[p]!;
        if (v > m) m = v;
      }
      let s = 0;
      let c = 0;
      for (let k = 0, p = base; k < size; k++, p += inner) {
        const v = Math.exp(x[p]! - m);
        const t = s + v;
        c += s >= v ? s - t + v : v - t + s;
        s = t;
      }
      const ls = Math.log(s + c);
      for (let k = 0, p = base; k < size; k++, p += inner) out[p] = x[p]! - m - ls;
    }
  }
  return out;
}
