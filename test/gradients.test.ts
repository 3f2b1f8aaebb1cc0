/**
 * Gradients on every backend: klDivLogitsWithGrad against a float64 reference of PyTorch's chain
 * autograd (test/helpers/chainRef.ts) and against central finite differences of the loss;
 * klDivBackward / KLDivLoss.backward semantics beyond the golden cases (special values, upstream
 * gradients, broadcasting, dtypes, errors); one KL per distribution (klDivLogits 'perSlice',
 * klDivPerSlice).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  KLDivLoss,
  type KlwasmWarning,
  Tensor,
  klDiv,
  klDivBackward,
  klDivLogits,
  klDivLogitsWithGrad,
  klDivPerSlice,
  logSoftmax,
  setWarningHandler,
  softmax,
} from '../src/index.js';
import { ALL_BACKENDS, useBackend } from './helpers/backends.js';
import { type ChainReduction, chainReference } from './helpers/chainRef.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';

type Dtype = 'float32' | 'float64';

function randn(rand: () => number, n: number, scale: number, dtype: Dtype): Float32Array | Float64Array {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * (rand() + rand() + rand() - 1.5);
  return a;
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** |a − e| ≤ rtol·|e| + atol·max|e| elementwise (NaN ↔ NaN, infinities equal). */
function nearScaled(a: ArrayLike<number>, e: ArrayLike<number>, rtol: number, atol: number): string | null {
  let big = 0;
  for (let i = 0; i < e.length; i++) if (Number.isFinite(e[i]!)) big = Math.max(big, Math.abs(e[i]!));
  return closeMismatch(a, e, rtol, atol * Math.max(big, 1e-30));
}

function quiet<T>(fn: () => T): T {
  const prev = setWarningHandler(null);
  try {
    return fn();
  } finally {
    setWarningHandler(prev);
  }
}

const CONFIGS: { shape: number[]; dim: number }[] = [
  { shape: [4, 7], dim: -1 }, // rows, SIMD body + tail
  { shape: [5, 33], dim: 1 },
  { shape: [3, 9, 5], dim: 1 }, // columns: one group of 4 + tail of 1
  { shape: [2, 6, 8], dim: 1 }, // columns: two full groups
  { shape: [4, 3, 2], dim: 0 },
  { shape: [9], dim: 0 },
  { shape: [], dim: 0 },
  { shape: [2, 3, 40], dim: -1 },
];
const REDUCTIONS: ChainReduction[] = ['sum', 'batchmean', 'mean', 'none', 'perSlice'];

