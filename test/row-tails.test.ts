/**
 * Row tails: the elements a row kernel's vector loop leaves (K mod 8 for the float32 softmax
 * family, K mod 4 for float64 and for the float32 fused KL) take one or two vector exponentials
 * (and, for klDivLogits, one vector of terms) loaded overlapping the row's last vectors, instead
 * of one scalar exponential each (assembly/rowsum.ts rowTailExpsF32 / rowTailExpsF64,
 * klRows.ts rowTailExpsPairF32, klDivLogits.ts rowTermTailF32). Checked on every WASM backend,
 * over every residue of K, with special values placed in the tail:
 * - against the float64 js backend (an independent implementation);
 * - in place (`out` = the input, zero-copy) bit for bit against a separate output: in place, the
 *   overlapping loads see outputs in the lanes the loop already did, which must be ignored;
 * - elementwise outputs (softmax; klDivLogits' point terms; klDivLogitsWithGrad's gradients) of
 *   tail elements bit for bit against the same logits placed at the start of the row, which the
 *   vector loop computes: the tail must compute the loop's function (whose lanes are the scalar
 *   twins' bits);
 * - klDivLogits' per-slice KLs bit for bit against klDivLogitsWithGrad's loss;
 * - rows longer than the window (streamed passes, exponentials recomputed) against the js backend.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { allocTensor, initSync, klDivLogits, klDivLogitsWithGrad, logSoftmax, setWarningHandler, softmax } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { WASM_BACKENDS, useBackend } from './helpers/backends.js';
import { sameBits } from './helpers/bits.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';
import { type Dtype, OPS, TOL, run } from './helpers/sliceOps.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

type FloatArray = Float32Array | Float64Array;

function make(dtype: Dtype, n: number, fill: (i: number) => number): FloatArray {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = fill(i);
  return a;
}

/** Row lengths past the short-row tiles (16 for the softmax family), every residue mod 8, and a few longer rows. */
const SOFTMAX_KS = [...Array.from({ length: 24 }, (_, i) => 17 + i), 63, 97, 100, 101, 1001, 1003];
/** Past the fused KL's tiles (12), every residue mod 4. */
const KL_KS = [...Array.from({ length: 20 }, (_, i) => 13 + i), 101, 1002, 1003];

/** R = 7 rows of random logits; rows 1–6 put a special value at a tail position (the last 1–7 elements). */
function tailRows(dtype: Dtype, K: number, seed: number): FloatArray {
  const R = 7;
  const rand = seeded(seed);
  const x = make(dtype, R * K, () => 6 * (rand() + rand() - 1));
  const specials = [NaN, Infinity, -Infinity, 1e30, -1e30, 0];
  for (let r = 1; r < R; r++) {
    const back = 1 + ((r * 3 + K) % 7); // 1…7 elements from the end
    x[r * K + K - back] = specials[r - 1]!;
  }
  return x;
}

