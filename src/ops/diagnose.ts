/**
 * Misuse diagnosis for kl_div: what each argument looks like along `dim`, and the one-line fix.
 *
 * The statistics come from one kernel pass per argument (`Kernels.sliceStats`: counts of NaN /
 * ±inf / negative / > 1 entries, Σ, extrema and the log-sum-exp of every slice); everything else
 * is per-slice arithmetic here, and locating the first offending element re-reads only the first
 * offending slices.
 */
import { SLICE_STATS, STAT } from '../backend/kernels.js';
import { argRangeError, argTypeError, describe, shapeStr } from '../errors.js';
import { kernels } from '../runtime.js';
import { broadcastShapes, normalizeDim, sliceLayout } from '../shape.js';
import { type Tensor, contiguousStrides } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensorlike.js';
import type { Dtype, FloatArray } from '../types.js';
import { expandTo } from './klDivPerSlice.js';
import { checkOptionKeys } from '../options.js';

/** What an argument looks like along `dim`. */
export type DistributionKind =
  /** Every slice's logsumexp is 0 (within tolerance) and no entry is above 0. */
  | 'log-probabilities'
  /** Every entry is in [0, 1] and every slice sums to 1 (within tolerance). */
  | 'probabilities'
  /** Entries in [0, 1] (no infinities) but some slice does not sum to 1. */
  | 'unnormalized probabilities'
  /** Entries ≤ 0 (no +inf) but some slice's logsumexp is not 0. */
  | 'unnormalized log-probabilities'
  /** Anything else: logits or other scores. */
  | 'raw scores'
  /** No elements (or a size-0 dim). */
  | 'empty';

/** How many entries have a property, and where the first one (row-major) is. */
export interface EntryCount {
  count: number;
  /** Multi-index of the first such entry (in the analysed shape), or null. */
  first: number[] | null;
}

/** The worst slice for a normalisation measure. */
export interface WorstSlice {
  /** The largest error over slices (|Σ − 1| or |logsumexp|; NaN-free). */
  error: number;
  /** Index of that slice in the shape without `dim` (null when there are no slices). */
  slice: number[] | null;
}

/** Per-argument part of a `DiagnoseReport`. */
export interface ArgumentReport {
  name: 'input' | 'target';
  /** The argument's shape and dtype. */
  shape: number[];
  dtype: Dtype;
  /**
   * True when the argument is broadcast along `dim` (size 1 or missing there): it was analysed
   * expanded to the broadcast shape, and indices refer to that shape.
   */
  broadcastAlongDim: boolean;
  /** Number of slices along dim and their length. */
  slices: number;
  sliceSize: number;
  /** What kl_div needs here. */
  expected: 'log-probabilities' | 'probabilities';
  /** What it looks like. */
  kind: DistributionKind;
  /** Smallest / largest finite entry (±inf if none). */
  min: number;
  max: number;
  /** Worst |Σ_dim − 1| (finite entries) — the normalisation error of probabilities. */
  sumError: WorstSlice;
  /** Worst |logsumexp_dim| (non-NaN entries) — the normalisation error of log-probabilities. */
  logSumExpError: WorstSlice;
  nan: EntryCount;
  posInf: EntryCount;
  negInf: EntryCount;
  /** Finite entries < 0. */
  negative: EntryCount;
  /** Finite entries > 1. */
  aboveOne: EntryCount;
}

/** One thing wrong with the call. */
export interface DiagnoseProblem {
  /** Stable identifier, e.g. 'INPUT_PROBABILITIES', 'SWAPPED', 'TARGET_NAN'. */
  code: string;
  /** What is wrong and what it does to the result. */
  message: string;
  /** What to do, in one line. */
  fix: string;
}

/** What `diagnose` returns. */
export interface DiagnoseReport {
  /** No problem found: input looks like log-probabilities and target like what logTarget says. */
  ok: boolean;
  /** The dim analysed (normalised, of the broadcast shape). */
  dim: number;
  logTarget: boolean;
  tolerance: number;
  input: ArgumentReport;
  target: ArgumentReport;
  /** Input looks like probabilities and target like log-probabilities (with logTarget false). */
  swapped: boolean;
  /** Most important first. */
  problems: DiagnoseProblem[];
  /** The first problem's fix (null when ok). */
  fix: string | null;
  /** A readable multi-line summary ending with the fix. */
  text: string;
}

