import type { Tensor } from './tensor.js';
import { type Dtype, type FloatArray, arrayFor } from './types.js';

/**
 * `torch.result_type` for two float tensors: float64 if either is float64, except that a 0-d
 * tensor does not promote a dimensioned one (a 0-d float64 target leaves a [2,3] float32 input
 * float32).
 */
export function resultDtype(a: Tensor, b: Tensor): Dtype {
  if (a.ndim > 0 && b.ndim === 0) return a.dtype;
  if (a.ndim === 0 && b.ndim > 0) return b.dtype;
  return a.dtype === 'float64' || b.dtype === 'float64' ? 'float64' : 'float32';
}

/**
 * `data` as an array of `dtype` (the same array if it already is one; otherwise a converted copy,
 * made by the typed-array constructor: `TypedArray.from` walks the source with an iterator and
 * took a tenth of a klDivPerSlice call over 1000 slices).
 */
export function castData(data: FloatArray, dtype: Dtype): FloatArray {
  const Ctor = arrayFor(dtype);
  return data instanceof Ctor ? data : new Ctor(data);
}
