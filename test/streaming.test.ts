/**
 * Streaming: with a 4 KiB window forced, every op takes its block, column-tile and chunked
 * (online log-sum-exp) paths, and must match the same backend run with the default window and the
 * float64 js backend.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  Tensor,
  allocTensor,
  diagnose,
  initSync,
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
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

type Op = () => Tensor;

function randn(rand: () => number, n: number, scale: number, dtype: 'float32' | 'float64' = 'float32') {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * (rand() + rand() + rand() - 1.5);
  return a;
}

/** Runs `op` on the backend with a tiny window, a default window, and on js; compares all three. */
function compare(backendName: 'wasm-relaxed-simd' | 'wasm-simd' | 'wasm-scalar', op: Op, rtol: number, atol: number, windowKiB = 4): void {
  initSync({ backend: backendName, windowKiB, maxMemoryMiB: 1 });
  const small = op();
  initSync({ backend: backendName });
  const big = op();
  initSync({ backend: 'js' });
  const ref = op();
  expect(small.shape).toEqual(ref.shape);
  expect(closeMismatch(small.data, big.data, rtol, atol), 'tiny window vs default window').toBeNull();
  expect(closeMismatch(small.data, ref.data, rtol, atol), 'tiny window vs js').toBeNull();
}

/** Several result tensors as one float64 tensor, so `compare` can check them together. */
function joined(...ts: (Tensor | null | undefined)[]): Tensor {
  const parts = ts.filter((t): t is Tensor => t !== null && t !== undefined).map((t) => Array.from(t.data));
  return new Tensor(Float64Array.from(parts.flat()));
}

/** The numbers of a diagnose report (kinds as codes, errors, counts, first indices) as a tensor. */
function reportNumbers(r: ReturnType<typeof diagnose>): Tensor {
  const kinds = ['log-probabilities', 'probabilities', 'unnormalized probabilities', 'unnormalized log-probabilities', 'raw scores', 'empty'];
  const nums: number[] = [r.ok ? 1 : 0, r.problems.length];
  for (const a of [r.input, r.target]) {
    // Normalisation errors at rounding-noise level (and which slice is "worst" among noise) depend
    // on the summation order: compare them only where they mean something.
    for (const w of [a.sumError, a.logSumExpError]) nums.push(w.error > 1e-4 ? w.error : 0, ...(w.error > 1e-4 ? (w.slice ?? []) : []));
    nums.push(kinds.indexOf(a.kind), a.min, a.max);
    for (const c of [a.nan, a.posInf, a.negInf, a.negative, a.aboveOne]) nums.push(c.count, ...(c.first ?? [-1]));
  }
  return new Tensor(Float64Array.from(nums));
}

