/**
 * Column slabs whose width W is not a multiple of four (assembly/colTails.ts): the float32 SIMD
 * column kernels of softmax, logSoftmax, logSumExp, klDivLogits and klDivLogitsWithGrad stage the last four columns of
 * a slab (the tail, W > 4, long columns) or pack several whole slabs side by side (W = 2, 3, and
 * short columns with a tail), so that every column runs in a vector lane. Checked on every WASM backend (the
 * scalar build walks every column with scalar code, so it is the control):
 * - against the float64 js backend, with special columns in the tail and in the packed slabs
 *   (NaN, +inf, all −inf, a single −inf, huge and tiny values);
 * - bit for bit against the same columns in a slab widened to a multiple of four columns (the
 *   plain vector walk, no tail): a column's result depends neither on its lane nor on the slabs
 *   packed beside it (float32 W = 2, 3 from K = 64 up excepted: the facade transposes those into
 *   rows, column-blocks.test.ts);
 * - bit for bit against one call per slab (groups of packed slabs split differently, and the last
 *   group's zero lanes);
 * - typed, zero-copy and in place (`out` = the input) give the same bits.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, allocTensor, initSync, klDivLogits, klDivLogitsWithGrad, logSoftmax, setWarningHandler, softmax } from '../src/index.js';
import { WASM_BACKENDS, useBackend } from './helpers/backends.js';
import { sameBits } from './helpers/bits.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';
import { type Dtype, OPS, TOL, run } from './helpers/sliceOps.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

type F = Float32Array | Float64Array;

/** [R, K, W] logits; special columns at the start, in the middle and in the last (tail) columns. */
function slabs(dtype: Dtype, R: number, K: number, W: number, seed: number): F {
  const rand = seeded(seed);
  const n = R * K * W;
  const x = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 6 * (rand() + rand() - 1);
  const put = (r: number, i: number, v: (k: number) => number): void => {
    if (r < R && i >= 0 && i < W) for (let k = 0; k < K; k++) x[(r * K + k) * W + i] = v(k);
  };
  put(0, W - 1, (k) => (k === K - 1 ? NaN : 0.5 * k));
  put(1, W - 1, (k) => (k === 0 ? Infinity : -k));
  put(1, W - 2, () => -Infinity);
  put(2, W - 1, (k) => (k === K >> 1 ? -Infinity : 0.25 * k));
  put(2, 0, (k) => (k === 0 ? 1e30 : -1e30 + k));
  put(3, W - 1, (k) => 1e-30 * k);
  put(R - 1, W >> 1, (k) => 3e38 - k * 1e32);
  return x;
}

/** The [R, K, W] data inside a [R, K, Wp] slab (Wp a multiple of four, > W); other columns random. */
function widened(x: F, R: number, K: number, W: number, seed: number): { data: F; Wp: number } {
  const Wp = 4 * Math.ceil(W / 4) + 4;
  const rand = seeded(seed);
  const y = x instanceof Float64Array ? new Float64Array(R * K * Wp) : new Float32Array(R * K * Wp);
  for (let i = 0; i < y.length; i++) y[i] = 6 * (rand() - 0.5);
  for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) for (let i = 0; i < W; i++) y[(r * K + k) * Wp + i] = x[(r * K + k) * W + i]!;
  return { data: y, Wp };
}

/** The first W of every Wp values per (r, k) row (softmax pair: K rows per slab; logsumexp: 1). */
function narrowed(y: F, rows: number, W: number, Wp: number): F {
  const x = y instanceof Float64Array ? new Float64Array(rows * W) : new Float32Array(rows * W);
  for (let j = 0; j < rows; j++) for (let i = 0; i < W; i++) x[j * W + i] = y[j * Wp + i]!;
  return x;
}

const WIDTHS = [2, 3, 5, 6, 7, 9, 10, 13];
const LENGTHS = [1, 2, 3, 10, 63, 64, 100, 2000];

