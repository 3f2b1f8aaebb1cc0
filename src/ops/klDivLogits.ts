import { sumCompensated } from '../compensated.js';
import { allocOverwritten } from '../alloc.js';
import { castData } from '../dtype.js';
import { argRangeError, argTypeError, describe, shapeStr } from '../errors.js';
import { MEAN_WARNING } from '../reduction.js';
import { kernels } from '../runtime.js';
import { normalizeDim, sliceLayout } from '../shape.js';
import { Tensor, scalarOf, tensorOf } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensorlike.js';
import type { Dtype, FloatArray, Reduction } from '../types.js';
import { warn } from '../warnings.js';
import { type KlDivLogitsReduction, checkLogitsReduction } from './klDivLogitsGrad.js';
import { checkOptionKeys } from '../options.js';

/** Options of `klDivLogits`. */
export interface KlDivLogitsOptions {
  /** The class dimension the softmaxes run along (default -1). */
  dim?: number;
  /** Distillation temperature T > 0 (default 1): both logits are divided by T and the loss multiplied by T². */
  temperature?: number;
  /**
   * `'batchmean'` (default: sum / shape[0], the KL per sample), `'sum'`, `'mean'` (sum / numel,
   * warns as PyTorch does), `'none'` (PyTorch's pointwise terms `p·(log p − log q)·T²`) or
   * `'perSlice'`: one KL per distribution, `T²·KL(p_s ‖ q_s)` for every slice s along `dim`, shape
   * = the input's shape without `dim` (summing it gives `'sum'`).
   */
  reduction?: KlDivLogitsReduction;
}

const OP = 'klDivLogits';

/**
 * Knowledge-distillation KL straight from raw logits, fused:
 * `kl_div(log_softmax(inputLogits / T, dim), softmax(targetLogits / T, dim), reduction) · T²`,
 * i.e. KL(p ‖ q) with p = softmax(target / T) (teacher) and q = softmax(input / T) (student).
 *
 * Computed per slice in one fused pass without intermediate tensors, in the termwise form
 * Σ q·φ(p/q) (φ(r) = r log r − r + 1 ≥ 0), so reduced results are **never negative**, identical
 * logits give **exactly 0**, and tiny KLs keep their digits (relative error ≲ 1e-6, where
 * PyTorch's float32 chain can be off by orders of magnitude or negative). Slices containing NaN or
 * +inf, or whose logits are all -inf, give NaN. Where the target logit is -inf (p = 0) the term
 * is 0 even if the input logit is -inf too (PyTorch's chain gives NaN there: 0·log 0).
 *
 * Both tensors must have the same shape. The result is 0-d, input-shaped for 'none', or the
 * input's shape without `dim` for 'perSlice' (one KL per distribution: per-token KL penalties,
 * drift monitors).
 *
 * @example
 * ```ts
 * import { klDivLogits } from 'klwasm';
 * const student = [[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]];
 * const teacher = [[2.5, 0.0, -1.5], [0.1, 0.2, 0.3]];
 * klDivLogits(student, teacher, { temperature: 2 }).item(); // ≥ 0; row 2 contributes exactly 0
 * ```
 */
export function klDivLogits(inputLogits: TensorLike, targetLogits: TensorLike, options: KlDivLogitsOptions = {}): Tensor {
  const plan = planKlDivLogits(inputLogits, targetLogits, options);
  const { x, y, outer, size, inner, temperature, scale } = plan;
  if (plan.reduction === 'none') {
    const out = allocOverwritten(plan.dtype, x.length);
    if (x.length > 0) kernels().klDivLogits(x, y, outer, size, inner, temperature, scale, null, out);
    return finishKlDivLogits(plan, null, out);
  }
  // Reductions only need the per-slice values transiently: reuse one scratch array.
  const perSlice = plan.reduction === 'perSlice' ? new Float64Array(outer * inner) : sliceScratch(outer * inner);
  // Empty slices (size 0) have KL 0; the kernels only run when there are elements.
  if (x.length > 0) kernels().klDivLogits(x, y, outer, size, inner, temperature, scale, perSlice, null);
  else perSlice.fill(0);
  return finishKlDivLogits(plan, perSlice, null);
}

let scratch = new Float64Array(64);
let scratchView = scratch.subarray(0, 0);

/**
 * A reused float64 array view of exactly `n` elements (contents undefined). The view is kept for
 * the next call of the same size: creating a subarray costs about as much as a small kernel call.
 */
function sliceScratch(n: number): Float64Array {
  if (scratchView.length === n) return scratchView;
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  scratchView = scratch.subarray(0, n);
  return scratchView;
}

