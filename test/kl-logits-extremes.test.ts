/**
 * klDivLogits at the edges of its logit rules, on every backend and through each kernel layout
 * (long rows, short-row tiles, columns, segments of rows longer than a 1 KiB window, and
 * klDivLogitsWithGrad's kernels), against a float64 reference of the chain written here:
 * - a target slice that is all −inf has no distribution (softmax gives NaN there, as PyTorch), so
 *   its KL, its 'none' terms and its gradients are NaN; the other slices are unaffected. (The rule
 *   "p = 0 where the target logit is −inf" used to add q for every element: KL = 1.)
 * - a teacher masked with −FLT_MAX at T < 1: (y − max y)/T is below −FLT_MAX, p = 0 there, and
 *   the KL is finite (it used to be NaN on the WASM backends);
 * - one logit far above the rest (1e8 … 3e38): u = log(p/q) must not lose the other logits
 *   (it used to give 0.92 instead of 2.41 at 1e20).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { initSync, klDiv, klDivLogits, klDivLogitsWithGrad, setWarningHandler } from '../src/index.js';
import { ALL_BACKENDS, WASM_BACKENDS, useBackend } from './helpers/backends.js';
import { closeMismatch } from './helpers/golden.js';
import { sameBits } from './helpers/bits.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

type Dtype = 'float32' | 'float64';
const FLT_MAX = 3.4028234663852886e38;

/**
 * log_softmax(v/T) in float64 (−inf where v = −inf; NaN for an all −inf or NaN slice), from each
 * logit's distance to the maximum: (v − max)/T, which stays finite where v/T overflows (logits
 * near ±DBL_MAX at T < 1; PyTorch's chain gives NaN there, though the softmax is well defined).
 */
function logSoftmax64(v: number[], T: number): number[] {
  const m = Math.max(...v);
  if (!Number.isFinite(m)) return v.map(() => NaN);
  const a = v.map((e) => (e - m) / T);
  const lse = Math.log(a.reduce((s, e) => s + Math.exp(e), 0));
  return a.map((e) => e - lse);
}

/** KL(softmax(y/T) ‖ softmax(x/T))·T² of one slice, float64, terms with p = 0 counted as 0. */
function klRef(x: number[], y: number[], T: number): number {
  const lq = logSoftmax64(x, T);
  const lp = logSoftmax64(y, T);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const p = Math.exp(lp[i]!);
    if (Number.isNaN(lp[i]!) || Number.isNaN(lq[i]!)) return NaN;
    if (p === 0) continue;
    s += p * (lp[i]! - lq[i]!);
  }
  return s * T * T;
}

function typed(dtype: Dtype, v: number[]): Float32Array | Float64Array {
  return dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v);
}

/** Rounds to the dtype (the reference sees the values the kernels see). */
function rounded(dtype: Dtype, v: number[]): number[] {
  return Array.from(typed(dtype, v));
}

/**
 * Runs `slices` (each [x, y], all of length K) through klDivLogits as [R, K] rows (dim −1) and as
 * [K, R] columns (dim 0), 'perSlice', and checks each slice against klRef. R is padded to a
 * multiple of 4 with ordinary slices so that short rows take the tiles.
 */