describe.each(WASM_BACKENDS)('column slabs with a tail or narrower than a vector on %s', (backend) => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: every op matches the float64 js backend and the same columns in a slab of whole vectors, bit for bit`, () => {
      for (const W of WIDTHS) {
        for (const K of LENGTHS) {
          for (const R of [1, 5, 19]) {
            if (R * K * W > 200_000) continue;
            const x = slabs(dtype, R, K, W, 1000 * W + K + R);
            const shape = [R, K, W];
            const { data: y, Wp } = widened(x, R, K, W, K * W);
            useBackend('js');
            const want = OPS.map((op) => run(op, { data: Float64Array.from(x), shape }, 1).data);
            useBackend(backend);
            OPS.forEach((op, j) => {
              const got = run(op, { data: x, shape }, 1).data;
              const label = `${op} [${shape}]`;
              expect(closeMismatch(got, want[j]!, ...TOL[dtype]), label).toBeNull();
              // float32 W = 2, 3 with K ≥ 64 is transposed into rows by the facade (narrowSlabs) and
              // takes the row kernels, which sum in another order; the js comparison covers it.
              if (dtype === 'float32' && W < 4 && K >= 64) return;
              const wide = run(op, { data: y, shape: [R, K, Wp] }, 1).data;
              expect(sameBits(got, narrowed(wide, op === 'logSumExp' ? R : R * K, W, Wp)), `${label} against the widened slab`).toBeNull();
            });
          }
        }
      }
    });

    it(`${dtype}: one call per slab, zero-copy and in place give the whole call's bits`, () => {
      for (const [R, K, W] of [[37, 10, 2], [23, 5, 3], [9, 40, 7], [11, 63, 6], [4, 700, 5], [3, 300, 10], [7, 1, 3], [33, 2, 2]] as const) {
        const x = slabs(dtype, R, K, W, 7 * R + K * W);
        const shape = [R, K, W];
        useBackend(backend);
        for (const op of OPS) {
          const whole = run(op, { data: x, shape }, 1).data;
          const per = op === 'logSumExp' ? W : K * W;
          for (let r = 0; r < R; r++) {
            const one = run(op, { data: x.slice(r * K * W, (r + 1) * K * W), shape: [1, K, W] }, 1).data;
            expect(sameBits(one, whole.subarray(r * per, (r + 1) * per)), `${op} [${shape}] slab ${r} alone`).toBeNull();
          }
          const t = allocTensor(shape, dtype);
          t.data.set(x);
          expect(sameBits(run(op, t, 1).data, whole), `zero-copy ${op} [${shape}]`).toBeNull();
          if (op !== 'logSumExp') {
            const f = op === 'softmax' ? softmax : logSoftmax;
            f(t, 1, { out: t });
            expect(sameBits(t.data, whole), `zero-copy in place ${op} [${shape}]`).toBeNull();
            const inPlace = new Tensor(x.slice(), shape);
            f(inPlace, 1, { out: inPlace });
            expect(sameBits(inPlace.data, whole), `in place ${op} [${shape}]`).toBeNull();
          }
          t.free();
        }
      }
    });
  }
});

