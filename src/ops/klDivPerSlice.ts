import { castData, resultDtype } from '../dtype.js';
import { argTypeError, describe } from '../errors.js';
import { kernels } from '../runtime.js';
import { broadcastShapes, normalizeDim, sliceLayout } from '../shape.js';
import { gatherStrided } from '../strided.js';
import { Tensor, contiguousStrides, numelOf } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensorlike.js';
import { type Dtype, type FloatArray, arrayFor } from '../types.js';
import { checkOptionKeys } from '../options.js';

/** Options of `klDivPerSlice`. */
export interface KlDivPerSliceOptions {
  /** The dimension each distribution runs along (default -1, of the broadcast shape). */
  dim?: number;
  /** `target` holds log-probabilities (as `klDiv`'s `logTarget`). */
  logTarget?: boolean;
}

const OP = 'klDivPerSlice';

/** `data` (of `shape`) broadcast to `to`, row-major (a copy; the same array when nothing is broadcast). */
export function expandTo(data: FloatArray, shape: readonly number[], to: readonly number[], dtype: Dtype): FloatArray {
  const n = numelOf(to);
  if (data.length === n) return data;
  const own = contiguousStrides(shape);
  const lead = to.length - shape.length;
  const strides = to.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]!));
  const out = new (arrayFor(dtype))(n);
  gatherStrided(data, 0, to, strides, out);
  return out;
}

/**
 * One KL per distribution from probabilities: the sum of `klDiv`'s pointwise terms along `dim`,
 * i.e. `KL(p_s ‖ q_s) = Σ_k p·(log p − log q)` for every slice s — what
 * `klDiv(input, target, { reduction: 'none' })` summed over `dim` gives, without materialising
 * the pointwise terms (one fused kernel pass; each slice summed in float64).
 *
 * `input` = log q, `target` = p (log p with `logTarget`), with `klDiv`'s pointwise semantics
 * (PyTorch 1.13: t = 0 → 0, t < 0 → NaN, …). The arguments broadcast (a broadcast argument is
 * expanded first); the result has the broadcast shape without `dim`, in the result dtype.
 * Summing it gives `klDiv(…, { reduction: 'sum' })`. For logits use
 * `klDivLogits(x, y, { reduction: 'perSlice' })` (fused softmaxes, termwise-accurate).
 *
 * @example
 * ```ts
 * import { klDivPerSlice, logSoftmax, softmax } from 'klwasm';
 * const logq = logSoftmax([[0.2, 1.0, -0.5], [1.5, 0.3, 0.1]], -1);
 * const p = softmax([[0.1, 1.2, -0.3], [1.0, 0.9, 0.2]], -1);
 * klDivPerSlice(logq, p).toArray(); // [KL of row 0, KL of row 1]
 * ```
 */
export function klDivPerSlice(input: TensorLike, target: TensorLike, options: KlDivPerSliceOptions = {}): Tensor {
  if (options === null || typeof options !== 'object') {
    throw argTypeError(OP, 'options', `is ${describe(options)}`, 'Pass an options object such as { dim: -1 }');
  }
  checkOptionKeys(OP, options, ['dim', 'logTarget']);
  const { dim = -1, logTarget = false } = options;
  if (typeof logTarget !== 'boolean') {
    throw argTypeError(OP, 'logTarget', `is ${describe(logTarget)}`, 'Pass true if target holds log-probabilities, false (default) if it holds probabilities');
  }
  const x = toTensor(input, OP, 'input');
  const t = toTensor(target, OP, 'target');
  const dtype = resultDtype(x, t);
  const outShape = broadcastShapes(OP, t.shape, 'target', x.shape, 'input');
  const d = normalizeDim(OP, 'dim', dim, outShape.length);
  const { outer, size, inner } = sliceLayout(outShape, d);
  const sliceShape = outShape.length === 0 ? [] : outShape.filter((_, i) => i !== d);
  const out = new Float64Array(outer * inner);
  if (out.length > 0 && size > 0) {
    const xd = expandTo(castData(x.data, dtype), x.shape, outShape, dtype);
    const td = expandTo(castData(t.data, dtype), t.shape, outShape, dtype);
    kernels().klDivSlices(xd, td, outer, size, inner, logTarget, out);
  }
  return new Tensor(castData(out, dtype), sliceShape);
}
