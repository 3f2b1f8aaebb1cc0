/**
 * The PyTorch 1.13 golden suite: every case in ../shared/golden/pytorch runs through the public API
 * on every backend. Values are graded against `expected_f64` (PyTorch in float64 on the same
 * inputs) with PyTorch's own assert_close tolerances; shapes, dtypes, errors and warnings must
 * match too. Cases are never edited.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type KlwasmWarning,
  type Tensor,
  klDiv,
  klDivBackward,
  klDivLogits,
  klDivLogitsWithGrad,
  klDivPerSlice,
  logSoftmax,
  logSumExp,
  setWarningHandler,
  softmax,
} from '../src/index.js';
import { ALL_BACKENDS, useBackend } from './helpers/backends.js';
import {
  type GoldenCase,
  type GoldenTensor,
  TOL,
  closeMismatch,
  decodeNumber,
  decodeTensor,
  loadGolden,
  readRaw,
} from './helpers/golden.js';
import { chainReference, f32GradTolerance } from './helpers/chainRef.js';

const golden = loadGolden();
const smallCases = golden.cases.filter((c) => !c.op.endsWith('_large'));
const gradCases = golden.cases.filter((c) => c.grad_input !== undefined || c.grad_target !== undefined);
const logitCases = smallCases.filter((c) => c.op === 'kl_div_logits' && c.error === undefined);
// kl_div cases whose reduction is plain (no legacy arguments): their per-slice KLs must add up.
const perSliceCases = smallCases.filter(
  (c) =>
    c.op === 'kl_div' && c.error === undefined && !('size_average' in c.args) && !('reduce' in c.args) && c.input!.shape.length > 0 && c.input!.data.length > 0,
);

/** Σ over the last dim of a row-major tensor of `shape` (float64). */
function sumLastDim(data: ArrayLike<number>, shape: readonly number[]): Float64Array {
  const C = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const out = new Float64Array(C === 0 ? 0 : data.length / C);
  for (let i = 0; i < data.length; i++) out[Math.floor(i / C)] += data[i]!;
  return out;
}
const largeCases = golden.cases.filter((c) => c.op.endsWith('_large'));

function arg<T>(c: GoldenCase, name: string): T | undefined {
  return c.args[name] as T | undefined;
}

