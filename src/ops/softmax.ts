import { kernels } from '../runtime.js';
import { normalizeDim, sliceLayout } from '../shape.js';
import { Tensor, tensorOf } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensorlike.js';
import { arrayFor } from '../types.js';
import { warn } from '../warnings.js';
import { type OutOptions, checkOut } from './out.js';

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

type SliceKernel = 'softmax' | 'logSoftmax';

function runSliceOp(
  op: string,
  torchName: string,
  kernel: SliceKernel,
  input: TensorLike,
  dim: number | null | undefined,
  options: OutOptions | undefined,
): Tensor {
  const x = toTensor(input, op, 'input');
  const d = dim === undefined || dim === null ? implicitSoftmaxDim(torchName, x.ndim) : normalizeDim(op, 'dim', dim, x.ndim);
  const target = options?.out === undefined ? null : checkOut(op, options.out, x.shape, x.dtype);
  // In place (out === input) is allowed: every backend reads an element before writing it.
  const out = target?.data ?? new (arrayFor(x.dtype))(x.numel);
  if (x.numel > 0) {
    const { outer, size, inner } = sliceLayout(x.shape, d);
    kernels()[kernel](x.data, out, outer, size, inner);
  }
  return target ?? tensorOf(out, x.shape.slice());
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
