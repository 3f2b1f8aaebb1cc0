/**
 * Columns longer than the window (a reduced dim that is not the last, whose slab does not fit).
 * softmax, logSoftmax and logSumExp stream them in transposed chunks through the row kernels;
 * klDivLogits reductions cut them into segments combined by the chain rule (klSegments.ts), staged
 * transposed — whole-width chunks when STREAM_ROWS rows of every column fit, else 16 columns at
 * a time — and fall back to the two-pass stream when a segment's maximum is not finite; 'none'
 * takes the two-pass stream. Every path is checked against the float64 js backend on every WASM
 * backend, with special columns (NaN, all −inf, a single −inf, +inf) among ordinary logits, for
 * windows that force each path, and against the default window's in-window result.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose, initSync, klDiv, klDivLogits, klDivLogitsWithGrad, logSoftmax, logSumExp, setWarningHandler, softmax } from '../src/index.js';
import { WASM_BACKENDS, useBackend } from './helpers/backends.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

type Dtype = 'float32' | 'float64';
type Data = Float32Array | Float64Array;
const TOL: Record<Dtype, [number, number]> = { float32: [1.3e-6, 1e-6], float64: [1e-12, 1e-13] };

/** [R, K, W] logits: x ordinary except column 0 (one NaN), 1 (all −inf), 2 (one +inf); y with column 1 all −inf and column 3 one −inf. */
function logits(dtype: Dtype, R: number, K: number, W: number, seed: number): [Data, Data] {
  const rand = seeded(seed);
  const n = R * K * W;
  const make = (): Data => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  const x = make();
  const y = make();
  for (let i = 0; i < n; i++) {
    x[i] = 6 * (rand() - 0.5);
    y[i] = 0.6 * x[i]! + 3 * (rand() - 0.5);
  }
  if (W === 1) {
    // Rows (the streamed-row paths): row 0 with a +inf in x, row 1 with a −inf in y, row 2 NaN.
    x[K - 1] = Infinity;
    y[K + 7] = -Infinity;
    x[2 * K + 3] = NaN;
    return [x, y];
  }
  for (let r = 0; r < R; r++) {
    const at = (k: number, i: number): number => (r * K + k) * W + i;
    x[at(K >> 1, 0)] = NaN;
    for (let k = 0; k < K; k++) x[at(k, 1)] = y[at(k, 1)] = -Infinity;
    x[at(K - 1, 2)] = Infinity;
    y[at(K >> 2, 3)] = -Infinity;
  }
  return [x, y];
}

function outputs(x: { data: Data; shape: number[] }, y: { data: Data; shape: number[] }, dim: number): ArrayLike<number>[] {
  const g = klDivLogitsWithGrad(x, y, { dim, reduction: 'sum', temperature: 2 });
  return [
    softmax(x, dim).data, logSoftmax(x, dim).data, logSumExp(x, dim).data,
    klDivLogits(x, y, { dim, reduction: 'perSlice' }).data,
    klDivLogits(x, y, { dim, reduction: 'perSlice', temperature: 0.5 }).data,
    klDivLogits(x, y, { dim, reduction: 'none' }).data,
    g.gradInput.data,
  ];
}

const NAMES = ['softmax', 'logSoftmax', 'logSumExp', 'klDivLogits perSlice', 'klDivLogits perSlice T = 0.5', "klDivLogits 'none'", 'gradInput T = 2'];