function checkSlices(dtype: Dtype, slices: [number[], number[]][], T: number, what: string): void {
  const K = slices[0]![0].length;
  const all = slices.slice();
  for (let r = 0; all.length % 4 !== 0; r++) all.push([Array.from({ length: K }, (_, k) => Math.sin(k + r)), Array.from({ length: K }, (_, k) => Math.cos(k * r))]);
  const R = all.length;
  const xr = all.flatMap(([x]) => rounded(dtype, x));
  const yr = all.flatMap(([, y]) => rounded(dtype, y));
  const want = all.map((_, r) => klRef(xr.slice(r * K, (r + 1) * K), yr.slice(r * K, (r + 1) * K), T));
  const [rtol, atol] = dtype === 'float64' ? [1e-12, 1e-12] : [1.3e-6, 1e-5];
  const rows = klDivLogits({ data: typed(dtype, xr), shape: [R, K] }, { data: typed(dtype, yr), shape: [R, K] }, { temperature: T, reduction: 'perSlice' });
  expect(closeMismatch(rows.data, want, rtol, atol), `${what}: rows [${R}, ${K}]`).toBeNull();
  const tr = (v: number[]): number[] => Array.from({ length: K * R }, (_, i) => v[(i % R) * K + Math.floor(i / R)]!);
  const cols = klDivLogits({ data: typed(dtype, tr(xr)), shape: [K, R] }, { data: typed(dtype, tr(yr)), shape: [K, R] }, { dim: 0, temperature: T, reduction: 'perSlice' });
  expect(closeMismatch(cols.data, want, rtol, atol), `${what}: columns [${K}, ${R}]`).toBeNull();
  const g = klDivLogitsWithGrad({ data: typed(dtype, xr), shape: [R, K] }, { data: typed(dtype, yr), shape: [R, K] }, { temperature: T, reduction: 'sum' });
  const total = want.reduce((a, b) => a + b, 0);
  expect(closeMismatch([g.loss.item()], [total], rtol, atol), `${what}: withGrad loss`).toBeNull();
}

