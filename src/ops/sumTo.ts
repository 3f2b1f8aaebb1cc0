import { castData } from '../dtype.js';
import { contiguousStrides, numelOf } from '../tensor.js';
import { type Dtype, type FloatArray, arrayFor } from '../types.js';

/**
 * Autograd's `sum_to_size`: reduces `src` (row-major over the broadcast shape `from`) to the shape
 * `to` an operand had before broadcasting, by summing over the dims it was broadcast along
 * (float64, Neumaier-compensated, rounded once to `dtype`). When no dim was broadcast the data is
 * returned as it is (converted to `dtype` if needed).
 */
export function sumToShape(src: FloatArray, from: readonly number[], to: readonly number[], dtype: Dtype): FloatArray {
  const Ctor = arrayFor(dtype);
  const n = numelOf(to);
  if (n === src.length) return castData(src, dtype);
  // Strides of `to` over the dims of `from` (0 where `to` is broadcast).
  const own = contiguousStrides(to);
  const lead = from.length - to.length;
  const strides = from.map((_, i) => (i < lead || to[i - lead] === 1 ? 0 : own[i - lead]!));
  const s = new Float64Array(n);
  const c = new Float64Array(n);
  const idx = new Array<number>(from.length).fill(0);
  let p = 0;
  for (let k = 0; k < src.length; k++) {
    const v = src[k]!;
    const a = s[p]!;
    const t = a + v;
    c[p] = c[p]! + (Math.abs(a) >= Math.abs(v) ? a - t + v : v - t + a);
    s[p] = t;
    for (let d = from.length - 1; d >= 0; d--) {
      if (++idx[d]! < from[d]!) {
        p += strides[d]!;
        break;
      }
      p -= (from[d]! - 1) * strides[d]!;
      idx[d] = 0;
    }
  }
  const out = new Ctor(n);
  for (let i = 0; i < n; i++) out[i] = Number.isFinite(s[i]!) ? s[i]! + c[i]! : s[i]!;
  return out;
}
