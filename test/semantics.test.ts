/**
 * PyTorch 1.13 semantics beyond the golden file, from the specification's tables
 * (../shared/reference/pytorch-semantics.md §1.2–1.8, §3.1–3.5), run on every backend.
 * Expected values are PyTorch's printed results or closed forms computed here independently.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  KLDivLoss,
  type KlwasmWarning,
  Tensor,
  klDiv,
  klDivBackward,
  klDivLogits,
  klDivLogitsWithGrad,
  logSoftmax,
  logSumExp,
  setWarningHandler,
  softmax,
} from '../src/index.js';
import { ALL_BACKENDS, useBackend } from './helpers/backends.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';

const f32 = Math.fround;

function close(actual: Tensor | ArrayLike<number>, expected: ArrayLike<number>, rtol = 1.3e-6, atol = 1e-7): void {
  const data = actual instanceof Tensor ? actual.data : actual;
  expect(closeMismatch(data, expected, rtol, atol)).toBeNull();
}

function withWarnings<T>(fn: () => T): [T, KlwasmWarning[]] {
  const seen: KlwasmWarning[] = [];
  const prev = setWarningHandler((w) => seen.push(w));
  try {
    return [fn(), seen];
  } finally {
    setWarningHandler(prev);
  }
}

afterEach(() => {
  setWarningHandler(undefined);
  vi.restoreAllMocks();
});

describe.each(ALL_BACKENDS)('kl_div semantics on %s', (name) => {
  beforeAll(() => {
    useBackend(name);
    setWarningHandler(null);
  });

  it('0-d tensors: every reduction returns the single term (batchmean does not divide)', () => {
    // 0.5·log 0.5 − 0.5·(−1) = 0.15342641
    for (const reduction of ['none', 'sum', 'mean', 'batchmean'] as const) {
      const r = klDiv(-1, 0.5, { reduction });
      expect(r.shape).toEqual([]);
      close(r, [0.15342641]);
    }
  });

  it("1-d input: 'batchmean' divides by the length, equal to 'mean' (spec §1.3)", () => {
    const x = [-1, -2, -3];
    const t = [0.2, 0.3, 0.5];
    close(klDiv(x, t, { reduction: 'none' }), [-0.12188758, 0.23880816, 1.15342641]);
    close(klDiv(x, t, { reduction: 'sum' }), [1.270347]);
    close(klDiv(x, t, { reduction: 'mean' }), [0.42344901]);
    close(klDiv(x, t, { reduction: 'batchmean' }), [0.42344901]);
  });

  it('batchmean divides by input.shape[0], not the broadcast batch', () => {
    const x = [-1, -2, -3];
    const t = [
      [0.2, 0.3, 0.5],
      [0.1, 0.6, 0.3],
    ];
    const sum = klDiv(x, t, { reduction: 'sum' }).item();
    close(klDiv(x, t, { reduction: 'batchmean' }), [sum / 3]);
    close(klDiv(t.map((r) => r.map((v) => -v)), t, { reduction: 'batchmean' }), [klDiv(t.map((r) => r.map((v) => -v)), t, { reduction: 'sum' }).item() / 2]);
  });

  it('pointwise special values (spec §1.5 table, log_target=False)', () => {
    const rows: [number, number, number][] = [
      // [target, input, expected]
      [0, -1, 0],
      [-0, -1, 0],
      [0, -Infinity, NaN],
      [0, Infinity, NaN],
      [0, NaN, NaN],
      [-0.5, -1, NaN],
      [NaN, -1, NaN],
      [Infinity, -1, Infinity],
      [0.5, -Infinity, Infinity],
      [0.5, Infinity, -Infinity],
      [2, 0, 1.38629436],
      [1e-45, -1, -1.42932443e-43],
    ];
    const t = Float32Array.from(rows.map((r) => r[0]));
    const x = Float32Array.from(rows.map((r) => r[1]));
    const out = klDiv(x, t, { reduction: 'none' });
    rows.forEach(([tv, xv, want], i) => {
      const got = out.data[i]!;
      if (Number.isNaN(want)) expect(got, `t=${tv} x=${xv}`).toBeNaN();
      else if (!Number.isFinite(want)) expect(got, `t=${tv} x=${xv}`).toBe(want);
      else expect(Math.abs(got - want) <= 1.3e-6 * Math.abs(want) + 1e-45, `t=${tv} x=${xv}: ${got}`).toBe(true);
    });
    expect(Object.is(out.data[1], 0), '-0 target gives +0').toBe(true);
  });

  it('pointwise special values with logTarget (spec §1.5)', () => {
    const rows: [number, number, number][] = [
      [-Infinity, -Infinity, NaN],
      [-Infinity, -1, NaN],
      [0, -Infinity, Infinity],
      [1, 0, 2.71828175],
      [100, 0, Infinity],
    ];
    const out = klDiv(
      Float32Array.from(rows.map((r) => r[1])),
      Float32Array.from(rows.map((r) => r[0])),
      { reduction: 'none', logTarget: true },
    );
    rows.forEach(([, , want], i) => {
      if (Number.isNaN(want)) expect(out.data[i]).toBeNaN();
      else expect(out.data[i]).toBeCloseTo(want, 6);
    });
  });

  it('a masked log_softmax (-inf where the target is 0) gives NaN, as PyTorch ≥ 1.13', () => {
    expect(klDiv([[0, -Infinity]], [[1, 0]], { reduction: 'sum' }).item()).toBeNaN();
  });

  it('type promotion: float64 wins, but a 0-d tensor does not promote a dimensioned one', () => {
    const x32 = { data: new Float32Array([-1, -2, -3, -1, -2, -3]), shape: [2, 3] };
    const t64 = { data: new Float64Array([0.2, 0.3, 0.5, 0.2, 0.3, 0.5]), shape: [2, 3] };
    expect(klDiv(x32, t64, { reduction: 'sum' }).dtype).toBe('float64');
    expect(klDiv(t64, x32, { reduction: 'sum' }).dtype).toBe('float64');
    const t0d64 = { data: new Float64Array([0.5]), shape: [] };
    expect(klDiv(x32, t0d64, { reduction: 'sum' }).dtype).toBe('float32');
    const x0d32 = { data: new Float32Array([-1]), shape: [] };
    expect(klDiv(x0d32, t64, { reduction: 'sum' }).dtype).toBe('float64');
    expect(klDiv(x32, t0d64, { reduction: 'none' }).shape).toEqual([2, 3]);
  });

  it('float64 inputs are computed in float64', () => {
    const x = new Float64Array([-1.1, -0.9]);
    const t = new Float64Array([0.3, 0.7]);
    const want = 0.3 * Math.log(0.3) + 0.3 * 1.1 + 0.7 * Math.log(0.7) + 0.7 * 0.9;
    close(klDiv(x, t, { reduction: 'sum' }), [want], 1e-15, 0);
  });

  it('empty tensors: sum 0, mean NaN, batchmean 0/shape[0]', () => {
    const e0 = { data: new Float32Array(0), shape: [0] };
    expect(klDiv(e0, e0, { reduction: 'none' }).shape).toEqual([0]);
    expect(klDiv(e0, e0, { reduction: 'sum' }).item()).toBe(0);
    expect(klDiv(e0, e0, { reduction: 'mean' }).item()).toBeNaN();
    expect(klDiv(e0, e0, { reduction: 'batchmean' }).item()).toBeNaN();
    const e20 = { data: new Float32Array(0), shape: [2, 0] };
    expect(klDiv(e20, e20, { reduction: 'mean' }).item()).toBeNaN();
    expect(klDiv(e20, e20, { reduction: 'sum' }).item()).toBe(0);
    expect(klDiv(e20, e20, { reduction: 'batchmean' }).item()).toBe(0);
  });

  it('sum of -0 terms is +0', () => {
    const r = klDiv([1, 2], [-0, 0], { reduction: 'sum' }).item();
    expect(Object.is(r, 0)).toBe(true);
  });

  it('broadcasting: (2,1) with (1,3), (3,) with (2,3), collapsed and 3-d cases equal an explicit expansion', () => {
    const rand = seeded(7);
    const cases: [number[], number[]][] = [
      [[2, 1], [1, 3]],
      [[3], [2, 3]],
      [[2, 3], [3]],
      [[4, 1, 5], [1, 3, 5]],
      [[2, 3, 4, 5], [3, 1, 5]],
      [[1], [2, 2]],
      [[2, 1, 1, 3], [2, 1, 4, 1]],
    ];
    for (const [xs, ts] of cases) {
      const x = { data: Float32Array.from({ length: xs.reduce((a, b) => a * b, 1) }, () => -3 * rand()), shape: xs };
      const t = { data: Float32Array.from({ length: ts.reduce((a, b) => a * b, 1) }, () => rand()), shape: ts };
      const out = klDiv(x, t, { reduction: 'none' });
      const { shape, get } = expand(xs, ts);
      expect(out.shape).toEqual(shape);
      const want = out.data.map((_, i) => {
        const [xi, ti] = get(i);
        const tv = t.data[ti]!;
        const xv = x.data[xi]!;
        return tv * Math.log(tv) - tv * xv;
      });
      close(out, want);
      close(klDiv(x, t, { reduction: 'sum' }), [Array.from(want).reduce((a, b) => a + b, 0)], 1e-6, 1e-6);
    }
  });

  it('legacy arguments: mapping, warning, and the batchmean division that survives', () => {
    const x = [[-1, -2, -3], [-0.5, -1.5, -2.5]];
    const t = [[0.2, 0.3, 0.5], [0.4, 0.4, 0.2]];
    const sum = klDiv(x, t, { reduction: 'sum' }).item();
    const table: [boolean | null, boolean | null, 'mean' | 'sum' | 'none'][] = [
      [null, true, 'mean'],
      [true, null, 'mean'],
      [true, true, 'mean'],
      [false, null, 'sum'],
      [false, true, 'sum'],
      [null, false, 'none'],
      [true, false, 'none'],
      [false, false, 'none'],
    ];
    for (const [sizeAverage, reduce, want] of table) {
      const [r, w] = withWarnings(() => klDiv(x, t, { sizeAverage, reduce }));
      expect(w.map((e) => e.message)).toEqual([`size_average and reduce args will be deprecated, please use reduction='${want}' instead.`]);
      if (want === 'none') expect(r.shape).toEqual([2, 3]);
      else close(r, [want === 'sum' ? sum : sum / 6]);
    }
    close(klDiv(x, t, { sizeAverage: false, reduction: 'batchmean' }), [sum / 2]);
    const none = klDiv(x, t, { reduce: false, reduction: 'batchmean' });
    close(none, klDiv(x, t, { reduction: 'none' }).data.map((v) => f32(v / 2)));
  });

  it("'elementwise_mean' is a deprecated alias of 'mean'", () => {
    const [r, w] = withWarnings(() => klDiv([-1, -2], [0.4, 0.6], { reduction: 'elementwise_mean' }));
    close(r, [klDiv([-1, -2], [0.4, 0.6], { reduction: 'sum' }).item() / 2]);
    expect(w.map((e) => e.code)).toEqual(['KLWASM_ELEMENTWISE_MEAN']);
  });

  it('KLDivLoss: legacy arguments resolve at construction and drop batchmean (spec §2)', () => {
    const x = [[-1, -2, -3], [-0.5, -1.5, -2.5]];
    const t = [[0.2, 0.3, 0.5], [0.4, 0.4, 0.2]];
    const [loss, w] = withWarnings(() => new KLDivLoss({ sizeAverage: false, reduction: 'batchmean' }));
    expect(loss.reduction).toBe('sum');
    expect(w).toHaveLength(1);
    close(loss.forward(x, t), [klDiv(x, t, { reduction: 'sum' }).item()]);
    const bm = new KLDivLoss({ reduction: 'batchmean', logTarget: true });
    close(bm.forward(x, [[-1.6, -1.2, -0.7], [-0.9, -0.9, -1.6]]), [klDiv(x, [[-1.6, -1.2, -0.7], [-0.9, -0.9, -1.6]], { reduction: 'sum', logTarget: true }).item() / 2]);
    const [, mw] = withWarnings(() => new KLDivLoss().forward(x, t));
    expect(mw.map((e) => e.code)).toEqual(['KLWASM_MEAN_REDUCTION']);
    expect(String(new KLDivLoss())).toBe('KLDivLoss()');
    expect(() => new KLDivLoss({ reduction: 'foo' as never })).toThrow(TypeError);
  });

  it('invalid reductions are TypeErrors listing the valid names (case-sensitive)', () => {
    for (const bad of ['Mean', 'foo', '', 3, null]) {
      expect(() => klDiv([-1], [1], { reduction: bad as never })).toThrow(/'none', 'mean', 'sum', 'batchmean'/);
      expect(() => klDiv([-1], [1], { reduction: bad as never })).toThrow(TypeError);
    }
    expect(() => klDiv([-1], [1], { sizeAverage: 'yes' as never })).toThrow(TypeError);
    expect(() => klDiv([-1], [1], { logTarget: 1 as never })).toThrow(/logTarget/);
  });

  it('shapes that do not broadcast name both shapes and quote PyTorch', () => {
    expect(() => klDiv({ data: new Float32Array(6), shape: [2, 3] }, { data: new Float32Array(8), shape: [2, 4] })).toThrow(
      /'target' has shape \[2, 4\] and 'input' has shape \[2, 3\].*The size of tensor a \(4\) must match the size of tensor b \(3\) at non-singleton dimension 1/,
    );
  });
});

describe.each(ALL_BACKENDS)('softmax / log_softmax / logsumexp semantics on %s', (name) => {
  beforeAll(() => {
    useBackend(name);
    setWarningHandler(null);
  });

  it('special rows (spec §3.4)', () => {
    const rows: { x: number[]; sm: number[]; lsm: number[]; lse: number }[] = [
      { x: [-Infinity, -Infinity, -Infinity], sm: [NaN, NaN, NaN], lsm: [NaN, NaN, NaN], lse: -Infinity },
      { x: [Infinity, 1, 2], sm: [NaN, NaN, NaN], lsm: [NaN, NaN, NaN], lse: Infinity },
      { x: [Infinity, Infinity, 1], sm: [NaN, NaN, NaN], lsm: [NaN, NaN, NaN], lse: Infinity },
      { x: [NaN, 1, 2], sm: [NaN, NaN, NaN], lsm: [NaN, NaN, NaN], lse: NaN },
      { x: [-Infinity, 0, 1], sm: [0, 0.26894143, 0.7310586], lsm: [-Infinity, -1.3132616, -0.31326166], lse: 1.3132616 },
      { x: [1000, 0, -1000], sm: [1, 0, 0], lsm: [0, -1000, -2000], lse: 1000 },
      { x: [-Infinity, -Infinity, 0], sm: [0, 0, 1], lsm: [-Infinity, -Infinity, 0], lse: 0 },
      { x: [Infinity, -Infinity, 0], sm: [NaN, NaN, NaN], lsm: [NaN, NaN, NaN], lse: Infinity },
      { x: [3e38, 3e38, -1], sm: [0.5, 0.5, 0], lsm: [-0.6931472, -0.6931472, -3e38], lse: f32(3e38) },
      { x: [NaN, -Infinity, 0], sm: [NaN, NaN, NaN], lsm: [NaN, NaN, NaN], lse: NaN },
    ];
    for (const r of rows) {
      close(softmax([r.x], -1), r.sm);
      close(logSoftmax([r.x], -1), r.lsm);
      close(logSumExp([r.x], -1), [r.lse]);
    }
  });

  it('implicit dim: 0 for 0-, 1- and 3-d input, else 1 — with the warning', () => {
    const shapes = [[], [4], [2, 3], [2, 3, 4], [2, 3, 2, 2]];
    const wantDim = [0, 0, 1, 0, 1];
    shapes.forEach((shape, i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = { data: Float32Array.from({ length: n }, (_, k) => Math.sin(k + 1) * 3), shape };
      const [implicit, w] = withWarnings(() => softmax(x));
      expect(w.map((e) => e.message)).toEqual([
        'Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X as an argument.',
      ]);
      expect(implicit.data).toEqual(softmax(x, wantDim[i]).data);
      const [impl2, w2] = withWarnings(() => logSoftmax(x, null));
      expect(w2[0]!.message).toContain('log_softmax');
      expect(impl2.data).toEqual(logSoftmax(x, wantDim[i]).data);
    });
  });

  it('0-d input: softmax 1, log_softmax 0, ±inf give NaN; dims 0 and -1 accepted', () => {
    expect(softmax(5, 0).item()).toBe(1);
    expect(softmax(5, -1).item()).toBe(1);
    expect(logSoftmax(5, 0).item()).toBe(0);
    expect(softmax(Infinity, 0).item()).toBeNaN();
    expect(softmax(-Infinity, 0).item()).toBeNaN();
    expect(() => softmax(5, 1)).toThrow(/expected to be in range of \[-1, 0\], but got 1/);
  });

  it('softmax rows sum to 1 and match exp(log_softmax) along every dim of a 4-d tensor', () => {
    const rand = seeded(11);
    const shape = [3, 4, 5, 6];
    const x = { data: Float64Array.from({ length: 360 }, () => 8 * (rand() - 0.5)), shape };
    for (let dim = -4; dim < 4; dim++) {
      const s = softmax(x, dim);
      const ls = logSoftmax(x, dim);
      close(s, ls.data.map(Math.exp), 1e-12, 0);
      // Σ over dim == 1: logsumexp(log_softmax) == 0.
      close(logSumExp(ls, dim), new Float64Array(360 / shape[(dim + 4) % 4]!), 0, 1e-12);
    }
  });

  it('empty inputs return empty outputs of the same shape', () => {
    for (const shape of [[0], [0, 3], [2, 0], [2, 0, 3]]) {
      const x = { data: new Float32Array(0), shape };
      expect(softmax(x, -1).shape).toEqual(shape);
      expect(logSoftmax(x, 0).shape).toEqual(shape);
    }
  });

  it('logsumexp: tuple dims, keepdim, empty reductions, identity logsumexp(x + c) = logsumexp(x) + c', () => {
    const rand = seeded(3);
    const data = Float64Array.from({ length: 24 }, () => 5 * (rand() - 0.5));
    const x = { data, shape: [2, 3, 4] };
    // Reference in float64 by brute force.
    const ref = (keep: (i: number, j: number, k: number) => string) => {
      const groups = new Map<string, number[]>();
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
        const key = keep(i, j, k);
        groups.set(key, [...(groups.get(key) ?? []), data[i * 12 + j * 4 + k]!]);
      }
      return [...groups.values()].map((g) => Math.log(g.reduce((s, v) => s + Math.exp(v), 0)));
    };
    const r02 = logSumExp(x, [0, 2]);
    expect(r02.shape).toEqual([3]);
    close(r02, ref((_i, j) => `${j}`), 1e-12, 0);
    const r12k = logSumExp(x, [-1, 1], true);
    expect(r12k.shape).toEqual([2, 1, 1]);
    close(r12k, ref((i) => `${i}`), 1e-12, 0);
    const rall = logSumExp(x, [2, 0, 1]);
    expect(rall.shape).toEqual([]);
    close(rall, ref(() => ''), 1e-12, 0);
    const shifted = { data: data.map((v) => v + 1234.5), shape: [2, 3, 4] };
    close(logSumExp(shifted, 1), logSumExp(x, 1).data.map((v) => v + 1234.5), 1e-13, 0);

    expect(logSumExp({ data: new Float32Array(0), shape: [2, 0] }, 1).toArray()).toEqual([-Infinity, -Infinity]);
    expect(logSumExp({ data: new Float32Array(0), shape: [0] }, 0).item()).toBe(-Infinity);
    expect(logSumExp({ data: new Float32Array(0), shape: [0, 3] }, 1).shape).toEqual([0]);
    expect(logSumExp({ data: new Float32Array(0), shape: [0, 3] }, 1, true).shape).toEqual([0, 1]);
    expect(logSumExp(2.5, [] as number[]).item()).toBe(2.5);
    expect(logSumExp(Infinity, 0).item()).toBe(Infinity);
    expect(logSumExp({ data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] }, -1, true).shape).toEqual([2, 1]);
  });

  it('logsumexp rejects repeated, out-of-range, missing and empty dims with clear errors', () => {
    const x = [[1, 2], [3, 4]];
    expect(() => logSumExp(x, [1, -1])).toThrow(/dim 1 appears multiple times in the list of dims/);
    expect(() => logSumExp(x, 2)).toThrow(RangeError);
    expect(() => logSumExp(x, undefined as never)).toThrow(/'dim' is required/);
    expect(() => logSumExp(x, [])).toThrow(/empty list/);
    expect(() => logSumExp(x, 0, 'yes' as never)).toThrow(/keepdim/);
  });
});

describe.each(ALL_BACKENDS)('klDivLogits semantics on %s', (name) => {
  beforeAll(() => {
    useBackend(name);
    setWarningHandler(null);
  });

  const rand = seeded(42);
  const B = 5;
  const C = 37;
  const x = { data: Float64Array.from({ length: B * C }, () => 6 * (rand() - 0.5)), shape: [B, C] };
  const y = { data: Float64Array.from({ length: B * C }, () => 6 * (rand() - 0.5)), shape: [B, C] };

  it('equals the float64 chain kl_div(log_softmax(x/T), softmax(y/T)) · T² for every reduction', () => {
    for (const T of [1, 0.5, 3]) {
      const xs = { data: x.data.map((v) => v / T), shape: x.shape };
      const ys = { data: y.data.map((v) => v / T), shape: y.shape };
      for (const reduction of ['sum', 'batchmean', 'mean', 'none'] as const) {
        const chain = klDiv(logSoftmax(xs, -1), softmax(ys, -1), { reduction });
        const fused = klDivLogits(x, y, { temperature: T, reduction });
        expect(fused.shape).toEqual(chain.shape);
        close(fused, chain.data.map((v) => v * T * T), 1e-9, 1e-15);
      }
    }
  });

  it('works along any dim (equal to the transposed last-dim computation)', () => {
    const xt = { data: new Float64Array(B * C), shape: [C, B] };
    const yt = { data: new Float64Array(B * C), shape: [C, B] };
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) {
      xt.data[c * B + b] = x.data[b * C + c]!;
      yt.data[c * B + b] = y.data[b * C + c]!;
    }
    close(klDivLogits(xt, yt, { dim: 0, reduction: 'sum' }), [klDivLogits(x, y, { reduction: 'sum' }).item()], 1e-12, 0);
  });

  it('identical logits give exactly +0, and reduced results are never negative', () => {
    const r = klDivLogits(x, x, { reduction: 'sum', temperature: 2.5 });
    expect(Object.is(r.item(), 0)).toBe(true);
    for (const v of klDivLogits(x, x, { reduction: 'none' }).data) expect(Object.is(v, 0)).toBe(true);
    const near = { data: x.data.map((v, i) => v + (i % 3 === 0 ? 1e-7 : 0)), shape: x.shape };
    expect(klDivLogits(near, x, { reduction: 'sum' }).item()).toBeGreaterThan(0);
  });

  it('masked logits: -inf in both gives 0, -inf only in the input gives +inf, NaN gives NaN, all -inf gives NaN', () => {
    expect(klDivLogits([[0, -Infinity, 1]], [[0.5, -Infinity, 1]], { reduction: 'sum' }).item()).toBeGreaterThan(0);
    close(
      klDivLogits([[0, -Infinity, 1]], [[0.5, -Infinity, 1]], { reduction: 'sum' }),
      [klDivLogits([[0, 1]], [[0.5, 1]], { reduction: 'sum' }).item()],
    );
    expect(klDivLogits([[0, -Infinity, 1]], [[0, 0, 1]], { reduction: 'sum' }).item()).toBe(Infinity);
    expect(klDivLogits([[0, NaN, 1]], [[0, 0, 1]], { reduction: 'sum' }).item()).toBeNaN();
    expect(klDivLogits([[-Infinity, -Infinity]], [[0, 0]], { reduction: 'sum' }).item()).toBeNaN();
    expect(klDivLogits([[Infinity, 0]], [[0, 0]], { reduction: 'sum' }).item()).toBeNaN();
  });

  it('validates temperature, reduction and shapes', () => {
    for (const T of [0, -1, NaN, Infinity]) expect(() => klDivLogits(x, y, { temperature: T })).toThrow(RangeError);
    expect(() => klDivLogits(x, y, { temperature: '2' as never })).toThrow(TypeError);
    expect(() => klDivLogits(x, y, { reduction: 'avg' as never })).toThrow(TypeError);
    expect(() => klDivLogits(x, { data: y.data, shape: [C, B] })).toThrow(/\[5, 37\].*\[37, 5\]/);
    expect(() => klDivLogits(x, y, { dim: 2 })).toThrow(/expected to be in range of \[-2, 1\], but got 2/);
  });

  it("'mean' warns like kl_div's; 'batchmean' divides by shape[0]; 0-d logits give 0", () => {
    const [m, w] = withWarnings(() => klDivLogits(x, y, { reduction: 'mean' }));
    expect(w.map((e) => e.code)).toEqual(['KLWASM_MEAN_REDUCTION']);
    const s = klDivLogits(x, y, { reduction: 'sum' }).item();
    close(m, [s / (B * C)], 1e-12, 0);
    close(klDivLogits(x, y), [s / B], 1e-12, 0);
    expect(klDivLogits(1.5, -2, {}).item()).toBe(0);
  });
});

/** Broadcast result shape of xs and ts, and a map from a flat result index to flat operand indices. */
function expand(xs: number[], ts: number[]): { shape: number[]; get: (i: number) => [number, number] } {
  const n = Math.max(xs.length, ts.length);
  const px = [...Array(n - xs.length).fill(1), ...xs];
  const pt = [...Array(n - ts.length).fill(1), ...ts];
  const shape = px.map((d, i) => Math.max(d, pt[i]!));
  return {
    shape,
    get(i) {
      let xi = 0;
      let ti = 0;
      let rem = i;
      const idx = new Array<number>(n);
      for (let d = n - 1; d >= 0; d--) {
        idx[d] = rem % shape[d]!;
        rem = Math.floor(rem / shape[d]!);
      }
      for (let d = 0; d < n; d++) {
        xi = xi * px[d]! + (px[d] === 1 ? 0 : idx[d]!);
        ti = ti * pt[d]! + (pt[d] === 1 ? 0 : idx[d]!);
      }
      return [xi, ti];
    },
  };
}