describe.each(ALL_BACKENDS)('klDivLogits extremes on %s', (backend) => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: an all −inf target slice gives NaN, its neighbours are unaffected`, () => {
      useBackend(backend);
      for (const K of [2, 5, 12, 13, 40, 3000]) {
        const x = Array.from({ length: K }, (_, k) => Math.sin(3 * k));
        const ninf = Array.from({ length: K }, () => -Infinity);
        const y = Array.from({ length: K }, (_, k) => Math.cos(k));
        checkSlices(dtype, [[x, ninf], [x, y]], 1, `K = ${K}`);
        // 'none': NaN in the masked slice only; the gradients NaN there.
        const xs = typed(dtype, [...x, ...x]);
        const ys = typed(dtype, [...ninf, ...y]);
        const none = klDivLogits({ data: xs, shape: [2, K] }, { data: ys, shape: [2, K] }, { reduction: 'none' }).data;
        expect(Array.from(none.subarray(0, K)).every(Number.isNaN), `none, K = ${K}`).toBe(true);
        expect(Array.from(none.subarray(K)).every(Number.isFinite), `none, K = ${K}`).toBe(true);
        const g = klDivLogitsWithGrad({ data: xs, shape: [2, K] }, { data: ys, shape: [2, K] }, { reduction: 'sum', gradTarget: true });
        expect(Number.isNaN(g.loss.item())).toBe(true);
        expect(Array.from(g.gradInput.data.subarray(0, K)).every(Number.isNaN)).toBe(true);
        expect(Array.from(g.gradTarget!.data.subarray(0, K)).every(Number.isNaN)).toBe(true);
        expect(Array.from(g.gradInput.data.subarray(K)).every(Number.isFinite)).toBe(true);
      }
    });

    it(`${dtype}: a teacher masked with the dtype's most negative value at T < 1 gives the chain's finite KL`, () => {
      useBackend(backend);
      const MIN = dtype === 'float64' ? -Number.MAX_VALUE : -FLT_MAX;
      for (const T of [0.5, 0.9, 1, 2]) {
        for (const K of [4, 12, 40, 3000]) {
          const x = Array.from({ length: K }, (_, k) => 0.5 + Math.sin(k));
          const y = Array.from({ length: K }, (_, k) => (k % 3 === 0 ? MIN : Math.cos(2 * k)));
          // Both masked at the same places, too: those terms are 0 (p = 0).
          const xm = x.map((v, k) => (k % 3 === 0 ? MIN : v));
          checkSlices(dtype, [[x, y], [xm, y]], T, `T = ${T}, K = ${K}`);
        }
      }
      // A student masked with the most negative value where the teacher is far below its max
      // (p underflows): u would pass FLT_MAX at T < 1 and be taken for x = −inf (+inf, and NaN in
      // the gradient); it is clamped, and these terms are 0 as in the float64 chain.
      for (const T of [0.5, 0.9, 2]) {
        for (const K of [4, 12, 40, 3000]) {
          const x = Array.from({ length: K }, (_, k) => (k % 5 === 1 ? MIN : 0.5 + Math.sin(k)));
          const y = Array.from({ length: K }, (_, k) => (k % 5 === 1 ? -1000 : Math.cos(2 * k)));
          checkSlices(dtype, [[x, y]], T, `masked student, T = ${T}, K = ${K}`);
          const xs = typed(dtype, x);
          const ys = typed(dtype, y);
          const g = klDivLogitsWithGrad({ data: xs, shape: [1, K] }, { data: ys, shape: [1, K] }, { temperature: T, reduction: 'sum', gradTarget: true });
          expect(g.loss.item(), `withGrad loss = klDivLogits, T = ${T}, K = ${K}`).toBe(klDivLogits({ data: xs, shape: [1, K] }, { data: ys, shape: [1, K] }, { temperature: T, reduction: 'sum' }).item());
          expect(Array.from(g.gradTarget!.data).every(Number.isFinite)).toBe(true);
        }
      }
      // The case, float32 only: 0.01755191 (it was NaN on WASM).
      if (dtype === 'float32') {
        const got = klDivLogits({ data: Float32Array.from([0.5, 1, 2, -1]), shape: [1, 4] }, { data: Float32Array.from([-FLT_MAX, 0.3, 1, -FLT_MAX]), shape: [1, 4] }, { temperature: 0.5 }).item();
        expect(got).toBeCloseTo(0.01755191, 7);
      }
    });

    it(`${dtype}: one logit far above the rest keeps the others in u`, () => {
      useBackend(backend);
      const huge = dtype === 'float64' ? [1e8, 1e15, 1e20, 1e300] : [1e8, 1e15, 1e20, 3e38];
      for (const H of huge) {
        for (const K of [3, 12, 40, 3000]) {
          const x = Array.from({ length: K }, (_, k) => (k < 3 ? [2, 1, 0][k]! : -1 - Math.sin(k)));
          const y = Array.from({ length: K }, (_, k) => (k === 2 ? H : Math.cos(k)));
          // Teacher one-hot at element 2 (p = 1 there): KL = −log_softmax(x)[2].
          // And the mirror: the student's huge logit makes every other q tiny (KL ≈ H·(1 − p_2)).
          checkSlices(dtype, [[x, y], [y, x]], 1, `H = ${H}, K = ${K}`);
        }
      }
      const got = klDivLogits([[2, 1, 0]], [[0, 0, 1e20]], { reduction: 'sum' }).item();
      expect(got).toBeCloseTo(2.4076059, 6);
    });

    it(`${dtype}: logits at the dtype's max at T < 1 use their distances to the maximum, not v/T`, () => {
      // v/T overflows here (PyTorch's chain gives NaN), but the distributions are well defined:
      // the logits at MAX share the student's (or teacher's) mass, those at MAX/2 get none.
      // The js backend used to compute v/T − max/T and gave NaN in float64 (WASM: the KL).
      useBackend(backend);
      const MAX = dtype === 'float64' ? Number.MAX_VALUE : FLT_MAX;
      for (const T of [0.5, 0.9, 1, 2]) {
        for (const K of [4, 12, 40, 3000]) {
          const top = (k: number): number => (k % 2 === 0 ? MAX : MAX / 2);
          const x = Array.from({ length: K }, (_, k) => top(k));
          const y = Array.from({ length: K }, (_, k) => (k % 2 === 0 ? Math.cos(k) : -MAX));
          const z = Array.from({ length: K }, (_, k) => 0.5 + Math.sin(k));
          checkSlices(dtype, [[x, y], [z, x], [x, x]], T, `T = ${T}, K = ${K}`);
        }
      }
      // One by hand: q = (½, ½, 0), p = softmax((0, 1, −∞)/T): KL·T² at T = 0.5.
      const p1 = 1 / (1 + Math.exp(-2));
      const want = (p1 * Math.log(2 * p1) + (1 - p1) * Math.log(2 * (1 - p1))) * 0.25;
      const got = klDivLogits({ data: typed(dtype, [MAX, MAX, MAX / 2]), shape: [1, 3] }, { data: typed(dtype, [0, 1, -MAX]), shape: [1, 3] }, { temperature: 0.5, reduction: 'sum' }).item();
      expect(Math.abs(got - want), `${got} vs ${want}`).toBeLessThan(dtype === 'float64' ? 1e-15 : 1e-8);
    });

    it(`${dtype}: the same edges through segments (rows longer than a 1 KiB window)`, () => {
      initSync({ backend, windowKiB: 1 });
      try {
        const K = 3000;
        const x = Array.from({ length: K }, (_, k) => Math.sin(k));
        const MIN = dtype === 'float64' ? -Number.MAX_VALUE : -FLT_MAX;
        checkSlices(dtype, [[x, Array.from({ length: K }, () => -Infinity)], [x, x.map((v) => 2 * v)]], 1, 'segments, all −inf');
        checkSlices(dtype, [[x, x.map((v, k) => (k % 3 === 0 ? MIN : v))]], 0.5, 'segments, masked teacher T = 0.5');
        checkSlices(dtype, [[x, x.map((v, k) => (k === 7 ? 1e20 : v))]], 1, 'segments, one huge logit');
      } finally {
        initSync({ backend });
      }
    });
  }
});

