import type { Kernels } from '../backend/kernels.js';
import { castData, resultDtype } from '../dtype.js';
import { argRangeError, argTypeError, describe, shapeStr } from '../errors.js';
import { resolveKlReduction } from '../reduction.js';
import { kernels } from '../runtime.js';
import { type BroadcastPlan, broadcastPlan, broadcastShapes } from '../shape.js';
import { Tensor, numelOf } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensorlike.js';
import { type FloatArray, type Reduction, arrayFor } from '../types.js';
import { sumToShape } from './sumTo.js';
import { checkOptionKeys } from '../options.js';

/** Options of `klDivBackward`: the forward's options, plus which gradients to compute. */
export interface KlDivBackwardOptions {
  /** The forward's reduction (same rules as `klDiv`; default `'mean'`). */
  reduction?: Reduction | 'elementwise_mean';
  /** The forward's `logTarget`. */
  logTarget?: boolean;
  /** The forward's legacy `sizeAverage`. */
  sizeAverage?: boolean | null;
  /** The forward's legacy `reduce`. */
  reduce?: boolean | null;
  /**
   * Also compute ∂/∂target (default true). `false` skips it — the target is usually a fixed
   * distribution (teacher probabilities), and skipping saves a logarithm per element — and returns
   * `gradTarget: null`.
   */
  gradTarget?: boolean;
}

/** What `klDivBackward` returns: each gradient has its argument's shape and dtype. */
export interface KlDivGradients<G extends Tensor | null = Tensor> {
  /** ∂L/∂input, shape and dtype of `input`. */
  gradInput: Tensor;
  /** ∂L/∂target, shape and dtype of `target` (null when `gradTarget: false`). */
  gradTarget: G;
}

const OP = 'klDivBackward';

/**
 * The gradients of `klDiv(input, target, options)` with respect to `input` and `target`, given
 * the gradient `gradOutput` of some scalar with respect to klDiv's output — exactly what PyTorch
 * 1.13 autograd returns for `F.kl_div` (a composite op: autograd differentiates
 * `xlogy(t, t) − t·input`, or `exp(t)·(t − input)`, then the reduction):
 *
 * - `gradOutput`: the output's shape (`[]` for reductions, the broadcast shape for `'none'`); a
 *   number is a 0-d tensor. Omitted (or null): ones, i.e. the gradients of `sum(output)`.
 * - With g = gradOutput per element, divided by `numel` for `'mean'` and by `input.shape[0]` for
 *   `'batchmean'` (legacy arguments resolve as in `klDiv`):
 *   - ∂input = −g·t; ∂target = g·(log t + 1 − input) — **NaN at t = 0** (autograd's 0/0 from
 *     `xlogy`'s `t/t`; x·log x is not differentiable there, pytorch#89558) and NaN at t < 0;
 *   - logTarget: ∂input = −g·eᵗ; ∂target = g·eᵗ·(t − input + 1).
 * - Broadcast arguments get their gradient summed over the broadcast dims (autograd's
 *   `sum_to_size`), so each gradient has its argument's shape; and its argument's dtype.
 *
 * @example
 * ```ts
 * import { klDiv, klDivBackward, logSoftmax, softmax } from 'klwasm';
 * const logq = logSoftmax([[0.2, 1.0, -0.5]], -1);
 * const p = softmax([[0.1, 1.2, -0.3]], -1);
 * const loss = klDiv(logq, p, { reduction: 'batchmean' });
 * const { gradInput, gradTarget } = klDivBackward(undefined, logq, p, { reduction: 'batchmean' });
 * gradInput.toArray();  // −p (batch of 1): [[-0.2139, -0.6427, -0.1434]]
 * gradTarget.toArray(); // log p + 1 − logq: [[0.7722, 1.0722, 1.0722]]
 * ```
 */
export function klDivBackward(
  gradOutput: TensorLike | null | undefined,
  input: TensorLike,
  target: TensorLike,
  options?: KlDivBackwardOptions & { gradTarget?: true },
): KlDivGradients<Tensor>;
export function klDivBackward(
  gradOutput: TensorLike | null | undefined,
  input: TensorLike,
  target: TensorLike,
  options: KlDivBackwardOptions & { gradTarget: false },
): KlDivGradients<null>;
export function klDivBackward(
  gradOutput: TensorLike | null | undefined,
  input: TensorLike,
  target: TensorLike,
  options?: KlDivBackwardOptions,
): KlDivGradients<Tensor | null>;
export function klDivBackward(
  gradOutput: TensorLike | null | undefined,
  input: TensorLike,
  target: TensorLike,
  options: KlDivBackwardOptions = {},
): KlDivGradients<Tensor | null> {
  if (options === null || typeof options !== 'object') {
    throw argTypeError(OP, 'options', `is ${describe(options)}`, "Pass the forward's options, e.g. { reduction: 'batchmean' }");
  }
  checkOptionKeys(OP, options, ['reduction', 'logTarget', 'sizeAverage', 'reduce', 'gradTarget']);
  const { reduction = 'mean', logTarget = false, sizeAverage, reduce, gradTarget = true } = options;
  if (typeof logTarget !== 'boolean') {
    throw argTypeError(OP, 'logTarget', `is ${describe(logTarget)}`, 'Pass the same logTarget as the forward call (true or false)');
  }
  if (typeof gradTarget !== 'boolean') {
    throw argTypeError(OP, 'gradTarget', `is ${describe(gradTarget)}`, 'Pass true (default) to get ∂/∂target too, or false to skip it');
  }
  const x = toTensor(input, OP, 'input');
  const t = toTensor(target, OP, 'target');
  const g = gradOutput === undefined || gradOutput === null ? null : toTensor(gradOutput, OP, 'gradOutput');
  // The forward already warned about 'mean' / legacy arguments: resolve silently.
  const red = resolveKlReduction(OP, reduction, sizeAverage, reduce, false);
  return klDivBackwardResolved(OP, g, x, t, red.kind, red.batchDivide, logTarget, gradTarget);
}

