/**
 * Property tests (fast-check): each WASM backend agrees with the float64 js backend on random
 * shapes, dims, dtypes, temperatures, reductions and special values; and mathematical identities
 * hold on every backend. `FC_RUNS` scales the number of cases (CI default: 60 per property).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BackendName,
  initSync,
  Tensor,
  klDiv,
  klDivBackward,
  klDivLogits,
  klDivLogitsWithGrad,
  klDivPerSlice,
  logSoftmax,
  logSumExp,
  setWarningHandler,
  softmax,
} from '../src/index.js';
import { ALL_BACKENDS } from './helpers/backends.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

const RUNS = Number(process.env.FC_RUNS ?? 60);
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const params = { numRuns: RUNS, seed: SEED };

const special = fc.constantFrom(NaN, Infinity, -Infinity, 1e30, -1e30, 1e-30, 0, -0);
const value = (specials: boolean) =>
  specials ? fc.oneof({ arbitrary: fc.double({ min: -30, max: 30, noNaN: true }), weight: 12 }, { arbitrary: special, weight: 1 }) : fc.double({ min: -30, max: 30, noNaN: true });

/** A random tensor description: shape (1–3 dims of 1–9, sometimes a 0), dtype, a dim, values. */
const tensorArb = (specials: boolean) =>
  fc
    .record({
      shape: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
      dtype: fc.constantFrom('float32' as const, 'float64' as const),
      dimSeed: fc.nat(),
      // 1 in 20 tensors gets a 0-length last dim; drawn from fc (not Math.random) so FC_SEED replays it.
      empty: fc.integer({ min: 0, max: 19 }).map((i) => i === 0),
    })
    .chain(({ shape, dtype, dimSeed, empty }) => {
      const s = empty ? [...shape.slice(0, -1), 0] : shape;
      const n = s.reduce((a, b) => a * b, 1);
      return fc.record({
        shape: fc.constant(s),
        dtype: fc.constant(dtype),
        dim: fc.constant((dimSeed % s.length) - (dimSeed % 2 === 0 ? s.length : 0)),
        values: fc.array(value(specials), { minLength: n, maxLength: n }),
        values2: fc.array(value(specials), { minLength: n, maxLength: n }),
      });
    })
    .map((t) => {
      const Ctor = t.dtype === 'float64' ? Float64Array : Float32Array;
      return { ...t, x: { data: Ctor.from(t.values), shape: t.shape }, y: { data: Ctor.from(t.values2), shape: t.shape } };
    });

/** Runs `op` on a backend. */
function on(name: BackendName, op: () => Tensor): Tensor {
  initSync({ backend: name });
  return op();
}

/** |a − e| ≤ rtol·|e| + atol per element, NaN ↔ NaN, infinities equal. */
function agree(a: ArrayLike<number>, e: ArrayLike<number>, rtol: number, atol: number | ((i: number) => number)): string | null {
  if (a.length !== e.length) return `length ${a.length} vs ${e.length}`;
  for (let i = 0; i < a.length; i++) {
    const av = a[i]!;
    const ev = e[i]!;
    const tol = typeof atol === 'number' ? atol : atol(i);
    const ok = Number.isNaN(ev) ? Number.isNaN(av) : !Number.isFinite(ev) ? av === ev : Math.abs(av - ev) <= rtol * Math.abs(ev) + tol;
    if (!ok) return `[${i}] ${av} vs ${ev}`;
  }
  return null;
}

const WASM = ALL_BACKENDS.filter((b) => b !== 'js');