describe.each(ALL_BACKENDS)('temperature range and float32 overflow on %s', (backend) => {
  it('klDivLogits and klDivLogitsWithGrad accept temperatures in [2^-63, 2^63] only', () => {
    useBackend(backend);
    const x = [[1, 2, 0.5]];
    const y = [[2, 1, 0.5]];
    for (const T of [1e-300, 2 ** -64, 2 ** 64, 1e200]) {
      expect(() => klDivLogits(x, y, { temperature: T }), `T = ${T}`).toThrow(/argument 'temperature' is .*2\^-63/);
      expect(() => klDivLogitsWithGrad(x, y, { temperature: T }), `T = ${T}`).toThrow(RangeError);
    }
    // Inside the range the loss agrees with the float64 chain; at 2^63 the chain itself cancels
    // (u ≈ 1e-19 next to log 3), so there the limit T²·KL → Var_q(y − x)/2 = 1/3 (q uniform).
    for (const T of [2 ** -63, 1e-3, 1e6]) {
      const got = klDivLogits(x, y, { temperature: T, reduction: 'sum' }).item();
      expect(closeMismatch([got], [klRef([1, 2, 0.5], [2, 1, 0.5], T)], 1.3e-6, 1e-5), `T = ${T}`).toBeNull();
    }
    expect(klDivLogits(x, y, { temperature: 2 ** 63, reduction: 'sum' }).item()).toBeCloseTo(1 / 3, 6);
  });

  it('klDiv float32 terms that overflow float32 are ±inf on every backend, as in PyTorch', () => {
    useBackend(backend);
    const none = (input: number[], target: number[], logTarget = false) =>
      Array.from(klDiv({ data: Float32Array.from(input), shape: [input.length] }, { data: Float32Array.from(target), shape: [target.length] }, { reduction: 'none', logTarget }).data);
    // xlogy(3e38, 3e38) = inf in float32, minus 3e38·inf: NaN (the js backend gave −inf).
    expect(Number.isNaN(none([Infinity], [3e38])[0]!)).toBe(true);
    // t·x = 10·(−1e38) overflows: −(−inf) = +inf.
    expect(none([-1e38], [10])[0]).toBe(Infinity);
    // log_target: exp(100) overflows float32: inf.
    expect(none([-1], [100], true)[0]).toBe(Infinity);
    // Ordinary values are unaffected.
    expect(none([-0.5], [0.25])[0]).toBeCloseTo(0.25 * (Math.log(0.25) + 0.5), 6);
  });
});

