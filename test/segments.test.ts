/**
 * klDivLogits rows longer than the window (reductions): cut into segments the row kernel handles on
 * its own and combined by the chain rule of relative entropy (src/backend/wasm/klSegments.ts).
 * Checked against the float64 js backend (an independent implementation of the whole row), with
 * the segmented path asserted to have run (not the two-pass fallback), on every WASM backend.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { allocTensor, initSync, klDivLogits, setWarningHandler } from '../src/index.js';
import { combineSegments, SEGMENT_STATS } from '../src/backend/wasm/klSegments.js';
import { kernels } from '../src/runtime.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

type Dtype = 'float32' | 'float64';
const rand = seeded(2026);

function randn(n: number, scale: number, dtype: Dtype): Float32Array | Float64Array {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * (rand() + rand() + rand() - 1.5);
  return a;
}

/** The whole-row KL in float64 on the js backend (no segments: it never streams). */
function jsKl(x: ArrayLike<number>, y: ArrayLike<number>, shape: number[], temperature: number, reduction: 'sum' | 'perSlice') {
  initSync({ backend: 'js' });
  const X = { data: Float64Array.from(x), shape };
  const Y = { data: Float64Array.from(y), shape };
  return Array.from(klDivLogits(X, Y, { temperature, reduction }).data);
}

/** Spies on the backend's segmented path; returns how many calls it completed (non-null). */
function spySegments(): { completed: () => number; restore: () => void } {
  const k = kernels() as unknown as Record<string, (...a: unknown[]) => number | null>;
  const spy = vi.spyOn(k, 'klDivLogitsSegmented');
  return {
    completed: () => spy.mock.results.filter((r) => r.type === 'return' && r.value !== null).length,
    restore: () => spy.mockRestore(),
  };
}

describe('combineSegments (the chain rule, float64, against whole-row sums)', () => {
  it('splitting a row into segments gives the whole-row KL, for any cut', () => {
    const n = 3000;
    const x = Array.from(randn(n, 3, 'float64'));
    const y = x.map((v, i) => v + 0.5 * Math.sin(i) + (i > 2000 ? 1 : 0));
    const T = 1.7;
    // Whole row, directly from the definition.
    const lse = (v: number[]) => {
      const m = Math.max(...v);
      return m + Math.log(v.reduce((s, a) => s + Math.exp((a - m) / T), 0) * 1) * T;
    };
    const whole = (xs: number[], ys: number[]) => {
      const lx = lse(xs) / T;
      const ly = lse(ys) / T;
      let s = 0;
      for (let i = 0; i < xs.length; i++) {
        const lp = ys[i]! / T - ly;
        s += Math.exp(lp) * (lp - (xs[i]! / T - lx));
      }
      return s;
    };
    const want = whole(x, y);
    for (const cuts of [[0, n], [0, 1000, 2000, n], [0, 1, 2999, n], [0, 700, 1400, 2100, 2800, n]]) {
      const count = cuts.length - 1;
      const kl = new Float64Array(count);
      const stats = new Float64Array(count * SEGMENT_STATS);
      for (let c = 0; c < count; c++) {
        const xs = x.slice(cuts[c], cuts[c + 1]);
        const ys = y.slice(cuts[c], cuts[c + 1]);
        kl[c] = whole(xs, ys);
        const mx = Math.max(...xs);
        const my = Math.max(...ys);
        stats.set([mx, my, xs.reduce((s, a) => s + Math.exp((a - mx) / T), 0), ys.reduce((s, a) => s + Math.exp((a - my) / T), 0)], c * SEGMENT_STATS);
      }
      const got = combineSegments(kl, stats, count, 1 / T, Number.MAX_VALUE)!;
      expect(Math.abs(got - want), `cuts ${cuts.join(',')}`).toBeLessThanOrEqual(1e-12 * want);
    }
  });

  it('a segment whose maximum is not finite is left to the caller (null)', () => {
    const stats = Float64Array.of(0, 0, 1, 1, -Infinity, 0, NaN, 1);
    expect(combineSegments(Float64Array.of(0, 0), stats, 2, 1, Number.MAX_VALUE)).toBeNull();
    expect(combineSegments(Float64Array.of(0, 0), Float64Array.of(0, 0, 1, 1, 0, Infinity, 1, NaN), 2, 1, Number.MAX_VALUE)).toBeNull();
    expect(combineSegments(Float64Array.of(0, 0), Float64Array.of(0, 0, 1, 1, NaN, 0, 1, 1), 2, 1, Number.MAX_VALUE)).toBeNull();
  });

  it('a segment whose mass underflows in q gets the finite P·u − P + Q term, not +inf', () => {
    // Segment 1: x 900 below the other segment (q ≈ e^-900, below float64), y level with it.
    const stats = Float64Array.of(0, 0, 1, 1, -900, 0, 1, 1);
    const v = combineSegments(Float64Array.of(0, 0), stats, 2, 1, Number.MAX_VALUE)!;
    // P = (½, ½), log Q_1 = −900 − log(1 + e^-900): KL(P ‖ Q) = ½·log(½/1) + ½·(log ½ + 900).
    expect(v).toBeCloseTo(0.5 * Math.log(0.5) + 0.5 * (Math.log(0.5) + 900), 9);
  });
});

