/**
 * The SIMD kl_div kernels (log_target = False, float32 and float64) compute terms with a fast log
 * that is exact only for targets that are ±0 or positive, normal and finite, in blocks; a block
 * with another target is redone with the general term, and so is the rest of its row (or group
 * of slices) (assembly/klDiv.ts, klDivSlices.ts). These tests pin what that must not change: a
 * term's bits do not depend on the other targets in its row, 0·log 0 is +0, and sums and
 * per-slice sums agree with the terms. Run on every backend and dtype (the js and scalar
 * backends have no fast path and must agree all the same).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { klDiv, klDivPerSlice } from '../src/index.js';
import { ALL_BACKENDS, useBackend } from './helpers/backends.js';
import { seeded } from './helpers/random.js';

const N = 37; // float32: nine vectors of four and a scalar tail of one (float64: 18 of two)

type Arr = Float32Array | Float64Array;
type Dt = 'float32' | 'float64';
const make = (dtype: Dt, n: number): Arr => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));

/** Targets in (0.001, 0.05) with exact zeros at 3 and 10; log-probabilities in (-8, -0.1), x = 0.25 ≥ 0 at 3. */
function row(seed: number, dtype: Dt): { x: Arr; t: Arr } {
  const rnd = seeded(seed);
  const x = make(dtype, N);
  const t = make(dtype, N);
  for (let i = 0; i < N; i++) {
    x[i] = -0.1 - 7.9 * rnd();
    t[i] = 0.001 + 0.049 * rnd();
  }
  t[3] = 0;
  t[10] = -0;
  x[3] = 0.25;
  return { x, t };
}

// Targets outside the fast log's domain (subnormals, negatives, ±inf, NaN) and the zeros it
// takes itself, per dtype.
const COMMON: [string, number][] = [
  ['+0', 0],
  ['-0', -0],
  ['negative', -0.25],
  ['+inf', Infinity],
  ['-inf', -Infinity],
  ['NaN', NaN],
];
const SPECIALS: Record<Dt, [string, number][]> = {
  float32: [
    ...COMMON,
    ['subnormal 1e-40', 1e-40],
    ['smallest subnormal', 1.4e-45],
    ['smallest normal', 1.1754943508222875e-38],
    ['largest finite', 3.4028234663852886e38],
  ],
  float64: [
    ...COMMON,
    ['subnormal 1e-310', 1e-310],
    ['smallest subnormal', 5e-324],
    ['smallest normal', 2.2250738585072014e-308],
    ['largest finite', 1.7976931348623157e308],
  ],
};

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, skip: number, what: string): void {
  for (let i = 0; i < a.length; i++) {
    if (i === skip) continue;
    expect(Object.is(a[i], b[i]), `${what}: element ${i}: ${a[i]} vs ${b[i]}`).toBe(true);
  }
}

const RUNS = ALL_BACKENDS.flatMap((b) => (['float32', 'float64'] as const).map((d) => [b, d] as const));