describe('klDivLogits float32 column kernels', () => {
  it("'none' terms and gradients along dim 0 have the scalar build's bits (vector precise sums)", () => {
    const rand = (s0: number, n: number): Float32Array => {
      const a = new Float32Array(n);
      let s = s0;
      for (let i = 0; i < n; i++) {
        s = (s * 1103515245 + 12345) >>> 0;
        a[i] = (s / 2 ** 32 - 0.5) * 6;
      }
      return a;
    };
    const shape = [37, 203];
    const x = { data: rand(3, 37 * 203), shape };
    const y = { data: rand(4, 37 * 203), shape };
    const run = (backend: 'wasm-scalar' | 'wasm-simd') => {
      useBackend(backend);
      const g = klDivLogitsWithGrad(x, y, { dim: 0, reduction: 'none', temperature: 1.7, gradTarget: true });
      return [klDivLogits(x, y, { dim: 0, reduction: 'none', temperature: 1.7 }).data, g.gradInput.data, g.gradTarget!.data];
    };
    // (The relaxed build fuses multiply-adds, so it rounds differently from both.)
    const want = run('wasm-scalar');
    const got = run('wasm-simd');
    for (let j = 0; j < want.length; j++) expect(sameBits(got[j]!, want[j]!), `output ${j}`).toBeNull();
  });
});

describe('teacher gradient where p is 0 but y is finite (p underflows), every backend and layout', () => {
  // The kernels used to select 0 only where y = −inf: where p underflowed and u − KL was not
  // finite (an infinite KL, or u and KL near ∓max/2 whose difference overflows) they gave
  // 0·inf = NaN, and the js backend (p in float64) 0 or −inf.
  const M64 = Number.MAX_VALUE;
  const cases: { dtype: Dtype; x: number[]; y: number[]; T: number; zero: number[] }[] = [
    // The review's case: u − KL overflows at the element whose p underflows (index 1).
    { dtype: 'float64', x: [1.7e308, 1.7e308, 0], y: [1.7e308, 0, 1.7e308], T: 0.5, zero: [1] },
    { dtype: 'float32', x: [3e38, 3e38, 0], y: [3e38, 0, 3e38], T: 0.5, zero: [1] },
    // KL = +inf (student −inf where p > 0) and a teacher logit whose p underflows in float32.
    { dtype: 'float32', x: [-Infinity, 0, 1, 0], y: [0, 1, 2, -200], T: 1, zero: [3] },
    { dtype: 'float64', x: [-Infinity, 0, 1, 0], y: [0, 1, 2, -M64], T: 1, zero: [3] },
  ];
  const layouts = (c: (typeof cases)[number]) => {
    const K = c.x.length;
    // Rows; four identical columns (dim 0: the column kernels); and the row padded to 700
    // elements with −inf on both sides (terms 0) for a 1 KiB window (streamed chunks).
    const pad = 700 - K;
    return [
      { what: 'row', x: c.x, y: c.y, shape: [1, K], dim: -1, window: 0, at: c.zero },
      { what: 'columns', x: c.x.flatMap((v) => [v, v, v, v]), y: c.y.flatMap((v) => [v, v, v, v]), shape: [K, 4], dim: 0, window: 0, at: c.zero.map((i) => 4 * i) },
      { what: 'streamed row', x: [...c.x, ...Array(pad).fill(-Infinity)], y: [...c.y, ...Array(pad).fill(-Infinity)], shape: [1, 700], dim: -1, window: 1, at: c.zero },
    ];
  };
  it.each(ALL_BACKENDS)('%s: gradTarget is 0 there, and the same on every backend', (backend) => {
    for (const c of cases) {
      for (const l of layouts(c)) {
        initSync({ backend, ...(l.window ? { windowKiB: l.window } : {}) });
        try {
          for (const reduction of ['sum', 'none'] as const) {
            const gradOutput = reduction === 'none' ? { data: typed(c.dtype, l.x.map((_, i) => 0.5 + (i % 3))), shape: l.shape } : undefined;
            const g = klDivLogitsWithGrad({ data: typed(c.dtype, l.x), shape: l.shape }, { data: typed(c.dtype, l.y), shape: l.shape }, { dim: l.dim, temperature: c.T, reduction, gradOutput, gradTarget: true });
            for (const i of l.at) expect(g.gradTarget!.data[i], `${c.dtype} ${JSON.stringify(c.y)} ${l.what} ${reduction}: gradTarget[${i}]`).toBe(0);
          }
        } finally {
          initSync({ backend });
        }
      }
    }
  });
});

