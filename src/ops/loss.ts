import { argTypeError, describe } from '../errors.js';
import { checkReductionName, legacyReduction, resolveKlReduction } from '../reduction.js';
import type { Tensor } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensorlike.js';
import type { Reduction } from '../types.js';
import { type KlDivOptions, klDivResolved } from './klDiv.js';

/**
 * `torch.nn.KLDivLoss` as a class: options are fixed at construction, `forward(input, target)`
 * computes `klDiv(input, target, options)`.
 *
 * As in PyTorch, legacy `sizeAverage` / `reduce` are resolved (and warned about) at construction
 * and replace `reduction` — so `new KLDivLoss({ sizeAverage: false, reduction: 'batchmean' })` sums
 * and does **not** divide by the batch size (unlike the functional form). One difference: an
 * invalid reduction name is rejected at construction, not at the first `forward`.
 *
 * @example
 * ```ts
 * import { KLDivLoss, logSoftmax, softmax } from 'klwasm';
 * const loss = new KLDivLoss({ reduction: 'batchmean' });
 * loss.forward(logSoftmax([[0.2, 1.0, -0.5]], -1), softmax([[0.1, 1.2, -0.3]], -1)).item();
 * ```
 */
export class KLDivLoss {
  /** The reduction `forward` applies (after legacy-argument resolution). */
  readonly reduction: Reduction | 'elementwise_mean';
  /** Whether `target` holds log-probabilities. */
  readonly logTarget: boolean;

  constructor(options: KlDivOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw argTypeError('KLDivLoss', 'options', `is ${describe(options)}`, "Pass an options object such as { reduction: 'batchmean' }");
    }
    const { reduction = 'mean', logTarget = false, sizeAverage, reduce } = options;
    if (typeof logTarget !== 'boolean') {
      throw argTypeError('KLDivLoss', 'logTarget', `is ${describe(logTarget)}`, 'Pass true or false');
    }
    checkReductionName('KLDivLoss', reduction);
    const legacy = legacyReduction('KLDivLoss', sizeAverage, reduce);
    this.reduction = legacy ?? (reduction as Reduction | 'elementwise_mean');
    this.logTarget = logTarget;
  }

  /** The loss for `input` (log-probabilities) and `target` (probabilities, or log-probabilities with `logTarget`). */
  forward(input: TensorLike, target: TensorLike): Tensor {
    const x = toTensor(input, 'KLDivLoss.forward', 'input');
    const t = toTensor(target, 'KLDivLoss.forward', 'target');
    const red = resolveKlReduction('KLDivLoss.forward', this.reduction, undefined, undefined);
    return klDivResolved(x, t, red.kind, red.batchDivide, this.logTarget);
  }

  /** `KLDivLoss()`, as PyTorch's repr. */
  toString(): string {
    return 'KLDivLoss()';
  }
}
