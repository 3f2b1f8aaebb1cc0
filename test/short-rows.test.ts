/**
 * Short rows (dim −1, inner = 1; at most 16 elements for softmax, logSoftmax and logSumExp, at most
 * 12 for the fused KL): the SIMD kernels take four rows at a time through static tiles, transposed,
 * and run their column code with one row per lane (assembly/shortRows.ts). Checked on every WASM
 * backend:
 * - against the float64 js backend (an independent implementation), including special rows;
 * - bit for bit against the same data laid out as columns (reduced over dim 0 of the transposed
 *   tensor), which runs the column code directly (also for the softmax family's wide tiles of 64
 *   rows). The row kernel sums in another order, so on this
 *   data it differs in the last bits ([12, 16] fails this check with the tile path switched off);
 *   rows in a trailing group of fewer than four take the row kernel, so every R here is a
 *   multiple of four;
 * - in place (`out` = the input, zero-copy) and through the staged path for many rows;
 * - klDivLogits (every reduction) and klDivLogitsWithGrad (loss and both gradients) against the js
 *   backend, and the two losses bit-identical per slice (both kernels use the tiles).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { allocTensor, initSync, klDivLogits, klDivLogitsWithGrad, logSoftmax, logSumExp, setWarningHandler, softmax } from '../src/index.js';
import { WASM_BACKENDS, useBackend } from './helpers/backends.js';
import { sameBits } from './helpers/bits.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';
import { type Dtype, type Op, OPS, TOL, run } from './helpers/sliceOps.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});


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
      // R ≥ 64: wide tiles of 64 rows (WIDE_GROUP) then groups of four, for the softmax family.
      for (const [R, K] of [[4, 5], [8, 3], [12, 16], [16, 1], [40, 7], [68, 2], [136, 5], [200, 16], [64, 11]] as const) {
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

    it(`${dtype}: the result does not depend on the window size (blocks start on whole groups of rows)`, () => {
      const R = 4099;
      const K = 12;
      const x = { data: rows(dtype, R, K, 99), shape: [R, K] };
      const y = { data: rows(dtype, R, K, 98).map((v) => v * 0.9), shape: [R, K] };
      const all = () => [
        softmax(x, -1).data,
        logSoftmax(x, -1).data,
        logSumExp(x, -1).data,
        klDivLogits(x, y, { reduction: 'perSlice' }).data,
      ];
      useBackend(backend);
      const wide = all();
      // 4 KiB: blocks of 18 to 85 rows would fit (by op and dtype); each is cut to a multiple of
      // 4. (A window too small for 4 rows per block, such as 1 KiB for float64 klDivLogits, takes
      // every row through the row kernel, which differs from the tiles in the last bits.)
      initSync({ backend, windowKiB: 4 });
      const narrow = all();
      initSync({ backend });
      for (let i = 0; i < wide.length; i++) expect(sameBits(narrow[i]!, wide[i]!), `output ${i}`).toBeNull();
      // Longer rows that still fit the window (with klDivLogits' scratch: 96 KiB per float64 row),
      // two per block at 256 KiB: whole rows per kernel call, however many per block.
      const lx = { data: rows(dtype, 40, 3000, 97), shape: [40, 3000] };
      const ly = { data: rows(dtype, 40, 3000, 96).map((v) => v * 0.9), shape: [40, 3000] };
      const long = () => [softmax(lx, -1).data, logSoftmax(lx, -1).data, logSumExp(lx, -1).data, klDivLogits(lx, ly, { reduction: 'perSlice' }).data];
      const longWide = long();
      initSync({ backend, windowKiB: 256 });
      const longNarrow = long();
      initSync({ backend });
      for (let i = 0; i < longWide.length; i++) expect(sameBits(longNarrow[i]!, longWide[i]!), `[40, 3000] output ${i}`).toBeNull();
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

/** Student and teacher logits of R rows of K: random pairs, then rows with special values. */
function logitPairs(dtype: Dtype, R: number, K: number, seed: number) {
  const rand = seeded(seed);
  const x = make(dtype, R * K, () => 4 * (rand() + rand() - 1));
  const y = make(dtype, R * K, (i) => x[i]! + 0.5 * (rand() - 0.5));
  const row = (r: number, f: (k: number, i: number) => void): void => {
    if (r < R) for (let k = 0; k < K; k++) f(k, r * K + k);
  };
  row(1, (k, i) => { if (k === 0) y[i] = -Infinity; }); // a class the teacher rules out
  row(2, (_k, i) => { y[i] = x[i]!; }); // identical row: exactly 0
  row(3, (k, i) => { if (k === K - 1) x[i] = -Infinity; }); // student rules out a teacher class: +inf
  row(5, (k, i) => { if (k === 1) x[i] = NaN; });
  row(6, (k, i) => { x[i] = 1e30 * (k + 1); y[i] = 1e30 * (k + 1) + k; });
  return { x, y };
}

