import { castData } from '../dtype.js';
import { argRangeError, argTypeError, describe, shapeStr } from '../errors.js';
import { MEAN_WARNING, checkReductionName } from '../reduction.js';
import { kernels } from '../runtime.js';
import { normalizeDim, sliceLayout } from '../shape.js';
import { Tensor } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensorlike.js';
import { type FloatArray, type Reduction, arrayFor } from '../types.js';
import { warn } from '../warnings.js';
import { checkOptionKeys } from '../options.js';
import { checkTemperature } from './klDivLogits.js';

/** Reductions of the fused logits ops: PyTorch's four, plus `'perSlice'` (one KL per distribution). */
export type KlDivLogitsReduction = Reduction | 'perSlice';

/** Options of `klDivLogitsWithGrad`. */
export interface KlDivLogitsWithGradOptions {
  /** The class dimension the softmaxes run along (default -1). */
  dim?: number;
  /** Distillation temperature T > 0 (default 1); the loss is multiplied by T². */
  temperature?: number;
  /** As `klDivLogits` (default `'batchmean'`), including `'perSlice'`. */
  reduction?: KlDivLogitsReduction;
  /**
   * The upstream gradient ∂(objective)/∂loss, of the loss's shape: a number (or 0-d tensor) for
   * 'sum' / 'batchmean' / 'mean', the input's shape for 'none', the input's shape without `dim`
   * for 'perSlice' (per-distribution weights). Omitted: ones.
   */
  gradOutput?: TensorLike | null;
  /** Also return ∂loss/∂targetLogits (the teacher's gradient; default false). */
  gradTarget?: boolean;
}

/** What `klDivLogitsWithGrad` returns. */
export interface KlDivLogitsWithGradResult {
  /**
   * What `klDivLogits` returns for the same arguments: the same per-slice code, bit-identical per
   * slice while a slice fits the streaming window (longer slices are chunked at other boundaries:
   * rounding-level differences); reduced results sum the per-slice KLs in slice order.
   */
  loss: Tensor;
  /** ∂loss/∂inputLogits (times gradOutput), shape and dtype of `inputLogits`. */
  gradInput: Tensor;
  /** ∂loss/∂targetLogits, shape and dtype of `targetLogits` — only with `gradTarget: true`. */
  gradTarget?: Tensor;
}

const OP = 'klDivLogitsWithGrad';

/** Checks a reduction of the logits ops (PyTorch's names plus 'perSlice'); the error lists them all. */
export function checkLogitsReduction(op: string, reduction: unknown): string {
  if (reduction === 'perSlice') return reduction;
  try {
    return checkReductionName(op, reduction);
  } catch {
    throw argTypeError(
      op,
      'reduction',
      `is ${describe(reduction)}, which is not a valid reduction`,
      `Use one of 'batchmean' (default: the KL per sample), 'sum', 'mean', 'none' or 'perSlice' (one KL per distribution); names are case-sensitive`,
    );
  }
}