/** Options of `diagnose`. */
export interface DiagnoseOptions {
  /** The dimension the distributions run along (default -1, of the broadcast shape). */
  dim?: number;
  /** Whether target is meant to hold log-probabilities (as klDiv's logTarget; default false). */
  logTarget?: boolean;
  /** Normalisation tolerance for |Σ − 1| and |logsumexp| per slice (default 1e-3). */
  tolerance?: number;
}

/** The error `klDiv(…, { validate: true })` throws on misuse; `report` has the details. */
export class KLDivInputError extends RangeError {
  readonly report: DiagnoseReport;
  constructor(op: string, report: DiagnoseReport) {
    const first = report.problems[0]!;
    super(`${op}: ${first.message}. Fix: ${first.fix}.${report.problems.length > 1 ? ` (${report.problems.length - 1} more problem${report.problems.length > 2 ? 's' : ''}: see error.report.text)` : ''}`);
    this.name = 'KLDivInputError';
    this.report = report;
  }
}

export const DEFAULT_TOLERANCE = 1e-3;

// ---------------------------------------------------------------------------------------------
// Statistics of one argument.

interface Analysed {
  t: Tensor;
  data: FloatArray;
  shape: number[];
  broadcast: boolean;
  outer: number;
  size: number;
  inner: number;
  stats: Float64Array;
  withLse: boolean;
}

/** Runs the statistics kernel on `t` along dim `d` of the broadcast shape `outShape`. */
function analyse(t: Tensor, outShape: readonly number[], d: number, withLse: boolean): Analysed {
  const argDim = d - (outShape.length - t.ndim);
  const broadcast = outShape.length > 0 && (argDim < 0 || t.shape[argDim] !== outShape[d]);
  const shape = broadcast ? [...outShape] : t.shape;
  const data = broadcast ? expandTo(t.data, t.shape, outShape, t.dtype) : t.data;
  const { outer, size, inner } = sliceLayout(shape, broadcast ? d : Math.max(argDim, 0));
  const stats = new Float64Array(outer * inner * SLICE_STATS);
  if (outer * inner > 0 && size > 0) kernels().sliceStats(data, outer, size, inner, withLse, stats);
  return { t, data, shape, broadcast, outer, size, inner, stats, withLse };
}

const field = (a: Analysed, s: number, f: number): number => a.stats[s * SLICE_STATS + f]!;
const lseOf = (a: Analysed, s: number): number => {
  const m = field(a, s, STAT.max);
  return Number.isFinite(m) ? m + Math.log(field(a, s, STAT.expSum)) : m;
};

function total(a: Analysed, f: number): number {
  let n = 0;
  for (let s = 0; s < a.outer * a.inner; s++) n += field(a, s, f);
  return n;
}

/** Whether every slice passes the fast checks for `expected` (no report needed then). */
function looksFine(a: Analysed, expected: 'log-probabilities' | 'probabilities', tol: number): boolean {
  const slices = a.outer * a.inner;
  if (slices === 0 || a.size === 0) return true;
  for (let s = 0; s < slices; s++) {
    if (field(a, s, STAT.nan) + field(a, s, STAT.posInf) + field(a, s, STAT.negInf) > 0) return false;
    if (expected === 'probabilities') {
      if (field(a, s, STAT.negative) + field(a, s, STAT.aboveOne) > 0) return false;
      if (!(Math.abs(field(a, s, STAT.sum) - 1) <= tol)) return false;
    } else {
      if (!(field(a, s, STAT.maxFinite) <= tol) || !(Math.abs(lseOf(a, s)) <= tol)) return false;
    }
  }
  return true;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const strides = contiguousStrides(shape);
  return strides.map((st, i) => Math.floor(flat / st) % (shape[i] || 1));
}

const PRED: Record<string, (v: number) => boolean> = {
  [STAT.nan]: (v) => v !== v,
  [STAT.posInf]: (v) => v === Infinity,
  [STAT.negInf]: (v) => v === -Infinity,
  [STAT.negative]: (v) => Number.isFinite(v) && v < 0,
  [STAT.aboveOne]: (v) => Number.isFinite(v) && v > 1,
};

