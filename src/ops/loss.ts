import { argTypeError, describe } from '../errors.js';
import { checkReductionName, legacyReduction, resolveKlReduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensorlike.js';
import type { Reduction } from '../types.js';
import { KL_DIV_OPTIONS, type KlDivOptions, klDivResolved } from './klDiv.js';
import { type KlDivGradients, klDivBackwardResolved } from './klDivBackward.js';
import { type ValidateOption, validateKlDivArgs } from './diagnose.js';
import { checkOptionKeys } from '../options.js';

/**
 * `torch.nn.KLDivLoss` as a class: options are fixed at construction, `forward(input, target)`
 * computes `klDiv(input, target, options)`.
 *
 * As in PyTorch, legacy `sizeAverage` / `reduce` are resolved (and warned about) at construction
 * and replace `reduction` — so `new KLDivLoss({ sizeAverage: false, reduction: 'batchmean' })` sums
 * and does **not** divide by the batch size (unlike the functional form). One difference: an
 * invalid reduction name is rejected at construction, not at the first `forward`.
 *
 * `backward(gradOutput?)` returns the gradients of the last `forward` (see `klDivBackward`).
 *
 * @example
 * ```ts
 * import { KLDivLoss, logSoftmax, softmax } from 'klwasm';
 * const loss = new KLDivLoss({ reduction: 'batchmean' });
 * loss.forward(logSoftmax([[0.2, 1.0, -0.5]], -1), softmax([[0.1, 1.2, -0.3]], -1)).item();
 * const { gradInput } = loss.backward(); // ∂loss/∂input of that forward call
 * ```
 */
export class KLDivLoss {
  /** The reduction `forward` applies (after legacy-argument resolution). */
  readonly reduction: Reduction | 'elementwise_mean';
  /** Whether `target` holds log-probabilities. */
  readonly logTarget: boolean;
  /** Whether (and how) `forward` validates its arguments first (see `klDiv`'s `validate`). */
  readonly validate: ValidateOption;
  /** The last successful forward's arguments (references, not copies), for `backward`. */
  private saved: { x: Tensor; t: Tensor } | null = null;

  constructor(options: KlDivOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw argTypeError('KLDivLoss', 'options', `is ${describe(options)}`, "Pass an options object such as { reduction: 'batchmean' }");
    }
    checkOptionKeys('KLDivLoss', options, KL_DIV_OPTIONS.filter((k) => k !== 'out'));
    const { reduction = 'mean', logTarget = false, sizeAverage, reduce, validate = false } = options;
    if (typeof logTarget !== 'boolean') {
      throw argTypeError('KLDivLoss', 'logTarget', `is ${describe(logTarget)}`, 'Pass true or false');
    }
    checkReductionName('KLDivLoss', reduction);
    const legacy = legacyReduction('KLDivLoss', sizeAverage, reduce);
    this.reduction = legacy ?? (reduction as Reduction | 'elementwise_mean');
    this.logTarget = logTarget;
    this.validate = validate;
  }

  /** The loss for `input` (log-probabilities) and `target` (probabilities, or log-probabilities with `logTarget`). */
  forward(input: TensorLike, target: TensorLike): Tensor {
    const x = toTensor(input, 'KLDivLoss.forward', 'input');
    const t = toTensor(target, 'KLDivLoss.forward', 'target');
    const red = resolveKlReduction('KLDivLoss.forward', this.reduction, undefined, undefined);
    if (this.validate !== false) validateKlDivArgs('KLDivLoss.forward', x, t, this.logTarget, this.validate);
    const out = klDivResolved(x, t, red.kind, red.batchDivide, this.logTarget);
    this.saved = { x, t };
    return out;
  }

  /**
   * The gradients of the last `forward(input, target)` with respect to its input and target, given
   * `gradOutput` = ∂(something)/∂(that forward's output) — omitted: ones, i.e. the gradients of
   * the output's sum (for a reduced loss: of the loss itself). Same values as `klDivBackward`
   * (PyTorch autograd through `F.kl_div`): `gradInput` has input's shape and dtype, `gradTarget`
   * target's.
   *
   * Like PyTorch's autograd graph, the module keeps **references** to the last forward's
   * arguments (no copy): changing their data in place between `forward` and `backward` changes
   * the gradients (PyTorch raises an error for that; klwasm cannot detect it). Each `forward`
   * replaces them; `backward` before any `forward` throws.
   */
  backward(gradOutput?: TensorLike | null): KlDivGradients<Tensor> {
    const op = 'KLDivLoss.backward';
    if (this.saved === null) {
      throw new Error(`${op}: no forward pass to differentiate. Call forward(input, target) first, then backward(gradOutput?).`);
    }
    const g = gradOutput === undefined || gradOutput === null ? null : toTensor(gradOutput, op, 'gradOutput');
    const red = resolveKlReduction(op, this.reduction, undefined, undefined, false);
    return klDivBackwardResolved(op, g, this.saved.x, this.saved.t, red.kind, red.batchDivide, this.logTarget, true) as KlDivGradients<Tensor>;
  }

  /** `KLDivLoss()`, as PyTorch's repr. */
  toString(): string {
    return 'KLDivLoss()';
  }
}