describe("'none' teacher gradient at float32's edges (review helper 13), every backend against js", () => {
  const FMAX = 3.4028234663852886e38;
  const run = (backend: (typeof ALL_BACKENDS)[number], x: number[], y: number[], G: number[]) => {
    initSync({ backend });
    const K = x.length;
    const g = klDivLogitsWithGrad({ data: Float32Array.from(x), shape: [1, K] }, { data: Float32Array.from(y), shape: [1, K] }, { reduction: 'none', gradOutput: { data: Float32Array.from(G), shape: [1, K] }, gradTarget: true });
    return Array.from(g.gradTarget!.data);
  };
  it('an element whose p underflows stays out of Σ G·p·(u + 1) (it made every element NaN on WASM, −inf on js)', () => {
    // x = −inf where p underflows: u = +inf there, and 0·inf entered B.
    const x = [0, 0.5, -Infinity];
    const y = [0, 1, -200];
    const want = run('js', x, y, [1, 1, 1]);
    expect(want.every(Number.isFinite), `js ${want}`).toBe(true);
    for (const backend of WASM_BACKENDS) expect(closeMismatch(run(backend, x, y, [1, 1, 1]), want, 1e-6, 1e-12), backend).toBeNull();
  });
  it("a masked student's G·(u + 1) does not overflow float32 (it was +inf on WASM where js reads 5.6e-7)", () => {
    // u is clamped at FLT_MAX (x = −FLT_MAX) where p is a subnormal: G·p is formed first.
    const x = [2.39, 0.07, -FMAX];
    const y = [-0.796, -1.69, -103.978];
    const want = run('js', x, y, [1.5, 1.5, 1.5]);
    expect(want.every(Number.isFinite), `js ${want}`).toBe(true);
    for (const backend of WASM_BACKENDS) {
      const got = run(backend, x, y, [1.5, 1.5, 1.5]);
      expect(got.every(Number.isFinite), `${backend} ${got}`).toBe(true);
      expect(closeMismatch(got.slice(0, 2), want.slice(0, 2), 1e-6, 1e-12), backend).toBeNull();
      // p is a float32 subnormal of one or two ulps there: the same order of magnitude only.
      expect(Math.abs(Math.log(got[2]! / want[2]!)), `${backend}: ${got[2]} vs ${want[2]}`).toBeLessThan(Math.log(2.5));
    }
  });
});

