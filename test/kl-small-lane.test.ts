/**
 * klDiv's small-call lane (src/ops/klDiv.ts, klDivSmall): calls on at most 32 elements with equal
 * shapes and dtypes, reduction 'sum' or 'batchmean', skip the general path's plan and Tensors but
 * must make the same kernel call. Pinned here, on every backend and dtype:
 * - the lane is taken for the calls it is meant for (it returns a tensor, not null);
 * - its result has the general path's bits, dtype and 0-d shape, for every length 1…32 (0-d and
 *   one-element operands included), both reductions, both target kinds, special values;
 * - every other call (broadcasting, mixed dtypes, 33 elements, 'mean', legacy arguments, plain
 *   arrays, `validate`, invalid shapes) is left to the general path, with its results and errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, allocTensor, klDiv } from '../src/index.js';
import { klDivSmall, planKlDiv, runKlDiv } from '../src/ops/klDiv.js';
import { kernels } from '../src/runtime.js';
import { ALL_BACKENDS, WASM_BACKENDS, useBackend } from './helpers/backends.js';
import { seeded } from './helpers/random.js';

type Dt = 'float32' | 'float64';
type Arr = Float32Array | Float64Array;
const make = (dtype: Dt, n: number): Arr => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));

/** Shapes with 1…32 elements, 0-d included. */
const SHAPES: number[][] = [[], [1], [1, 1], [2], [3], [4], [5], [7], [8], [9], [2, 3], [4, 5], [3, 7], [2, 2, 4], [31], [32], [4, 8], [2, 4, 4]];

function operands(dtype: Dt, n: number, seed: number, logTarget: boolean): { x: Arr; t: Arr } {
  const rnd = seeded(seed);
  const x = make(dtype, n);
  const t = make(dtype, n);
  for (let i = 0; i < n; i++) {
    x[i] = -0.1 - 5 * rnd();
    t[i] = logTarget ? -0.1 - 5 * rnd() : rnd() / n;
  }
  return { x, t };
}

const RUNS = ALL_BACKENDS.flatMap((b) => (['float32', 'float64'] as const).map((d) => [b, d] as const));

