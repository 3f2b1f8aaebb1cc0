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
import { initSync, klDivLogits, klDivLogitsWithGrad, logSoftmax, logSumExp, setWarningHandler, softmax } from '../src/index.js';
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