/** Count of entries with property `f` and the row-major first one (re-reads only the first offending block). */
function entries(a: Analysed, f: number): EntryCount {
  const count = total(a, f);
  if (count === 0) return { count, first: null };
  const pred = PRED[f]!;
  for (let o = 0; o < a.outer; o++) {
    let best = Infinity;
    for (let i = 0; i < a.inner; i++) {
      if (field(a, o * a.inner + i, f) === 0) continue;
      for (let k = 0; k < a.size; k++) {
        const p = (o * a.size + k) * a.inner + i;
        if (pred(a.data[p]!)) {
          best = Math.min(best, p);
          break;
        }
      }
    }
    if (best < Infinity) return { count, first: unravel(best, a.shape) };
  }
  return { count, first: null };
}

function sliceShapeOf(a: Analysed, d: number, outNd: number): number[] {
  if (a.shape.length === 0) return [];
  const dd = a.broadcast ? d : d - (outNd - a.t.ndim);
  return a.shape.filter((_, i) => i !== dd);
}

/** The largest `measure` over slices (skipping those containing NaN — reported as such — unless all do). */
function worst(a: Analysed, measure: (s: number) => number, sliceShape: number[]): WorstSlice {
  let error = 0;
  let at = -1;
  const slices = a.outer * a.inner;
  let allNaN = true;
  for (let s = 0; s < slices && allNaN; s++) if (field(a, s, STAT.nan) === 0) allNaN = false;
  for (let s = 0; s < slices; s++) {
    if (!allNaN && field(a, s, STAT.nan) > 0) continue;
    const e = measure(s);
    if (e > error || (at < 0 && !Number.isNaN(e))) {
      error = e;
      at = s;
    }
  }
  return { error, slice: at < 0 ? null : unravel(at, sliceShape) };
}