describe.each(WASM)('%s agrees with the float64 js backend', (name) => {
  it('softmax, logSoftmax, logSumExp on random tensors with special values', () => {
    fc.assert(
      fc.property(tensorArb(true), ({ x, dim, dtype }) => {
        const f32 = dtype === 'float32';
        for (const op of [() => softmax(x, dim), () => logSoftmax(x, dim), () => logSumExp(x, dim)]) {
          const got = on(name, op);
          const ref = on('js', op);
          const big = Math.max(1, ...Array.from(x.data).filter(Number.isFinite).map(Math.abs));
          const msg = agree(got.data, ref.data, f32 ? 3e-6 : 1e-12, f32 ? 1e-6 * big : 1e-12 * big);
          expect(msg, `dim ${dim} shape ${x.shape}`).toBeNull();
          expect(got.shape).toEqual(ref.shape);
        }
      }),
      params,
    );
  });

  it('klDiv (every reduction, logTarget, broadcasting) with special values', () => {
    fc.assert(
      fc.property(
        tensorArb(true),
        fc.constantFrom('none', 'sum', 'mean', 'batchmean'),
        fc.boolean(),
        fc.boolean(),
        ({ x, y, dtype }, reduction, logTarget, broadcast) => {
          const input = logSoftmax(x, -1);
          const target = logTarget ? logSoftmax(y, -1) : { data: y.data.map((v) => (Number.isFinite(v) ? Math.abs(v) / 30 : v)), shape: y.shape };
          const t = broadcast && x.shape.length > 1 ? { data: target.data.slice(0, x.shape[x.shape.length - 1]), shape: x.shape.slice(-1) } : target;
          const op = () => klDiv(input, t, { reduction, logTarget });
          const got = on(name, op);
          const ref = on('js', op);
          // float32 terms: the error scales with the magnitudes of t·x and t·log t.
          const scale = Array.from(input.data).reduce((s, v) => s + (Number.isFinite(v) ? Math.abs(v) : 0), 0) + 1;
          const f32 = dtype === 'float32';
          expect(agree(got.data, ref.data, f32 ? 1e-5 : 1e-12, f32 ? 1e-6 * scale : 1e-12 * scale)).toBeNull();
          expect(got.shape).toEqual(ref.shape);
          expect(got.dtype).toBe(ref.dtype);
        },
      ),
      params,
    );
  });

  it('klDivLogits (temperatures, dims, reductions) with special values', () => {
    fc.assert(
      fc.property(
        tensorArb(true),
        fc.double({ min: 0.25, max: 8, noNaN: true }),
        fc.constantFrom('none', 'sum', 'batchmean', 'mean'),
        ({ x, y, dim }, temperature, reduction) => {
          const op = () => klDivLogits(x, y, { dim, temperature, reduction });
          const got = on(name, op);
          const ref = on('js', op);
          // float32 kernels: c = lse(y/T) − lse(x/T) carries ~1e-7 absolute error from float32
          // exponentials, which pointwise terms p·u·T² see directly (reductions only at second order).
          const f32 = x.data instanceof Float32Array;
          const atol = (reduction === 'none' && f32 ? 3e-7 : 1e-9) * temperature ** 2;
          expect(agree(got.data, ref.data, 2e-5, atol)).toBeNull();
          if (reduction !== 'none') expect(Number.isNaN(got.item()) || got.item() >= 0).toBe(true);
        },
      ),
      params,
    );
  });
});

