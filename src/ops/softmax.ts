import { argRangeError, argTypeError, describe } from '../errors.js';
import { kernels } from '../runtime.js';
import { normalizeDim, productOf, sliceLayout } from '../shape.js';
import { Tensor, tensorOf } from '../tensor.js';
import { type TensorLike, quickData, quickDimOf, quickShape, toTensor } from '../tensorlike.js';
import { type Dtype, type FloatArray, arrayFor } from '../types.js';
import { warn } from '../warnings.js';
import { type OutOptions, checkOut, overlaps } from './out.js';
import { checkOptionKeys } from '../options.js';

/**
 * PyTorch's `_get_softmax_dim`: when `dim` is omitted, 0 for 0-, 1- and 3-d inputs, else 1 — with
 * its deprecation warning. (3-d inputs normalise over dim 0, a classic footgun: pass `dim`.)
 */
export function implicitSoftmaxDim(name: string, ndim: number): number {
  warn(
    'KLWASM_IMPLICIT_DIM',
    `Implicit dimension choice for ${name} has been deprecated. Change the call to include dim=X as an argument.`,
  );
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

export type SliceKernel = 'softmax' | 'logSoftmax';

/** A validated softmax / log_softmax call (shared with the worker pool). */
export interface SlicePlan {
  kernel: SliceKernel;
  x: FloatArray;
  shape: number[];
  dtype: Dtype;
  outer: number;
  size: number;
  inner: number;
  /** The caller's `out` tensor, validated. */
  out: Tensor | null;
}

export function planSliceOp(
  op: string,
  torchName: string,
  kernel: SliceKernel,
  input: TensorLike,
  dim: number | null | undefined,
  options: OutOptions | undefined,
): SlicePlan {
  const x = toTensor(input, op, 'input');
  const d = dim === undefined || dim === null ? implicitSoftmaxDim(torchName, x.ndim) : normalizeDim(op, 'dim', dim, x.ndim);
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object') throw argTypeError(op, 'options', `is ${describe(options)}`, 'Pass an options object such as { out } or leave it out');
    checkOptionKeys(op, options, ['out']);
  }
  const out = options?.out === undefined ? null : checkOut(op, options.out, x.shape, x.dtype);
  // In place (out's data is the input's very array or an identical view) is supported; any other
  // overlap would have the kernels read elements they already overwrote.
  if (out !== null && out.data !== x.data && overlaps(out.data, x.data) && (out.data.byteOffset !== x.data.byteOffset || out.data.length !== x.data.length)) {
    throw argRangeError(
      op,
      'out',
      `partly overlaps the input (input bytes ${x.data.byteOffset}–${x.data.byteOffset + x.data.byteLength}, out bytes ${out.data.byteOffset}–${out.data.byteOffset + out.data.byteLength} of one buffer)`,
      'Pass the input itself as out to work in place, or an output that shares no bytes with it',
    );
  }
  const { outer, size, inner } = sliceLayout(x.shape, d);
  return { kernel, x: x.data, shape: x.shape, dtype: x.dtype, outer, size, inner, out };
}

/** The result tensor from the kernel's output array. */
export function finishSliceOp(plan: SlicePlan, data: FloatArray): Tensor {
  return plan.out ?? tensorOf(data, plan.shape.slice());
}

function runSliceOp(
  op: string,
  torchName: string,
  kernel: SliceKernel,
  input: TensorLike,
  dim: number | null | undefined,
  options: OutOptions | undefined,
): Tensor {
  const quick = sliceOpQuick(kernel, input, dim, options);
  if (quick !== null) return quick;
  const plan = planSliceOp(op, torchName, kernel, input, dim, options);
  // In place (out === input) is allowed: every backend reads an element before writing it.
  let out = plan.out?.data ?? null;
  if (plan.x.length > 0) out = kernels()[kernel](plan.x, out, plan.outer, plan.size, plan.inner);
  return finishSliceOp(plan, out ?? new (arrayFor(plan.dtype))(0));
}

/**
 * The common call without the plan: a Tensor or plain `{ data, shape }` input of at least one
 * dimension and one element, an integer `dim` in range, no options. It makes the general path's
 * kernel call (same layout, so the same bits) and returns a new tensor of the input's shape,
 * without the intermediate input Tensor and plan objects, which measured ~100 ns of a 0.58 µs
 * [4, 5] logSoftmax call. Anything else returns null and takes the general path (with its
 * warnings and errors).
 */
function sliceOpQuick(kernel: SliceKernel, input: unknown, dim: number | null | undefined, options: OutOptions | undefined): Tensor | null {
  const d = options === undefined ? quickDimOf(input, dim) : -1;
  if (d < 0) return null;
  const x = quickData;
  const shape = quickShape;
  const out = kernels()[kernel](x, null, productOf(shape, 0, d), shape[d]!, productOf(shape, d + 1, shape.length));
  return tensorOf(out, shape.slice());
}

/**
 * softmax along `dim`: `exp(x - max) / Σ exp(x - max)`, as `torch.nn.functional.softmax`.
 * Omitting `dim` applies PyTorch's implicit-dim rule (0 for 0-, 1- and 3-d, else 1) and warns.
 * Rows containing NaN or +inf, and all -inf rows, give NaN (as PyTorch). The result has the
 * input's shape and dtype. `options.out` receives the result instead of a new tensor (it may be
 * the input itself: in place).
 *
 * @example
 * ```ts
 * import { softmax } from 'klwasm';
 * softmax([[1, 2, 3]], -1).toArray(); // [[0.09003057, 0.24472848, 0.66524094]]
 * ```
 */
export function softmax(input: TensorLike, dim?: number | null, options?: OutOptions): Tensor {
  return runSliceOp('softmax', 'softmax', 'softmax', input, dim, options);
}

/**
 * log_softmax along `dim`: `(x - max) - log(Σ exp(x - max))`, as `torch.nn.functional.log_softmax`
 * (same implicit-dim rule and warning as `softmax`). Use this, not `log(softmax(x))`, for the
 * `input` of `klDiv`: it stays finite for very negative logits. Accepts `options.out` as `softmax`.
 *
 * @example
 * ```ts
 * import { logSoftmax } from 'klwasm';
 * logSoftmax([1000, 0, -1000], 0).toArray(); // [0, -1000, -2000]
 * ```
 */
export function logSoftmax(input: TensorLike, dim?: number | null, options?: OutOptions): Tensor {
  return runSliceOp('logSoftmax', 'log_softmax', 'logSoftmax', input, dim, options);
}