function report(name: 'input' | 'target', a: Analysed, expected: ArgumentReport['expected'], tol: number, d: number, outNd: number): ArgumentReport {
  const slices = a.outer * a.inner;
  const sliceShape = sliceShapeOf(a, d, outNd);
  let min = Infinity;
  let max = -Infinity;
  for (let s = 0; s < slices; s++) {
    min = Math.min(min, field(a, s, STAT.minFinite));
    max = Math.max(max, field(a, s, STAT.maxFinite));
  }
  const sumError = worst(a, (s) => Math.abs(field(a, s, STAT.sum) - 1), sliceShape);
  const logSumExpError = worst(a, (s) => Math.abs(lseOf(a, s)), sliceShape);
  const r: ArgumentReport = {
    name,
    shape: a.t.shape,
    dtype: a.t.dtype,
    broadcastAlongDim: a.broadcast,
    slices,
    sliceSize: a.size,
    expected,
    kind: 'empty',
    min,
    max,
    sumError,
    logSumExpError,
    nan: entries(a, STAT.nan),
    posInf: entries(a, STAT.posInf),
    negInf: entries(a, STAT.negInf),
    negative: entries(a, STAT.negative),
    aboveOne: entries(a, STAT.aboveOne),
  };
  if (slices > 0 && a.size > 0) {
    const inUnit = r.posInf.count === 0 && r.negInf.count === 0 && r.negative.count === 0 && r.aboveOne.count === 0;
    const nonPositive = r.posInf.count === 0 && !(max > tol);
    if (inUnit && sumError.error <= tol) r.kind = 'probabilities';
    else if (nonPositive && logSumExpError.error <= tol) r.kind = 'log-probabilities';
    else if (inUnit) r.kind = 'unnormalized probabilities';
    else if (nonPositive) r.kind = 'unnormalized log-probabilities';
    else r.kind = 'raw scores';
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Problems, fixes and text.

const g3 = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(2)) : String(v));
const at = (idx: number[] | null): string => (idx === null ? '' : ` (first at ${shapeStr(idx)})`);
const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function problemsOf(input: ArgumentReport, target: ArgumentReport, logTarget: boolean, dim: number): { problems: DiagnoseProblem[]; swapped: boolean } {
  const problems: DiagnoseProblem[] = [];
  const push = (code: string, message: string, fix: string): void => {
    problems.push({ code, message, fix });
  };
  for (const r of [input, target]) {
    if (r.nan.count > 0) {
      push(`${r.name.toUpperCase()}_NAN`, `${r.name} has ${plural(r.nan.count, 'NaN entry', 'NaN entries')}${at(r.nan.first)}: every term it touches is NaN, and so is any reduction`, `remove the NaN from ${r.name} (look at the computation that produced it)`);
    }
  }
  const probLike = (k: DistributionKind): boolean => k === 'probabilities' || k === 'unnormalized probabilities';
  const rawLike = (k: DistributionKind): boolean => k === 'raw scores' || k === 'unnormalized log-probabilities';
  const swapped = !logTarget && input.kind === 'probabilities' && target.kind === 'log-probabilities';
  const lse = (r: ArgumentReport): string => `logsumexp along dim ${dim} is ${g3(r.logSumExpError.error)} away from 0 (slice ${shapeStr(r.logSumExpError.slice ?? [])})`;
  const sums = (r: ArgumentReport): string => `slices sum to 1 ± ${g3(r.sumError.error)} (worst slice ${shapeStr(r.sumError.slice ?? [])})`;
  if (swapped) {
    push('SWAPPED', 'input looks like probabilities and target like log-probabilities: the arguments look swapped (kl_div takes input = log q, target = p)', 'swap the arguments: klDiv(logProbabilities, probabilities)');
  } else if (rawLike(input.kind) && rawLike(target.kind)) {
    push('RAW_LOGITS', `input and target both look like raw scores (logits), not ${logTarget ? 'log-probabilities' : '(log-)probabilities'}: input's ${lse(input)}`, 'use klDivLogits(inputLogits, targetLogits) on the raw logits');
  } else {
    if (probLike(input.kind)) {
      push('INPUT_PROBABILITIES', `input holds probabilities (entries in [${g3(input.min)}, ${g3(input.max)}]), but kl_div expects log-probabilities as input: each term then uses q where log q belongs, so the result is not a KL divergence and can be negative`, 'apply logSoftmax to the logits input came from (or Math.log to the probabilities)');
    } else if (input.kind !== 'log-probabilities' && input.kind !== 'empty') {
      push('INPUT_NOT_LOG_PROBABILITIES', `input is not log-probabilities: its ${lse(input)}${input.max > 0 ? ` and it has positive entries (max ${g3(input.max)})` : ''}, so the result is not a KL divergence and can be negative`, 'apply logSoftmax to input');
    }
    if (!logTarget) {
      if (target.kind === 'log-probabilities') {
        push('TARGET_LOG_PROBABILITIES', `target holds log-probabilities (its logsumexp along dim ${dim} is 0), but logTarget is false: kl_div reads it as probabilities, and negative ones give NaN terms`, 'pass probabilities as target or set logTarget: true');
      } else if (target.kind === 'unnormalized probabilities') {
        push('TARGET_NOT_NORMALIZED', `target entries are in [0, 1] but the ${sums(target)}, not 1: the result is not a KL divergence`, 'normalise target so each slice along dim sums to 1 (e.g. softmax of its logits)');
      } else if (target.kind !== 'probabilities' && target.kind !== 'empty') {
        const neg = target.negative.count + target.negInf.count;
        push('TARGET_NOT_PROBABILITIES', `target is not probabilities: ${neg > 0 ? `${plural(neg, 'negative entry', 'negative entries')}${at(target.negative.first ?? target.negInf.first)} (their terms are NaN), ` : ''}${target.aboveOne.count > 0 ? `${plural(target.aboveOne.count, 'entry', 'entries')} above 1${at(target.aboveOne.first)}, ` : ''}${sums(target)}`, 'apply softmax to target (or set logTarget: true if it holds log-probabilities)');
      }
    } else if (probLike(target.kind)) {
      push('TARGET_PROBABILITIES', 'target holds probabilities but logTarget is true: kl_div reads it as log-probabilities', 'set logTarget: false (target holds probabilities)');
    } else if (target.kind !== 'log-probabilities' && target.kind !== 'empty') {
      push('TARGET_NOT_LOG_PROBABILITIES', `target is not log-probabilities (logTarget is true): its ${lse(target)}`, 'apply logSoftmax to target');
    }
  }
  // Special values that break an otherwise well-formed call.
  if (input.posInf.count > 0) {
    push('INPUT_POSINF', `input has ${plural(input.posInf.count, '+inf entry', '+inf entries')}${at(input.posInf.first)}: log-probabilities are ≤ 0, and those terms are −inf or NaN`, 'apply logSoftmax to input (it maps finite logits to finite log-probabilities)');
  }
  if (input.negInf.count > 0) {
    push('INPUT_NEGINF', `input has ${plural(input.negInf.count, '−inf entry', '−inf entries')}${at(input.negInf.first)} (zero probability): kl_div is +inf there where target > 0 and NaN where target is 0 (0·−inf, PyTorch ≥ 1.13)`, 'use klDivLogits on the raw logits (a masked entry with zero target probability contributes 0), or clamp input to a finite minimum');
  }
  if (target.posInf.count > 0) {
    push('TARGET_POSINF', `target has ${plural(target.posInf.count, '+inf entry', '+inf entries')}${at(target.posInf.first)}: those terms are inf or NaN`, logTarget ? 'apply logSoftmax to target' : 'apply softmax to target');
  }
  if (logTarget && target.negInf.count > 0) {
    push('TARGET_NEGINF', `target has ${plural(target.negInf.count, '−inf log-probability', '−inf log-probabilities')}${at(target.negInf.first)} (zero probability): with logTarget each such term is exp(−inf)·(−inf − input) = NaN`, 'pass probabilities as target with logTarget: false (a zero probability contributes 0 there)');
  }
  return { problems, swapped };
}