describe.each(WASM)('%s gradients and per-slice KL agree with the float64 js backend', (name) => {
  it('klDivLogitsWithGrad (reductions incl. perSlice and none with gradOutput, teacher gradient) with special values', () => {
    fc.assert(
      fc.property(
        tensorArb(true),
        fc.double({ min: 0.25, max: 8, noNaN: true }),
        fc.constantFrom('none', 'sum', 'batchmean', 'mean', 'perSlice'),
        fc.boolean(),
        ({ x, y, dim, dtype, shape }, temperature, reduction, withG) => {
          const d = dim < 0 ? dim + shape.length : dim;
          const lossShape = reduction === 'none' ? shape : reduction === 'perSlice' ? shape.filter((_, i) => i !== d) : [];
          const gn = lossShape.reduce((a, b) => a * b, 1);
          const G = withG ? Float64Array.from({ length: gn }, (_, i) => Math.sin(i + 1)) : null;
          const gradOutput = G === null ? undefined : lossShape.length === 0 ? new Tensor(G, []) : { data: dtype === 'float32' ? Float32Array.from(G) : G, shape: lossShape };
          const op = () => klDivLogitsWithGrad(x, y, { dim, temperature, reduction, gradOutput, gradTarget: true });
          initSync({ backend: name });
          const got = op();
          initSync({ backend: 'js' });
          const ref = op();
          const perSlice = klDivLogits(x, y, { dim, temperature, reduction: 'perSlice' }).data;
          const f32 = dtype === 'float32';
          const atol = (reduction === 'none' && f32 ? 3e-7 : 1e-9) * temperature ** 2;
          expect(agree(got.loss.data, ref.loss.data, 2e-5, atol), 'loss').toBeNull();
          // Gradients are compared in slices whose logits are all finite and of sane magnitude (≤ 1e4)
          // and whose KL is finite: with ±1e30 logits u = log(p/q) reaches 1e30 and float32 and float64
          // legitimately part ways; NaN / inf slices still sit next to them (isolation), and their
          // exact semantics are tested in gradients.test.ts.
          const { outer, size, inner } = layout(shape, d);
          const sane = new Uint8Array(outer * inner).fill(1);
          for (let i = 0; i < x.data.length; i++) {
            const sl = Math.floor(i / (size * inner)) * inner + (i % inner);
            if (!(Math.abs(x.data[i]!) <= 1e4 && Math.abs(y.data[i]!) <= 1e4)) sane[sl] = 0;
          }
          const ok = (i: number): boolean => {
            const sl = Math.floor(i / (size * inner)) * inner + (i % inner);
            return sane[sl] === 1 && Number.isFinite(perSlice[sl]!);
          };
          const big = Math.max(1, ...Array.from(x.data).concat(Array.from(y.data)).filter((v) => Math.abs(v) <= 1e4).map(Math.abs));
          const gmax = G === null ? 1 : Math.max(1, ...Array.from(G, Math.abs));
          const tol = f32 ? 4e-7 * temperature * gmax * (1 + (2 * big) / temperature) : 1e-12 * temperature * gmax * (1 + (2 * big) / temperature);
          for (const [a, e, what] of [
            [got.gradInput.data, ref.gradInput.data, 'gradInput'],
            [got.gradTarget!.data, ref.gradTarget!.data, 'gradTarget'],
          ] as const) {
            const idx = Array.from({ length: e.length }, (_, i) => i).filter(ok);
            expect(agree(idx.map((i) => a[i]!), idx.map((i) => e[i]!), f32 ? 1e-4 : 1e-9, tol), `${what} ${reduction} T=${temperature}`).toBeNull();
          }
          void outer;
        },
      ),
      params,
    );
  });

  it('klDivBackward (reductions, logTarget, broadcasting, gradOutput) and klDivPerSlice with special values', () => {
    fc.assert(
      fc.property(
        tensorArb(true),
        fc.constantFrom('none', 'sum', 'mean', 'batchmean'),
        fc.boolean(),
        fc.boolean(),
        ({ x, y, dtype }, reduction, logTarget, broadcast) => {
          const input = logSoftmax(x, -1);
          // Targets stay out of float32's subnormal range: there autograd's (g·t)/t loses its digits in
          // float32 (as in PyTorch's float32), while the js backend computes in float64.
          const target = logTarget
            ? logSoftmax(y, -1)
            : { data: y.data.map((v) => (!Number.isFinite(v) ? v : Math.abs(v) < 1e-20 ? 0 : Math.abs(v) / 30)), shape: y.shape };
          const t = broadcast && x.shape.length > 1 ? { data: target.data.slice(0, x.shape[x.shape.length - 1]), shape: x.shape.slice(-1) } : target;
          const outShape = x.shape;
          const n = outShape.reduce((a, b) => a * b, 1);
          const G = reduction === 'none' ? { data: Float64Array.from({ length: n }, (_, i) => Math.cos(i)), shape: outShape } : 0.75;
          const op = () => {
            const r = klDivBackward(G, input, t, { reduction, logTarget });
            return [r.gradInput, r.gradTarget, klDivPerSlice(input, t, { logTarget })];
          };
          initSync({ backend: name });
          const got = op();
          initSync({ backend: 'js' });
          const ref = op();
          const f32 = dtype === 'float32';
          const big = 1 + Math.max(0, ...Array.from(input.data).concat(Array.from(target.data)).filter(Number.isFinite).map(Math.abs).map((v) => v + Math.abs(Math.log(v || 1))));
          // Broadcast operands sum the gradients of every row they reach.
          const rows = broadcast && x.shape.length > 1 ? n / x.shape[x.shape.length - 1]! : 1;
          got.forEach((g, k) => {
            expect(g.shape).toEqual(ref[k]!.shape);
            expect(g.dtype).toBe(ref[k]!.dtype);
            const tol = k === 2 ? (f32 ? 1e-6 : 1e-12) * big * (x.shape[x.shape.length - 1] ?? 1) : (f32 ? 2e-6 : 1e-12) * big * rows;
            expect(agree(g.data, ref[k]!.data, f32 ? 1e-5 : 1e-12, tol), `${['gradInput', 'gradTarget', 'perSlice'][k]} ${reduction} logTarget=${logTarget}`).toBeNull();
          });
        },
      ),
      params,
    );
  });
});

