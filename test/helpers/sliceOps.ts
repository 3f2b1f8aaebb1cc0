import { type Tensor, logSoftmax, logSumExp, softmax } from '../../src/index.js';

/** The softmax family as the column and short-row suites drive it. */
export type Dtype = 'float32' | 'float64';
export type Op = 'logSumExp' | 'softmax' | 'logSoftmax';
export const OPS: readonly Op[] = ['logSumExp', 'softmax', 'logSoftmax'];
/** [rtol, atol] against the float64 js backend. */
export const TOL: Record<Dtype, [number, number]> = { float32: [1.3e-6, 1e-6], float64: [1e-13, 1e-13] };

/** `op` over `dim` of x. */
export function run(op: Op, x: { data: Float32Array | Float64Array; shape: number[] } | Tensor, dim: number): Tensor {
  return op === 'logSumExp' ? logSumExp(x, dim) : op === 'softmax' ? softmax(x, dim) : logSoftmax(x, dim);
}