describe.each(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar'] as const)('klDivLogits segments on %s (64 KiB window)', (name) => {
  const small = () => initSync({ backend: name, windowKiB: 64, maxMemoryMiB: 4 });
  // 64 KiB: a float32 segment holds ~4 K elements staged (16 B each), ~8 K zero-copy; float64 half.
  const N = 50_000;

  for (const dtype of ['float32', 'float64'] as const) {
    const f32 = dtype === 'float32';
    // float32: the js result is exact for the float32 inputs; ours is within a few float32
    // roundings of the terms (the in-window kernel's accuracy). float64: ~1e-13.
    const rtol = f32 ? 5e-7 : 1e-11;
    const cases: { label: string; y: (x: Float32Array | Float64Array, i: number) => number; T: number }[] = [
      { label: 'independent logits', y: () => 4 * (rand() + rand() + rand() - 1.5), T: 1 },
      { label: 'close (teacher = student + 3 + 1e-3 noise; KL ≈ 1e-8 per row)', y: (x, i) => x[i]! + 3 + 1e-3 * (rand() - 0.5), T: 1 },
      { label: 'a different shift per 40 000 elements (the segment-level part carries the KL)', y: (x, i) => x[i]! + Math.floor(i / 40_000) * 0.01, T: 1 },
      { label: 'temperature 2.5', y: (x, i) => x[i]! + 2 * Math.sin(i), T: 2.5 },
    ];
    for (const c of cases) {
      it(`${dtype}, ${c.label}: 'sum', 'batchmean' and 'perSlice' match the float64 whole-row result`, () => {
        const shape = [3, N];
        const x = randn(3 * N, 4, dtype);
        const y = x.map((_, i) => c.y(x, i));
        const want = jsKl(x, y, shape, c.T, 'perSlice');
        small();
        const spy = spySegments();
        try {
          const per = klDivLogits({ data: x, shape }, { data: y, shape }, { temperature: c.T, reduction: 'perSlice' });
          const sum = klDivLogits({ data: x, shape }, { data: y, shape }, { temperature: c.T, reduction: 'sum' }).item();
          const bm = klDivLogits({ data: x, shape }, { data: y, shape }, { temperature: c.T, reduction: 'batchmean' }).item();
          expect(spy.completed()).toBe(3);
          expect(closeMismatch(per.data, want, rtol, 0)).toBeNull();
          for (const v of per.data) expect(v).toBeGreaterThanOrEqual(0);
          const total = want.reduce((a, b) => a + b, 0); // perSlice values already carry T²
          expect(Math.abs(sum - total)).toBeLessThanOrEqual(rtol * total);
          expect(Math.abs(bm - total / 3)).toBeLessThanOrEqual(rtol * total);
        } finally {
          spy.restore();
        }
      });
    }

    it(`${dtype}: zero-copy inputs (allocTensor) longer than the window`, () => {
      const shape = [2, N];
      const x = randn(2 * N, 4, dtype);
      const y = x.map((v, i) => v + Math.cos(i));
      const want = jsKl(x, y, shape, 1, 'sum')[0]!;
      small();
      const X = allocTensor(shape, dtype);
      const Y = allocTensor(shape, dtype);
      X.data.set(x);
      Y.data.set(y);
      const spy = spySegments();
      try {
        const got = klDivLogits(X, Y, { reduction: 'sum' }).item();
        expect(spy.completed()).toBe(1);
        expect(Math.abs(got - want)).toBeLessThanOrEqual(rtol * want);
      } finally {
        spy.restore();
        X.free();
        Y.free();
      }
    });

    it(`${dtype}: identical rows give exactly 0`, () => {
      const x = randn(2 * N, 4, dtype);
      small();
      expect(klDivLogits({ data: x, shape: [2, N] }, { data: x, shape: [2, N] }, { reduction: 'sum' }).item()).toBe(0);
    });

    it(`${dtype}: PyTorch's special values, with and without falling back to the two-pass form`, () => {
      const shape = [1, N];
      const base = randn(N, 3, dtype);
      // segmented: whether the chain-rule path completes (null: either path may answer — a NaN logit
      // is skipped by the SIMD maxima and kept by the scalar build's).
      const rows: { label: string; x: (a: Float32Array | Float64Array) => void; y: (a: Float32Array | Float64Array) => void; segmented: boolean | null }[] = [
        { label: 'scattered −inf target logits (p = 0 there)', x: () => {}, y: (a) => { for (let i = 3; i < N; i += 997) a[i] = -Infinity; }, segmented: true },
        { label: 'a −inf input logit under a finite target (q = 0, p > 0 → +inf)', x: (a) => { a[31_000] = -Infinity; }, y: () => {}, segmented: true },
        { label: 'a whole segment of −inf target logits', x: () => {}, y: (a) => a.fill(-Infinity, 0, 20_000), segmented: false },
        { label: 'a whole segment of −inf input logits (→ +inf)', x: (a) => a.fill(-Infinity, 20_000, 40_000), y: () => {}, segmented: false },
        { label: 'all target logits −inf (→ NaN)', x: () => {}, y: (a) => a.fill(-Infinity), segmented: false },
        { label: 'a NaN logit (→ NaN)', x: (a) => { a[12_345] = NaN; }, y: () => {}, segmented: null },
        { label: 'a +inf logit (→ NaN)', x: () => {}, y: (a) => { a[45_000] = Infinity; }, segmented: false },
      ];
      for (const r of rows) {
        const x = base.slice();
        const y = base.map((v, i) => v + 0.3 * Math.sin(i));
        r.x(x);
        r.y(y);
        const want = jsKl(x, y, shape, 1, 'sum')[0]!;
        small();
        const spy = spySegments();
        try {
          const got = klDivLogits({ data: x, shape }, { data: y, shape }, { reduction: 'sum' }).item();
          if (r.segmented !== null) expect(spy.completed() === 1, r.label).toBe(r.segmented);
          if (Number.isFinite(want)) expect(Math.abs(got - want), r.label).toBeLessThanOrEqual(rtol * want);
          else expect(got, r.label).toBe(want);
        } finally {
          spy.restore();
        }
      }
    });
  }
});