describe.each(ALL_BACKENDS)('klDivLogitsWithGrad on %s', (name) => {
  beforeAll(() => useBackend(name));
  const rand = seeded(4242);

  for (const { shape, dim } of CONFIGS) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${dtype} ${JSON.stringify(shape)} dim ${dim}: every reduction matches the float64 chain autograd`, () => {
        const n = numel(shape);
        const x = randn(rand, n, 3, dtype);
        const y = randn(rand, n, 3, dtype);
        for (const T of [1, 2.5]) {
          for (const reduction of REDUCTIONS) {
            for (const withG of [false, true]) {
              const d = dim < 0 ? dim + shape.length : dim;
              const lossShape = reduction === 'none' ? shape : reduction === 'perSlice' ? shape.filter((_, i) => i !== d) : [];
              const G = withG ? randn(rand, numel(lossShape), 2, 'float64') : null;
              // (A plain number would be a float32 0-d tensor; pass the float64 value exactly.)
              const gradOutput = G === null ? undefined : lossShape.length === 0 ? new Tensor(Float64Array.of(G[0]!), []) : { data: G, shape: lossShape };
              const got = quiet(() =>
                klDivLogitsWithGrad({ data: x, shape }, { data: y, shape }, { dim, temperature: T, reduction, gradOutput, gradTarget: true }),
              );
              const ref = chainReference(x, y, shape, dim, T, reduction, G);
              const f32 = dtype === 'float32';
              const what = `${reduction} T=${T} G=${withG}`;
              expect(got.loss.shape, what).toEqual(lossShape);
              expect(got.gradInput.shape).toEqual(shape);
              expect(got.gradInput.dtype).toBe(dtype);
              expect(got.gradTarget!.dtype).toBe(dtype);
              expect(nearScaled(got.loss.data, ref.loss, f32 ? 2e-6 : 1e-11, f32 ? 1e-6 : 1e-12), `loss ${what}`).toBeNull();
              expect(nearScaled(got.gradInput.data, ref.gradInput, f32 ? 1e-4 : 1e-9, f32 ? 2e-6 : 1e-12), `gradInput ${what}`).toBeNull();
              expect(nearScaled(got.gradTarget!.data, ref.gradTarget, f32 ? 1e-4 : 1e-9, f32 ? 3e-6 : 1e-12), `gradTarget ${what}`).toBeNull();
            }
          }
        }
      });
    }
  }

  it('gradients equal central finite differences of the loss (float64)', () => {
    for (const { shape, dim } of [
      { shape: [3, 5], dim: -1 },
      { shape: [2, 4, 3], dim: 1 },
    ]) {
      const n = numel(shape);
      const x = randn(rand, n, 2, 'float64') as Float64Array;
      const y = randn(rand, n, 2, 'float64') as Float64Array;
      for (const reduction of REDUCTIONS) {
        const T = 1.7;
        const d = dim < 0 ? dim + shape.length : dim;
        const lossShape = reduction === 'none' ? shape : reduction === 'perSlice' ? shape.filter((_, i) => i !== d) : [];
        const G = randn(rand, numel(lossShape), 1, 'float64');
        const gradOutput = lossShape.length === 0 ? new Tensor(Float64Array.of(G[0]!), []) : { data: G, shape: lossShape };
        // Objective: Σ G ⊙ loss, through klDivLogits itself.
        const objective = (xx: Float64Array, yy: Float64Array): number => {
          const l = quiet(() => klDivLogits({ data: xx, shape }, { data: yy, shape }, { dim, temperature: T, reduction })).data;
          let s = 0;
          for (let i = 0; i < l.length; i++) s += G[i]! * l[i]!;
          return s;
        };
        const got = quiet(() => klDivLogitsWithGrad({ data: x, shape }, { data: y, shape }, { dim, temperature: T, reduction, gradOutput, gradTarget: true }));
        for (const [which, arr, grad] of [
          ['x', x, got.gradInput.data],
          ['y', y, got.gradTarget!.data],
        ] as const) {
          const fd = new Float64Array(n);
          for (let j = 0; j < n; j++) {
            const h = 1e-5;
            const plus = Float64Array.from(arr);
            const minus = Float64Array.from(arr);
            plus[j] += h;
            minus[j] -= h;
            fd[j] = which === 'x' ? (objective(plus, y) - objective(minus, y)) / (2 * h) : (objective(x, plus) - objective(x, minus)) / (2 * h);
          }
          expect(nearScaled(grad, fd, 1e-6, 1e-7), `${reduction} ∂/∂${which}`).toBeNull();
        }
      }
    }
  });

  it('the loss is klDivLogits’ (bit-identical per slice, every reduction); identical logits: exactly 0 loss and gradients', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const { shape, dim } of CONFIGS) {
        const n = numel(shape);
        const x = { data: randn(rand, n, 4, dtype), shape };
        const y = { data: randn(rand, n, 4, dtype), shape };
        for (const reduction of REDUCTIONS) {
          const a = quiet(() => klDivLogits(x, y, { dim, temperature: 2, reduction }));
          const b = quiet(() => klDivLogitsWithGrad(x, y, { dim, temperature: 2, reduction }));
          expect(b.loss.shape).toEqual(a.shape);
          expect(b.loss.dtype).toBe(a.dtype);
          if (reduction === 'perSlice' || reduction === 'none') {
            // Per slice and per point the fused gradient kernel runs klDivLogits' passes with the
            // same formulas (assembly/klTerm.ts): bit-identical. If this fails, klDivLogits.ts and
            // klDivLogitsGrad.ts (or their js twins) have drifted apart.
            const same = Array.from(a.data).every((v, i) => Object.is(v, b.loss.data[i]));
            expect(same, `${reduction} ${shape} ${dtype}: per-slice loss bit-identical to klDivLogits`).toBe(true);
          } else {
            // Reduced totals sum the per-slice KLs in slice order: last-bit differences in float64.
            expect(closeMismatch(b.loss.data, a.data, dtype === 'float32' ? 1.2e-7 : 1e-15, 0), `${reduction} ${shape}`).toBeNull();
          }
        }
        const same = quiet(() => klDivLogitsWithGrad(x, x, { dim, reduction: 'sum', gradTarget: true }));
        expect(Object.is(same.loss.item(), 0)).toBe(true);
        for (const v of same.gradInput.data) expect(v).toBe(0);
        for (const v of same.gradTarget!.data) expect(v).toBe(0);
      }
    }
  });

  it('p = 0 (target logit −inf): teacher gradient is the limit 0, student gradient s·q; masked in both: 0', () => {
    const x = [[0.5, -1, 2, 0.1]];
    const y = [[1.0, -Infinity, 0.3, -Infinity]];
    const r = klDivLogitsWithGrad(x, y, { reduction: 'sum', gradTarget: true });
    const q = softmax(x, -1).data;
    expect(r.gradTarget!.data[1]).toBe(0);
    expect(r.gradTarget!.data[3]).toBe(0);
    expect(closeMismatch([r.gradInput.data[1]!, r.gradInput.data[3]!], [q[1]!, q[3]!], 1e-6, 1e-9)).toBeNull();
    // Both masked at the same places: finite loss, zero gradients there.
    const xm = [[0.5, -Infinity, 2, 0.1]];
    const m = klDivLogitsWithGrad(xm, y, { reduction: 'sum', gradTarget: true });
    expect(Number.isFinite(m.loss.item())).toBe(true);
    expect(m.gradInput.data[1]).toBe(0);
    expect(m.gradTarget!.data[1]).toBe(0);
    // q = 0 where p > 0: infinite loss, finite student gradient −p there.
    const inf = klDivLogitsWithGrad([[-Infinity, 0, 1]], [[0, 0, 1]], { reduction: 'sum' });
    expect(inf.loss.item()).toBe(Infinity);
    expect(inf.gradInput.data.every(Number.isFinite)).toBe(true);
    // NaN in a slice: that slice's gradients are NaN, the other slice is untouched.
    const nan = klDivLogitsWithGrad([[NaN, 0], [1, 2]], [[0, 0], [2, 1]], { reduction: 'sum', gradTarget: true });
    expect(Number.isNaN(nan.gradInput.data[0]!) && Number.isNaN(nan.gradTarget!.data[1]!)).toBe(true);
    expect(nan.gradInput.data.slice(2).every(Number.isFinite)).toBe(true);
  });

  it('gradTarget is omitted unless asked for; mixed dtypes give each gradient its argument’s dtype', () => {
    const r = klDivLogitsWithGrad([[1, 2, 3]], [[3, 2, 1]]);
    expect('gradTarget' in r).toBe(false);
    const m = klDivLogitsWithGrad(new Float32Array([1, 2, 3]), new Float64Array([3, 2, 1]), { gradTarget: true });
    expect(m.loss.dtype).toBe('float64');
    expect(m.gradInput.dtype).toBe('float32');
    expect(m.gradTarget!.dtype).toBe('float64');
  });

  it('empty inputs and a size-0 dim', () => {
    const e = klDivLogitsWithGrad({ data: new Float32Array(0), shape: [0, 5] }, { data: new Float32Array(0), shape: [0, 5] }, { reduction: 'sum', gradTarget: true });
    expect(e.loss.item()).toBe(0);
    expect(e.gradInput.shape).toEqual([0, 5]);
    const z = klDivLogitsWithGrad({ data: new Float32Array(0), shape: [3, 0] }, { data: new Float32Array(0), shape: [3, 0] }, { reduction: 'perSlice' });
    expect(Array.from(z.loss.data)).toEqual([0, 0, 0]);
  });

  it('errors name the argument and the fix', () => {
    const x = [[1, 2, 3]];
    expect(() => klDivLogitsWithGrad(x, x, { reduction: 'none', gradOutput: [1, 2, 3] })).toThrow(/gradOutput.*shape \[3\].*\[1, 3\]/);
    expect(() => klDivLogitsWithGrad(x, x, { reduction: 'sum', gradOutput: [1, 2] })).toThrow(RangeError);
    expect(() => klDivLogitsWithGrad(x, x, { reduction: 'perSlice', gradOutput: [[1]] })).toThrow(/gradOutput/);
    expect(() => klDivLogitsWithGrad(x, x, { temperature: 0 })).toThrow(RangeError);
    expect(() => klDivLogitsWithGrad(x, x, { reduction: 'Sum' as 'sum' })).toThrow(TypeError);
    expect(() => klDivLogitsWithGrad(x, [[1, 2]])).toThrow(/same shape/);
    expect(() => klDivLogitsWithGrad(x, x, { gradTarget: 1 as unknown as boolean })).toThrow(/gradTarget/);
  });
});

describe.each(ALL_BACKENDS)('one KL per distribution on %s', (name) => {
  beforeAll(() => useBackend(name));
  const rand = seeded(777);

  it("klDivLogits 'perSlice': shape without dim, T²·KL per slice, sums to 'sum'", () => {
    for (const { shape, dim } of CONFIGS) {
      for (const dtype of ['float32', 'float64'] as const) {
        const n = numel(shape);
        const x = { data: randn(rand, n, 3, dtype), shape };
        const y = { data: randn(rand, n, 3, dtype), shape };
        const per = klDivLogits(x, y, { dim, temperature: 1.5, reduction: 'perSlice' });
        const d = dim < 0 ? dim + shape.length : dim;
        expect(per.shape).toEqual(shape.filter((_, i) => i !== d));
        expect(per.dtype).toBe(dtype);
        for (const v of per.data) expect(v).toBeGreaterThanOrEqual(0);
        const total = Array.from(per.data).reduce((a, b) => a + b, 0);
        const sum = klDivLogits(x, y, { dim, temperature: 1.5, reduction: 'sum' }).item();
        expect(closeMismatch([total], [sum], dtype === 'float32' ? 1e-6 : 1e-13, 0)).toBeNull();
        const ref = chainReference(x.data, y.data, shape, dim, 1.5, 'perSlice', null).loss;
        expect(nearScaled(per.data, ref, dtype === 'float32' ? 1e-5 : 1e-11, 1e-9)).toBeNull();
      }
    }
  });

  it('klDivPerSlice: Σ along dim of klDiv’s pointwise terms, for every dim, logTarget and broadcasting', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const { shape, dim } of CONFIGS.filter((c) => c.shape.length > 0)) {
        const n = numel(shape);
        const logq = logSoftmax({ data: randn(rand, n, 2, dtype), shape }, dim);
        const logp = logSoftmax({ data: randn(rand, n, 2, dtype), shape }, dim);
        const p = softmax({ data: randn(rand, n, 2, dtype), shape }, dim);
        for (const [t, logTarget] of [
          [p, false],
          [logp, true],
        ] as const) {
          const per = klDivPerSlice(logq, t, { dim, logTarget });
          const none = quiet(() => klDiv(logq, t, { reduction: 'none', logTarget }));
          const d = dim < 0 ? dim + shape.length : dim;
          let outer = 1;
          let inner = 1;
          for (let i = 0; i < d; i++) outer *= shape[i]!;
          for (let i = d + 1; i < shape.length; i++) inner *= shape[i]!;
          const want = new Float64Array(outer * inner);
          for (let o = 0; o < outer; o++) for (let k = 0; k < shape[d]!; k++) for (let i = 0; i < inner; i++) want[o * inner + i] += none.data[(o * shape[d]! + k) * inner + i]!;
          expect(per.shape).toEqual(shape.filter((_, i) => i !== d));
          expect(closeMismatch(per.data, want, dtype === 'float32' ? 1e-5 : 1e-12, dtype === 'float32' ? 1e-6 : 1e-14)).toBeNull();
          const sum = klDiv(logq, t, { reduction: 'sum', logTarget }).item();
          expect(closeMismatch([Array.from(per.data).reduce((a, b) => a + b, 0)], [sum], dtype === 'float32' ? 1e-5 : 1e-12, 1e-7)).toBeNull();
        }
      }
    }
    // Broadcast target over rows; 0-d; special values keep PyTorch's pointwise semantics.
    const logq = logSoftmax([[0.2, 1.0, -0.5], [1.5, 0.3, 0.1]], -1);
    const p = [0.2, 0.3, 0.5];
    const per = klDivPerSlice(logq, p);
    const rows = quiet(() => klDiv(logq, p, { reduction: 'none' })).toArray() as number[][];
    expect(closeMismatch(per.data, rows.map((r) => r.reduce((a, b) => a + b, 0)), 1e-6, 1e-7)).toBeNull();
    expect(klDivPerSlice(-1, 0.5).shape).toEqual([]);
    expect(closeMismatch(klDivPerSlice(-1, 0.5).data, [0.15342641], 1e-6, 0)).toBeNull();
    const special = klDivPerSlice([[-1, -Infinity], [-1, -2]], [[0.5, 0], [-0.1, 0.5]]);
    expect(Number.isNaN(special.data[0]!) && Number.isNaN(special.data[1]!)).toBe(true);
    expect(klDivPerSlice({ data: new Float32Array(0), shape: [2, 0] }, { data: new Float32Array(0), shape: [2, 0] }).toArray()).toEqual([0, 0]);
    expect(() => klDivPerSlice([[1, 2]], [[1, 2, 3]])).toThrow(/broadcast/);
    expect(() => klDivPerSlice([[1, 2]], [[1, 2]], { dim: 2 })).toThrow(/Dimension out of range/);
  });
});

describe.each(ALL_BACKENDS)('klDivBackward and KLDivLoss.backward on %s', (name) => {
  beforeAll(() => useBackend(name));
  const rand = seeded(31337);

  it('PyTorch 1.13 pointwise rules: t = 0 → ∂input −0, ∂target NaN; t < 0 → ∂target NaN; logTarget closed forms', () => {
    const x = [-1.2, -0.7, -2.0, -0.3];
    const t = [0, 0.25, -0.5, 0.75];
    const r = klDivBackward(null, x, t, { reduction: 'sum' });
    expect(Object.is(r.gradInput.data[0], -0)).toBe(true);
    expect(Number.isNaN(r.gradTarget.data[0]!)).toBe(true);
    expect(Number.isNaN(r.gradTarget.data[2]!)).toBe(true);
    expect(r.gradInput.data[2]).toBeCloseTo(0.5, 7); // −g·t with t < 0: nonzero, as PyTorch
    const f = Math.fround;
    expect(closeMismatch([r.gradTarget.data[1]!, r.gradTarget.data[3]!], [Math.log(f(0.25)) + 1 - f(-0.7), Math.log(f(0.75)) + 1 - f(-0.3)], 1e-6, 1e-7)).toBeNull();
    const lt = klDivBackward(null, x, [-1, -2, -0.5, -Infinity], { reduction: 'sum', logTarget: true });
    const want = [-1, -2, -0.5].map((v, i) => Math.exp(v) * (v - f(x[i]!) + 1));
    expect(closeMismatch(lt.gradTarget.data.slice(0, 3), want, 1e-6, 1e-7)).toBeNull();
    expect(closeMismatch(lt.gradInput.data.slice(0, 3), [-1, -2, -0.5].map((v) => -Math.exp(v)), 1e-6, 1e-7)).toBeNull();
    expect(Number.isNaN(lt.gradTarget.data[3]!)).toBe(true); // e^−inf·(−inf − x) = 0·−inf
  });

  it('upstream gradients: scalar g scales reductions; a tensor g multiplies the pointwise gradients', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const shape = [5, 6];
      const x = logSoftmax({ data: randn(rand, 30, 2, dtype), shape }, -1);
      const t = softmax({ data: randn(rand, 30, 2, dtype), shape }, -1);
      const ones = klDivBackward(undefined, x, t, { reduction: 'none' });
      const G = randn(rand, 30, 1, dtype);
      const gG = klDivBackward({ data: G, shape }, x, t, { reduction: 'none' });
      const tol = dtype === 'float32' ? 2e-6 : 1e-14;
      expect(closeMismatch(gG.gradInput.data, ones.gradInput.data.map((v, i) => v * G[i]!), tol, 1e-12)).toBeNull();
      // ∂target = g·log t + g·t/t − g·x rounds each product: cancellation needs an absolute margin in float32.
      expect(closeMismatch(gG.gradTarget.data, ones.gradTarget.data.map((v, i) => v * G[i]!), tol, dtype === 'float32' ? 1e-6 : 1e-13)).toBeNull();
      for (const reduction of ['sum', 'mean', 'batchmean'] as const) {
        const base = klDivBackward(undefined, x, t, { reduction });
        const scaled = klDivBackward(-2.5, x, t, { reduction });
        expect(closeMismatch(scaled.gradInput.data, base.gradInput.data.map((v) => -2.5 * v), tol, 0)).toBeNull();
        const div = reduction === 'sum' ? 1 : reduction === 'mean' ? 30 : 5;
        expect(closeMismatch(base.gradInput.data, ones.gradInput.data.map((v) => v / div), tol, 0)).toBeNull();
      }
      // 'none' with batchmean (legacy reduce=false): the upstream gradient is divided by shape[0].
      const legacy = quiet(() => klDivBackward({ data: G, shape }, x, t, { reduce: false, reduction: 'batchmean' }));
      expect(closeMismatch(legacy.gradInput.data, gG.gradInput.data.map((v) => v / 5), tol, 1e-12)).toBeNull();
    }
  });

  it('gradients equal central finite differences of klDiv (float64, every reduction, logTarget, broadcasting)', () => {
    const cases: { xs: number[]; ts: number[] }[] = [
      { xs: [3, 4], ts: [3, 4] },
      { xs: [3, 4], ts: [4] },
      { xs: [3, 1], ts: [1, 4] },
      { xs: [2, 3, 4], ts: [3, 1] },
    ];
    for (const { xs, ts } of cases) {
      for (const logTarget of [false, true]) {
        for (const reduction of ['sum', 'mean', 'batchmean', 'none'] as const) {
          const x = Float64Array.from(randn(rand, numel(xs), 1, 'float64'), (v) => v - 1.5);
          const t = Float64Array.from(randn(rand, numel(ts), 1, 'float64'), (v) => (logTarget ? v - 1 : 0.1 + Math.abs(v)));
          const out = quiet(() => klDiv({ data: x, shape: xs }, { data: t, shape: ts }, { reduction, logTarget }));
          const G = randn(rand, out.numel, 1, 'float64');
          const objective = (xx: Float64Array, tt: Float64Array): number => {
            const o = quiet(() => klDiv({ data: xx, shape: xs }, { data: tt, shape: ts }, { reduction, logTarget })).data;
            return Array.from(o).reduce((s, v, i) => s + v * G[i]!, 0);
          };
          const g = quiet(() => klDivBackward({ data: G, shape: out.shape }, { data: x, shape: xs }, { data: t, shape: ts }, { reduction, logTarget }));
          expect(g.gradInput.shape).toEqual(xs);
          expect(g.gradTarget.shape).toEqual(ts);
          for (const [arr, grad, isX] of [
            [x, g.gradInput.data, true],
            [t, g.gradTarget.data, false],
          ] as const) {
            const fd = arr.map((_, j) => {
              const h = 1e-6;
              const plus = Float64Array.from(arr);
              const minus = Float64Array.from(arr);
              plus[j] += h;
              minus[j] -= h;
              return isX ? (objective(plus, t) - objective(minus, t)) / (2 * h) : (objective(x, plus) - objective(x, minus)) / (2 * h);
            });
            expect(nearScaled(grad, fd, 1e-6, 1e-7), `${xs}/${ts} ${reduction} logTarget=${logTarget} ${isX ? 'input' : 'target'}`).toBeNull();
          }
        }
      }
    }
  });

  it('dtypes: each gradient has its argument’s dtype; 0-d target against a float32 input stays float32', () => {
    const r = klDivBackward(undefined, new Float32Array([-1, -2]), new Float64Array([0.3, 0.7]), { reduction: 'sum' });
    expect(r.gradInput.dtype).toBe('float32');
    expect(r.gradTarget.dtype).toBe('float64');
    const s = klDivBackward(undefined, { data: new Float32Array([-1, -2, -3, -4]), shape: [2, 2] }, new Tensor(new Float64Array([0.25]), []), { reduction: 'sum' });
    expect(s.gradTarget.dtype).toBe('float64');
    expect(s.gradTarget.shape).toEqual([]);
    // Σ over the four broadcast terms of log t + 1 − x, computed in float32 (result dtype) then widened.
    expect(s.gradTarget.item()).toBeCloseTo(4 * (Math.log(0.25) + 1) + 10, 5);
  });

  it('gradTarget: false skips ∂target; empty inputs give zero gradients of the right shapes', () => {
    const r = klDivBackward(null, [[-1, -2]], [[0.5, 0.5]], { reduction: 'sum', gradTarget: false });
    expect(r.gradTarget).toBeNull();
    expect(r.gradInput.toArray()).toEqual([[-0.5, -0.5]]);
    const e = klDivBackward(null, { data: new Float32Array(0), shape: [0, 5] }, [0.2, 0.2, 0.2, 0.2, 0.2], { reduction: 'sum' });
    expect(e.gradInput.shape).toEqual([0, 5]);
    expect(Array.from(e.gradTarget.data)).toEqual([0, 0, 0, 0, 0]);
  });

  it('errors: gradOutput of the wrong shape, bad options', () => {
    expect(() => klDivBackward([1, 1], [-1, -2], [0.5, 0.5], { reduction: 'sum' })).toThrow(/gradOutput.*shape \[2\].*shape \[\]/);
    expect(() => klDivBackward(1, [-1, -2], [0.5, 0.5], { reduction: 'none' })).toThrow(RangeError);
    expect(() => klDivBackward(null, [-1, -2], [0.5, 0.5], { reduction: 'avg' as 'sum' })).toThrow(TypeError);
    expect(() => klDivBackward(null, [-1, -2], [0.5, 0.5], { logTarget: 'yes' as unknown as boolean })).toThrow(/logTarget/);
    expect(() => klDivBackward(null, [[-1, -2]], [[0.5, 0.5, 0]])).toThrow(/broadcast/);
  });

  it('backward does not warn (the forward already did)', () => {
    const seen: KlwasmWarning[] = [];
    const prev = setWarningHandler((w) => seen.push(w));
    try {
      klDivBackward(null, [-1, -2], [0.5, 0.5]);
      klDivBackward(null, [-1, -2], [0.5, 0.5], { sizeAverage: false });
      klDivBackward(null, [-1, -2], [0.5, 0.5], { reduction: 'elementwise_mean' });
    } finally {
      setWarningHandler(prev);
    }
    expect(seen).toEqual([]);
  });

  it('KLDivLoss.backward differentiates the last forward, with the module’s (legacy-resolved) reduction', () => {
    const x = logSoftmax({ data: randn(rand, 12, 2, 'float32'), shape: [3, 4] }, -1);
    const t = softmax({ data: randn(rand, 12, 2, 'float32'), shape: [3, 4] }, -1);
    for (const opts of [{ reduction: 'batchmean' as const }, { reduction: 'none' as const, logTarget: false }, { sizeAverage: false, reduction: 'batchmean' as const }]) {
      const loss = quiet(() => new KLDivLoss(opts));
      expect(() => loss.backward()).toThrow(/forward/);
      const out = quiet(() => loss.forward(x, t));
      const g = loss.backward(opts.reduction === 'none' ? { data: new Float32Array(12).fill(2), shape: [3, 4] } : 2);
      const red = loss.reduction;
      const want = klDivBackward(red === 'none' ? { data: new Float32Array(12).fill(2), shape: [3, 4] } : 2, x, t, { reduction: red });
      expect(Array.from(g.gradInput.data)).toEqual(Array.from(want.gradInput.data));
      expect(Array.from(g.gradTarget.data)).toEqual(Array.from(want.gradTarget.data));
      expect(out.shape).toEqual(red === 'none' ? [3, 4] : []);
    }
    // Legacy sizeAverage=false drops 'batchmean' in the module (PyTorch): no division by 3.
    const legacy = quiet(() => new KLDivLoss({ sizeAverage: false, reduction: 'batchmean' }));
    quiet(() => legacy.forward(x, t));
    expect(closeMismatch(legacy.backward().gradInput.data, t.data.map((v) => -v), 1e-7, 0)).toBeNull();
  });
});