describe.each(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar'] as const)('streaming through a 4 KiB window on %s', (name) => {
  const rand = seeded(99);
  // 4 KiB = 1024 float32: [6, 40] fits in blocks; [2, 300, 7] needs column tiles; [3, 5000] and
  // [1, 3000, 3] need the online chunked path; float64 halves every threshold.
  const shapes: { shape: number[]; dim: number }[] = [
    { shape: [6, 40], dim: -1 },
    { shape: [2, 300, 7], dim: 1 },
    { shape: [3, 5000], dim: -1 },
    { shape: [1, 3000, 3], dim: 1 },
    { shape: [5000, 2], dim: 0 },
  ];

  for (const { shape, dim } of shapes) {
    for (const dtype of ['float32', 'float64'] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = { data: randn(rand, n, 4, dtype), shape };
      const y = { data: x.data.map((v, i) => v + (i % 5 === 0 ? 0.3 : -0.1)), shape };
      const tol = dtype === 'float32' ? [2e-6, 1e-6] : [1e-12, 1e-12];

      it(`softmax / logSoftmax / logSumExp ${dtype} ${JSON.stringify(shape)} dim ${dim}`, () => {
        compare(name, () => softmax(x, dim), tol[0]!, tol[1]!);
        compare(name, () => logSoftmax(x, dim), tol[0]!, tol[1]! * 10);
        compare(name, () => logSumExp(x, dim), tol[0]!, tol[1]!);
      });

      it(`klDivLogits ${dtype} ${JSON.stringify(shape)} dim ${dim}, every reduction`, () => {
        for (const reduction of ['sum', 'batchmean', 'none'] as const) {
          compare(name, () => klDivLogits(x, y, { dim, temperature: 1.5, reduction }), 1e-5, 1e-9);
        }
        compare(name, () => klDivLogits(x, x, { dim, reduction: 'sum' }), 0, 0);
      });

      it(`klDivLogitsWithGrad ${dtype} ${JSON.stringify(shape)} dim ${dim}: every reduction, gradOutput, teacher gradient`, () => {
        const d = dim < 0 ? dim + shape.length : dim;
        const sliceShape = shape.filter((_, i) => i !== d);
        const G = { data: randn(rand, n, 1, dtype), shape };
        const W = { data: randn(rand, n / shape[d]!, 1, 'float64'), shape: sliceShape };
        const f32 = dtype === 'float32';
        for (const reduction of ['sum', 'batchmean', 'none', 'perSlice'] as const) {
          const gradOutput = reduction === 'none' ? G : reduction === 'perSlice' ? W : new Tensor(Float64Array.of(0.7), []);
          const op = () => {
            const r = klDivLogitsWithGrad(x, y, { dim, temperature: 1.5, reduction, gradOutput, gradTarget: true });
            return joined(r.loss, r.gradInput, r.gradTarget);
          };
          compare(name, op, f32 ? 1e-4 : 1e-10, f32 ? 1e-8 : 1e-13);
          const noTeacher = () => joined(klDivLogitsWithGrad(x, y, { dim, reduction, gradOutput }).gradInput);
          compare(name, noTeacher, f32 ? 1e-4 : 1e-10, f32 ? 1e-8 : 1e-13);
        }
        compare(name, () => joined(...Object.values(klDivLogitsWithGrad(x, x, { dim, reduction: 'sum', gradTarget: true }))), 0, 0);
      });

      it(`klDivPerSlice and diagnose statistics ${dtype} ${JSON.stringify(shape)} dim ${dim}`, () => {
        const logq = logSoftmax(x, dim);
        const p = softmax(y, dim);
        const f32 = dtype === 'float32';
        compare(name, () => klDivPerSlice(logq, p, { dim }), f32 ? 1e-5 : 1e-12, f32 ? 1e-7 : 1e-14);
        compare(name, () => klDivPerSlice(logq, logSoftmax(y, dim), { dim, logTarget: true }), f32 ? 1e-5 : 1e-12, f32 ? 1e-7 : 1e-14);
        // Statistics through chunks: a clean pair, and one with NaN / ±inf / negatives sprinkled in.
        compare(name, () => reportNumbers(diagnose(logq, p, { dim })), f32 ? 1e-5 : 1e-12, 1e-9);
        const bad = Float64Array.from(p.data);
        bad[7] = NaN;
        bad[n - 3] = -0.25;
        bad[Math.floor(n / 2)] = Infinity;
        const badT = { data: dtype === 'float32' ? Float32Array.from(bad) : bad, shape };
        compare(name, () => reportNumbers(diagnose(x, badT, { dim })), f32 ? 1e-5 : 1e-12, 1e-9);
      });
    }
  }

  it('klDivLogits: tiles of whole columns when one slab does not fit (64 KiB window)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const shape = [2, 300, 40];
      const x = { data: randn(rand, 24000, 4, dtype), shape };
      const y = { data: randn(rand, 24000, 4, dtype), shape };
      for (const reduction of ['sum', 'none'] as const) {
        compare(name, () => klDivLogits(x, y, { dim: 1, reduction }), 1e-5, 1e-9, 64);
      }
      compare(name, () => softmax(x, 1), 2e-6, 1e-7, 64);
      compare(name, () => logSumExp(x, 1), 2e-6, 1e-6, 64);
      const f32 = dtype === 'float32';
      const G = { data: randn(rand, 24000, 1, dtype), shape };
      for (const [reduction, gradOutput] of [['sum', undefined], ['none', G]] as const) {
        const op = () => {
          const r = klDivLogitsWithGrad(x, y, { dim: 1, reduction, gradOutput, gradTarget: true });
          return joined(r.loss, r.gradInput, r.gradTarget);
        };
        compare(name, op, f32 ? 1e-4 : 1e-10, f32 ? 1e-8 : 1e-13, 64);
      }
      compare(name, () => klDivPerSlice(logSoftmax(x, 1), softmax(y, 1), { dim: 1 }), f32 ? 1e-5 : 1e-12, 1e-7, 64);
      compare(name, () => reportNumbers(diagnose(logSoftmax(x, 1), softmax(y, 1), { dim: 1 })), f32 ? 1e-5 : 1e-12, 1e-9, 64);
    }
  });

  it.each(['float32', 'float64'] as const)('klDivLogitsWithGrad %s rows longer than the window (vectorised chunk passes): −inf logits, tails, every gradient', (dtype) => {
    // [2, 3001]: 3001 is odd (vector tails in every chunk); teacher −inf at every 11th logit
    // (p = 0: gradTarget exactly 0 there), student −inf at some of those too (those terms stay
    // 0). The streamed chunks must give what the in-window row kernel gives.
    const N = 3001;
    const x = randn(rand, 2 * N, 3, dtype);
    const y = x.map((v, i) => (i % 11 === 3 ? -Infinity : v + 0.4 * Math.sin(i)));
    for (let i = 3; i < 2 * N; i += 33) x[i] = -Infinity;
    const G = { data: randn(rand, 2 * N, 1, dtype), shape: [2, N] };
    const [rtol, atol] = dtype === 'float32' ? [2e-6, 1e-9] : [1e-12, 1e-15];
    const X = { data: x, shape: [2, N] };
    const Y = { data: y, shape: [2, N] };
    for (const [reduction, gradOutput] of [['sum', undefined], ['batchmean', undefined], ['none', G], ['perSlice', { data: Float64Array.of(0.5, -2), shape: [2] }]] as const) {
      for (const temperature of [1, 0.7]) {
        const run = (windowKiB?: number) => {
          initSync({ backend: name, ...(windowKiB ? { windowKiB, maxMemoryMiB: 1 } : {}) });
          const r = klDivLogitsWithGrad(X, Y, { reduction, gradOutput, gradTarget: true, temperature });
          return { loss: Array.from(r.loss.data), gx: Array.from(r.gradInput.data), gy: Array.from(r.gradTarget!.data) };
        };
        const want = run();
        const got = run(4);
        const what = `${reduction}, T = ${temperature}`;
        expect(want.gx.every(Number.isFinite), `${what}: in-window gradients finite`).toBe(true);
        expect(closeMismatch(got.loss, want.loss, rtol, atol), `${what}: loss`).toBeNull();
        expect(closeMismatch(got.gx, want.gx, rtol, atol), `${what}: gradInput`).toBeNull();
        expect(closeMismatch(got.gy, want.gy, rtol, atol), `${what}: gradTarget`).toBeNull();
        // klDivLogits' streamed 'none' terms (its own chunk pass) against the in-window ones.
        initSync({ backend: name, windowKiB: 4, maxMemoryMiB: 1 });
        const terms = Array.from(klDivLogits(X, Y, { reduction: 'none', temperature }).data);
        initSync({ backend: name });
        expect(closeMismatch(terms, Array.from(klDivLogits(X, Y, { reduction: 'none', temperature }).data), rtol, atol), `${what}: klDivLogits 'none'`).toBeNull();
        for (let i = 3; i < 2 * N; i += 11) expect(got.gy[i], `${what}: gradTarget where p = 0`).toBe(0);
      }
    }
    initSync({ backend: name });
  });

  it.each(['float32', 'float64'] as const)('klDivLogitsWithGrad %s columns longer than the window (transposed into the row chunk kernels): every gradient, −inf teachers', (dtype) => {
    // [3001, 7] dim 0 and [2, 1500, 5] dim 1: column counts that are not multiples of 4, odd
    // lengths, a teacher −inf at every 13th element of each column. Streamed (4 KiB window)
    // against the default window and against js.
    for (const [shape, dim] of [[[3001, 7], 0], [[2, 1500, 5], 1]] as const) {
      const n = shape.reduce((a, v) => a * v, 1);
      const x = { data: randn(rand, n, 3, dtype), shape: [...shape] };
      const yd = x.data.map((v, i) => (i % 13 === 4 ? -Infinity : v + 0.4 * Math.sin(i)));
      const y = { data: yd, shape: [...shape] };
      const G = { data: randn(rand, n, 1, dtype), shape: [...shape] };
      const f32 = dtype === 'float32';
      for (const reduction of ['sum', 'none', 'perSlice'] as const) {
        const gradOutput = reduction === 'none' ? G : reduction === 'perSlice' ? { data: randn(rand, n / shape[dim]!, 1, 'float64'), shape: shape.filter((_, d) => d !== dim) } : undefined;
        const op = () => {
          const r = klDivLogitsWithGrad(x, y, { dim, temperature: 0.8, reduction, gradOutput, gradTarget: true });
          return joined(r.loss, r.gradInput, r.gradTarget);
        };
        compare(name, op, f32 ? 1e-4 : 1e-10, f32 ? 1e-8 : 1e-13);
      }
    }
  });

  it('klDiv: long rows, broadcast rows and broadcast columns', () => {
    const logq = logSoftmax({ data: randn(rand, 3 * 5000, 3), shape: [3, 5000] }, -1);
    const p = softmax({ data: randn(rand, 3 * 5000, 3), shape: [3, 5000] }, -1);
    for (const reduction of ['sum', 'none'] as const) {
      compare(name, () => klDiv(logq, p, { reduction }), 2e-6, 1e-7);
      compare(name, () => klDiv(logq, { data: p.data.subarray(0, 5000), shape: [5000] }, { reduction }), 2e-6, 1e-7);
    }
    const col = { data: randn(rand, 600, 1).map((v) => -Math.abs(v)), shape: [600, 1] };
    const t = softmax({ data: randn(rand, 600 * 9, 2), shape: [600, 9] }, -1);
    compare(name, () => klDiv(col, t, { reduction: 'none' }), 2e-6, 1e-7);
    compare(name, () => klDiv(col, t, { reduction: 'sum', logTarget: false }), 2e-6, 1e-7);
    compare(name, () => klDiv(logq, logq, { reduction: 'sum', logTarget: true }), 2e-6, 1e-7);
  });

  it('klDivBackward: long rows, broadcast rows and broadcast columns, with and without gradOutput', () => {
    const logq = logSoftmax({ data: randn(rand, 3 * 5000, 3), shape: [3, 5000] }, -1);
    const p = softmax({ data: randn(rand, 3 * 5000, 3), shape: [3, 5000] }, -1);
    const G = { data: randn(rand, 3 * 5000, 1), shape: [3, 5000] };
    const grads = (r: { gradInput: Tensor; gradTarget: Tensor | null }) => joined(r.gradInput, r.gradTarget);
    // float32 ∂target = g·log t + g − g·x cancels (|log t|, |x| ≈ 9 here): PyTorch's float32 atol.
    for (const reduction of ['sum', 'batchmean', 'none'] as const) {
      const g = reduction === 'none' ? G : 1.5;
      compare(name, () => grads(klDivBackward(g, logq, p, { reduction })), 2e-6, 1e-5);
      compare(name, () => grads(klDivBackward(g, logq, logq, { reduction, logTarget: true })), 2e-6, 1e-5);
      // Target broadcast over rows: its gradient sums the three rows.
      compare(name, () => grads(klDivBackward(g, logq, { data: p.data.subarray(0, 5000), shape: [5000] }, { reduction })), 2e-6, 1e-5);
    }
    const col = { data: randn(rand, 600, 1).map((v) => -Math.abs(v)), shape: [600, 1] };
    const t = softmax({ data: randn(rand, 600 * 9, 2), shape: [600, 9] }, -1);
    compare(name, () => grads(klDivBackward(null, col, t, { reduction: 'sum' })), 2e-6, 1e-5);
    const G2 = { data: randn(rand, 5400, 1), shape: [600, 9] };
    compare(name, () => grads(klDivBackward(G2, col, t, { reduction: 'none', gradTarget: false })), 2e-6, 1e-5);
  });

  it.each(['float32', 'float64'] as const)('streamed softmax rows of every length mod 8 (the pipelined apply loop and its tails), %s', (dtype) => {
    const tol = dtype === 'float32' ? [2e-6, 1e-7] : [1e-12, 1e-14];
    for (let K = 2001; K <= 2008; K++) {
      const x = { data: randn(rand, 2 * K, 3, dtype), shape: [2, K] };
      compare(name, () => softmax(x, -1), tol[0]!, tol[1]!);
    }
  });

  it.each(['float32', 'float64'] as const)('special values survive chunking (NaN, +inf and all -inf slices), %s', (dtype) => {
    const K = 3000;
    const data = randn(rand, 5 * K, 2, dtype);
    data[5] = NaN; // slice 0
    data[K + 17] = Infinity; // slice 1
    data.fill(-Infinity, 2 * K, 3 * K); // slice 2
    data[4 * K + 2999] = Infinity; // slice 4: +inf in the last chunk, after finite chunks
    data[4 * K + 2000] = NaN; //           and a NaN before it
    const x = { data, shape: [5, K] };
    const tol = dtype === 'float32' ? [2e-6, 1e-6] : [1e-12, 1e-12];
    compare(name, () => softmax(x, -1), tol[0]!, tol[1]!);
    compare(name, () => logSoftmax(x, -1), tol[0]!, tol[1]!);
    compare(name, () => logSumExp(x, -1), tol[0]!, tol[1]!);
    compare(name, () => klDivLogits(x, { data: data.map((v) => v * 0.5), shape: [5, K] }, { reduction: 'none' }), 1e-5, 1e-9);
    compare(name, () => klDivLogits(x, { data: data.map((v) => v * 0.5), shape: [5, K] }, { reduction: 'perSlice', temperature: 2 }), 1e-5, 1e-9);
  });

  it.each(['float32', 'float64'] as const)('zero-copy input longer than the window, result in a JS array (logSumExp, softmax), %s', (dtype) => {
    const shape = [2, 6000];
    const src = randn(rand, 12000, 3, dtype);
    src[7000] = -Infinity;
    const run = (op: (t: Tensor) => Tensor) => () => {
      const t = allocTensor(shape, dtype);
      t.data.set(src);
      try {
        return new Tensor(Float64Array.from(op(t).data));
      } finally {
        t.free();
      }
    };
    const tol = dtype === 'float32' ? [2e-6, 1e-6] : [1e-12, 1e-12];
    for (const op of [(t: Tensor) => logSumExp(t, -1), (t: Tensor) => softmax(t, -1), (t: Tensor) => logSoftmax(t, -1)]) {
      initSync({ backend: name, windowKiB: 4, maxMemoryMiB: 1 });
      const got = run(op)();
      initSync({ backend: 'js' });
      const want = op(new Tensor(src, shape));
      expect(closeMismatch(got.data, want.data, tol[0]!, tol[1]!)).toBeNull();
    }
  });
});
