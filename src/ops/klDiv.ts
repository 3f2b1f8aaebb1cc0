import type { Kernels } from '../backend/kernels.js';
import { allocOverwritten } from '../alloc.js';
import { CompensatedSum } from '../compensated.js';
import { castData, resultDtype } from '../dtype.js';
import { argRangeError, argTypeError, describe } from '../errors.js';
import { resolveKlReduction } from '../reduction.js';
import { kernels } from '../runtime.js';
import { type BroadcastPlan, broadcastPlan, broadcastShapes } from '../shape.js';
import { Tensor, numelOf, scalarOf, tensorOf } from '../tensor.js';
import { type TensorLike, laneShapeOf, toTensor } from '../tensorlike.js';
import type { Dtype, FloatArray, Reduction } from '../types.js';
import { type ValidateOption, validateKlDivArgs } from './diagnose.js';
import { checkOut, overlaps } from './out.js';
import { checkOptionKeys } from '../options.js';

/** Options of `klDiv` and `KLDivLoss`, as `torch.nn.functional.kl_div`'s keyword arguments. */
export interface KlDivOptions {
  /**
   * `'mean'` (default, PyTorch's; divides by the number of elements — **not** the KL divergence,
   * and it warns), `'batchmean'` (sum / input.shape[0]: the true KL per sample), `'sum'`, or
   * `'none'` (pointwise terms). `'elementwise_mean'` is a deprecated alias of `'mean'`.
   */
  reduction?: Reduction | 'elementwise_mean';
  /** `target` holds log-probabilities instead of probabilities (PyTorch's `log_target`). */
  logTarget?: boolean;
  /** Deprecated PyTorch argument; `null`/`undefined` means "not given". */
  sizeAverage?: boolean | null;
  /** Deprecated PyTorch argument; `null`/`undefined` means "not given". */
  reduce?: boolean | null;
  /** For `reduction: 'none'`: write the pointwise terms into this tensor (broadcast shape, result dtype; must not overlap the inputs). */
  out?: Tensor;
  /**
   * Check first that `input` looks like log-probabilities and `target` like probabilities (or
   * log-probabilities with `logTarget`) along `dim` (default -1), and throw a `KLDivInputError`
   * carrying the `diagnose` report if not. `true`, or `{ dim, tolerance }`. One extra statistics
   * pass per argument (a WASM kernel); see `diagnose`.
   */
  validate?: ValidateOption;
}

const OP = 'klDiv';

/**
 * Runs the kl_div kernel over the broadcast result of `x` and `t`, one 2-d strided block at a
 * time (leading collapsed dims iterate here), writing terms to `out` if given. Returns the sum.
 */
export function klDivOverPlan(
  k: Kernels,
  x: FloatArray,
  t: FloatArray,
  plan: BroadcastPlan,
  logTarget: boolean,
  out: FloatArray | null,
): number {
  const { sizes, aStrides: xs, bStrides: ts } = plan;
  const nd = sizes.length;
  if (nd <= 1) {
    const cols = nd === 0 ? 1 : sizes[0]!;
    return k.klDivBlock(x, 0, 0, nd === 0 ? 0 : xs[0]!, t, 0, 0, nd === 0 ? 0 : ts[0]!, 1, cols, logTarget, out, 0);
  }
  const rows = sizes[nd - 2]!;
  const cols = sizes[nd - 1]!;
  const lead = sizes.slice(0, nd - 2);
  const blocks = numelOf(lead);
  const idx = new Array<number>(lead.length).fill(0);
  let xo = 0;
  let to = 0;
  const sum = new CompensatedSum();
  for (let b = 0; b < blocks; b++) {
    sum.add(k.klDivBlock(x, xo, xs[nd - 2]!, xs[nd - 1]!, t, to, ts[nd - 2]!, ts[nd - 1]!, rows, cols, logTarget, out, b * rows * cols));
    for (let d = lead.length - 1; d >= 0; d--) {
      if (++idx[d]! < lead[d]!) {
        xo += xs[d]!;
        to += ts[d]!;
        break;
      }
      xo -= (lead[d]! - 1) * xs[d]!;
      to -= (lead[d]! - 1) * ts[d]!;
      idx[d] = 0;
    }
  }
  return sum.value;
}

