/**
 * The SIMD loops of logsumexp / softmax / log_softmax (rows: sumExpRowF32, sumExpRowF64, which
 * float64 softmax also stores through; columns: colSumExpF32x4, colSumExpF64x2), of klDivLogits' exponentials and terms (rowExpsF32, rowPrepF64,
 * rowTermsF32) and of kl_div (termsLoop: the fast t·log t and the log_target = 1 e^t) are
 * software-pipelined: each iteration issues the first stages of the next vector before finishing
 * the current one, with the last vector of a block finished without a successor. The mistakes
 * that scheme invites — the last vector of a block dropped or done twice, a vector finished with
 * its neighbour's stages, a result stored one vector off — depend on where an element sits, so
 * these tests move a single dominant element through every position of rows whose lengths
 * straddle the vector, pair and block boundaries (4 / 8 elements per iteration, blocks of 64
 * elements and of 64 vectors), on every backend and dtype, against float64 references.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { klDiv, klDivLogits, logSoftmax, logSumExp, softmax } from '../src/index.js';
import { ALL_BACKENDS, useBackend } from './helpers/backends.js';
import { seeded } from './helpers/random.js';

type Dt = 'float32' | 'float64';
type Arr = Float32Array | Float64Array;
const make = (dtype: Dt, n: number): Arr => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));

/** Lengths around 2, 4, 8 elements per vector / iteration, the 64-element blocks and the 64-vector blocks (256 f32, 128 f64). */
const LENGTHS = [2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 63, 64, 65, 66, 72, 127, 128, 129, 130, 136, 255, 256, 257, 260];

const RUNS = ALL_BACKENDS.flatMap((b) => (['float32', 'float64'] as const).map((d) => [b, d] as const));

/** float64 log Σ exp(x). */
function lseRef(x: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]!);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i]! - m);
  return m + Math.log(s);
}

