import { argRangeError, argTypeError, describe, shapeStr } from '../errors.js';
import { activeWasmMemory } from '../runtime.js';
import { Tensor } from '../tensor.js';
import type { Dtype, FloatArray } from '../types.js';

/** Options of ops that produce a tensor: write into `out` (e.g. a WASM `allocTensor`) instead of allocating. */
export interface OutOptions {
  /** Destination tensor of exactly the result's shape and dtype; returned by the op. */
  out?: Tensor;
}

/** Validates an `out` tensor against the result's shape and dtype. */
export function checkOut(op: string, out: unknown, shape: readonly number[], dtype: Dtype): Tensor {
  if (!(out instanceof Tensor)) {
    throw argTypeError(op, 'out', `is ${describe(out)}`, 'Pass a klwasm Tensor (e.g. from allocTensor) or leave it out');
  }
  if (out.dtype !== dtype || out.shape.length !== shape.length || out.shape.some((d, i) => d !== shape[i])) {
    throw argRangeError(op, 'out', `is a ${out.dtype} tensor of shape ${shapeStr(out.shape)}, but the result is ${dtype} of shape ${shapeStr(shape)}`, 'Allocate out with the result shape and dtype');
  }
  // A view made over a zero-copy tensor's data.buffer can point below the zero-copy heap; writing
  // the result there would overwrite the kernels' constants (every later result wrong) or the
  // scratch window. A zero-copy tensor's own view, which its data getter just noted, is passed
  // without reading `.buffer` (~18 ns).
  const mem = activeWasmMemory();
  const data = out.data;
  if (mem !== null && !mem.ownsRecent(data) && mem.isInternal(data)) {
    throw argRangeError(op, 'out', `views klwasm's internal WASM memory (bytes ${data.byteOffset}–${data.byteOffset + data.byteLength}: the kernels' constants and scratch window)`, 'Write into an allocTensor() tensor (or a view inside one) or a plain typed array');
  }
  return out;
}

/** Whether two arrays share any bytes. */
export function overlaps(a: FloatArray, b: FloatArray): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