/** Neumaier sum of per-slice values in slice order (independent of how the kernels were blocked). */
function sumSlices(a: Float64Array): number {
  let s = 0;
  let c = 0;
  for (const v of a) {
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return Number.isFinite(s) ? s + c : s;
}

/**
 * The distillation loss of `klDivLogits` **and its gradient**, in the same fused passes over the
 * logits (no softmax, log_softmax or pointwise tensor is materialised).
 *
 * With q = softmax(x/T) (student, `inputLogits`), p = softmax(y/T) (teacher, `targetLogits`),
 * u = log(p/q) and KL = Σ p·u per slice along `dim`, the loss of a slice is T²·KL, and
 * - ∂/∂x = **T·(q − p)**, ∂/∂y = T·p·(u − KL) per slice; the reduction scales both:
 *   `'sum'` by 1, `'batchmean'` by 1/shape[0], `'mean'` by 1/numel, `'perSlice'` by gradOutput's
 *   weight of the slice — so gradInput = scale·(softmax(x/T) − softmax(y/T)) with scale = T, T/B,
 *   T/numel (times a scalar gradOutput);
 * - `'none'` (pointwise loss P_i = T²·p_i·u_i) with upstream gradient G:
 *   ∂/∂x_j = T·(q_j·Σ_i G_i p_i − G_j p_j), ∂/∂y_j = T·p_j·(G_j(u_j + 1) − Σ_i G_i p_i(u_i + 1));
 *   with G omitted (ones) this is the 'sum' gradient.
 * These equal PyTorch's autograd through `kl_div(log_softmax(x/T), softmax(y/T)) · T²` (which uses
 * Σp for the 1 above) except where p underflows to exactly 0: there PyTorch's teacher gradient is
 * NaN (xlogy's 0/0) and klwasm returns the limit, 0.
 *
 * The loss is computed by the same termwise (Bregman) code as `klDivLogits` — same value, never
 * negative, exactly 0 for identical logits.
 *
 * @example
 * ```ts
 * import { klDivLogitsWithGrad } from 'klwasm';
 * const student = [[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]];
 * const teacher = [[2.5, 0.0, -1.5], [0.1, 0.2, 0.3]];
 * const { loss, gradInput } = klDivLogitsWithGrad(student, teacher, { temperature: 2 });
 * loss.item();       // = klDivLogits(student, teacher, { temperature: 2 }).item()
 * gradInput.toArray(); // (T / batch)·(softmax(student/T) − softmax(teacher/T)); row 2 is all 0
 * ```
 */
export function klDivLogitsWithGrad(
  inputLogits: TensorLike,
  targetLogits: TensorLike,
  options: KlDivLogitsWithGradOptions = {},
): KlDivLogitsWithGradResult {
  if (options === null || typeof options !== 'object') {
    throw argTypeError(OP, 'options', `is ${describe(options)}`, "Pass an options object such as { temperature: 2, reduction: 'batchmean' }");
  }
  checkOptionKeys(OP, options, ['dim', 'temperature', 'reduction', 'gradOutput', 'gradTarget']);
  const { dim = -1, temperature = 1, reduction = 'batchmean', gradOutput, gradTarget = false } = options;
  const x = toTensor(inputLogits, OP, 'inputLogits');
  const y = toTensor(targetLogits, OP, 'targetLogits');
  checkTemperature(OP, temperature);
  if (typeof gradTarget !== 'boolean') {
    throw argTypeError(OP, 'gradTarget', `is ${describe(gradTarget)}`, 'Pass true to also get the gradient with respect to targetLogits, false (default) to skip it');
  }
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
  const sliceShape = x.ndim === 0 ? [] : x.shape.filter((_, i) => i !== d);
  const gShape = red === 'none' ? x.shape : red === 'perSlice' ? sliceShape : [];
  const g = gradOutput === undefined || gradOutput === null ? null : toTensor(gradOutput, OP, 'gradOutput');
  if (g !== null && (g.shape.length !== gShape.length || g.shape.some((v, i) => v !== gShape[i]))) {
    throw argRangeError(
      OP,
      'gradOutput',
      `has shape ${shapeStr(g.shape)}, but the loss (reduction '${red}') has shape ${shapeStr(gShape)}`,
      `Pass the gradient with respect to the loss, of the loss's shape (a number for 'sum', 'batchmean' and 'mean'), or omit it for ones`,
    );
  }
  if (red === 'mean') warn('KLWASM_MEAN_REDUCTION', MEAN_WARNING);

  const dtype = x.dtype === 'float64' || y.dtype === 'float64' ? 'float64' : 'float32';
  const xd = castData(x.data, dtype);
  const yd = castData(y.data, dtype);
  const Ctor = arrayFor(dtype);
  const T = temperature;
  const scale = T * T;
  const { outer, size, inner } = sliceLayout(x.shape, d);
  const n = x.numel;
  const perSlice = new Float64Array(outer * inner);
  const gi = new Ctor(n);
  const gt = gradTarget ? new Ctor(n) : null;
  const pointwise = red === 'none' ? new Ctor(n) : null;
  const divisor = red === 'mean' ? n : red === 'batchmean' && x.ndim > 0 ? x.shape[0]! : 1;
  let gradScale = T;
  let gArr: FloatArray | null = null;
  let sliceScale: Float64Array | null = null;
  if (red === 'none') gArr = g === null ? null : castData(g.data, dtype);
  else if (red === 'perSlice') sliceScale = g === null ? null : Float64Array.from(g.data);
  else gradScale = ((g === null ? 1 : g.data[0]!) * T) / divisor;
  if (n > 0) kernels().klDivLogitsGrad(xd, yd, outer, size, inner, T, scale, gradScale, gArr, sliceScale, perSlice, pointwise, gi, gt);

  let loss: Tensor;
  if (red === 'none') loss = new Tensor(pointwise!, x.shape);
  else if (red === 'perSlice') loss = new Tensor(castData(perSlice.map((v) => v * scale), dtype), sliceShape);
  else loss = new Tensor(Ctor.of((sumSlices(perSlice) * scale) / divisor), []);
  const result: KlDivLogitsWithGradResult = { loss, gradInput: new Tensor(castData(gi, x.dtype), x.shape) };
  if (gt !== null) result.gradTarget = new Tensor(castData(gt, y.dtype), y.shape);
  return result;
}
