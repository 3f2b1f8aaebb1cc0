/**
 * diagnose() and klDiv(…, { validate }) on every backend: every diagnosis code, the first-index
 * and worst-slice locations (rows and strided columns), kinds, tolerance, the golden negative-KL
 * cases, and that validate throws exactly when diagnose finds a problem.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  KLDivInputError,
  KLDivLoss,
  Tensor,
  diagnose,
  klDiv,
  logSoftmax,
  setWarningHandler,
  softmax,
} from '../src/index.js';
import { ALL_BACKENDS, useBackend } from './helpers/backends.js';
import { decodeTensor, loadGolden } from './helpers/golden.js';
import { seeded } from './helpers/random.js';

setWarningHandler(null);

const codes = (r: ReturnType<typeof diagnose>): string[] => r.problems.map((p) => p.code);

function randn(rand: () => number, n: number, scale = 2, dtype: 'float32' | 'float64' = 'float32') {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * (rand() + rand() + rand() - 1.5);
  return a;
}

describe.each(ALL_BACKENDS)('diagnose on %s', (name) => {
  beforeAll(() => useBackend(name));
  const rand = seeded(2718);
  const shape = [4, 6];
  const logits = () => ({ data: randn(rand, 24), shape });

  it('OK: log-probabilities and probabilities (rows, columns, float64, broadcast target, logTarget)', () => {
    const x = logSoftmax(logits(), -1);
    const t = softmax(logits(), -1);
    const r = diagnose(x, t);
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.fix).toBeNull();
    expect(r.input.kind).toBe('log-probabilities');
    expect(r.target.kind).toBe('probabilities');
    expect(r.input.slices).toBe(4);
    expect(r.input.sliceSize).toBe(6);
    expect(r.input.logSumExpError.error).toBeLessThan(1e-6);
    expect(r.target.sumError.error).toBeLessThan(1e-6);
    expect(r.text).toMatch(/OK/);
    // Along dim 0 of a [6, 9] tensor (strided columns: SIMD groups of 4 and a tail).
    const c = { data: randn(rand, 54, 2, 'float64'), shape: [6, 9] };
    expect(diagnose(logSoftmax(c, 0), softmax(c, 0), { dim: 0 }).ok).toBe(true);
    expect(diagnose(logSoftmax(c, 0), softmax(c, 0)).ok).toBe(false); // wrong dim: not normalised along -1
    // Broadcast target [6] against [4, 6].
    expect(diagnose(x, softmax({ data: randn(rand, 6), shape: [6] }, 0)).ok).toBe(true);
    expect(diagnose(x, logSoftmax(logits(), -1), { logTarget: true }).ok).toBe(true);
  });

  it('INPUT_PROBABILITIES and INPUT_NOT_LOG_PROBABILITIES: the golden negative-KL traps', () => {
    const golden = loadGolden().cases;
    const probsAsInput = golden.find((c) => c.id === 'kl_div-0126')!;
    const r = diagnose(decodeTensor(probsAsInput.input!), decodeTensor(probsAsInput.target!));
    expect(codes(r)).toEqual(['INPUT_PROBABILITIES']);
    expect(r.input.kind).toBe('probabilities');
    expect(r.fix).toMatch(/logSoftmax/);
    const rawInput = golden.find((c) => c.id === 'kl_div-0127')!;
    const r2 = diagnose(decodeTensor(rawInput.input!), decodeTensor(rawInput.target!));
    expect(codes(r2)).toEqual(['INPUT_NOT_LOG_PROBABILITIES']);
    expect(r2.input.kind).toBe('raw scores');
    expect(r2.fix).toBe('apply logSoftmax to input');
    expect(r2.text).toMatch(/fix: apply logSoftmax to input$/);
  });

  it('SWAPPED, RAW_LOGITS, TARGET_LOG_PROBABILITIES', () => {
    const logq = logSoftmax(logits(), -1);
    const p = softmax(logits(), -1);
    const s = diagnose(p, logq);
    expect(s.swapped).toBe(true);
    expect(codes(s)).toEqual(['SWAPPED']);
    expect(s.fix).toMatch(/swap the arguments/);
    const raw = diagnose(logits(), logits());
    expect(codes(raw)).toEqual(['RAW_LOGITS']);
    expect(raw.fix).toBe('use klDivLogits(inputLogits, targetLogits) on the raw logits');
    const lt = diagnose(logq, logSoftmax(logits(), -1));
    expect(codes(lt)).toEqual(['TARGET_LOG_PROBABILITIES']);
    expect(lt.fix).toBe('pass probabilities as target or set logTarget: true');
    expect(lt.swapped).toBe(false);
  });

  it('TARGET_NOT_NORMALIZED, TARGET_NOT_PROBABILITIES (with the first negative entry), worst slice', () => {
    const logq = logSoftmax(logits(), -1);
    const p = softmax(logits(), -1).data.slice();
    for (let k = 0; k < 6; k++) p[2 * 6 + k]! *= 0.9; // row 2 sums to 0.9
    const r = diagnose(logq, { data: p, shape });
    expect(codes(r)).toEqual(['TARGET_NOT_NORMALIZED']);
    expect(r.target.kind).toBe('unnormalized probabilities');
    expect(r.target.sumError.slice).toEqual([2]);
    expect(r.target.sumError.error).toBeCloseTo(0.1, 5);
    expect(r.fix).toMatch(/normalise target/);
    const neg = softmax(logits(), -1).data.slice();
    neg[9] = -0.01;
    neg[20] = -0.5;
    const r2 = diagnose(logq, { data: neg, shape });
    expect(codes(r2)).toEqual(['TARGET_NOT_PROBABILITIES']);
    expect(r2.target.negative).toEqual({ count: 2, first: [1, 3] });
    expect(r2.problems[0]!.message).toMatch(/2 negative entries \(first at \[1, 3\]\)/);
    expect(r2.fix).toMatch(/apply softmax to target/);
  });

  it('logTarget: TARGET_PROBABILITIES, TARGET_NOT_LOG_PROBABILITIES, TARGET_NEGINF', () => {
    const logq = logSoftmax(logits(), -1);
    expect(codes(diagnose(logq, softmax(logits(), -1), { logTarget: true }))).toEqual(['TARGET_PROBABILITIES']);
    const shifted = { data: logSoftmax(logits(), -1).data.map((v) => v - 0.5), shape };
    const r = diagnose(logq, shifted, { logTarget: true });
    expect(codes(r)).toEqual(['TARGET_NOT_LOG_PROBABILITIES']);
    expect(r.target.kind).toBe('unnormalized log-probabilities');
    expect(r.target.logSumExpError.error).toBeCloseTo(0.5, 5);
    const masked = logSoftmax({ data: logits().data.map((v, i) => (i % 6 === 5 ? -Infinity : v)), shape }, -1);
    const m = diagnose(logq, masked, { logTarget: true });
    expect(codes(m)).toEqual(['TARGET_NEGINF']);
    expect(m.target.negInf).toEqual({ count: 4, first: [0, 5] });
    expect(m.fix).toMatch(/logTarget: false/);
  });

  it('special values: NaN, +inf and −inf in either argument, located in rows and in strided columns', () => {
    const x = logSoftmax(logits(), -1).data.slice();
    const t = softmax(logits(), -1).data.slice();
    x[13] = NaN;
    t[22] = NaN;
    const r = diagnose({ data: x, shape }, { data: t, shape });
    expect(codes(r)).toEqual(['INPUT_NAN', 'TARGET_NAN']);
    expect(r.input.nan).toEqual({ count: 1, first: [2, 1] });
    expect(r.target.nan).toEqual({ count: 1, first: [3, 4] });
    expect(r.fix).toMatch(/remove the NaN from input/);
    // −inf in log-probabilities (a masked log_softmax): kl_div is +inf or NaN there.
    const masked = logSoftmax({ data: logits().data.map((v, i) => (i === 7 || i === 17 ? -Infinity : v)), shape }, -1);
    const mi = diagnose(masked, softmax(logits(), -1));
    expect(codes(mi)).toEqual(['INPUT_NEGINF']);
    expect(mi.input.negInf).toEqual({ count: 2, first: [1, 1] });
    expect(mi.fix).toMatch(/klDivLogits/);
    // +inf.
    const pinf = logSoftmax(logits(), -1).data.slice();
    pinf[3] = Infinity;
    expect(codes(diagnose({ data: pinf, shape }, softmax(logits(), -1)))).toContain('INPUT_POSINF');
    const tinf = softmax(logits(), -1).data.slice();
    tinf[4] = Infinity;
    expect(codes(diagnose(logSoftmax(logits(), -1), { data: tinf, shape }))).toContain('TARGET_POSINF');
    // Columns: dim 1 of [3, 5, 7] (inner 7: a SIMD group and a tail); the first NaN in row-major order.
    const c3 = { data: randn(rand, 105), shape: [3, 5, 7] };
    const lx = logSoftmax(c3, 1).data.slice();
    lx[1 * 35 + 4 * 7 + 2] = NaN; // [1, 4, 2]
    lx[1 * 35 + 0 * 7 + 6] = NaN; // [1, 0, 6] — earlier in row-major order
    lx[2 * 35 + 0 * 7 + 0] = NaN;
    const rc = diagnose({ data: lx, shape: [3, 5, 7] }, softmax(c3, 1), { dim: 1 });
    expect(rc.input.nan).toEqual({ count: 3, first: [1, 0, 6] });
    expect(rc.input.kind).toBe('log-probabilities'); // NaN aside, normalised
  });

  it('worst slice index and kinds along a middle dim; float64', () => {
    const s = [2, 5, 3];
    const base = { data: randn(rand, 30, 2, 'float64'), shape: s };
    const t = softmax(base, 1).data.slice();
    // Slice [1, 2] (o = 1, i = 2) gets the largest error.
    for (let k = 0; k < 5; k++) t[(1 * 5 + k) * 3 + 2]! *= 1.3;
    for (let k = 0; k < 5; k++) t[(0 * 5 + k) * 3 + 1]! *= 1.1;
    const r = diagnose(logSoftmax(base, 1), { data: t, shape: s }, { dim: 1 });
    expect(r.target.sumError.slice).toEqual([1, 2]);
    expect(r.target.sumError.error).toBeCloseTo(0.3, 10);
    expect(r.target.kind).toBe('unnormalized probabilities');
    expect(r.target.dtype).toBe('float64');
  });

  it('tolerance decides what counts as normalised; empty tensors are fine; option errors', () => {
    const logq = logSoftmax(logits(), -1);
    const p = softmax(logits(), -1).data.map((v) => v * 1.0005);
    expect(diagnose(logq, { data: p, shape }).ok).toBe(true); // |Σ − 1| = 5e-4 ≤ 1e-3
    expect(codes(diagnose(logq, { data: p, shape }, { tolerance: 1e-4 }))).toEqual(['TARGET_NOT_NORMALIZED']);
    const e = diagnose({ data: new Float32Array(0), shape: [0, 3] }, { data: new Float32Array(0), shape: [0, 3] });
    expect(e.ok).toBe(true);
    expect(e.input.kind).toBe('empty');
    expect(() => diagnose(logq, logq, { tolerance: -1 })).toThrow(RangeError);
    expect(() => diagnose(logq, logq, { dim: 2 })).toThrow(/Dimension out of range/);
    expect(() => diagnose(logq, [[1, 2]])).toThrow(/broadcast/);
    expect(() => diagnose(logq, logq, { logTarget: 'no' as unknown as boolean })).toThrow(TypeError);
  });

  it("klDiv({ validate }) throws KLDivInputError with the report on misuse, and changes nothing otherwise", () => {
    const logq = logSoftmax(logits(), -1);
    const p = softmax(logits(), -1);
    for (const reduction of ['sum', 'batchmean', 'none'] as const) {
      const a = klDiv(logq, p, { reduction });
      const b = klDiv(logq, p, { reduction, validate: true });
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
    }
    let err: unknown;
    try {
      klDiv(p, p, { reduction: 'sum', validate: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KLDivInputError);
    expect(err).toBeInstanceOf(RangeError);
    const ke = err as KLDivInputError;
    expect(ke.name).toBe('KLDivInputError');
    expect(ke.report.problems[0]!.code).toBe('INPUT_PROBABILITIES');
    expect(ke.message).toMatch(/^klDiv: input holds probabilities.*Fix: apply logSoftmax/);
    // Options: a dim, logTarget from klDiv, a tolerance.
    const cols = { data: randn(rand, 24), shape: [6, 4] };
    expect(() => klDiv(logSoftmax(cols, 0), softmax(cols, 0), { reduction: 'sum', validate: { dim: 0 } })).not.toThrow();
    expect(() => klDiv(logSoftmax(cols, 0), softmax(cols, 0), { reduction: 'sum', validate: true })).toThrow(KLDivInputError);
    expect(() => klDiv(logq, logSoftmax(logits(), -1), { reduction: 'sum', logTarget: true, validate: true })).not.toThrow();
    expect(() => klDiv(logq, p, { validate: 'yes' as unknown as boolean })).toThrow(/validate/);
    // KLDivLoss forwards validate.
    const loss = new KLDivLoss({ reduction: 'batchmean', validate: true });
    expect(() => loss.forward(logq, p)).not.toThrow();
    expect(() => loss.forward(p, logq)).toThrow(/swapped/);
  });

  it('validate throws exactly when diagnose reports a problem (random tensors, special values, dims)', () => {
    const val = fc.oneof(
      { arbitrary: fc.double({ min: -4, max: 4, noNaN: true }), weight: 20 },
      { arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, 1), weight: 1 },
    );
    fc.assert(
      fc.property(
        fc.record({
          rows: fc.integer({ min: 1, max: 4 }),
          cols: fc.integer({ min: 1, max: 9 }),
          dim: fc.constantFrom(0, 1),
          mode: fc.constantFrom('logits', 'valid', 'probs', 'swapped'),
          logTarget: fc.boolean(),
          seed: fc.nat(),
        }),
        fc.array(val, { minLength: 36, maxLength: 36 }),
        ({ rows, cols, dim, mode, logTarget, seed }, extra) => {
          const r = seeded(seed);
          const n = rows * cols;
          const s = [rows, cols];
          const L = { data: randn(r, n), shape: s };
          const M = { data: randn(r, n), shape: s };
          let x: Tensor | { data: Float32Array | Float64Array; shape: number[] } = logSoftmax(L, dim);
          let t: Tensor | { data: Float32Array | Float64Array; shape: number[] } = logTarget ? logSoftmax(M, dim) : softmax(M, dim);
          if (mode === 'logits') x = L;
          if (mode === 'probs') x = softmax(L, dim);
          if (mode === 'swapped') [x, t] = [t, x];
          // Sprinkle a few special values sometimes.
          const xd = Float32Array.from(x.data);
          if (r() < 0.3) xd[Math.floor(r() * n)] = extra[0]!;
          const report = diagnose({ data: xd, shape: s }, t, { dim, logTarget });
          let threw: unknown = null;
          try {
            klDiv({ data: xd, shape: s }, t, { reduction: 'sum', logTarget, validate: { dim } });
          } catch (e) {
            threw = e;
          }
          expect(threw === null, report.text).toBe(report.ok);
          if (threw !== null) expect((threw as KLDivInputError).report.problems).toEqual(report.problems);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 60) },
    );
  });
});