/** Runs a small case through the public API. */
function run(c: GoldenCase): Tensor {
  const input = decodeTensor(c.input!);
  switch (c.op) {
    case 'kl_div':
      return klDiv(input, decodeTensor(c.target!), {
        reduction: arg(c, 'reduction'),
        logTarget: arg(c, 'log_target'),
        sizeAverage: arg(c, 'size_average'),
        reduce: arg(c, 'reduce'),
      });
    case 'softmax':
      return softmax(input, arg(c, 'dim'));
    case 'log_softmax':
      return logSoftmax(input, arg(c, 'dim'));
    case 'logsumexp':
      return logSumExp(input, arg<number | number[]>(c, 'dim')!, arg<boolean>(c, 'keepdim') ?? false);
    case 'kl_div_logits':
      return klDivLogits(input, decodeTensor(c.target!), {
        dim: arg(c, 'dim'),
        temperature: arg(c, 'temperature'),
        reduction: arg(c, 'reduction'),
      });
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

function captureWarnings<T>(fn: () => T): { result?: T; error?: unknown; warnings: KlwasmWarning[] } {
  const warnings: KlwasmWarning[] = [];
  const previous = setWarningHandler((w) => warnings.push(w));
  try {
    return { result: fn(), warnings };
  } catch (error) {
    return { error, warnings };
  } finally {
    setWarningHandler(previous);
  }
}

/** PyTorch exception → the JS error class klwasm throws for it. */
function errorClassFor(torchError: string): ErrorConstructor {
  if (torchError.startsWith('IndexError') || torchError.startsWith('RuntimeError')) return RangeError;
  return TypeError;
}

describe.each(ALL_BACKENDS)('golden PyTorch cases on %s', (backendName) => {
  beforeAll(() => useBackend(backendName));

  it.each(smallCases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const { result, error, warnings } = captureWarnings(() => run(c));

    if (c.error !== undefined) {
      expect(error, `${c.id} should throw: ${c.error}`).toBeInstanceOf(errorClassFor(c.error));
      // The message carries PyTorch's own explanation (dims, sizes), plus what to do.
      const torchText = c.error.slice(c.error.indexOf(':') + 2);
      expect((error as Error).message).toContain(torchText);
      return;
    }
    if (error !== undefined) throw error;
    const out = result!;

    if (c.warnings !== undefined && c.warnings !== null) {
      expect(warnings.map((w) => w.message).length, `warnings: ${warnings.map((w) => w.message).join(' | ')}`).toBe(c.warnings.length);
      c.warnings.forEach((w, i) => expect(warnings[i]!.message.startsWith(w), `${warnings[i]!.message} starts with ${w}`).toBe(true));
    }

    const exp64 = c.expected_f64 as GoldenTensor;
    const expectedDtype = c.expected?.dtype ?? c.input!.dtype;
    expect(out.shape).toEqual(exp64.shape);
    expect(out.dtype).toBe(expectedDtype);

    const expected = exp64.data.map(decodeNumber);
    const tol = c.op === 'kl_div_logits' ? TOL.klDivLogits : TOL[expectedDtype];
    const mismatch = closeMismatch(out.data, expected, tol.rtol, tol.atol);
    expect(mismatch, `${c.id} (${c.note})`).toBeNull();

    if (c.op === 'kl_div_logits') {
      if (c.exact) {
        // Exactly +0, bit for bit, every element.
        for (const v of out.data) expect(Object.is(v, 0), `exact zero, got ${v}`).toBe(true);
      }
      if (c.args.reduction !== 'none') expect(out.item()).toBeGreaterThanOrEqual(0);
    }
  });

  // The golden gradients are those of sum(output) (gradOutput = ones of the output's shape), from
  // PyTorch autograd in the arguments' dtypes; each is graded against its dtype's tolerance.
  it.each(gradCases.map((c) => [c.id, c] as const))('%s gradients', (_id, c) => {
    const input = decodeTensor(c.input!);
    const target = decodeTensor(c.target!);
    const opts = {
      reduction: arg<'none' | 'mean' | 'sum' | 'batchmean'>(c, 'reduction'),
      logTarget: arg<boolean>(c, 'log_target'),
      sizeAverage: arg<boolean | null>(c, 'size_average'),
      reduce: arg<boolean | null>(c, 'reduce'),
    };
    const { result, error, warnings } = captureWarnings(() => klDivBackward(undefined, input, target, opts));
    if (error !== undefined) throw error;
    expect(warnings, 'backward re-resolves the reduction silently').toEqual([]);
    const grads = { grad_input: result!.gradInput, grad_target: result!.gradTarget };
    for (const key of ['grad_input', 'grad_target'] as const) {
      const want = c[key]!;
      const got = grads[key];
      expect(got.shape, key).toEqual(want.shape);
      expect(got.dtype, key).toBe(want.dtype);
      const expected = want.data.map(decodeNumber);
      const tol = TOL[want.dtype];
      expect(closeMismatch(got.data, expected, tol.rtol, tol.atol), `${c.id} ${key} (${c.note})`).toBeNull();
      // −0.0 where PyTorch gives −0.0 (∂input at t = 0), NaN where it gives NaN (∂target at t = 0).
      expected.forEach((e, i) => {
        if (Object.is(e, -0)) expect(Object.is(got.data[i], -0), `${key}[${i}] is -0`).toBe(true);
      });
    }
    // An explicit gradOutput of ones gives the same, and a scaled one scales the gradients.
    const ones = opts.reduction === 'none' || opts.reduce === false ? { data: new Float64Array(result!.gradInput.numel).fill(1), shape: grads.grad_input.shape } : 1;
    if (ones === 1 || c.input!.shape.join() === c.target!.shape.join()) {
      const again = klDivBackward(ones, input, target, opts);
      expect(Array.from(again.gradInput.data)).toEqual(Array.from(result!.gradInput.data));
    }
  });

  // klDivLogitsWithGrad's loss is graded exactly like klDivLogits' (same tolerance, exact zeros,
  // never negative); its gradients against a float64 reference of PyTorch's chain autograd; and
  // 'perSlice' against the golden totals (Σ per-slice = 'sum', or Σ along dim of 'none').
  it.each(logitCases.map((c) => [c.id, c] as const))('%s fused loss and gradient, per-slice totals', (_id, c) => {
    const input = decodeTensor(c.input!);
    const target = decodeTensor(c.target!);
    const dim = arg<number>(c, 'dim') ?? -1;
    const temperature = arg<number>(c, 'temperature') ?? 1;
    const reduction = arg<'none' | 'sum' | 'batchmean' | 'mean'>(c, 'reduction') ?? 'batchmean';
    const { result, error } = captureWarnings(() => klDivLogitsWithGrad(input, target, { dim, temperature, reduction, gradTarget: true }));
    if (error !== undefined) throw error;
    const { loss, gradInput, gradTarget } = result!;
    const exp64 = c.expected_f64 as GoldenTensor;
    expect(loss.shape).toEqual(exp64.shape);
    const expected = exp64.data.map(decodeNumber);
    expect(closeMismatch(loss.data, expected, TOL.klDivLogits.rtol, TOL.klDivLogits.atol), `${c.id} loss`).toBeNull();
    if (c.exact) for (const v of loss.data) expect(Object.is(v, 0)).toBe(true);
    if (reduction !== 'none') expect(loss.item()).toBeGreaterThanOrEqual(0);
    const ref = chainReference(input.data, target.data, input.shape, dim, temperature, reduction, null);
    // float32 probabilities: each gradient element is good to a few ulp of (q + p) at its scale.
    const tol = f32GradTolerance(ref);
    for (const [got, want, what] of [
      [gradInput.data, ref.gradInput, 'gradInput'],
      [gradTarget!.data, ref.gradTarget, 'gradTarget'],
    ] as const) {
      const bad = Array.from(want).findIndex((e, i) => !(Math.abs(got[i]! - e) <= tol(i)));
      expect(bad, `${c.id} ${what}[${bad}] = ${got[bad]}, reference ${want[bad]} ± ${bad >= 0 ? tol(bad) : 0}`).toBe(-1);
    }

    const per = klDivLogits(input, target, { dim, temperature, reduction: 'perSlice' });
    const { rtol, atol } = TOL.klDivLogits;
    if (reduction === 'none') {
      // Σ of PyTorch's pointwise terms along dim = each slice's KL (dim is last or 1 here).
      const shape = input.shape;
      const d = dim < 0 ? dim + shape.length : dim;
      const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
      const size = shape[d]!;
      const want = new Float64Array(per.numel);
      expected.forEach((v, i) => {
        const o = Math.floor(i / (size * inner));
        want[o * inner + (i % inner)] += v;
      });
      expect(closeMismatch(per.data, want, rtol, atol)).toBeNull();
    } else {
      const total = Array.from(per.data).reduce((a, b) => a + b, 0);
      const divisor = reduction === 'sum' ? 1 : reduction === 'mean' ? input.data.length : input.shape[0]!;
      expect(closeMismatch([total], [expected[0]! * divisor], rtol, atol)).toBeNull();
    }
  });

  it.each(perSliceCases.map((c) => [c.id, c] as const))('%s klDivPerSlice totals', (_id, c) => {
    const input = decodeTensor(c.input!);
    const target = decodeTensor(c.target!);
    const logTarget = arg<boolean>(c, 'log_target') ?? false;
    const reduction = arg<string>(c, 'reduction') ?? 'mean';
    const per = klDivPerSlice(input, target, { logTarget });
    const exp64 = c.expected_f64 as GoldenTensor;
    const expected = exp64.data.map(decodeNumber);
    const tol = TOL[per.dtype];
    if (reduction === 'none') {
      expect(closeMismatch(per.data, sumLastDim(expected, exp64.shape), tol.rtol, tol.atol)).toBeNull();
      return;
    }
    // Elements of the broadcast output: slices × the broadcast last dim.
    const numel = per.numel * Math.max(input.shape[input.shape.length - 1]!, target.shape[target.shape.length - 1] ?? 1);
    const divisor = reduction === 'sum' ? 1 : reduction === 'mean' ? numel : input.shape[0]!;
    const total = Array.from(per.data).reduce((a, b) => a + b, 0);
    expect(closeMismatch([total], [expected[0]! * divisor], tol.rtol, tol.atol)).toBeNull();
  });

  it.each(largeCases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const shape = c.shape!;
    const x = { data: readRaw(c.input_file!, 'float32'), shape };
    if (c.op === 'log_softmax_large') {
      const out = logSoftmax(x, arg(c, 'dim'));
      const expected = readRaw(c.expected_f64_file!, 'float64');
      expect(out.dtype).toBe('float32');
      expect(closeMismatch(out.data, expected, TOL.float32.rtol, TOL.float32.atol)).toBeNull();
      return;
    }
    const y = { data: readRaw(c.target_file!, 'float32'), shape };
    const opts = { dim: arg<number>(c, 'dim'), temperature: arg<number>(c, 'temperature') };
    const perRow = klDivLogits(x, y, { ...opts, reduction: 'sum' });
    const batchmean = klDivLogits(x, y, { ...opts, reduction: arg(c, 'reduction') });
    const { rtol, atol } = TOL.klDivLogits;
    expect(closeMismatch([batchmean.item()], [c.expected_f64 as number], rtol, atol)).toBeNull();
    const fused = klDivLogitsWithGrad(x, y, { ...opts, reduction: arg(c, 'reduction') });
    expect(closeMismatch([fused.loss.item()], [c.expected_f64 as number], rtol, atol)).toBeNull();
    expect(closeMismatch(klDivLogits(x, y, { ...opts, reduction: 'perSlice' }).data, c.expected_f64_per_row!, rtol, atol), 'perSlice').toBeNull();
    const rowsSum = c.expected_f64_per_row!.reduce((a, b) => a + b, 0);
    expect(closeMismatch([perRow.item()], [rowsSum], rtol, atol)).toBeNull();
    // Each row on its own, as a [1, C] call.
    const C = shape[1]!;
    c.expected_f64_per_row!.forEach((want, r) => {
      const row = (a: Float32Array | Float64Array) => ({ data: a.subarray(r * C, (r + 1) * C), shape: [1, C] });
      const got = klDivLogits(row(x.data), row(y.data), { ...opts, reduction: 'sum' }).item();
      expect(closeMismatch([got], [want], rtol, atol), `row ${r}`).toBeNull();
    });
  });
});