describe('a capped KL is the same whether the row fits the window or is cut into segments (review helper 12, B)', () => {
  it.each(WASM_BACKENDS)('%s: float32 logits at 3e38 at T = 0.5: segments, in-window and js agree', (backend) => {
    // Student and teacher each put all mass on a different logit of 3e38: u there is ≈ 1.2e39,
    // past float32's range, and the kernels clamp it at FLT_MAX (KL·T² = FLT_MAX/4). The
    // segments' between-segment u was not clamped: 1.5e38 in a 4 KiB window, 8.5e37 otherwise.
    const K = 3001;
    const x = Array.from({ length: K }, (_, i) => Math.sin(i));
    const y = x.slice();
    x[100] = 3e38;
    y[2000] = 3e38;
    const X = { data: Float32Array.from(x), shape: [1, K] };
    const Y = { data: Float32Array.from(y), shape: [1, K] };
    const opts = { temperature: 0.5, reduction: 'sum' } as const;
    initSync({ backend: 'js' });
    const want = klDivLogits(X, Y, opts).item();
    expect(want).toBeGreaterThan(8.5e37);
    expect(want).toBeLessThan(8.51e37);
    initSync({ backend });
    expect(closeMismatch([klDivLogits(X, Y, opts).item()], [want], 1e-6, 0), 'in-window').toBeNull();
    initSync({ backend, windowKiB: 4, maxMemoryMiB: 1 });
    try {
      expect(closeMismatch([klDivLogits(X, Y, opts).item()], [want], 1e-6, 0), 'segments').toBeNull();
    } finally {
      initSync({ backend });
    }
  });
});

describe('masked students and teachers in one row, third review', () => {
  const FMAX = 3.4028234663852886e38;
  it('gradients stay finite and every backend agrees (u clamped at half the range, as in js)', () => {
    const results = ALL_BACKENDS.map((backend) => {
      useBackend(backend);
      const g = klDivLogitsWithGrad({ data: Float32Array.from([-FMAX, 0, 1]), shape: [1, 3] }, { data: Float32Array.from([0, -FMAX, 1]), shape: [1, 3] }, { temperature: 0.5, reduction: 'sum', gradTarget: true });
      const masked = klDivLogits({ data: Float32Array.from([-FMAX, 0, 0]), shape: [1, 3] }, { data: Float32Array.from([0, 0, 0]), shape: [1, 3] }, { temperature: 0.5, reduction: 'sum' }).item();
      return [g.loss.item(), ...g.gradInput.data, ...g.gradTarget!.data, masked];
    });
    for (const r of results) expect(r.every(Number.isFinite), `${r}`).toBe(true);
    for (let b = 1; b < results.length; b++) expect(closeMismatch(results[b]!, results[0]!, 1e-6, 0), ALL_BACKENDS[b]).toBeNull();
  });

  it('klDiv float32 terms whose difference overflows are inf on every backend', () => {
    for (const backend of ALL_BACKENDS) {
      useBackend(backend);
      const v = klDiv({ data: Float32Array.from([-80, 1]), shape: [2] }, { data: Float32Array.from([3.7e36, 0.5]), shape: [2] }, { reduction: 'sum' }).item();
      expect(v, backend).toBe(Infinity);
    }
  });

  it('klDivLogitsWithGrad over long columns fits a 1 KiB window (it overflowed the window)', () => {
    for (const backend of WASM_BACKENDS) {
      const x = { data: Float32Array.from({ length: 1600 }, (_, i) => Math.sin(i)), shape: [100, 16] };
      const y = { data: x.data.map((v) => 0.5 * v), shape: [100, 16] };
      useBackend(backend);
      const want = klDivLogitsWithGrad(x, y, { dim: 0, reduction: 'none', gradTarget: true });
      initSync({ backend, windowKiB: 1 });
      try {
        for (const reduction of ['sum', 'none'] as const) {
          const got = klDivLogitsWithGrad(x, y, { dim: 0, reduction, gradTarget: true });
          if (reduction === 'none') {
            expect(closeMismatch(got.gradInput.data, want.gradInput.data, 1.3e-6, 1e-6), `${backend} gradInput`).toBeNull();
            expect(closeMismatch(got.gradTarget!.data, want.gradTarget!.data, 1.3e-6, 1e-6), `${backend} gradTarget`).toBeNull();
          }
        }
        expect(Number.isFinite(klDivLogits(x, y, { dim: 0, reduction: 'sum' }).item())).toBe(true);
      } finally {
        initSync({ backend });
      }
    }
  });
});