function describeArg(r: ArgumentReport, dim: number): string {
  const head = `${r.name.padEnd(6)} ${r.dtype} ${shapeStr(r.shape)}${r.broadcastAlongDim ? ' (broadcast along dim)' : ''}, ${plural(r.slices, 'slice', 'slices')} of ${r.sliceSize} along dim ${dim}: `;
  if (r.kind === 'empty') return `${head}empty`;
  // The normalisation measures that matter here: the expected kind's, and the one of what it looks like.
  const probs = r.expected === 'probabilities' || r.kind === 'probabilities' || r.kind === 'unnormalized probabilities';
  const logs = r.expected === 'log-probabilities' || r.kind === 'log-probabilities' || r.kind === 'unnormalized log-probabilities';
  const parts = [`entries in [${g3(r.min)}, ${g3(r.max)}]`];
  if (probs) parts.push(`|Σ − 1| ≤ ${g3(r.sumError.error)}`);
  if (logs) parts.push(`|logsumexp| ≤ ${g3(r.logSumExpError.error)}`);
  for (const [label, c] of [
    ['NaN', r.nan],
    ['+inf', r.posInf],
    ['−inf', r.negInf],
  ] as const) {
    if (c.count > 0) parts.push(`${c.count} ${label}${at(c.first)}`);
  }
  return `${head}${r.kind} (${parts.join(', ')})`;
}

function buildReport(x: Tensor, t: Tensor, outShape: number[], d: number, logTarget: boolean, tol: number): DiagnoseReport {
  const ai = analyse(x, outShape, d, true);
  const at_ = analyse(t, outShape, d, true);
  const input = report('input', ai, 'log-probabilities', tol, d, outShape.length);
  const target = report('target', at_, logTarget ? 'log-probabilities' : 'probabilities', tol, d, outShape.length);
  const { problems, swapped } = problemsOf(input, target, logTarget, d);
  const ok = problems.length === 0;
  const fix = ok ? null : problems[0]!.fix;
  const lines = [
    `klwasm diagnose (dim ${d}, logTarget ${logTarget}, tolerance ${tol}): ${ok ? 'OK' : plural(problems.length, 'problem', 'problems')}`,
    `  ${describeArg(input, d)}`,
    `  ${describeArg(target, d)}`,
    ...problems.map((p) => `  ✗ ${p.code}: ${p.message}`),
    ok ? `  input looks like log-probabilities and target like ${target.expected}: kl_div gives KL(target ‖ input).` : `  fix: ${fix}`,
  ];
  return { ok, dim: d, logTarget, tolerance: tol, input, target, swapped, problems, fix, text: lines.join('\n') };
}

