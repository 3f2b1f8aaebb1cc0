/**
 * Large results come from uninitialised memory on Node (src/alloc.ts): every element must still be
 * the kernel's (compared in full against the float64 js backend, so leftover bytes would show),
 * and each result must own its whole ArrayBuffer (never a slice of Node's shared Buffer pool).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { UNINIT_MIN_BYTES, allocOverwritten } from '../src/alloc.js';
import { Tensor, initSync, klDiv, klDivLogits, logSoftmax, setWarningHandler, softmax } from '../src/index.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

function expectOwnBuffer(a: Float32Array | Float64Array): void {
  expect(a.byteOffset).toBe(0);
  expect(a.buffer.byteLength).toBe(a.byteLength);
}

describe('allocOverwritten', () => {
  it('gives an array of the requested dtype and length that owns its buffer, below and above the threshold', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const per = dtype === 'float32' ? 4 : 8;
      for (const n of [0, 1, 1000, UNINIT_MIN_BYTES / per - 1, UNINIT_MIN_BYTES / per, 3 * UNINIT_MIN_BYTES / per + 5]) {
        const a = allocOverwritten(dtype, n);
        expect(a).toBeInstanceOf(dtype === 'float32' ? Float32Array : Float64Array);
        expect(a.length).toBe(n);
        expectOwnBuffer(a);
      }
    }
  });
});

describe.each(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'] as const)('large results on %s', (name) => {
  const rand = seeded(7);
  // 3 × 300 000 float32 = 3.6 MB per result: above the threshold, and above a 1 MiB window so the
  // WASM backends also take their blocked path into a preallocated result.
  const shape = [3, 300_000];
  const n = 900_000;
  const x = new Float32Array(n).map(() => 4 * (rand() + rand() + rand() - 1.5));
  const y = x.map((v, i) => v + Math.sin(i));

  function both(op: () => Tensor): { got: Tensor; want: Tensor } {
    initSync({ backend: 'js' });
    const want = op();
    initSync({ backend: name, windowKiB: 1024, maxMemoryMiB: 16 });
    const big = op();
    initSync({ backend: name });
    const got = op();
    expect(closeMismatch(big.data, got.data, 2e-6, 1e-7), 'small window vs default window').toBeNull();
    expectOwnBuffer(big.data);
    return { got, want };
  }

  it('softmax and logSoftmax: every element written, fresh buffers', () => {
    for (const op of [() => softmax({ data: x, shape }, -1), () => logSoftmax({ data: x, shape }, -1)]) {
      const { got, want } = both(op);
      expect(got.data.length).toBe(n);
      expectOwnBuffer(got.data);
      expect(closeMismatch(got.data, want.data, 2e-6, 1e-6)).toBeNull();
    }
  });

  it("klDiv and klDivLogits 'none': every element written", () => {
    const lq = logSoftmax({ data: x, shape }, -1);
    const p = softmax({ data: y, shape }, -1);
    const a = both(() => klDiv(lq, p, { reduction: 'none' }));
    expectOwnBuffer(a.got.data);
    expect(closeMismatch(a.got.data, a.want.data, 2e-6, 1e-9)).toBeNull();
    const b = both(() => klDivLogits({ data: x, shape }, { data: y, shape }, { reduction: 'none' }));
    expectOwnBuffer(b.got.data);
    expect(closeMismatch(b.got.data, b.want.data, 1e-5, 1e-9)).toBeNull();
  });

  it("special rows (NaN, +inf, all −inf, −inf targets) still write every element of a large result", () => {
    const xs = x.slice();
    const ys = y.slice();
    xs[17] = NaN; // row 0
    xs.fill(-Infinity, 300_000, 600_000); // row 1: all −inf input logits
    ys[600_000 + 5] = Infinity; // row 2: +inf target logit
    for (let i = 600_100; i < 900_000; i += 7) ys[i] = -Infinity; // row 2: −inf targets too
    for (const op of [
      () => softmax({ data: xs, shape }, -1),
      () => logSoftmax({ data: xs, shape }, -1),
      () => klDivLogits({ data: xs, shape }, { data: ys, shape }, { reduction: 'none' }),
      () => klDiv(logSoftmax({ data: xs, shape }, -1), softmax({ data: ys, shape }, -1), { reduction: 'none' }),
    ]) {
      const { got, want } = both(op);
      expect(closeMismatch(got.data, want.data, 1e-5, 1e-6)).toBeNull();
    }
  });
});
