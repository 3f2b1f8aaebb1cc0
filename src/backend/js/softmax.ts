import { allocOverwritten } from '../../alloc.js';
import type { FloatArray } from '../../types.js';
import { dtypeOf } from '../../types.js';

/**
 * softmax along the middle axis of `(outer, size, inner)`, in float64: `exp(x - max) / Σ exp(x - max)`
 * with a Neumaier-compensated sum, rounded once to `out`'s dtype.
 */
export function softmax(x: FloatArray, outArg: FloatArray | null, outer: number, size: number, inner: number): FloatArray {
  const out = outArg ?? allocOverwritten(dtypeOf(x), x.length);
  const e = scratch(size);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let m = -Infinity;
      for (let k = 0, p = base; k < size; k++, p += inner) {
        const v = x[p]!;
        if (v > m) m = v;
      }
      // NaN propagates through exp; a +inf or all -inf max gives NaN via inf - inf, as in PyTorch.
      let s = 0;
      let c = 0;
      for (let k = 0, p = base; k < size; k++, p += inner) {
        const v = Math.exp(x[p]! - m);
        e[k] = v;
        const t = s + v;
        c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
        s = t;
      }
      s += c;
      for (let k = 0, p = base; k < size; k++, p += inner) out[p] = e[k]! / s;
    }
  }
  return out;
}

let buf = new Float64Array(1024);

/** Reused float64 scratch of at least `n` elements (grown on demand, never shrunk). */
export function scratch(n: number): Float64Array {
  if (buf.length < n) buf = new Float64Array(Math.max(n, buf.length * 2));
  return buf;
}