function resolveOptions(op: string, options: unknown, logTargetDefault?: boolean): { dim: unknown; logTarget: boolean; tol: number } {
  if (options === null || typeof options !== 'object') {
    throw argTypeError(op, 'options', `is ${describe(options)}`, 'Pass an options object such as { dim: -1 }');
  }
  checkOptionKeys(op, options, ['dim', 'logTarget', 'tolerance']);
  const o = options as DiagnoseOptions;
  const logTarget = logTargetDefault ?? o.logTarget ?? false;
  if (typeof logTarget !== 'boolean') throw argTypeError(op, 'logTarget', `is ${describe(logTarget)}`, 'Pass true if target holds log-probabilities, false (default) if it holds probabilities');
  const tol = o.tolerance ?? DEFAULT_TOLERANCE;
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) {
    throw argRangeError(op, 'tolerance', `is ${describe(tol)}`, `Pass a finite number ≥ 0 (default ${DEFAULT_TOLERANCE}): the allowed |Σ − 1| and |logsumexp| per slice`);
  }
  return { dim: o.dim ?? -1, logTarget, tol };
}

/**
 * What `input` and `target` of a kl_div call look like along `dim`, and what to fix — for "why is
 * my KL negative?".
 *
 * For each argument: whether it looks like log-probabilities (every slice's logsumexp ≈ 0, no
 * entry above 0), probabilities (entries in [0, 1], slices sum to ≈ 1), their unnormalised
 * variants, or raw scores; the worst slice's normalisation error (|Σ − 1| and |logsumexp|); NaN,
 * ±inf, negative and > 1 entries with the first index of each. Then the problems, most important
 * first (NaN, swapped arguments, raw logits on both sides, the input, the target, special values
 * that make terms infinite or NaN), each with a one-line fix, and a readable `text`.
 *
 * Each slice along `dim` is taken to be one distribution (kl_div itself does not require that;
 * `diagnose` checks the common use). One statistics pass per argument (a WASM kernel on the WASM
 * backends); the tolerance (default 1e-3) bounds |Σ − 1| and |logsumexp| per slice.
 *
 * Slices that contain NaN are reported as such and left out of the normalisation measures.
 *
 * @example
 * ```ts
 * import { diagnose, softmax } from 'klwasm';
 * const q = softmax([[2.0, -1.0, 0.5]], -1);   // probabilities, where log-probabilities belong
 * const p = softmax([[1.0, 0.2, -0.4]], -1);
 * const r = diagnose(q, p);
 * r.ok;              // false
 * r.problems[0].code; // 'INPUT_PROBABILITIES'
 * r.fix;             // 'apply logSoftmax to the logits input came from (or Math.log to the probabilities)'
 * console.log(r.text);
 * ```
 */
export function diagnose(input: TensorLike, target: TensorLike, options: DiagnoseOptions = {}): DiagnoseReport {
  const op = 'diagnose';
  const { dim, logTarget, tol } = resolveOptions(op, options);
  const x = toTensor(input, op, 'input');
  const t = toTensor(target, op, 'target');
  const outShape = broadcastShapes(op, t.shape, 'target', x.shape, 'input');
  const d = normalizeDim(op, 'dim', dim, outShape.length);
  return buildReport(x, t, outShape, d, logTarget, tol);
}

/** `validate` option of `klDiv` / `KLDivLoss`: `true`, or the diagnosis options (its logTarget is klDiv's). */
export type ValidateOption = boolean | Omit<DiagnoseOptions, 'logTarget'>;

/**
 * The check behind `klDiv(…, { validate })`: one statistics pass per argument (the target's
 * without exponentials unless logTarget); a full `diagnose` report only when something looks
 * wrong, thrown as a `KLDivInputError`.
 */
export function validateKlDivArgs(op: string, x: Tensor, t: Tensor, logTarget: boolean, validate: ValidateOption): void {
  if (validate === false) return;
  if (validate !== true && (validate === null || typeof validate !== 'object')) {
    throw argTypeError(op, 'validate', `is ${describe(validate)}`, 'Pass true, false, or diagnosis options such as { dim: -1, tolerance: 1e-3 }');
  }
  const { dim, tol } = resolveOptions(op, validate === true ? {} : validate, logTarget);
  const outShape = broadcastShapes(op, t.shape, 'target', x.shape, 'input');
  const d = normalizeDim(op, 'dim', dim, outShape.length);
  const okInput = looksFine(analyse(x, outShape, d, true), 'log-probabilities', tol);
  if (okInput && looksFine(analyse(t, outShape, d, logTarget), logTarget ? 'log-probabilities' : 'probabilities', tol)) return;
  const r = buildReport(x, t, outShape, d, logTarget, tol);
  if (!r.ok) throw new KLDivInputError(op, r);
}