/** (outer, size, inner) of `shape` around dim `d`. */
function layout(shape: readonly number[], d: number): { outer: number; size: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < d; i++) outer *= shape[i]!;
  for (let i = d + 1; i < shape.length; i++) inner *= shape[i]!;
  return { outer, size: shape.length === 0 ? 1 : shape[d]!, inner };
}

describe.each(ALL_BACKENDS)('identities on %s', (name) => {
  it('softmax slices sum to 1; logsumexp(x + c) = logsumexp(x) + c', () => {
    fc.assert(
      fc.property(tensorArb(false), fc.double({ min: -50, max: 50, noNaN: true }), ({ x, dim, dtype }, c) => {
        if (x.data.length === 0) return; // empty slices: logsumexp is -inf, covered elsewhere
        initSync({ backend: name });
        const f32 = dtype === 'float32';
        const sums = logSumExp(logSoftmax(x, dim), dim);
        expect(agree(sums.data, new Float64Array(sums.data.length), 0, f32 ? 2e-6 : 1e-12)).toBeNull();
        const s = softmax(x, dim);
        const total = logSumExp({ data: s.data.map(Math.log), shape: x.shape }, dim);
        expect(agree(total.data, new Float64Array(total.data.length), 0, f32 ? 3e-6 : 1e-12)).toBeNull();
        const shifted = { data: x.data.map((v) => v + c), shape: x.shape };
        const lhs = logSumExp(shifted, dim).data;
        const rhs = logSumExp(x, dim).data.map((v) => v + c);
        expect(agree(lhs, rhs, f32 ? 2e-6 : 1e-13, f32 ? 1e-5 : 1e-12)).toBeNull();
      }),
      params,
    );
  });

  it('klDivLogits ≥ 0, exactly 0 for equal inputs, and equal to the float64 chain', () => {
    fc.assert(
      fc.property(tensorArb(false), fc.double({ min: 0.5, max: 4, noNaN: true }), ({ x, y, dim }, temperature) => {
        initSync({ backend: name });
        const x64 = { data: Float64Array.from(x.data), shape: x.shape };
        const y64 = { data: Float64Array.from(y.data), shape: y.shape };
        const fused = klDivLogits(x64, y64, { dim, temperature, reduction: 'sum' }).item();
        expect(fused).toBeGreaterThanOrEqual(0);
        expect(Object.is(klDivLogits(x, x, { dim, temperature, reduction: 'sum' }).item(), 0)).toBe(true);
        const sx = { data: x64.data.map((v) => v / temperature), shape: x.shape };
        const sy = { data: y64.data.map((v) => v / temperature), shape: x.shape };
        const chain = klDiv(logSoftmax(sx, dim), softmax(sy, dim), { reduction: 'sum' }).item() * temperature ** 2;
        expect(Math.abs(fused - chain)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(chain)));
      }),
      params,
    );
  });
});