describe.each(ALL_BACKENDS)('kl_div gradients (spec §1.9) and per-slice reductions on %s', (name) => {
  beforeAll(() => {
    useBackend(name);
    setWarningHandler(null);
  });

  it('§1.9: ∂input = −t·g (−0.0 at t = 0, nonzero at t < 0); ∂target = g·(log t + 1 − x), NaN at t = 0 (x = −1) and t < 0', () => {
    const r = klDivBackward(null, [-1, -1, -1], [0, -0.5, 0.5], { reduction: 'sum' });
    expect(Object.is(r.gradInput.data[0], -0)).toBe(true);
    close(r.gradInput.data.subarray(1), [0.5, -0.5]);
    expect(Number.isNaN(r.gradTarget.data[0]!)).toBe(true);
    expect(Number.isNaN(r.gradTarget.data[1]!)).toBe(true);
    close(r.gradTarget.data.subarray(2), [Math.log(0.5) + 2]);
    // log_target: ∂input = −eᵗ·g, ∂target = eᵗ·(t − x + 1)·g.
    const l = klDivBackward(2, [-1], [-0.5], { reduction: 'sum', logTarget: true });
    close(l.gradInput, [-2 * Math.exp(-0.5)]);
    close(l.gradTarget, [2 * Math.exp(-0.5) * (-0.5 + 1 + 1)]);
  });

  it("§1.2/§1.3 in backward: 'mean' divides by numel, 'batchmean' by input.shape[0] (not the broadcast batch; 0-d: not at all; legacy args: still)", () => {
    const x = [-1, -2, -3];
    const t = [
      [0.2, 0.3, 0.5],
      [0.1, 0.6, 0.3],
    ];
    const sum = klDivBackward(null, x, t, { reduction: 'sum' }).gradInput.data;
    close(klDivBackward(null, x, t, { reduction: 'mean' }).gradInput, Array.from(sum, (v) => v / 6));
    close(klDivBackward(null, x, t, { reduction: 'batchmean' }).gradInput, Array.from(sum, (v) => v / 3));
    close(klDivBackward(null, -1, 0.5, { reduction: 'batchmean' }).gradInput, [-0.5]);
    close(klDivBackward(null, x, t, { sizeAverage: false, reduction: 'batchmean' }).gradInput, Array.from(sum, (v) => v / 3));
    // Broadcast input [3] against target [2, 3]: ∂input sums the two rows.
    close(klDivBackward(null, x, t, { reduction: 'sum' }).gradInput, [-0.3, -0.9, -0.8]);
  });

  it("klDivLogits and klDivLogitsWithGrad accept 'perSlice' (shape without dim) and reject unknown reductions naming it", () => {
    const x = [
      [1, 2, 3],
      [3, 2, 1],
    ];
    const y = [
      [1, 2, 3],
      [1, 2, 3],
    ];
    const per = klDivLogits(x, y, { reduction: 'perSlice' });
    expect(per.shape).toEqual([2]);
    expect(per.data[0]).toBe(0);
    close(per.data.subarray(1), [klDivLogits([x[1]!], [y[1]!], { reduction: 'sum' }).item()]);
    expect(klDivLogits(x, y, { reduction: 'perSlice', dim: 0 }).shape).toEqual([3]);
    expect(klDivLogits(2, 1, { reduction: 'perSlice' }).shape).toEqual([]);
    expect(() => klDivLogits(x, y, { reduction: 'slices' as 'sum' })).toThrow(/'sum', 'mean', 'none' or 'perSlice'/);
    expect(() => klDivLogitsWithGrad(x, y, { reduction: 'PerSlice' as 'sum' })).toThrow(TypeError);
    expect(() => klDivLogits(x, y, { reduction: 'elementwise_mean' as 'sum' })).toThrow(/'perSlice'/);
    expect(klDivLogitsWithGrad(x, y, { reduction: 'perSlice' }).loss.shape).toEqual([2]);
  });
});

describe.each(ALL_BACKENDS)('empty slices after a non-empty call on %s', (name) => {
  it('klDivLogits over empty slices is 0 for every reduction, whatever ran before', () => {
    useBackend(name);
    setWarningHandler(null);
    klDivLogits([[1, 2, 3]], [[3, 2, 1]], { reduction: 'sum' }); // leaves per-slice values behind
    const e = { data: new Float32Array(0), shape: [3, 0] };
    expect(klDivLogits(e, e, { reduction: 'sum' }).item()).toBe(0);
    expect(klDivLogits({ data: new Float32Array(0), shape: [0] }, { data: new Float32Array(0), shape: [0] }, { reduction: 'sum' }).item()).toBe(0);
    expect(Array.from(klDivLogits(e, e, { reduction: 'perSlice' }).data)).toEqual([0, 0, 0]);
    expect(klDivLogits(e, e, { reduction: 'batchmean' }).item()).toBe(0);
  });
});
