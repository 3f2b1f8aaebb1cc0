import { argTypeError, describe } from './errors.js';
import { warn } from './warnings.js';

/** PyTorch's text for the 'mean' reduction warning (1.13 joins three literals; we add the spaces). */
export const MEAN_WARNING =
  "reduction: 'mean' divides the total loss by both the batch size and the support size. " +
  "'batchmean' divides only by the batch size, and aligns with the KL div math definition. " +
  "'mean' will be changed to behave the same as 'batchmean' in the next major release.";

const VALID = ['none', 'mean', 'sum', 'batchmean'] as const;

/** What a kl_div call reduces to after resolving `reduction` and the legacy arguments. */
export interface ResolvedReduction {
  /** The ATen-level reduction. */
  kind: 'none' | 'mean' | 'sum';
  /** Divide the result by `input.shape[0]` (the Python-level 'batchmean' step), unless input is 0-d. */
  batchDivide: boolean;
}

/** Checks a reduction name; throws a TypeError listing the valid ones. Returns the name. */
export function checkReductionName(op: string, reduction: unknown): string {
  if (typeof reduction === 'string' && ((VALID as readonly string[]).includes(reduction) || reduction === 'elementwise_mean')) {
    return reduction;
  }
  throw argTypeError(
    op,
    'reduction',
    `is ${describe(reduction)}, which is not a valid reduction`,
    `Use one of 'none', 'mean', 'sum', 'batchmean' (case-sensitive); 'batchmean' is the true KL divergence per sample`,
  );
}

function checkLegacy(op: string, name: string, value: unknown): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') {
    throw argTypeError(op, name, `is ${describe(value)}`, `Pass true, false or leave it out; prefer the 'reduction' option (legacy arguments are deprecated)`);
  }
  return value;
}

/**
 * `_Reduction.legacy_get_string`: a missing argument counts as true. Warns as PyTorch does
 * (unless `emit` is false: backward passes re-resolve silently what their forward already warned).
 */
export function legacyReduction(op: string, sizeAverage: unknown, reduce: unknown, emit = true): 'none' | 'mean' | 'sum' | null {
  const sa = checkLegacy(op, 'sizeAverage', sizeAverage);
  const r = checkLegacy(op, 'reduce', reduce);
  if (sa === null && r === null) return null;
  const s = sa ?? true;
  const rr = r ?? true;
  const ret = s && rr ? 'mean' : rr ? 'sum' : 'none';
  if (emit) warn('KLWASM_LEGACY_REDUCTION', `size_average and reduce args will be deprecated, please use reduction='${ret}' instead.`);
  return ret;
}

/**
 * Resolves kl_div's reduction exactly as `torch.nn.functional.kl_div` (1.13) does:
 * legacy arguments win (with their warning) but a 'batchmean' reduction still divides by
 * `input.size(0)`; 'mean' warns; 'elementwise_mean' is a deprecated alias of 'mean'.
 */
export function resolveKlReduction(op: string, reduction: unknown, sizeAverage: unknown, reduce: unknown, emit = true): ResolvedReduction {
  const name = checkReductionName(op, reduction);
  const legacy = legacyReduction(op, sizeAverage, reduce, emit);
  const batchDivide = name === 'batchmean';
  if (legacy !== null) return { kind: legacy, batchDivide };
  if (name === 'mean' && emit) warn('KLWASM_MEAN_REDUCTION', MEAN_WARNING);
  if (name === 'elementwise_mean') {
    if (emit) warn('KLWASM_ELEMENTWISE_MEAN', "reduction='elementwise_mean' is deprecated, please use reduction='mean' instead.");
    return { kind: 'mean', batchDivide };
  }
  return { kind: name === 'batchmean' ? 'sum' : (name as 'none' | 'mean' | 'sum'), batchDivide };
}