describe.each(WASM_BACKENDS)('short rows of the fused KL on %s', (backend) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const rtol = dtype === 'float32' ? 5e-7 : 1e-12;
    // Gradients are differences q − p: their float32 error is absolute (a few ulp of T·q), not
    // relative, where the distributions are close.
    const [grtol, gatol] = dtype === 'float32' ? [1e-6, 1e-6] : [1e-12, 1e-13];

    it(`${dtype}: klDivLogits and klDivLogitsWithGrad match the js backend; the losses are bit-identical per slice`, () => {
      for (const R of [4, 7, 8, 13]) {
        for (const K of [1, 2, 3, 5, 8, 12, 13]) {
          const { x, y } = logitPairs(dtype, R, K, 31 * R + K);
          const X = { data: x, shape: [R, K] };
          const Y = { data: y, shape: [R, K] };
          for (const temperature of [1, 2.5]) {
            const where = `[${R}, ${K}] T = ${temperature}`;
            useBackend('js');
            const wantSlices = klDivLogits(X, Y, { temperature, reduction: 'perSlice' });
            const wantNone = klDivLogits(X, Y, { temperature, reduction: 'none' });
            const wantGrad = klDivLogitsWithGrad(X, Y, { temperature, reduction: 'sum', gradTarget: true });
            useBackend(backend);
            const slices = klDivLogits(X, Y, { temperature, reduction: 'perSlice' });
            expect(closeMismatch(slices.data, wantSlices.data, rtol, 1e-12), `perSlice ${where}`).toBeNull();
            expect(slices.data[2]).toBe(0);
            expect(closeMismatch(klDivLogits(X, Y, { temperature, reduction: 'none' }).data, wantNone.data, 1e-5, 1e-9), `none ${where}`).toBeNull();
            const grad = klDivLogitsWithGrad(X, Y, { temperature, reduction: 'perSlice', gradTarget: true });
            expect(sameBits(grad.loss.data, slices.data), `loss of klDivLogitsWithGrad vs klDivLogits ${where}`).toBeNull();
            const sum = klDivLogitsWithGrad(X, Y, { temperature, reduction: 'sum', gradTarget: true });
            expect(closeMismatch(sum.gradInput.data, wantGrad.gradInput.data, grtol, gatol), `gradInput ${where}`).toBeNull();
            expect(closeMismatch(sum.gradTarget!.data, wantGrad.gradTarget!.data, grtol, gatol), `gradTarget ${where}`).toBeNull();
          }
        }
      }
    });

    it(`${dtype}: wide tiles (64 rows) give the column code's bits: per slice, 'none', the sum, klDivLogitsWithGrad`, () => {
      // Rows [R, K] along dim 1 against the same data as columns [K, R] along dim 0, which runs
      // the column kernel over all R lanes at once; R = 200 takes three tiles of 64 rows and two
      // of 4, whose running sum must add the groups in the column kernel's order.
      useBackend(backend);
      for (const [R, K] of [[200, 5], [64, 12], [132, 3], [68, 8]] as const) {
        const { x, y } = logitPairs(dtype, R, K, 17 * R + K);
        const X = { data: x, shape: [R, K] };
        const Y = { data: y, shape: [R, K] };
        const XT = { data: transpose(x, R, K), shape: [K, R] };
        const YT = { data: transpose(y, R, K), shape: [K, R] };
        for (const temperature of [1, 2.5]) {
          const where = `[${R}, ${K}] T = ${temperature}`;
          const rows = klDivLogits(X, Y, { temperature, reduction: 'perSlice' }).data;
          expect(sameBits(rows, klDivLogits(XT, YT, { dim: 0, temperature, reduction: 'perSlice' }).data), `perSlice ${where}`).toBeNull();
          const sumRows = klDivLogits(X, Y, { temperature, reduction: 'sum' }).item();
          expect(sameBits([sumRows], [klDivLogits(XT, YT, { dim: 0, temperature, reduction: 'sum' }).item()]), `sum ${where}`).toBeNull();
          const none = klDivLogits(X, Y, { temperature, reduction: 'none' }).data;
          expect(sameBits(none, transpose(klDivLogits(XT, YT, { dim: 0, temperature, reduction: 'none' }).data, K, R)), `none ${where}`).toBeNull();
          const g = klDivLogitsWithGrad(X, Y, { temperature, reduction: 'sum', gradTarget: true });
          const gT = klDivLogitsWithGrad(XT, YT, { dim: 0, temperature, reduction: 'sum', gradTarget: true });
          expect(sameBits([g.loss.item()], [sumRows]), `loss ${where}`).toBeNull();
          expect(sameBits(g.gradInput.data, transpose(gT.gradInput.data, K, R)), `gradInput ${where}`).toBeNull();
          expect(sameBits(g.gradTarget!.data, transpose(gT.gradTarget!.data, K, R)), `gradTarget ${where}`).toBeNull();
        }
      }
    });
  }
});