describe.each(RUNS)('klDiv small-call lane on %s, %s', (name, dtype) => {
  beforeAll(() => useBackend(name));

  it('takes the lane and gives the general path’s bits, dtype and 0-d shape', () => {
    let seed = 1;
    for (const shape of SHAPES) {
      const n = shape.reduce((a, b) => a * b, 1);
      for (const reduction of ['sum', 'batchmean'] as const) {
        for (const logTarget of [false, true]) {
          const { x, t } = operands(dtype, n, seed++, logTarget);
          const X = { data: x, shape };
          const T = { data: t, shape: shape.slice() };
          const opts = logTarget ? { reduction, logTarget } : { reduction };
          const lane = klDivSmall(X, T, opts);
          expect(lane, `[${shape}] ${reduction} logTarget=${logTarget}: lane not taken`).not.toBeNull();
          const general = runKlDiv(planKlDiv(X, T, opts));
          expect(lane!.dtype).toBe(dtype);
          expect(lane!.shape).toEqual([]);
          const a = lane!.item();
          const b = general.item();
          expect(Object.is(a, b), `[${shape}] ${reduction} logTarget=${logTarget}: ${a} vs ${b}`).toBe(true);
          expect(Number.isFinite(a)).toBe(true);
          // Tensors take the lane too, and klDiv itself returns the same value.
          expect(Object.is(klDiv(new Tensor(x, shape), new Tensor(t, shape), opts).item(), b)).toBe(true);
          // Operands sharing one shape array (the lane skips comparing it with itself).
          const shared = klDivSmall(X, { data: t, shape }, opts);
          expect(shared).not.toBeNull();
          expect(Object.is(shared!.item(), b)).toBe(true);
        }
      }
    }
  });

  it('special values: zeros, negatives, ±inf and NaN targets and inputs give the general path’s bits', () => {
    const specials = [0, -0, -0.5, Infinity, -Infinity, NaN, 1e-40, 5e-324];
    for (const s of specials) {
      for (const p of [0, 3, 19]) {
        for (const which of ['x', 't'] as const) {
          const { x, t } = operands(dtype, 20, 100 + p, false);
          (which === 'x' ? x : t)[p] = s;
          const X = { data: x, shape: [4, 5] };
          const T = { data: t, shape: [4, 5] };
          const a = klDivSmall(X, T, { reduction: 'sum' })!.item();
          const b = runKlDiv(planKlDiv(X, T, { reduction: 'sum' })).item();
          expect(Object.is(a, b), `${which}[${p}] = ${s}: ${a} vs ${b}`).toBe(true);
        }
      }
    }
  });

  it('leaves every other call to the general path (same results and errors)', () => {
    const { x, t } = operands(dtype, 20, 9, false);
    const other = dtype === 'float32' ? Float64Array.from(t) : Float32Array.from(t);
    const declined: [string, unknown, unknown, object][] = [
      ['broadcasting', { data: x.subarray(0, 5), shape: [5] }, { data: t, shape: [4, 5] }, { reduction: 'sum' }],
      ['mixed dtypes', { data: x, shape: [4, 5] }, { data: other, shape: [4, 5] }, { reduction: 'sum' }],
      ["'mean'", { data: x, shape: [4, 5] }, { data: t, shape: [4, 5] }, { reduction: 'mean' }],
      ["'none'", { data: x, shape: [4, 5] }, { data: t, shape: [4, 5] }, { reduction: 'none' }],
      ['default reduction', { data: x, shape: [4, 5] }, { data: t, shape: [4, 5] }, {}],
      ['legacy reduce', { data: x, shape: [4, 5] }, { data: t, shape: [4, 5] }, { reduction: 'sum', reduce: true }],
      ['validate', { data: x, shape: [4, 5] }, { data: t, shape: [4, 5] }, { reduction: 'sum', validate: true }],
      ['plain arrays', Array.from(x), Array.from(t), { reduction: 'sum' }],
      ['typed arrays', x, t, { reduction: 'sum' }],
      ['explicit dtype', { data: x, shape: [4, 5], dtype }, { data: t, shape: [4, 5] }, { reduction: 'sum' }],
      ['33 elements', { data: make(dtype, 33).fill(-1), shape: [33] }, { data: make(dtype, 33).fill(0.03), shape: [33] }, { reduction: 'sum' }],
      ['empty', { data: make(dtype, 0), shape: [0] }, { data: make(dtype, 0), shape: [0] }, { reduction: 'sum' }],
    ];
    for (const [label, a, b, opts] of declined) {
      expect(klDivSmall(a, b, opts as never), label).toBeNull();
    }
    // Invalid calls are declined too, so klDiv reports the general path's error.
    const invalid: [string, unknown, unknown, object][] = [
      ['shape/data mismatch', { data: x, shape: [4, 4] }, { data: t, shape: [4, 4] }, { reduction: 'sum' }],
      ['negative dim', { data: x, shape: [-4, -5] }, { data: t, shape: [-4, -5] }, { reduction: 'sum' }],
      ['fractional dim', { data: x, shape: [2.5, 8] }, { data: t, shape: [2.5, 8] }, { reduction: 'sum' }],
      ['non-boolean logTarget', { data: x, shape: [4, 5] }, { data: t, shape: [4, 5] }, { reduction: 'sum', logTarget: 1 }],
      ['unknown reduction', { data: x, shape: [4, 5] }, { data: t, shape: [4, 5] }, { reduction: 'batch' }],
    ];
    for (const [label, a, b, opts] of invalid) {
      expect(klDivSmall(a, b, opts as never), label).toBeNull();
      expect(() => klDiv(a as never, b as never, opts as never), label).toThrow(/klDiv/);
    }
  });
});

describe.each(RUNS)('Kernels.klDivWhole on %s, %s', (name, dtype) => {
  beforeAll(() => useBackend(name));

  it('is klDivBlock over one run of n, bit for bit, for n = 1…40 (longer than the lane too) and both target kinds', () => {
    const k = kernels();
    for (let n = 1; n <= 40; n++) {
      for (const logTarget of [false, true]) {
        const { x, t } = operands(dtype, n, 1000 + n, logTarget);
        if (n % 5 === 0) t[n - 1] = 0; // a zero target (xlogy's 0) now and then
        const c = n === 1 ? 0 : 1;
        const a = k.klDivWhole(x, t, logTarget);
        const b = k.klDivBlock(x, 0, 0, c, t, 0, 0, c, 1, n, logTarget, null, 0);
        expect(Object.is(a, b), `n=${n} logTarget=${logTarget}: ${a} vs ${b}`).toBe(true);
        // Against the float64 reference of the terms (t·(log t − x), or e^t·(t − x)): float32
        // terms are rounded to float32 before the sum, so the bound scales with Σ|term|.
        let ref = 0;
        let mag = 0;
        for (let i = 0; i < n; i++) {
          const v = logTarget ? Math.exp(t[i]!) * (t[i]! - x[i]!) : t[i]! === 0 ? 0 : t[i]! * (Math.log(t[i]!) - x[i]!);
          ref += v;
          mag += Math.abs(v);
        }
        expect(Math.abs(a - ref), `n=${n} logTarget=${logTarget}`).toBeLessThanOrEqual((dtype === 'float32' ? 1.3e-6 : 1e-13) * mag);
      }
    }
  });
});