describe.each(RUNS)('kl_div terms do not depend on the rest of the row on %s, %s', (name, dtype) => {
  beforeAll(() => useBackend(name));

  it.each(SPECIALS[dtype])('target %s at a vector lane or the tail', (_label, s) => {
    const { x, t } = row(11, dtype);
    const base = klDiv(x, t, { reduction: 'none' }).data;
    // 0·log 0 = +0 and 0·x = +0 for x = 0.25, so the term is +0, not −0 (PyTorch's xlogy).
    expect(Object.is(base[3], 0), `t = +0, x = 0.25 gives ${Object.is(base[3], -0) ? '-0' : base[3]}`).toBe(true);
    expect(Object.is(base[10], 0)).toBe(true);
    for (const p of [0, 5, 18, 35, 36]) {
      const tp = t.slice();
      tp[p] = s;
      const got = klDiv(x, tp, { reduction: 'none' }).data;
      sameBits(got, base, p, `special at ${p}`);
      // The special term itself equals the same term computed alone (the scalar path).
      const alone = klDiv(x.subarray(p, p + 1), tp.subarray(p, p + 1), { reduction: 'none' }).data[0]!;
      expect(Object.is(got[p], alone), `term at ${p}: ${got[p]} vs alone ${alone}`).toBe(true);
      // 'sum' is the sum of the same terms (accumulated in float64, in a different order here).
      // The js backend sums float64 terms and rounds only its 'none' output, hence the float32
      // tolerance (relative to Σ|term|).
      let ref = 0;
      let mag = 0;
      for (const v of got) {
        ref += v;
        mag += Math.abs(v);
      }
      const sum = klDiv(x, tp, { reduction: 'sum' }).item();
      if (Number.isNaN(ref)) expect(sum).toBeNaN();
      else if (!Number.isFinite(ref)) expect(sum).toBe(ref);
      else expect(Math.abs(sum - ref)).toBeLessThanOrEqual(1.3e-6 * mag);
    }
  });

  it('long rows (many blocks of the fast path): a special target in one block changes no other term', () => {
    // 2003 elements: 500 float32 vectors (1001 float64) in blocks of 64, the last one short. After a
    // block fails, the rest of the row takes the general term, so blocks before, at and after
    // the special are all checked against the row without it.
    const n = 2003;
    const rnd = seeded(7);
    const x = make(dtype, n);
    const t = make(dtype, n);
    for (let i = 0; i < n; i++) {
      x[i] = -0.1 - 7.9 * rnd();
      t[i] = i % 13 === 0 ? 0 : 0.0001 + 0.001 * rnd();
    }
    const base = klDiv(x, t, { reduction: 'none' }).data;
    const baseSum = klDiv(x, t, { reduction: 'sum' }).item();
    let mag = 0;
    for (const v of base) mag += Math.abs(v);
    for (const [label, s] of SPECIALS[dtype]) {
      for (const p of [1, 127, 128, 255, 256, 1000, 1999, 2002]) {
        const tp = t.slice();
        tp[p] = s;
        const got = klDiv(x, tp, { reduction: 'none' }).data;
        sameBits(got, base, p, `${label} at ${p}`);
        const sum = klDiv(x, tp, { reduction: 'sum' }).item();
        const alone = klDiv(x.subarray(p, p + 1), tp.subarray(p, p + 1), { reduction: 'sum' }).item();
        const want = baseSum - base[p]! + alone;
        if (Number.isNaN(want)) expect(sum, `${label} at ${p}`).toBeNaN();
        else if (!Number.isFinite(want)) expect(sum, `${label} at ${p}`).toBe(want);
        else expect(Math.abs(sum - want), `${label} at ${p}`).toBeLessThanOrEqual(1.3e-6 * mag);
      }
    }
  });

  it('rows of a batch are independent: one special row leaves the others bit-identical', () => {
    const rows = 6;
    const x = make(dtype, rows * N);
    const t = make(dtype, rows * N);
    for (let r = 0; r < rows; r++) {
      const one = row(100 + r, dtype);
      x.set(one.x, r * N);
      t.set(one.t, r * N);
    }
    const base = klDiv({ data: x, shape: [rows, N] }, { data: t, shape: [rows, N] }, { reduction: 'none' }).data;
    const baseSlices = klDivPerSlice({ data: x, shape: [rows, N] }, { data: t, shape: [rows, N] }).data;
    for (const [label, s] of SPECIALS[dtype]) {
      const tp = t.slice();
      tp[2 * N + 7] = s;
      const got = klDiv({ data: x, shape: [rows, N] }, { data: tp, shape: [rows, N] }, { reduction: 'none' }).data;
      sameBits(got, base, 2 * N + 7, `${label} in row 2`);
      const slices = klDivPerSlice({ data: x, shape: [rows, N] }, { data: tp, shape: [rows, N] }).data;
      sameBits(slices, baseSlices, 2, `${label}: per-slice sums`);
      let ref = 0;
      for (let i = 2 * N; i < 3 * N; i++) ref += got[i]!;
      if (Number.isNaN(ref)) expect(slices[2], label).toBeNaN();
      else if (!Number.isFinite(ref)) expect(slices[2], label).toBe(ref);
      else expect(Math.abs(slices[2]! - ref), label).toBeLessThanOrEqual(1e-6 * Math.abs(ref) + 1e-12);
    }
  });

  it('per-slice sums along dim 0 (slices side by side in a vector): a special slice leaves its neighbours alone', () => {
    // [N, 9]: slices are columns; float32 puts 0–3 and 4–7 in vectors (float64: pairs), 8 is scalar.
    const W = 9;
    const x = make(dtype, N * W);
    const t = make(dtype, N * W);
    for (let c = 0; c < W; c++) {
      const one = row(200 + c, dtype);
      for (let k = 0; k < N; k++) {
        x[k * W + c] = one.x[k]!;
        t[k * W + c] = one.t[k]!;
      }
    }
    const base = klDivPerSlice({ data: x, shape: [N, W] }, { data: t, shape: [N, W] }, { dim: 0 }).data;
    const terms = klDiv({ data: x, shape: [N, W] }, { data: t, shape: [N, W] }, { reduction: 'none' }).data;
    for (let c = 0; c < W; c++) {
      let ref = 0;
      for (let k = 0; k < N; k++) ref += terms[k * W + c]!;
      expect(Math.abs(base[c]! - ref)).toBeLessThanOrEqual(1e-6 * Math.abs(ref) + 1e-12);
    }
    for (const [label, s] of SPECIALS[dtype]) {
      for (const c of [1, 6, 8]) {
        const tp = t.slice();
        tp[20 * W + c] = s;
        const got = klDivPerSlice({ data: x, shape: [N, W] }, { data: tp, shape: [N, W] }, { dim: 0 }).data;
        sameBits(got, base, c, `${label} in slice ${c}`);
        const pt = klDiv({ data: x, shape: [N, W] }, { data: tp, shape: [N, W] }, { reduction: 'none' }).data;
        let ref = 0;
        for (let k = 0; k < N; k++) ref += pt[k * W + c]!;
        if (Number.isNaN(ref)) expect(got[c], label).toBeNaN();
        else if (!Number.isFinite(ref)) expect(got[c], label).toBe(ref);
        else expect(Math.abs(got[c]! - ref), label).toBeLessThanOrEqual(1e-6 * Math.abs(ref) + 1e-12);
      }
    }
  });
});