describe.each(WASM_BACKENDS)('row tails on %s', (backend) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const [rtol, atol] = TOL[dtype];

    it(`${dtype}: softmax, logSoftmax and logSumExp match the js backend for K = 17…40 and longer rows, specials in the tail`, () => {
      for (const K of SOFTMAX_KS) {
        const x = { data: tailRows(dtype, K, K), shape: [7, K] };
        for (const op of OPS) {
          useBackend('js');
          const want = run(op, x, -1);
          useBackend(backend);
          const got = run(op, x, -1);
          expect(closeMismatch(got.data, want.data, rtol, atol), `${op} [7, ${K}]`).toBeNull();
        }
      }
    });

    it(`${dtype}: softmax and logSoftmax in place give the bits of a separate output`, () => {
      useBackend(backend);
      for (const K of SOFTMAX_KS) {
        const data = tailRows(dtype, K, 1000 + K);
        for (const f of [softmax, logSoftmax]) {
          const want = f({ data, shape: [7, K] }, -1).data;
          const z = allocTensor([7, K], dtype);
          z.data.set(data);
          f(z, -1, { out: z });
          expect(sameBits(z.data, want), `${f.name} [7, ${K}] in place`).toBeNull();
          z.free();
        }
      }
    });

    it(`${dtype}: rows longer than the window (streamed) match the js backend`, () => {
      for (const K of [2047, 4099]) {
        const x = { data: tailRows(dtype, K, 7 * K), shape: [7, K] };
        const y = { data: tailRows(dtype, K, 7 * K + 1).map((v) => (Number.isFinite(v) ? 0.8 * v : 0)), shape: [7, K] };
        useBackend('js');
        const want = OPS.map((op) => run(op, x, -1).data);
        const wantKl = klDivLogits(x, y, { reduction: 'perSlice', temperature: 1.5 }).data;
        initSync({ backend, windowKiB: 4 });
        try {
          OPS.forEach((op, i) => expect(closeMismatch(run(op, x, -1).data, want[i]!, rtol, atol), `${op} [7, ${K}] streamed`).toBeNull());
          const kl = klDivLogits(x, y, { reduction: 'perSlice', temperature: 1.5 }).data;
          expect(closeMismatch(kl, wantKl, dtype === 'float32' ? 5e-7 : 1e-12, 1e-12), `klDivLogits [7, ${K}] streamed`).toBeNull();
        } finally {
          initSync({ backend });
        }
      }
    });

    it(`${dtype}: a tail element's outputs have the bits of the same logits at the start of the row`, () => {
      useBackend(backend);
      for (const K of [...SOFTMAX_KS, ...KL_KS]) {
        const step = dtype === 'float32' ? 8 : 4;
        const r = K % step; // elements after the vector loop (for the fused KL: K % 4)
        const rand = seeded(5 * K);
        const x = make(dtype, 2 * K, () => 3 * (rand() + rand() - 1));
        const y = make(dtype, 2 * K, (i) => x[i]! + 0.8 * (rand() - 0.5));
        const g = make(dtype, 2 * K, () => rand() - 0.5);
        y[K] = -Infinity; // row 1: the teacher rules out class 0, and its copy in the tail
        // The last 7 elements of each row repeat its first 7 (every tail length is ≤ 7).
        for (const base of [0, K]) {
          for (let j = 0; j < 7 && j < K - 7; j++) {
            x[base + K - 7 + j] = x[base + j]!;
            y[base + K - 7 + j] = y[base + j]!;
            g[base + K - 7 + j] = g[base + j]!;
          }
        }
        if (K < 14) continue;
        const X = { data: x, shape: [2, K] };
        const Y = { data: y, shape: [2, K] };
        const G = { data: g, shape: [2, K] };
        const outs: [string, FloatArray][] = [['softmax', softmax(X, -1).data]];
        for (const temperature of [1, 2.5]) {
          outs.push([`klDivLogits 'none' T = ${temperature}`, klDivLogits(X, Y, { temperature, reduction: 'none' }).data]);
          const sum = klDivLogitsWithGrad(X, Y, { temperature, reduction: 'sum', gradTarget: true });
          outs.push([`gradInput 'sum' T = ${temperature}`, sum.gradInput.data], [`gradTarget 'sum' T = ${temperature}`, (sum.gradTarget as Tensor).data]);
          const none = klDivLogitsWithGrad(X, Y, { temperature, reduction: 'none', gradOutput: G, gradTarget: true });
          outs.push([`loss 'none' T = ${temperature}`, none.loss.data], [`gradInput 'none' T = ${temperature}`, none.gradInput.data]);
          outs.push([`gradTarget 'none' T = ${temperature}`, (none.gradTarget as Tensor).data]);
        }
        for (const [name, out] of outs) {
          for (const base of [0, K]) {
            for (let j = 0; j < 7; j++) {
              expect(Object.is(out[base + K - 7 + j], out[base + j]), `${name} [2, ${K}] row ${base / K}, element ${K - 7 + j} (tail ${r}) vs ${j}`).toBe(true);
            }
          }
        }
      }
    });

    it(`${dtype}: klDivLogits matches the js backend, and its per-slice KLs are klDivLogitsWithGrad's loss bit for bit`, () => {
      const klRtol = dtype === 'float32' ? 5e-7 : 1e-12;
      for (const K of KL_KS) {
        const rand = seeded(77 * K);
        const x = make(dtype, 7 * K, () => 4 * (rand() + rand() - 1));
        const y = make(dtype, 7 * K, (i) => x[i]! + 0.6 * (rand() - 0.5));
        // Tail specials: the teacher rules a class out (y = −inf: term q), the student rules out a
        // teacher class (x = −inf: +inf), a NaN, identical rows apart from the tail.
        y[1 * K + K - 1] = -Infinity;
        x[2 * K + K - 2] = -Infinity;
        x[3 * K + K - 3] = NaN;
        for (let k = 0; k < K - 2; k++) y[4 * K + k] = x[4 * K + k]!;
        const X = { data: x, shape: [7, K] };
        const Y = { data: y, shape: [7, K] };
        for (const temperature of [1, 2.5]) {
          const where = `[7, ${K}] T = ${temperature}`;
          useBackend('js');
          const wantSlices = klDivLogits(X, Y, { temperature, reduction: 'perSlice' }).data;
          const wantNone = klDivLogits(X, Y, { temperature, reduction: 'none' }).data;
          useBackend(backend);
          const slices = klDivLogits(X, Y, { temperature, reduction: 'perSlice' }).data;
          expect(closeMismatch(slices, wantSlices, klRtol, 1e-12), `perSlice ${where}`).toBeNull();
          expect(closeMismatch(klDivLogits(X, Y, { temperature, reduction: 'none' }).data, wantNone, 1e-5, 1e-9), `none ${where}`).toBeNull();
          const loss = klDivLogitsWithGrad(X, Y, { temperature, reduction: 'perSlice' }).loss.data;
          expect(sameBits(loss, slices), `klDivLogitsWithGrad loss vs klDivLogits ${where}`).toBeNull();
        }
      }
    });
  }
});
