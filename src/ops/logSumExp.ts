import { argRangeError, argTypeError, describe } from '../errors.js';
import { kernels } from '../runtime.js';
import { normalizeDim, productOf } from '../shape.js';
import { Tensor, tensorOf, contiguousStrides } from '../tensor.js';
import { type TensorLike, quickData, quickDimOf, quickShape, toTensor } from '../tensorlike.js';
import { gatherStrided } from '../strided.js';
import { type Dtype, type FloatArray, arrayFor, dtypeOf } from '../types.js';

const OP = 'logSumExp';

function resolveDims(dim: unknown, ndim: number): number[] {
  if (dim === undefined || dim === null) {
    throw argTypeError(OP, 'dim', 'is required', 'Pass the dimension(s) to reduce, e.g. -1 or [0, 1] (as torch.logsumexp in PyTorch 1.13)');
  }
  if (typeof dim === 'number') return [normalizeDim(OP, 'dim', dim, ndim)];
  const list = Array.isArray(dim) ? dim : null;
  if (list === null) {
    throw argTypeError(OP, 'dim', `is ${describe(dim)}`, 'Pass an integer or an array of integers');
  }
  if (list.length === 0 && ndim > 0) {
    throw argRangeError(OP, 'dim', 'is an empty list', 'Name the dimensions to reduce, e.g. [0, 1] to reduce all of a 2-d tensor');
  }
  const dims = list.map((d) => normalizeDim(OP, 'dim', d, ndim));
  const seen = new Set<number>();
  for (const d of dims) {
    if (seen.has(d)) {
      throw argRangeError(OP, 'dim', `is invalid: dim ${d} appears multiple times in the list of dims (${JSON.stringify(list)})`, 'List each dimension once');
    }
    seen.add(d);
  }
  return dims.sort((a, b) => a - b);
}

/**
 * log(Σ exp(x)) over `dim` (an integer or a list of integers), as `torch.logsumexp(input, dim,
 * keepdim)`: computed as `log(Σ exp(x - m)) + m` with `m` the max, and `m` replaced by 0 where it
 * is infinite — so an all -inf slice gives -inf, any +inf gives +inf, NaN gives NaN, and an empty
 * slice gives -inf. `keepdim` keeps the reduced dims with size 1. Repeated dims are rejected.
 *
 * @example
 * ```ts
 * import { logSumExp } from 'klwasm';
 * logSumExp([[1, 2, 3], [-Infinity, -Infinity, -Infinity]], -1).toArray(); // [3.4076059, -Infinity]
 * logSumExp([[1, 2], [3, 4]], [0, 1]).item();                             // 4.4401898
 * ```
 */
export function logSumExp(input: TensorLike, dim: number | readonly number[], keepdim = false): Tensor {
  const quick = logSumExpQuick(input, dim, keepdim);
  if (quick !== null) return quick;
  const plan = planLogSumExp(input, dim, keepdim);
  const out = new (arrayFor(plan.dtype))(plan.outer * plan.inner);
  if (plan.size === 0) out.fill(-Infinity);
  else if (out.length > 0) kernels().logSumExp(plan.x, out, plan.outer, plan.size, plan.inner);
  return tensorOf(out, plan.outShape);
}

/**
 * The common call without the plan: a Tensor or plain `{ data, shape }` input of at least one
 * dimension and one element, one integer `dim` in range, a boolean `keepdim`. It makes the general
 * path's kernel call (same layout and result array, so the same bits) without the input Tensor,
 * the dims list and the plan, which measured about a fifth of a [4, 5] call. Anything else
 * returns null and takes the general path (with its errors).
 */
function logSumExpQuick(input: unknown, dim: unknown, keepdim: unknown): Tensor | null {
  const d = typeof keepdim === 'boolean' ? quickDimOf(input, dim) : -1;
  if (d < 0) return null;
  const x = quickData;
  const shape = quickShape;
  const outer = productOf(shape, 0, d);
  const inner = productOf(shape, d + 1, shape.length);
  const outShape: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (i !== d) outShape.push(shape[i]!);
    else if (keepdim) outShape.push(1);
  }
  const out = new (arrayFor(dtypeOf(x)))(outer * inner);
  kernels().logSumExp(x, out, outer, shape[d]!, inner);
  return tensorOf(out, outShape);
}

/**
 * A validated logsumexp call reduced to one (outer, size, inner) pass: adjacent reduced dims are
 * merged; non-adjacent ones are gathered into [kept…, reduced…] order first (shared with the pool).
 */
export interface LogSumExpPlan {
  x: FloatArray;
  dtype: Dtype;
  outShape: number[];
  outer: number;
  size: number;
  inner: number;
}

export function planLogSumExp(input: TensorLike, dim: number | readonly number[], keepdim = false): LogSumExpPlan {
  const x = toTensor(input, OP, 'input');
  if (typeof keepdim !== 'boolean') {
    throw argTypeError(OP, 'keepdim', `is ${describe(keepdim)}`, 'Pass true or false');
  }
  const dims = x.ndim === 0 ? resolveDims(dim, 0).slice(0, 0) : resolveDims(dim, x.ndim);
  const shape = x.shape;
  const outShape: number[] = [];
  let keptNumel = 1;
  let size = 1;
  for (let d = 0; d < shape.length; d++) {
    if (dims.includes(d)) {
      size *= shape[d]!;
      if (keepdim) outShape.push(1);
    } else {
      keptNumel *= shape[d]!;
      outShape.push(shape[d]!);
    }
  }
  const contiguous = dims.length === 0 || dims[dims.length - 1]! - dims[0]! === dims.length - 1;
  if (contiguous || keptNumel === 0 || size === 0) {
    // The reduced dims are adjacent: one (outer, size, inner) pass over the data as it is.
    let outer = 1;
    let inner = 1;
    for (let d = 0; d < shape.length; d++) {
      if (dims.length > 0 && d < dims[0]!) outer *= shape[d]!;
      else if (dims.length > 0 && d > dims[dims.length - 1]!) inner *= shape[d]!;
    }
    if (!contiguous) {
      outer = keptNumel;
      inner = 1;
    }
    return { x: x.data, dtype: x.dtype, outShape, outer, size, inner };
  }
  // Non-adjacent dims: gather into [kept..., reduced...] order, then reduce contiguous rows.
  const order = [...shape.keys()].filter((d) => !dims.includes(d)).concat(dims);
  return { x: permute(x.data, shape, order), dtype: x.dtype, outShape, outer: keptNumel, size, inner: 1 };
}

/** Row-major copy of `data` (of `shape`) with its dims reordered as `order`. */
function permute(data: FloatArray, shape: readonly number[], order: readonly number[]): FloatArray {
  const srcStrides = contiguousStrides(shape);
  const out = new (arrayFor(dtypeOf(data)))(data.length);
  gatherStrided(data, 0, order.map((d) => shape[d]!), order.map((d) => srcStrides[d]!), out);
  return out;
}