/**
 * Smallest and largest accepted temperatures, 2^−63 and 2^63 (≈ 1.1e-19 and 9.2e18): T² (the loss
 * scale, also applied in float32 to 'none' terms) and 1/T (the logits' scale, a float32 factor in
 * the float32 kernels) stay finite, normal float32 numbers.
 */
export const TEMPERATURE_MIN = 2 ** -63;
export const TEMPERATURE_MAX = 2 ** 63;

/**
 * Validates a temperature: a number in [2^−63, 2^63]. Outside it T² or 1/T leave float32's range
 * and the loss would be 0 or NaN whatever the logits (a temperature of 1e-300 gave 0 on one backend
 * and NaN on another).
 */
export function checkTemperature(op: string, temperature: unknown): asserts temperature is number {
  if (typeof temperature === 'number' && temperature >= TEMPERATURE_MIN && temperature <= TEMPERATURE_MAX) return;
  const fix = 'The temperature must be a number from 2^-63 (≈1.1e-19) to 2^63 (≈9.2e18), so that T² and 1/T stay finite, normal float32 numbers (1 means no scaling)';
  if (typeof temperature !== 'number') throw argTypeError(op, 'temperature', `is ${describe(temperature)}`, fix);
  throw argRangeError(op, 'temperature', `is ${temperature}`, fix);
}

/** A validated klDivLogits call: operands in the result dtype and the slice layout (shared with the worker pool). */
export interface KlDivLogitsPlan {
  x: FloatArray;
  y: FloatArray;
  dtype: Dtype;
  shape: number[];
  dim: number;
  outer: number;
  size: number;
  inner: number;
  temperature: number;
  /** T². */
  scale: number;
  reduction: Reduction | 'perSlice';
}

/** Validates and resolves the arguments (errors and warnings as `klDivLogits`). */
export function planKlDivLogits(inputLogits: TensorLike, targetLogits: TensorLike, options: KlDivLogitsOptions = {}): KlDivLogitsPlan {
  if (options === null || typeof options !== 'object') {
    throw argTypeError(OP, 'options', `is ${describe(options)}`, "Pass an options object such as { temperature: 2, reduction: 'batchmean' }");
  }
  checkOptionKeys(OP, options, ['dim', 'temperature', 'reduction']);
  const { dim = -1, temperature = 1, reduction = 'batchmean' } = options;
  const x = toTensor(inputLogits, OP, 'inputLogits');
  const y = toTensor(targetLogits, OP, 'targetLogits');
  checkTemperature(OP, temperature);
  const red = checkLogitsReduction(OP, reduction);
  if (red === 'elementwise_mean') {
    throw argTypeError(OP, 'reduction', "is 'elementwise_mean'", "Use 'batchmean' (the KL per sample), 'sum', 'mean', 'none' or 'perSlice'");
  }
  if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) {
    throw new RangeError(
      `${OP}: 'inputLogits' has shape ${shapeStr(x.shape)} but 'targetLogits' has shape ${shapeStr(y.shape)}. ` +
        `Pass student and teacher logits of the same shape (e.g. both [batch, classes]).`,
    );
  }
  const d = normalizeDim(OP, 'dim', dim, x.ndim);
  if (red === 'mean') warn('KLWASM_MEAN_REDUCTION', MEAN_WARNING);
  const dtype = x.dtype === 'float64' || y.dtype === 'float64' ? 'float64' : 'float32';
  const { outer, size, inner } = sliceLayout(x.shape, d);
  return {
    x: castData(x.data, dtype),
    y: castData(y.data, dtype),
    dtype,
    shape: x.shape,
    dim: d,
    outer,
    size,
    inner,
    temperature,
    scale: temperature * temperature,
    reduction: red as Reduction | 'perSlice',
  };
}

/**
 * The result tensor from the kernels' outputs: `pointwise` for 'none', else the per-slice KLs
 * (unscaled), which reductions sum in slice order (compensated) — so the total does not depend on
 * how the work was blocked, streamed or split across workers.
 */
export function finishKlDivLogits(plan: KlDivLogitsPlan, perSlice: Float64Array | null, pointwise: FloatArray | null): Tensor {
  const { dtype, shape, dim, scale, reduction } = plan;
  if (reduction === 'none') return tensorOf(pointwise!, shape.slice());
  if (reduction === 'perSlice') {
    // One KL per distribution, scaled by T².
    return new Tensor(castData(perSlice!.map((v) => v * scale), dtype), shape.length === 0 ? [] : shape.filter((_, i) => i !== dim));
  }
  let value = sumCompensated(perSlice!) * scale;
  if (reduction === 'mean') value /= plan.x.length;
  else if (reduction === 'batchmean' && shape.length > 0) value /= shape[0]!;
  return scalarOf(dtype, value);
}
