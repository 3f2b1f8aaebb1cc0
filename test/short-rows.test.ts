/**
 * Short rows (dim −1 of at most 16 elements, inner = 1): the SIMD kernels take four rows at a time
 * through a static tile, transposed, and run their column code with one row per lane
 * (assembly/shortRows.ts). Checked three ways on every WASM backend:
 * - against the float64 js backend (an independent implementation), including special rows;
 * - bit for bit against the same data laid out as columns (reduced over dim 0 of the transposed
 *   tensor), which runs the column code directly. The row kernel sums in another order, so on this
 *   data it differs in the last bits ([12, 16] fails this check with the tile path switched off);
 *   rows in a trailing group of fewer than four take the row kernel, so every R here is a
 *   multiple of four;
 * - in place (`out` = the input, zero-copy) and through the staged path for many rows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, allocTensor, initSync, logSoftmax, logSumExp, setWarningHandler, softmax } from '../src/index.js';
import { WASM_BACKENDS, useBackend } from './helpers/backends.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

type Dtype = 'float32' | 'float64';
type Op = 'logSumExp' | 'softmax' | 'logSoftmax';
const OPS: readonly Op[] = ['logSumExp', 'softmax', 'logSoftmax'];
const TOL: Record<Dtype, [number, number]> = { float32: [1.3e-6, 1e-6], float64: [1e-13, 1e-13] };

function run(op: Op, x: { data: Float32Array | Float64Array; shape: number[] }, dim: number): Tensor {
  return op === 'logSumExp' ? logSumExp(x, dim) : op === 'softmax' ? softmax(x, dim) : logSoftmax(x, dim);
}

function make(dtype: Dtype, n: number, fill: (i: number) => number): Float32Array | Float64Array {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = fill(i);
  return a;
}

/** [R, K] row-major → [K, R] row-major. */
function transpose(a: Float32Array | Float64Array, R: number, K: number): Float32Array | Float64Array {
  const t = a.slice();
  for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) t[k * R + r] = a[r * K + k]!;
  return t;
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `length ${a.length} ≠ ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `element ${i}: ${a[i]} vs ${b[i]}`;
  return null;
}

/** Rows of random logits, then special rows: NaN, +inf, all −inf, one −inf, huge and tiny values. */
function rows(dtype: Dtype, R: number, K: number, seed: number): Float32Array | Float64Array {
  const rand = seeded(seed);
  const x = make(dtype, R * K, () => 6 * (rand() + rand() - 1));
  const put = (r: number, vals: (k: number) => number): void => {
    if (r < R) for (let k = 0; k < K; k++) x[r * K + k] = vals(k);
  };
  put(1, (k) => (k === K - 1 ? NaN : x[K + k]!));
  put(2, (k) => (k === 0 ? Infinity : x[2 * K + k]!));
  put(3, () => -Infinity);
  put(5, (k) => (k === K >> 1 ? -Infinity : x[5 * K + k]!));
  put(6, (k) => (k === 0 ? 1e30 : -1e30 + k));
  put(7, (k) => 1e-30 * k);
  return x;
}

describe.each(WASM_BACKENDS)('short rows on %s', (backend) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const [rtol, atol] = TOL[dtype];

    it(`${dtype}: every op matches the js backend, R = 4…13, K = 1…17, special rows included`, () => {
      for (const R of [4, 5, 7, 8, 13]) {
        for (const K of [1, 2, 3, 4, 5, 8, 9, 15, 16, 17]) {
          const x = { data: rows(dtype, R, K, 100 * R + K), shape: [R, K] };
          for (const op of OPS) {
            useBackend('js');
            const want = run(op, x, -1);
            useBackend(backend);
            const got = run(op, x, -1);
            expect(got.shape).toEqual(want.shape);
            expect(closeMismatch(got.data, want.data, rtol, atol), `${op} [${R}, ${K}]`).toBeNull();
          }
        }
      }
    });

    it(`${dtype}: rows in groups of four give the column code's bits (transposed layout, dim 0)`, () => {
      useBackend(backend);
      for (const [R, K] of [[4, 5], [8, 3], [12, 16], [16, 1], [40, 7]] as const) {
        const data = rows(dtype, R, K, 7 * R + K);
        const t = transpose(data, R, K);
        for (const op of OPS) {
          const byRow = run(op, { data, shape: [R, K] }, -1);
          const byCol = run(op, { data: t, shape: [K, R] }, 0);
          const colAsRows = op === 'logSumExp' ? byCol.data : transpose(byCol.data, K, R);
          expect(sameBits(byRow.data, colAsRows), `${op} [${R}, ${K}]`).toBeNull();
        }
      }
    });

    it(`${dtype}: many short rows through the staged path and in place on zero-copy tensors`, () => {
      for (const [R, K] of [[4099, 5], [1000, 3], [257, 16]] as const) {
        const x = { data: rows(dtype, R, K, R + K), shape: [R, K] };
        for (const op of OPS) {
          useBackend('js');
          const want = run(op, x, -1);
          useBackend(backend);
          expect(closeMismatch(run(op, x, -1).data, want.data, rtol, atol), `${op} [${R}, ${K}] staged`).toBeNull();
          const z = allocTensor([R, K], dtype);
          z.data.set(x.data);
          if (op === 'logSumExp') {
            expect(closeMismatch(logSumExp(z, -1).data, want.data, rtol, atol), `${op} [${R}, ${K}] zero-copy`).toBeNull();
          } else {
            // out = input: every group of rows is read into the tile before it is written back.
            (op === 'softmax' ? softmax : logSoftmax)(z, -1, { out: z });
            expect(closeMismatch(z.data, want.data, rtol, atol), `${op} [${R}, ${K}] in place`).toBeNull();
          }
          z.free();
        }
      }
    });
  }
});