/**
 * The Kullback–Leibler divergence loss, exactly as `torch.nn.functional.kl_div(input, target, ...)`
 * in PyTorch 1.13: `input` holds **log-probabilities** (log q), `target` holds **probabilities** p
 * (or log p with `logTarget`), and the pointwise term is `xlogy(p, p) - p * input`
 * (or `exp(t) * (t - input)`), so the 'sum' is KL(p ‖ q) = Σ p·(log p − log q).
 *
 * - Broadcasting follows NumPy rules; the result dtype follows PyTorch's type promotion.
 * - Reductions: `'mean'` (default) divides by the element count and warns (it is not the KL);
 *   `'batchmean'` divides by `input.shape[0]` (no division for 0-d input); `'sum'`; `'none'`.
 * - No clamping: a target of 0 gives a 0 term (NaN if input is ±inf/NaN there), a negative target
 *   gives NaN, as PyTorch. Sums accumulate in float64 with compensation, so they are more accurate
 *   than PyTorch's float32 sums. Empty inputs: 'sum' 0, 'mean' NaN, 'batchmean' 0/shape[0].
 * - Legacy `sizeAverage` / `reduce` are honoured with PyTorch's mapping and warning.
 *
 * @returns a 0-d Tensor for reductions, or the broadcast-shaped pointwise tensor for 'none'.
 * @example
 * ```ts
 * import { klDiv, logSoftmax, softmax } from 'klwasm';
 * const x = [[0.2, 1.0, -0.5], [1.5, 0.3, 0.1]];   // student logits
 * const y = [[0.1, 1.2, -0.3], [1.0, 0.9, 0.2]];   // teacher logits
 * klDiv(logSoftmax(x, -1), softmax(y, -1), { reduction: 'batchmean' }).item(); // KL(teacher ‖ student) per row
 * ```
 */
export function klDiv(input: TensorLike, target: TensorLike, options: KlDivOptions = {}): Tensor {
  return klDivSmall(input, target, options) ?? runKlDiv(planKlDiv(input, target, options));
}

/** The options `klDiv` and `KLDivLoss` accept (anything else is a TypeError naming the closest). */
export const KL_DIV_OPTIONS = ['reduction', 'logTarget', 'sizeAverage', 'reduce', 'out', 'validate'] as const;

/**
 * Whether `options` has a key outside KL_DIV_OPTIONS (the general path then throws naming it).
 * Written out rather than `unknownOptionKey`: ~7 ns instead of ~11 on a one-key literal, which
 * is a few % of a [4, 5] call.
 */
function hasUnknownKlDivKey(options: object): boolean {
  for (const k in options) {
    if (k !== 'reduction' && k !== 'logTarget' && k !== 'sizeAverage' && k !== 'reduce' && k !== 'out' && k !== 'validate') return true;
  }
  return false;
}

/** Element count up to which `klDiv` tries its small-call lane. */
const SMALL_KL = 32;

/**
 * The small-call lane of `klDiv` (a loss over a few probabilities, called in a loop): at most
 * SMALL_KL elements; operands of one float dtype and one shape, each a Tensor or a plain
 * `{ data, shape }` with a valid shape; reduction 'sum' or 'batchmean'; no legacy arguments,
 * `out` or `validate`. It makes the general path's kernel call (same arguments, so the same bits)
 * without building the operand Tensors, the plan and the broadcast description, which measured
 * about half of a [4, 5] call (0.33 µs). Any other call returns null and takes the general path,
 * with its errors and warnings.
 */
export function klDivSmall(input: unknown, target: unknown, options: KlDivOptions): Tensor | null {
  if (options === null || typeof options !== 'object' || hasUnknownKlDivKey(options)) return null;
  const { reduction, logTarget = false } = options;
  if ((reduction !== 'sum' && reduction !== 'batchmean') || typeof logTarget !== 'boolean') return null;
  if (options.sizeAverage != null || options.reduce != null || options.out !== undefined || (options.validate !== undefined && options.validate !== false)) return null;
  const xs = laneShapeOf(input);
  if (xs === null) return null;
  const x = (input as { data: FloatArray }).data;
  const n = x.length;
  if (n === 0 || n > SMALL_KL) return null;
  const ts = laneShapeOf(target);
  if (ts === null || ts.length !== xs.length) return null;
  const t = (target as { data: FloatArray }).data;
  // (instanceof rather than comparing `constructor`s, which with both dtypes in use measured ~5 ns
  // more; both are Float32Array or Float64Array here.)
  const f64 = x instanceof Float64Array;
  if (t.length !== n || f64 !== (t instanceof Float64Array)) return null;
  // Equal shapes, each matching its own data (laneShapeOf), so both hold n elements.
  if (ts !== xs) for (let i = 0; i < xs.length; i++) if (xs[i] !== ts[i]) return null;
  // As planKlDivResolved + klDivOverPlan for equal shapes: one contiguous run (klDivWhole).
  const sum = kernels().klDivWhole(x, t, logTarget);
  const divisor = reduction === 'batchmean' && xs.length > 0 ? xs[0]! : 1;
  return scalarOf(f64 ? 'float64' : 'float32', sum / divisor);
}

/** A validated kl_div call (shared by `klDiv`, `KLDivLoss` and the worker pool). */
export interface KlDivPlan {
  x: FloatArray;
  t: FloatArray;
  dtype: Dtype;
  outShape: number[];
  numel: number;
  /** How to read the broadcast operands (collapsed dims and strides). */
  broadcast: BroadcastPlan;
  kind: 'none' | 'mean' | 'sum';
  /** input.shape[0] for 'batchmean' (1 otherwise or for 0-d input). */
  divisor: number;
  logTarget: boolean;
  /** The caller's `out` tensor ('none' only), validated. */
  out: Tensor | null;
}