describe.each(WASM_BACKENDS)('columns longer than the window on %s', (backend) => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: every op matches the float64 js backend, streamed, segmented and in-window`, () => {
      const [rtol, atol] = TOL[dtype];
      // [R, K, W], reduced dim 1: few columns (whole-width chunks); more than 16 columns (16 at a
      // time in small windows); columns ending in a partial group of 16; rows.
      for (const [R, K, W] of [[1, 3000, 3], [2, 700, 40], [1, 1500, 21], [4, 2000, 1]] as const) {
        const [xd, yd] = logits(dtype, R, K, W, K + W);
        const shape = [R, K, W];
        useBackend('js');
        const want = outputs({ data: Float64Array.from(xd), shape }, { data: Float64Array.from(yd), shape }, 1);
        for (const windowKiB of [1, 3, 16, 64, null]) {
          initSync(windowKiB === null ? { backend } : { backend, windowKiB });
          const got = outputs({ data: xd, shape }, { data: yd, shape }, 1);
          for (let i = 0; i < want.length; i++) {
            const bad = closeMismatch(got[i]!, want[i]!, rtol, atol);
            expect(bad, `${dtype} [${shape}] window ${windowKiB ?? 'default'} KiB: ${NAMES[i]}`).toBeNull();
          }
        }
      }
      initSync({ backend });
    });
  }

  it('klDivLogits sums of long columns are never negative and agree with perSlice', () => {
    // Nearly identical logits: the KL is tiny and the chain-rule combination must keep it ≥ 0.
    for (const dtype of ['float32', 'float64'] as const) {
      const [xd] = logits(dtype, 1, 4000, 5, 7);
      for (let i = 0; i < xd.length; i++) if (!Number.isFinite(xd[i]!)) xd[i] = 0;
      const yd = xd.map((v, i) => v + (i % 7 === 0 ? 1e-3 : 0));
      const shape = [4000, 5];
      for (const windowKiB of [2, 32]) {
        initSync({ backend, windowKiB });
        const per = klDivLogits({ data: xd, shape }, { data: yd, shape }, { dim: 0, reduction: 'perSlice' }).data;
        const sum = klDivLogits({ data: xd, shape }, { data: yd, shape }, { dim: 0, reduction: 'sum' }).item();
        for (const v of per) expect(v).toBeGreaterThanOrEqual(0);
        const total = Array.from(per).reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - total)).toBeLessThanOrEqual(1e-6 * total);
      }
    }
    initSync({ backend });
  });
});

describe.each(WASM_BACKENDS)('long slices at the edges on %s', (backend) => {
  it('klDivLogits is +inf, not NaN, where a segment with an infinite KL holds an underflowing share of the teacher', () => {
    // The teacher's mass sits on ten logits of 2000; a student −inf elsewhere makes KL = +inf,
    // while that segment's share P of the teacher underflows to 0 (P·inf was NaN).
    for (const dtype of ['float32', 'float64'] as const) {
      const N = 4000;
      const x = dtype === 'float64' ? new Float64Array(N) : new Float32Array(N);
      const y = dtype === 'float64' ? new Float64Array(N) : new Float32Array(N);
      y.fill(2000, 0, 10);
      x[3000] = -Infinity;
      useBackend('js');
      expect(klDivLogits(x, y, { reduction: 'sum' }).item()).toBe(Infinity);
      const colsWant = Array.from(klDivLogits({ data: x, shape: [N / 2, 2] }, { data: y, shape: [N / 2, 2] }, { dim: 0, reduction: 'perSlice' }).data);
      expect(colsWant[0]).toBe(Infinity);
      for (const windowKiB of [1, 2, 8, 64, null]) {
        initSync(windowKiB === null ? { backend } : { backend, windowKiB });
        expect(klDivLogits(x, y, { reduction: 'sum' }).item(), `${dtype} window ${windowKiB}`).toBe(Infinity);
        const cols = klDivLogits({ data: x, shape: [N / 2, 2] }, { data: y, shape: [N / 2, 2] }, { dim: 0, reduction: 'perSlice' }).data;
        expect(closeMismatch(cols, colsWant, ...TOL[dtype]), `${dtype} [${N / 2}, 2] dim 0 window ${windowKiB}`).toBeNull();
      }
    }
    initSync({ backend });
  });

  it('diagnose and klDiv validate work in the smallest window', () => {
    for (const [dtype, shape] of [['float64', [200, 12]], ['float32', [400, 16]], ['float64', [583, 5, 3, 4]]] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      const inner = n / shape[0];
      // Columns along dim 0 that are distributions: log q in the input, p in the target.
      const p = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
      const lq = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) {
        p[i] = 1 / shape[0];
        lq[i] = Math.log(1 / shape[0]);
      }
      useBackend('js');
      const want = diagnose({ data: lq, shape: [...shape] }, { data: p, shape: [...shape] }, { dim: 0 });
      initSync({ backend, windowKiB: 1 });
      const got = diagnose({ data: lq, shape: [...shape] }, { data: p, shape: [...shape] }, { dim: 0 });
      expect(got.ok, `${dtype} [${shape}]`).toBe(want.ok);
      expect(got.ok).toBe(true);
      const kl = klDiv({ data: lq, shape: [...shape] }, { data: p, shape: [...shape] }, { reduction: 'sum', validate: { dim: 0 } }).item();
      expect(Math.abs(kl)).toBeLessThan(1e-5 * inner);
    }
    initSync({ backend });
  });
});

describe.each(WASM_BACKENDS)('tiny KLs over long columns on %s', (backend) => {
  it('keep their relative accuracy where a column fits as a row (transposed tiles, not segments)', () => {
    // KL ≈ 5e-11 per column: the chain-rule segments' absolute floor would show as 1e-5…1e-4
    // relative; the row kernel keeps ~1e-7.
    for (const [shape, dim, windowKiB] of [[[40000, 8], 0, 1024], [[3, 20000, 4], 1, null]] as const) {
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      const rand = seeded(n);
      const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());
      const yd = new Float32Array(n).map(() => 2 * normal());
      const xd = yd.map((v) => v + 1e-5 * normal());
      useBackend('js');
      const want = klDivLogits({ data: Float64Array.from(xd), shape: [...shape] }, { data: Float64Array.from(yd), shape: [...shape] }, { dim, reduction: 'perSlice' }).data;
      initSync(windowKiB === null ? { backend } : { backend, windowKiB });
      const got = klDivLogits({ data: xd, shape: [...shape] }, { data: yd, shape: [...shape] }, { dim, reduction: 'perSlice' }).data;
      for (let i = 0; i < want.length; i++) {
        expect(want[i]!).toBeLessThan(1e-9);
        expect(Math.abs(got[i]! - want[i]!) / want[i]!, `[${shape}] dim ${dim} slice ${i}`).toBeLessThan(2e-6);
      }
    }
    initSync({ backend });
  });
});