/** kl_div backward after argument resolution (shared by `klDivBackward` and `KLDivLoss.backward`). */
export function klDivBackwardResolved(
  op: string,
  gradOutput: Tensor | null,
  x: Tensor,
  t: Tensor,
  kind: 'none' | 'mean' | 'sum',
  batchDivide: boolean,
  logTarget: boolean,
  wantTarget: boolean,
): KlDivGradients<Tensor | null> {
  const dtype = resultDtype(x, t);
  const outShape = broadcastShapes(op, t.shape, 'target', x.shape, 'input');
  const numel = numelOf(outShape);
  const divisor = batchDivide && x.ndim > 0 ? x.shape[0]! : 1;
  const gShape = kind === 'none' ? outShape : [];
  if (gradOutput !== null && (gradOutput.shape.length !== gShape.length || gradOutput.shape.some((d, i) => d !== gShape[i]))) {
    throw argRangeError(
      op,
      'gradOutput',
      `has shape ${shapeStr(gradOutput.shape)}, but klDiv's output (reduction '${kind}') has shape ${shapeStr(gShape)}`,
      `Pass the gradient of the loss with respect to klDiv's output, of the output's shape (a number for reductions), or omit it for ones`,
    );
  }
  // Upstream gradient per term: DivBackward (batchmean) first, then MeanBackward (mean).
  let gArr: FloatArray | null = null;
  let gScalar = 1 / divisor;
  let gDiv = 1;
  if (kind === 'none') {
    if (gradOutput !== null) {
      gArr = castData(gradOutput.data, dtype);
      gDiv = divisor;
    }
  } else {
    gScalar = (gradOutput === null ? 1 : gradOutput.data[0]!) / divisor;
    if (kind === 'mean') gScalar /= numel;
  }
  const Ctor = arrayFor(dtype);
  const gi = new Ctor(numel);
  const gt = wantTarget ? new Ctor(numel) : null;
  if (numel > 0) {
    const plan = broadcastPlan(outShape, x.shape, t.shape);
    klDivGradOverPlan(kernels(), castData(x.data, dtype), castData(t.data, dtype), plan, logTarget, gArr, gScalar, gDiv, gi, gt);
  }
  return {
    gradInput: new Tensor(sumToShape(gi, outShape, x.shape, x.dtype), x.shape),
    gradTarget: gt === null ? null : new Tensor(sumToShape(gt, outShape, t.shape, t.dtype), t.shape),
  };
}

/**
 * Runs the kl_div gradient kernel over the broadcast result (2-d strided blocks, leading
 * collapsed dims iterate here), writing pointwise gradients in result order.
 */
function klDivGradOverPlan(
  k: Kernels,
  x: FloatArray,
  t: FloatArray,
  plan: BroadcastPlan,
  logTarget: boolean,
  g: FloatArray | null,
  gScalar: number,
  gDiv: number,
  gi: FloatArray | null,
  gt: FloatArray | null,
): void {
  const { sizes, aStrides: xs, bStrides: ts } = plan;
  const nd = sizes.length;
  if (nd <= 1) {
    const cols = nd === 0 ? 1 : sizes[0]!;
    k.klDivGradBlock(x, 0, 0, nd === 0 ? 0 : xs[0]!, t, 0, 0, nd === 0 ? 0 : ts[0]!, 1, cols, logTarget, g, 0, gScalar, gDiv, gi, 0, gt, 0);
    return;
  }
  const rows = sizes[nd - 2]!;
  const cols = sizes[nd - 1]!;
  const lead = sizes.slice(0, nd - 2);
  const blocks = numelOf(lead);
  const idx = new Array<number>(lead.length).fill(0);
  let xo = 0;
  let to = 0;
  for (let b = 0; b < blocks; b++) {
    const o = b * rows * cols;
    k.klDivGradBlock(x, xo, xs[nd - 2]!, xs[nd - 1]!, t, to, ts[nd - 2]!, ts[nd - 1]!, rows, cols, logTarget, g, o, gScalar, gDiv, gi, o, gt, o);
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
}