/** Validates and resolves `klDiv`'s arguments (errors and warnings as `klDiv`). */
export function planKlDiv(input: TensorLike, target: TensorLike, options: KlDivOptions = {}): KlDivPlan {
  if (options === null || typeof options !== 'object') {
    throw argTypeError(OP, 'options', `is ${describe(options)}`, "Pass an options object such as { reduction: 'batchmean' }");
  }
  checkOptionKeys(OP, options, KL_DIV_OPTIONS);
  const { reduction = 'mean', logTarget = false, sizeAverage, reduce, out, validate = false } = options;
  if (typeof logTarget !== 'boolean') {
    throw argTypeError(OP, 'logTarget', `is ${describe(logTarget)}`, 'Pass true if target holds log-probabilities, false (default) if it holds probabilities');
  }
  const x = toTensor(input, OP, 'input');
  const t = toTensor(target, OP, 'target');
  const red = resolveKlReduction(OP, reduction, sizeAverage, reduce);
  if (validate !== false) validateKlDivArgs(OP, x, t, logTarget, validate);
  return planKlDivResolved(x, t, red.kind, red.batchDivide, logTarget, out);
}

/** kl_div after argument resolution (shared by `klDiv` and `KLDivLoss`). */
export function klDivResolved(
  x: Tensor,
  t: Tensor,
  kind: 'none' | 'mean' | 'sum',
  batchDivide: boolean,
  logTarget: boolean,
  outTensor?: Tensor,
): Tensor {
  return runKlDiv(planKlDivResolved(x, t, kind, batchDivide, logTarget, outTensor));
}

export function planKlDivResolved(
  x: Tensor,
  t: Tensor,
  kind: 'none' | 'mean' | 'sum',
  batchDivide: boolean,
  logTarget: boolean,
  outTensor?: Tensor,
): KlDivPlan {
  const dtype = resultDtype(x, t);
  const same = sameShape(x.shape, t.shape);
  // PyTorch evaluates t * input first, so "tensor a" in its message is the target.
  const outShape = same ? x.shape.slice() : broadcastShapes(OP, t.shape, 'target', x.shape, 'input');
  const xd = castData(x.data, dtype);
  const td = castData(t.data, dtype);
  if (outTensor !== undefined && kind !== 'none') {
    throw argTypeError(OP, 'out', `was given for reduction '${kind}'`, "'out' applies to reduction: 'none' only (reductions return a new 0-d tensor)");
  }
  let out: Tensor | null = null;
  if (kind === 'none' && outTensor !== undefined) {
    out = checkOut(OP, outTensor, outShape, dtype);
    if (overlaps(out.data, xd) || overlaps(out.data, td)) {
      throw argRangeError(OP, 'out', 'overlaps input or target', 'Use a separate output tensor (broadcast reads would see overwritten values)');
    }
  }
  return {
    x: xd,
    t: td,
    dtype,
    outShape,
    numel: numelOf(outShape),
    // Same shapes: one contiguous run (what broadcastPlan would collapse to), without building it.
    broadcast: same ? sameShapePlan(numelOf(outShape)) : broadcastPlan(outShape, x.shape, t.shape),
    kind,
    divisor: batchDivide && x.ndim > 0 ? x.shape[0]! : 1,
    logTarget,
    out,
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameShapePlan(numel: number): BroadcastPlan {
  return numel === 1 ? { sizes: [], aStrides: [], bStrides: [] } : { sizes: [numel], aStrides: [1], bStrides: [1] };
}

/** Runs a plan on the active backend. */
export function runKlDiv(plan: KlDivPlan): Tensor {
  if (plan.kind === 'none') {
    const out = plan.out?.data ?? allocOverwritten(plan.dtype, plan.numel);
    if (plan.numel > 0) klDivOverPlan(kernels(), plan.x, plan.t, plan.broadcast, plan.logTarget, out);
    return finishKlDiv(plan, 0, out);
  }
  return finishKlDiv(plan, plan.numel > 0 ? klDivOverPlan(kernels(), plan.x, plan.t, plan.broadcast, plan.logTarget, null) : 0, null);
}

/** The result from the sum of the terms (reductions) or the pointwise terms ('none'). */
export function finishKlDiv(plan: KlDivPlan, sum: number, pointwise: FloatArray | null): Tensor {
  if (plan.kind === 'none') {
    const out = pointwise!;
    if (plan.divisor !== 1) for (let i = 0; i < out.length; i++) out[i] = out[i]! / plan.divisor;
    return plan.out ?? tensorOf(out, plan.outShape);
  }
  const value = (plan.kind === 'mean' ? sum / plan.numel : sum) / plan.divisor;
  return scalarOf(plan.dtype, value);
}
