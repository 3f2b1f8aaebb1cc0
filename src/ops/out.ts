import { argRangeError, argTypeError, describe, shapeStr } from '../errors.js';
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
  return out;
}

/** Whether two arrays share any bytes. */
export function overlaps(a: FloatArray, b: FloatArray): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
