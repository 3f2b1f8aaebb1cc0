/**
 * A golden subset for the browser, bundler and packed-package tests: a few per op across shapes,
 * dims, dtypes and reductions, every special-value case (±inf, NaN, exact zeros, empty, huge
 * logits), the exact-zero kl_div_logits cases and one error case per op — graded exactly like the
 * full Node suite (test/golden.test.ts).
 */
import { expect } from 'vitest';
import { type GoldenCase, type GoldenTensor, TOL, closeMismatch, decodeNumber, loadGolden } from '../helpers/golden.js';

const SPECIAL = /inf|nan|exact zeros|exactly 0|empty|huge|0-d/i;

/** The subset (deterministic). `perOp` ordinary cases per op, spread over the file. */
export function goldenSubset(perOp = 5): GoldenCase[] {
  const small = loadGolden().cases.filter((c) => !c.op.endsWith('_large'));
  const picked = new Set<GoldenCase>();
  for (const op of ['kl_div', 'softmax', 'log_softmax', 'logsumexp', 'kl_div_logits']) {
    const ofOp = small.filter((c) => c.op === op);
    const ordinary = ofOp.filter((c) => c.error === undefined && !SPECIAL.test(c.note));
    for (let i = 0; i < perOp; i++) picked.add(ordinary[Math.floor((i * ordinary.length) / perOp)]!);
    for (const c of ofOp) if (c.error === undefined && SPECIAL.test(c.note)) picked.add(c);
    const err = ofOp.find((c) => c.error !== undefined);
    if (err) picked.add(err);
  }
  return small.filter((c) => picked.has(c));
}

export type Encoded = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

export interface CaseResult {
  id: string;
  shape?: number[];
  dtype?: string;
  data?: Encoded[];
  warnings: string[];
  error?: { name: string; message: string };
}

export interface RunOutput {
  backend: string;
  results: CaseResult[];
}

const decode = (v: Encoded): number => (v === '-0' ? -0 : decodeNumber(v));

/** Asserts every result against its golden case (values vs expected_f64 with PyTorch's tolerances). */
export function gradeAll(cases: readonly GoldenCase[], out: RunOutput, where: string): void {
  expect(out.results.map((r) => r.id)).toEqual(cases.map((c) => c.id));
  cases.forEach((c, i) => grade(c, out.results[i]!, `${where} ${c.id} (${c.note})`));
}

function grade(c: GoldenCase, r: CaseResult, label: string): void {
  if (c.error !== undefined) {
    expect(r.error, `${label} should throw ${c.error}`).toBeDefined();
    const cls = c.error.startsWith('IndexError') || c.error.startsWith('RuntimeError') ? 'RangeError' : 'TypeError';
    expect(r.error!.name, label).toBe(cls);
    expect(r.error!.message, label).toContain(c.error.slice(c.error.indexOf(':') + 2));
    return;
  }
  expect(r.error, `${label} threw ${r.error?.name}: ${r.error?.message}`).toBeUndefined();
  if (c.warnings !== undefined && c.warnings !== null) {
    expect(r.warnings.length, `${label} warnings: ${r.warnings.join(' | ')}`).toBe(c.warnings.length);
    c.warnings.forEach((w, k) => expect(r.warnings[k]!.startsWith(w), label).toBe(true));
  }
  const exp64 = c.expected_f64 as GoldenTensor;
  expect(r.shape, label).toEqual(exp64.shape);
  expect(r.dtype, label).toBe(c.expected?.dtype ?? c.input!.dtype);
  const data = r.data!.map(decode);
  const tol = c.op === 'kl_div_logits' ? TOL.klDivLogits : TOL[(c.expected?.dtype ?? c.input!.dtype) as 'float32' | 'float64'];
  expect(closeMismatch(data, exp64.data.map(decodeNumber), tol.rtol, tol.atol), label).toBeNull();
  if (c.op === 'kl_div_logits' && c.exact) {
    for (const v of data) expect(Object.is(v, 0), `${label}: exact +0, got ${v}`).toBe(true);
  }
}