describe.each(WASM_BACKENDS)('klDivLogits over column slabs with a tail or narrower than a vector on %s', (backend) => {
  type L = { data: F; shape: number[] } | Tensor;
  const outputs = (x: L, y: L, T: number): F[] => [
    klDivLogits(x, y, { dim: 1, reduction: 'perSlice', temperature: T }).data,
    klDivLogits(x, y, { dim: 1, reduction: 'none', temperature: T }).data,
    Float64Array.of(klDivLogits(x, y, { dim: 1, reduction: 'sum', temperature: T }).item()),
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: 'perSlice', 'none' and 'sum' match the float64 js backend; per-slice KLs and point terms have the bits of the same columns in a slab of whole vectors`, () => {
      for (const W of [2, 3, 5, 6, 7, 10]) {
        for (const K of [1, 2, 10, 63, 100, 700]) {
          for (const [R, T] of [[1, 1], [5, 2.5], [19, 0.5]] as const) {
            if (R * K * W > 100_000) continue;
            const x = slabs(dtype, R, K, W, 31 * W + K + R);
            const y = x.map((v, i) => (Number.isFinite(v) ? 0.7 * v + ((i * 7919) % 13) / 6 - 1 : v));
            if (K > 1) y[W * (K >> 1) + W - 1] = -Infinity; // a teacher −inf in the last column of slab 0
            const shape = [R, K, W];
            useBackend('js');
            const want = outputs({ data: Float64Array.from(x), shape }, { data: Float64Array.from(y), shape }, T);
            useBackend(backend);
            const got = outputs({ data: x, shape }, { data: y, shape }, T);
            const label = `[${shape}] T = ${T}`;
            got.forEach((g, i) => expect(closeMismatch(g, want[i]!, 2e-6, 1e-6), `${label} output ${i}`).toBeNull());
            // float32 W = 2, 3 from K = 64 up: transposed into rows by the facade (column-blocks.test.ts).
            if (dtype === 'float32' && W < 4 && K >= 64) continue;
            const { data: xw, Wp } = widened(x, R, K, W, K + W);
            const { data: yw } = widened(y, R, K, W, K + W + 1);
            const wide = outputs({ data: xw, shape: [R, K, Wp] }, { data: yw, shape: [R, K, Wp] }, T);
            expect(sameBits(got[0]!, narrowed(wide[0]!, R, W, Wp)), `${label} per-slice KLs against the widened slab`).toBeNull();
            expect(sameBits(got[1]!, narrowed(wide[1]!, R * K, W, Wp)), `${label} point terms against the widened slab`).toBeNull();
          }
        }
      }
    });

    it(`${dtype}: one call per slab and zero-copy operands give the whole call's bits, 'sum' included`, () => {
      for (const [R, K, W] of [[37, 10, 2], [23, 5, 3], [9, 40, 7], [11, 63, 6], [4, 700, 5], [3, 300, 10], [7, 1, 3], [33, 2, 2]] as const) {
        // Finite logits (the specials would make every total NaN), so that 'sum' is checked too.
        const x = slabs(dtype, R, K, W, 5 * R + K * W).map((v, i) => (Number.isFinite(v) && Math.abs(v) < 100 ? v : (i % 7) - 3));
        const y = x.map((v, i) => v + ((i * 104729) % 11) / 5 - 1);
        const shape = [R, K, W];
        useBackend('js');
        const want = klDivLogits({ data: Float64Array.from(x), shape }, { data: Float64Array.from(y), shape }, { dim: 1, reduction: 'sum' }).item();
        useBackend(backend);
        const whole = outputs({ data: x, shape }, { data: y, shape }, 1);
        expect(Math.abs(whole[2]![0]! - want)).toBeLessThanOrEqual(2e-6 * want);
        let sum = 0;
        for (let r = 0; r < R; r++) {
          const sl = (a: F) => a.slice(r * K * W, (r + 1) * K * W);
          const one = outputs({ data: sl(x), shape: [1, K, W] }, { data: sl(y), shape: [1, K, W] }, 1);
          expect(sameBits(one[0]!, whole[0]!.subarray(r * W, (r + 1) * W)), `[${shape}] slab ${r} alone, per-slice KLs`).toBeNull();
          expect(sameBits(one[1]!, whole[1]!.subarray(r * K * W, (r + 1) * K * W)), `[${shape}] slab ${r} alone, point terms`).toBeNull();
          sum += one[2]![0]!;
        }
        // (float32 totals are rounded to float32, each slab's too.)
        expect(Math.abs(whole[2]![0]! - sum)).toBeLessThanOrEqual((dtype === 'float32' ? 1e-6 : 1e-12) * sum);
        const xt = allocTensor(shape, dtype);
        const yt = allocTensor(shape, dtype);
        xt.data.set(x);
        yt.data.set(y);
        outputs(xt, yt, 1).forEach((g, i) => expect(sameBits(g, whole[i]!), `zero-copy [${shape}] output ${i}`).toBeNull());
        xt.free();
        yt.free();
      }
    });
  }
});