describe.each(WASM_BACKENDS)('klDiv small-call lane on zero-copy operands, %s', (name) => {
  beforeAll(() => useBackend(name));

  it('allocTensor operands take the lane (staged like any array) with the general path’s bits (read in place)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const { x, t } = operands(dtype, 20, 5, false);
      const X = allocTensor([4, 5], dtype);
      const T = allocTensor([4, 5], dtype);
      try {
        X.data.set(x);
        T.data.set(t);
        const a = klDivSmall(X, T, { reduction: 'batchmean' });
        expect(a).not.toBeNull();
        const b = runKlDiv(planKlDiv(X, T, { reduction: 'batchmean' })).item();
        expect(Object.is(a!.item(), b)).toBe(true);
        // And the same value as the staged copies of the same data, and with one operand in WASM
        // memory and the other not (either way round).
        expect(Object.is(klDiv({ data: x, shape: [4, 5] }, { data: t, shape: [4, 5] }, { reduction: 'batchmean' }).item(), b)).toBe(true);
        expect(Object.is(klDiv(X, { data: t, shape: [4, 5] }, { reduction: 'batchmean' }).item(), b)).toBe(true);
        expect(Object.is(klDiv({ data: x, shape: [4, 5] }, T, { reduction: 'batchmean' }).item(), b)).toBe(true);
        // The operands are left as they were.
        expect(Array.from(X.data)).toEqual(Array.from(x));
        expect(Array.from(T.data)).toEqual(Array.from(t));
      } finally {
        X.free();
        T.free();
      }
    }
  });
});

describe('0-d reduction results (their one-element array is made on first access of data)', () => {
  beforeAll(() => useBackend('wasm-simd'));

  it('item(), data, toArray(), dtype and shape agree, and data is one stable array', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const { x, t } = operands(dtype, 20, 3, false);
      const r = klDiv({ data: x, shape: [4, 5] }, { data: t, shape: [4, 5] }, { reduction: 'sum' });
      expect(r).toBeInstanceOf(Tensor);
      expect(r.dtype).toBe(dtype);
      expect(r.shape).toEqual([]);
      expect(r.ndim).toBe(0);
      expect(r.numel).toBe(1);
      const v = r.item();
      const d = r.data;
      expect(d).toBeInstanceOf(dtype === 'float64' ? Float64Array : Float32Array);
      expect(d.length).toBe(1);
      expect(Object.is(d[0], v)).toBe(true);
      expect(r.data).toBe(d); // the same array on every access
      expect(Object.is(r.toArray(), v)).toBe(true);
      expect(r.toString()).toBe(`Tensor(shape=[], dtype=${dtype})`);
    }
  });

  it('item() is the value rounded to the dtype, −0 and NaN included', () => {
    // float32 results are rounded once: item() must equal what the array holds.
    const r32 = klDiv({ data: Float32Array.of(-1.1, -2.3), shape: [2] }, { data: Float32Array.of(0.3, 0.7), shape: [2] }, { reduction: 'sum' });
    expect(Object.is(r32.item(), Math.fround(r32.item()))).toBe(true);
    expect(Object.is(r32.item(), r32.data[0])).toBe(true);
    // 0·(log 0 − x) terms are +0; a single −0 target gives +0 too (PyTorch's xlogy), and NaN stays NaN.
    const z = klDiv({ data: Float32Array.of(-1), shape: [1] }, { data: Float32Array.of(-0), shape: [1] }, { reduction: 'sum' });
    expect(Object.is(z.item(), z.data[0])).toBe(true);
    const nan = klDiv({ data: Float64Array.of(NaN, -1), shape: [2] }, { data: Float64Array.of(0.5, 0.5), shape: [2] }, { reduction: 'batchmean' });
    expect(nan.item()).toBeNaN();
    expect(nan.data[0]).toBeNaN();
  });
});