describe.each(RUNS)('pipelined row loops on %s, %s', (name, dtype) => {
  beforeAll(() => useBackend(name));
  const tol = dtype === 'float32' ? 1.3e-6 : 1e-13;

  it('logsumexp, softmax and log_softmax: one dominant element at every position', () => {
    for (const n of LENGTHS) {
      for (let p = 0; p < n; p++) {
        // exp(−30 − 0) ≈ 9e-14 per other element: the dominant element decides the result, so a
        // dropped or doubled vector moves it by ≥ log 2 (or to ≈ −30), far outside the tolerance.
        const x = make(dtype, n).fill(-30);
        x[p] = 0;
        const ref = lseRef(x);
        const lse = logSumExp(x, -1).item();
        expect(Math.abs(lse - ref), `n ${n}, p ${p}: logsumexp ${lse} vs ${ref}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(ref)) + 1e-12);
        const sm = softmax(x, -1).data;
        const ls = logSoftmax(x, -1).data;
        // One expect per row (the first bad element, if any): per-element expects made this slow.
        let bad = '';
        for (let i = 0; i < n && bad === ''; i++) {
          const r = x[i]! - ref;
          const e = Math.exp(r);
          if (!(Math.abs(ls[i]! - r) <= tol * Math.max(1, Math.abs(r)))) bad = `log_softmax[${i}] ${ls[i]} vs ${r}`;
          else if (!(Math.abs(sm[i]! - e) <= tol * e + 1e-30)) bad = `softmax[${i}] ${sm[i]} vs ${e}`;
        }
        expect(bad, `n ${n}, p ${p}`).toBe('');
      }
    }
  });

  it('logsumexp, softmax and log_softmax along dim 0 (column kernels): one dominant element at every row of a column', () => {
    for (const W of [4, 5, 8]) {
      for (const K of [1, 2, 3, 7, 8, 9, 64, 65]) {
        for (let p = 0; p < K; p++) {
          const c = (p * 3) % W;
          const x = make(dtype, K * W).fill(-30);
          for (let k = 0; k < K; k++) x[k * W + ((c + 1) % W)] = -k / 4; // a second column with spread values
          x[p * W + c] = 0;
          const lse = logSumExp({ data: x, shape: [K, W] }, 0).data;
          const sm = softmax({ data: x, shape: [K, W] }, 0).data;
          const ls = logSoftmax({ data: x, shape: [K, W] }, 0).data;
          let bad = '';
          for (let j = 0; j < W && bad === ''; j++) {
            const col = Array.from({ length: K }, (_, k) => x[k * W + j]!);
            const ref = lseRef(col);
            if (!(Math.abs(lse[j]! - ref) <= tol * Math.max(1, Math.abs(ref)) + 1e-12)) bad = `logsumexp[${j}] ${lse[j]} vs ${ref}`;
            for (let k = 0; k < K && bad === ''; k++) {
              const r = col[k]! - ref;
              const e = Math.exp(r);
              if (!(Math.abs(ls[k * W + j]! - r) <= tol * Math.max(1, Math.abs(r)))) bad = `log_softmax[${k}, ${j}] ${ls[k * W + j]} vs ${r}`;
              else if (!(Math.abs(sm[k * W + j]! - e) <= tol * e + 1e-30)) bad = `softmax[${k}, ${j}] ${sm[k * W + j]} vs ${e}`;
            }
          }
          expect(bad, `[${K}, ${W}], dominant at row ${p}, column ${c}`).toBe('');
        }
      }
    }
  });

  it('softmax and log_softmax of random rows, element by element (each result stored at its own position)', () => {
    const rnd = seeded(5);
    for (const n of LENGTHS) {
      const x = make(dtype, n);
      for (let i = 0; i < n; i++) x[i] = 8 * rnd() - 4;
      const ref = lseRef(x);
      const sm = softmax(x, -1).data;
      const ls = logSoftmax(x, -1).data;
      for (let i = 0; i < n; i++) {
        const r = x[i]! - ref;
        expect(Math.abs(ls[i]! - r), `n ${n}: log_softmax[${i}]`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(r)));
        expect(Math.abs(sm[i]! - Math.exp(r)), `n ${n}: softmax[${i}]`).toBeLessThanOrEqual(tol * Math.exp(r));
      }
    }
  });

  it('kl_div terms with logTarget (e^t·(t − x)): every term equals the same term computed alone, at every position', () => {
    const rnd = seeded(13);
    for (const n of [...LENGTHS, 511, 512, 513]) {
      const x = make(dtype, n);
      const t = make(dtype, n);
      for (let i = 0; i < n; i++) {
        x[i] = -0.1 - 7.9 * rnd();
        t[i] = -0.1 - 7.9 * rnd(); // log-probabilities
      }
      const terms = klDiv(x, t, { reduction: 'none', logTarget: true }).data;
      let bad = '';
      for (let i = 0; i < n && bad === ''; i++) {
        const alone = klDiv(x.subarray(i, i + 1), t.subarray(i, i + 1), { reduction: 'none', logTarget: true }).data[0]!;
        const ref = Math.exp(t[i]!) * (t[i]! - x[i]!);
        if (!Object.is(terms[i], alone)) bad = `term ${i} ${terms[i]} vs alone ${alone}`;
        else if (!(Math.abs(terms[i]! - ref) <= 4 * tol * Math.abs(ref))) bad = `term ${i} ${terms[i]} vs float64 ${ref}`;
      }
      expect(bad, `n ${n}`).toBe('');
    }
  });

  it('kl_div terms: every term equals the same term computed alone, at every position', () => {
    const rnd = seeded(9);
    for (const n of [...LENGTHS, 511, 512, 513, 1031]) {
      const x = make(dtype, n);
      const t = make(dtype, n);
      for (let i = 0; i < n; i++) {
        x[i] = -0.1 - 7.9 * rnd();
        t[i] = 0.001 + 0.049 * rnd();
      }
      const terms = klDiv(x, t, { reduction: 'none' }).data;
      for (let i = 0; i < n; i++) {
        // A one-element call takes the scalar path: the same term by a different route.
        const alone = klDiv(x.subarray(i, i + 1), t.subarray(i, i + 1), { reduction: 'none' }).data[0]!;
        expect(Object.is(terms[i], alone), `n ${n}: term ${i} ${terms[i]} vs alone ${alone}`).toBe(true);
        // The term t·log t − t·x cancels, so its rounding error is relative to the two products.
        const a = t[i]! * Math.log(t[i]!);
        const b = t[i]! * x[i]!;
        expect(Math.abs(terms[i]! - (a - b)), `n ${n}: term ${i} vs float64`).toBeLessThanOrEqual(tol * (Math.abs(a) + Math.abs(b)));
      }
    }
  });

  it('kl_div sum: one dominant target at every position', () => {
    for (const n of [...LENGTHS, 511, 512, 513]) {
      for (let p = 0; p < n; p++) {
        const x = make(dtype, n).fill(-2);
        const t = make(dtype, n).fill(1e-9);
        x[p] = -0.5;
        t[p] = 0.75;
        let ref = 0;
        for (let i = 0; i < n; i++) ref += t[i]! * (Math.log(t[i]!) - x[i]!);
        const got = klDiv(x, t, { reduction: 'sum' }).item();
        expect(Math.abs(got - ref), `n ${n}, p ${p}: ${got} vs ${ref}`).toBeLessThanOrEqual(tol * Math.abs(ref) + 1e-12);
      }
    }
  });

  it('klDivLogits: one dominant teacher logit at every position', () => {
    for (const n of LENGTHS) {
      for (let p = 0; p < n; p++) {
        // Teacher ≈ one-hot at p, student uniform: KL ≈ log n. Student and teacher logits are
        // exponentiated in the same iteration, so also move a dominant student logit.
        const y = make(dtype, n).fill(-30);
        y[p] = 0;
        const x = make(dtype, n).fill(0);
        x[(p + 3) % n] = 2;
        const ly = lseRef(y);
        const lx = lseRef(x);
        const lp = Array.from(y, (v) => v - ly);
        const lq = Array.from(x, (v) => v - lx);
        let ref = 0;
        for (let i = 0; i < n; i++) ref += Math.exp(lp[i]!) * (lp[i]! - lq[i]!);
        const got = klDivLogits(x, y, { reduction: 'sum' }).item();
        expect(Math.abs(got - ref), `n ${n}, p ${p}: ${got} vs ${ref}`).toBeLessThanOrEqual(4 * tol * Math.abs(ref) + 1e-12);
        const points = klDivLogits(x, y, { reduction: 'none' }).data;
        let bad = '';
        for (let i = 0; i < n && bad === ''; i++) {
          const r = Math.exp(lp[i]!) * (lp[i]! - lq[i]!);
          if (!(Math.abs(points[i]! - r) <= 4 * tol * Math.abs(r) + 1e-12)) bad = `point ${i} ${points[i]} vs ${r}`;
        }
        expect(bad, `n ${n}, p ${p}`).toBe('');
      }
    }
  });
});