describe.each(WASM_BACKENDS)('klDivLogitsWithGrad over column slabs with a tail or narrower than a vector on %s', (backend) => {
  type L = { data: F; shape: number[] } | Tensor;
  /** 'sum' with gradTarget, 'none' with gradOutput and gradTarget, 'perSlice' with per-slice scales: losses and gradients. */
  const outputs = (x: L, y: L, G: L, S: L, T: number): F[] => {
    const a = klDivLogitsWithGrad(x, y, { dim: 1, reduction: 'sum', temperature: T, gradTarget: true });
    const b = klDivLogitsWithGrad(x, y, { dim: 1, reduction: 'none', temperature: T, gradTarget: true, gradOutput: G });
    const c = klDivLogitsWithGrad(x, y, { dim: 1, reduction: 'perSlice', temperature: T, gradOutput: S });
    return [Float64Array.of(a.loss.item()), a.gradInput.data, a.gradTarget!.data, b.loss.data, b.gradInput.data, b.gradTarget!.data, c.loss.data, c.gradInput.data];
  };
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: losses and gradients match the float64 js backend and the same columns in a slab of whole vectors, bit for bit; zero-copy gives the same bits`, () => {
      for (const [R, K, W, T] of [[37, 10, 2], [23, 5, 3], [9, 40, 7], [11, 63, 6], [4, 200, 5], [3, 300, 10], [7, 1, 3], [33, 2, 2], [2, 700, 7]].map((c, i) => [...c, [1, 2.5, 0.5][i % 3]!])) {
        const x = slabs(dtype, R!, K!, W!, 3 * R! + K! * W!).map((v, i) => (Number.isFinite(v) && Math.abs(v) < 100 ? v : (i % 7) - 3));
        const y = x.map((v, i) => 0.7 * v + ((i * 7919) % 13) / 6 - 1);
        if (K! > 1) y[W! * (K! >> 1) + W! - 1] = -Infinity; // a teacher −inf in the last column of slab 0
        const rand = seeded(K! + W!);
        const g = x.map(() => rand() - 0.4);
        const sc = (dtype === 'float64' ? new Float64Array(R! * W!) : new Float32Array(R! * W!)).map(() => rand() + 0.5);
        const shape = [R!, K!, W!];
        const sshape = [R!, W!];
        const f64 = (d: F, s: number[]) => ({ data: Float64Array.from(d), shape: s });
        useBackend('js');
        const want = outputs(f64(x, shape), f64(y, shape), f64(g, shape), f64(sc, sshape), T!);
        useBackend(backend);
        const got = outputs({ data: x, shape }, { data: y, shape }, { data: g, shape }, { data: sc, shape: sshape }, T!);
        const label = `[${shape}] T = ${T}`;
        got.forEach((v, i) => expect(closeMismatch(v, want[i]!, 2e-6, 2e-6), `${label} output ${i}`).toBeNull());
        if (!(dtype === 'float32' && W! < 4 && K! >= 64)) {
          const { data: xw, Wp } = widened(x, R!, K!, W!, K! + W!);
          const { data: yw } = widened(y, R!, K!, W!, K! + W! + 1);
          const { data: gw } = widened(g, R!, K!, W!, K! + W! + 2);
          const { data: sw } = widened(sc, R!, 1, W!, K! + W! + 3);
          const wide = outputs({ data: xw, shape: [R!, K!, Wp] }, { data: yw, shape: [R!, K!, Wp] }, { data: gw, shape: [R!, K!, Wp] }, { data: sw.map(Math.abs), shape: [R!, Wp] }, T!);
          // Pointwise outputs (1, 2, 4, 5, 7: K rows per slab) and per-slice losses (3 is pointwise too; 6: one per slice).
          for (const i of [1, 2, 3, 4, 5, 7]) expect(sameBits(got[i]!, narrowed(wide[i]!, R! * K!, W!, Wp)), `${label} output ${i} against the widened slab`).toBeNull();
          expect(sameBits(got[6]!, narrowed(wide[6]!, R!, W!, Wp)), `${label} per-slice losses against the widened slab`).toBeNull();
        }
        const zc = [x, y, g].map((d) => {
          const t = allocTensor(shape, dtype);
          t.data.set(d);
          return t;
        });
        outputs(zc[0]!, zc[1]!, zc[2]!, { data: sc, shape: sshape }, T!).forEach((v, i) => expect(sameBits(v, got[i]!), `zero-copy ${label} output ${i}`).toBeNull());
        zc.forEach((t) => t.free());
      }
    });
  }
});

describe.each(WASM_BACKENDS)('klDivLogits over a reduced dim of one element on %s', (backend) => {
  // p = q = 1 in every slice: finite logits give +0 everywhere (a plain pass in the facade); a
  // slice with ±inf or NaN takes the kernels' rules, as the js backend does.
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: finite logits give +0 for every KL, point term and total; specials match the js backend`, () => {
      for (const [shape, dim] of [[[2000, 1, 3], 1], [[500, 1], -1], [[1, 700], 0]] as const) {
        const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
        const make = (f: (i: number) => number): F => {
          const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
          for (let i = 0; i < n; i++) a[i] = f(i);
          return a;
        };
        const x = make((i) => (i % 7 === 0 ? 3e38 : Math.sin(i) * 5));
        const y = make((i) => (i % 5 === 0 ? -3e38 : Math.cos(i) * 5));
        const X = { data: x, shape: [...shape] };
        const Y = { data: y, shape: [...shape] };
        useBackend(backend);
        for (const [reduction, T] of [['perSlice', 1], ['none', 2.5], ['sum', 0.5]] as const) {
          const got = klDivLogits(X, Y, { dim, reduction, temperature: T });
          expect(sameBits(got.data, new Float64Array(got.data.length)), `[${shape}] ${reduction}`).toBeNull();
        }
        const xs = x.slice();
        const ys = y.slice();
        xs[n >> 1] = -Infinity;
        ys[3] = NaN;
        xs[7] = Infinity;
        const want = (['perSlice', 'none'] as const).map((reduction) => {
          useBackend('js');
          return klDivLogits({ data: Float64Array.from(xs), shape: [...shape] }, { data: Float64Array.from(ys), shape: [...shape] }, { dim, reduction }).data;
        });
        useBackend(backend);
        (['perSlice', 'none'] as const).forEach((reduction, i) => {
          const got = klDivLogits({ data: xs, shape: [...shape] }, { data: ys, shape: [...shape] }, { dim, reduction }).data;
          expect(closeMismatch(got, want[i]!, 2e-6, 1e-6), `[${shape}] ${reduction} with specials`).toBeNull();
        });
      }
    });
  }
});
