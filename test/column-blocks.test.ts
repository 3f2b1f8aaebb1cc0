/**
 * Column blocks (assembly/colBlocks.ts): softmax, logSoftmax and logSumExp over a non-last dim
 * whose row stride crowds an L1 set (W·bytes a multiple of 4 KiB, or close to one) copy K × cb
 * blocks into a contiguous buffer and run the column kernel there. Checked on every WASM backend
 * (the scalar build walks the columns directly, so it is the control):
 * - bit for bit against the same columns in a slab padded on the left by a multiple of 16
 *   columns to a width whose rows do not crowd (the direct walk, with the same lane grouping and
 *   the same scalar tail), with special columns (NaN, +inf, all −inf, one −inf, huge values);
 * - against the float64 js backend;
 * - in place on a zero-copy tensor (`out` = the input).
 * The widths are chosen by the kernel's own crowding rule, re-stated here (`crowds`), and the test
 * asserts each side of a pair is on the intended side of it, so a change of rule cannot leave
 * both runs on one path unnoticed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, allocTensor, initSync, klDivLogits, klDivLogitsWithGrad, logSoftmax, logSumExp, setWarningHandler, softmax } from '../src/index.js';
import { WASM_BACKENDS, useBackend } from './helpers/backends.js';
import { sameBits } from './helpers/bits.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';
import { type Dtype, type Op, OPS, TOL, run } from './helpers/sliceOps.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

/** The kernels' crowding limits: rows per L1 set (softmax pair 2, logsumexp 4). */
const LIMIT: Record<Op, number> = { logSumExp: 4, softmax: 2, logSoftmax: 2 };
const BLOCK_TARGET = 16384;
const BLOCK_BYTES = 65536;

/** The kernel's rule (colBlocks.ts): some L1 set (64 sets of 64 bytes) holds more than max(limit, K/8) of the K rows. */
function crowds(K: number, strideBytes: number, limit: number): boolean {
  const count = new Array<number>(64).fill(0);
  const most = Math.max(limit, K >> 3);
  for (let k = 0; k < K; k++) {
    const set = Math.floor((k * strideBytes) / 64) % 64;
    if (++count[set]! > most) return true;
  }
  return false;
}

/** Whether the kernel blocks a K × W slab of `bytes`-byte elements for `op`. */
function blocked(op: Op, K: number, W: number, bytes: number): boolean {
  let cb = Math.floor(BLOCK_TARGET / bytes / K) & ~15;
  if (cb < 16) cb = K * 16 * bytes <= BLOCK_BYTES ? 16 : 0;
  return cb > 0 && cb < W && crowds(K, W * bytes, LIMIT[op]);
}

/** [R, K, W] logits with special columns near both ends and in the middle. */
function slab(dtype: Dtype, R: number, K: number, W: number, seed: number): Float32Array | Float64Array {
  const rand = seeded(seed);
  const n = R * K * W;
  const x = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 6 * (rand() + rand() - 1);
  const col = (i: number, v: (k: number) => number): void => {
    for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) x[(r * K + k) * W + i] = v(k);
  };
  col(1, (k) => (k === K - 1 ? NaN : 0.5 * k));
  col(2, (k) => (k === 0 ? Infinity : -k));
  col(W >> 1, () => -Infinity);
  col((W >> 1) + 1, (k) => (k === K >> 1 ? -Infinity : k / 3));
  col(W - 2, (k) => (k === 0 ? 1e30 : -1e30 + k));
  col(W - 1, (k) => 1e-30 * k);
  return x;
}

/** The slab padded on the left by `pad` columns of zeros: column i moves to i + pad. */
function padLeft(x: Float32Array | Float64Array, R: number, K: number, W: number, pad: number): Float32Array | Float64Array {
  const y = x instanceof Float64Array ? new Float64Array(R * K * (W + pad)) : new Float32Array(R * K * (W + pad));
  for (let rk = 0; rk < R * K; rk++) y.set(x.subarray(rk * W, (rk + 1) * W), rk * (W + pad) + pad);
  return y;
}

/** Columns [pad, pad + W) of an [R, M, W + pad] result (M = K, or 1 for logsumexp). */
function unpad(d: ArrayLike<number>, RM: number, W: number, pad: number): number[] {
  const out: number[] = [];
  for (let rk = 0; rk < RM; rk++) for (let i = 0; i < W; i++) out.push(d[rk * (W + pad) + pad + i]!);
  return out;
}

// [K, crowded W, padding to a width that does not crowd] per dtype. Float32: W = 1024 (4 KiB rows,
// all in one set), 4099 (16 396-byte rows, a partial last block and a 3-column scalar tail),
// 8192 with K = 40; float64: 512, 2049 (a 1-column scalar tail), 4096. LONG: columns in
// 16-column blocks (past K = 256 float32 / 128 float64) and long uncrowded ones, against js.
const CASES: Record<Dtype, [number, number, number][]> = {
  float32: [[19, 1024, 16], [19, 4099, 16], [40, 8192, 16], [5, 1024, 16]],
  float64: [[19, 512, 16], [19, 2049, 16], [30, 4096, 16]],
};

const LONG: Record<Dtype, [number, number][]> = {
  float32: [[300, 1024], [1024, 64], [257, 1000], [700, 512]],
  float64: [[129, 1024], [512, 32], [300, 256]],
};

describe.each(WASM_BACKENDS)('column blocks on %s', (backend) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const bytes = dtype === 'float64' ? 8 : 4;
    const [rtol, atol] = TOL[dtype];

    it(`${dtype}: crowded slabs give the bits of the direct walk (padded, uncrowded layout)`, () => {
      useBackend(backend);
      for (const [K, W, pad0] of CASES[dtype]) {
        const R = 2;
        const x = slab(dtype, R, K, W, K * W);
        for (const op of OPS) {
          // The smallest padding (a multiple of 16 columns) whose rows do not crowd.
          let pad = pad0;
          while (blocked(op, K, W + pad, bytes)) pad += 16;
          expect(blocked(op, K, W, bytes) || K * 16 * bytes > BLOCK_BYTES, `${op} [${R}, ${K}, ${W}] should be blocked`).toBe(true);
          const got = run(op, { data: x, shape: [R, K, W] }, 1).data;
          const ref = run(op, { data: padLeft(x, R, K, W, pad), shape: [R, K, W + pad] }, 1).data;
          const want = unpad(ref, op === 'logSumExp' ? R : R * K, W, pad);
          expect(sameBits(got, want), `${op} [${R}, ${K}, ${W}] vs padded by ${pad}`).toBeNull();
        }
      }
    });

    it(`${dtype}: crowded slabs and long columns match the float64 js backend`, () => {
      for (const [K, W] of [...CASES[dtype].map(([k, w]) => [k, w] as [number, number]), ...LONG[dtype]]) {
        const x = { data: slab(dtype, 2, K, W, 3 * K + W), shape: [2, K, W] };
        for (const op of OPS) {
          useBackend('js');
          const want = run(op, x, 1);
          useBackend(backend);
          const got = run(op, x, 1);
          expect(got.shape).toEqual(want.shape);
          expect(closeMismatch(got.data, want.data, rtol, atol), `${op} [2, ${K}, ${W}]`).toBeNull();
        }
      }
    });

    it(`${dtype}: in place on a zero-copy tensor`, () => {
      useBackend(backend);
      const [K, W] = [19, dtype === 'float64' ? 512 : 1024];
      const data = slab(dtype, 3, K, W, 11);
      for (const op of ['softmax', 'logSoftmax'] as const) {
        const want = run(op, { data, shape: [3, K, W] }, 1).data;
        const t = allocTensor([3, K, W], dtype);
        t.data.set(data);
        (op === 'softmax' ? softmax : logSoftmax)(t, 1, { out: t });
        expect(sameBits(t.data, want), op).toBeNull();
        t.free();
      }
    });
  }
});

describe.each(WASM_BACKENDS)('column tiles (slabs larger than the window) on %s', (backend) => {
  it('give the bits of the whole-slab path: softmax, logSumExp and klDivLogits over dim 0', () => {
    const K = 3000;
    const W = 16;
    const x = { data: slab('float32', 1, K, W, 5), shape: [K, W] };
    const y = { data: slab('float32', 1, K, W, 6).map((v) => v * 0.8), shape: [K, W] };
    const all = () => [softmax(x, 0).data, logSumExp(x, 0).data, klDivLogits(x, y, { dim: 0, reduction: 'perSlice' }).data];
    useBackend(backend);
    const whole = all();
    // 80 KiB: six 12 KB columns fit the softmax window, cut to tiles of four (the fused KL, whose
    // scratch does not fit, streams there, with other sums); 256 KiB: the fused KL's scratch plus
    // six column pairs, also cut to four.
    for (const [windowKiB, outputs] of [[80, [0, 1]], [256, [2]]] as const) {
      initSync({ backend, windowKiB });
      const tiled = all();
      initSync({ backend });
      for (const i of outputs) expect(sameBits(tiled[i]!, whole[i]!), `window ${windowKiB} KiB, output ${i}`).toBeNull();
    }
  });
});

describe.each(WASM_BACKENDS)('column tiles ending in one column on %s', (backend) => {
  it('give the whole-slab bits (the last column is widened, not sent to the row kernel as inner = 1)', () => {
    for (const [dtype, K, W, windowKiB] of [['float64', 100, 17, 4], ['float32', 64, 33, 3], ['float64', 200, 9, 6], ['float32', 3000, 17, 256]] as const) {
      // Ordinary logits in the last column (slab() puts tiny values there): the one-column tile.
      const xd = slab(dtype, 1, K, W, K + W);
      const yd = slab(dtype, 1, K, W, K * W).map((v) => v * 0.7);
      for (let k = 0; k < K; k++) {
        xd[k * W + W - 1] = 3 * Math.sin(k * 0.7 + W);
        yd[k * W + W - 1] = 2 * Math.cos(k * 1.1);
      }
      const x = { data: xd, shape: [K, W] };
      const y = { data: yd, shape: [K, W] };
      const all = () => {
        const g = klDivLogitsWithGrad(x, y, { dim: 0, reduction: 'sum', gradTarget: true });
        return [
          softmax(x, 0).data, logSoftmax(x, 0).data, logSumExp(x, 0).data,
          klDivLogits(x, y, { dim: 0, reduction: 'perSlice' }).data, [klDivLogits(x, y, { dim: 0, reduction: 'sum' }).item()],
          g.gradInput.data, g.gradTarget!.data,
        ];
      };
      useBackend(backend);
      const whole = all();
      initSync({ backend, windowKiB });
      const tiled = all();
      initSync({ backend });
      // The fused KL streams instead of tiling when its scratch does not fit a small window; the
      // softmax family tiles there. Compare what each window tiles.
      const outputs = windowKiB >= 256 ? [3, 4, 5, 6] : [0, 1, 2];
      for (const i of outputs) expect(sameBits(tiled[i]!, whole[i]!), `${dtype} [${K}, ${W}] window ${windowKiB} KiB, output ${i}`).toBeNull();
    }
  });
});

describe.each(WASM_BACKENDS)('a reduced dim of one element on %s', (backend) => {
  it("softmax, logSoftmax and logSumExp of many one-element slices give the kernels' bits (small calls)", () => {
    useBackend(backend);
    const specials = [0, -0, 1.5, -2.25, 1e38, -1e-45, 3.4e38, Infinity, -Infinity, NaN];
    for (const dtype of ['float32', 'float64'] as const) {
      const n = 1000;
      const v = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = specials[i % specials.length]!;
      for (const [shape, dim] of [[[n, 1], 1], [[2, 1, n / 2], 1]] as const) {
        for (const op of OPS) {
          const got = run(op, { data: v, shape: [...shape] }, dim).data;
          // Each special value alone, through the kernels' small-call path.
          const one = specials.map((s) => run(op, { data: v instanceof Float64Array ? Float64Array.of(s) : Float32Array.of(s), shape: [1, 1] }, 1).data[0]!);
          const want = Array.from({ length: n }, (_, i) => one[i % specials.length]!);
          expect(sameBits(got, want), `${dtype} ${op} [${shape}]`).toBeNull();
        }
      }
    }
  });
});

describe.each(WASM_BACKENDS)('a window that holds one column but not two on %s', (backend) => {
  // A tile path entered with a one-column tile width sent columns to the kernels as inner = 1
  // (rows) and then staged a widened two-column last tile into a one-column region: past the
  // window ("offset is out of bounds", or a neighbouring region overwritten). The window sizes
  // below sweep every op through that band, where tiles are one column each (never widened); each
  // must agree with float64.
  it('every slice op and the fused KL stay correct for windows of 1 to 96 KiB', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const K = dtype === 'float32' ? 1000 : 500;
      const W = 3;
      const rand = seeded(K + W);
      const make = dtype === 'float64' ? (n: number) => new Float64Array(n) : (n: number) => new Float32Array(n);
      const xd = make(K * W).map(() => 6 * (rand() - 0.5));
      const yd = xd.map((v) => 0.5 * v + 2 * (rand() - 0.5));
      const x = { data: xd, shape: [K, W] };
      const y = { data: yd, shape: [K, W] };
      const all = () => {
        const g = klDivLogitsWithGrad(x, y, { dim: 0, reduction: 'sum', gradTarget: true });
        return [
          softmax(x, 0).data, logSoftmax(x, 0).data, logSumExp(x, 0).data,
          klDivLogits(x, y, { dim: 0, reduction: 'perSlice' }).data,
          g.gradInput.data, g.gradTarget!.data,
        ];
      };
      useBackend('js');
      const x64 = { data: Float64Array.from(xd), shape: [K, W] };
      const y64 = { data: Float64Array.from(yd), shape: [K, W] };
      const g64 = klDivLogitsWithGrad(x64, y64, { dim: 0, reduction: 'sum', gradTarget: true });
      const want = [
        softmax(x64, 0).data, logSoftmax(x64, 0).data, logSumExp(x64, 0).data,
        klDivLogits(x64, y64, { dim: 0, reduction: 'perSlice' }).data,
        g64.gradInput.data, g64.gradTarget!.data,
      ];
      const [rtol, atol] = TOL[dtype];
      for (let windowKiB = 1; windowKiB <= 96; windowKiB++) {
        initSync({ backend, windowKiB });
        const got = all();
        for (let i = 0; i < want.length; i++) {
          const bad = closeMismatch(got[i]!, want[i]!, rtol, atol);
          expect(bad, `${dtype} [${K}, ${W}] window ${windowKiB} KiB, output ${i}`).toBeNull();
        }
      }
      initSync({ backend });
    }
  });
});

describe.each(WASM_BACKENDS)('in place over column tiles on %s', (backend) => {
  it('softmax / logSoftmax with out = the input (a typed-array Tensor) give the out-of-place bits when the last tile is widened', () => {
    // The widened last tile re-reads the column before it; in place an earlier tile had already
    // overwritten it (softmax applied twice: a near-uniform column).
    for (const [dtype, shape, windowKiB] of [['float32', [1, 64, 4], 1], ['float64', [40, 50, 7], 1], ['float32', [2, 300, 9], 4]] as const) {
      const n = shape[0] * shape[1] * shape[2];
      const rand = seeded(n);
      const src = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) src[i] = 8 * (rand() - 0.5);
      initSync({ backend, windowKiB });
      for (const op of [softmax, logSoftmax]) {
        const want = op(new Tensor(src.slice(), [...shape]), 1).data;
        const t = new Tensor(src.slice(), [...shape]);
        op(t, 1, { out: t });
        expect(sameBits(t.data, want), `${dtype} [${shape}] ${op.name}`).toBeNull();
      }
    }
    initSync({ backend });
  });
});

describe.each(WASM_BACKENDS)('narrow columns (float32 W = 2, 3) on %s', (backend) => {
  it('softmax, logSoftmax and logSumExp match the float64 js backend; typed, zero-copy and in place give the same bits', () => {
    // Transposed through the window into rows (narrowSlabs) when a slab and its transpose fit;
    // special columns included (slab(): NaN, +inf, all −inf, a single −inf, huge and tiny values).
    for (const [R, K, W, windowKiB] of [[1, 5000, 2, null], [3, 700, 3, null], [40, 64, 3, null], [2, 3000, 3, 64], [1, 5000, 2, 16]] as const) {
      const data = slab('float32', R, K, W, K + W) as Float32Array;
      const shape = [R, K, W];
      useBackend('js');
      const want = OPS.map((op) => run(op, { data: Float64Array.from(data), shape }, 1).data);
      initSync(windowKiB === null ? { backend } : { backend, windowKiB });
      const typed = OPS.map((op) => run(op, { data, shape }, 1).data);
      OPS.forEach((op, i) => expect(closeMismatch(typed[i]!, want[i]!, ...TOL.float32), `${op} [${shape}] window ${windowKiB}`).toBeNull());
      const t = allocTensor(shape, 'float32');
      t.data.set(data);
      OPS.forEach((op, i) => expect(sameBits(run(op, t, 1).data, typed[i]!), `zero-copy ${op} [${shape}]`).toBeNull());
      for (const op of ['softmax', 'logSoftmax'] as const) {
        const inPlace = new Tensor(data.slice(), shape);
        (op === 'softmax' ? softmax : logSoftmax)(inPlace, 1, { out: inPlace });
        expect(sameBits(inPlace.data, typed[OPS.indexOf(op)]!), `in place ${op} [${shape}]`).toBeNull();
        t.data.set(data);
        (op === 'softmax' ? softmax : logSoftmax)(t, 1, { out: t });
        expect(sameBits(t.data, typed[OPS.indexOf(op)]!), `zero-copy in place ${op} [${shape}]`).toBeNull();
      }
      t.free();
    }
    initSync({ backend });
  });
});

describe.each(WASM_BACKENDS)('klDivLogits over narrow columns (float32 W = 2, 3) on %s', (backend) => {
  it("'perSlice', 'sum' and 'none' match the float64 js backend; zero-copy operands give the same bits", () => {
    for (const [R, K, W, T, windowKiB] of [[1, 5000, 2, 1, null], [3, 700, 3, 2.5, null], [40, 64, 3, 0.5, null], [2, 3000, 3, 1, 96], [1, 5000, 2, 1, 24]] as const) {
      const rand = seeded(R * K * W);
      const n = R * K * W;
      const xd = new Float32Array(n).map(() => 8 * (rand() - 0.5));
      const yd = xd.map((v) => 0.7 * v + 2 * (rand() - 0.5));
      xd[5] = -Infinity; // a student −inf: that slice's KL is +inf
      yd[W * 7 + 1] = -Infinity; // a teacher −inf: p = 0 there
      const shape = [R, K, W];
      const all = (x: { data: Float32Array | Float64Array; shape: number[] } | Tensor, y: typeof x) => [
        klDivLogits(x, y, { dim: 1, reduction: 'perSlice', temperature: T }).data,
        [klDivLogits(x, y, { dim: 1, reduction: 'sum', temperature: T }).item()],
        klDivLogits(x, y, { dim: 1, reduction: 'none', temperature: T }).data,
      ];
      useBackend('js');
      const want = all({ data: Float64Array.from(xd), shape }, { data: Float64Array.from(yd), shape });
      initSync(windowKiB === null ? { backend } : { backend, windowKiB });
      const got = all({ data: xd, shape }, { data: yd, shape });
      got.forEach((g, i) => expect(closeMismatch(g, want[i]!, 2e-6, 1e-6), `[${shape}] T = ${T} window ${windowKiB} output ${i}`).toBeNull());
      // (In small windows the typed call stages tiles or segments, zero-copy ones do not.)
      if (windowKiB !== null) continue;
      const xt = allocTensor(shape, 'float32');
      const yt = allocTensor(shape, 'float32');
      xt.data.set(xd);
      yt.data.set(yd);
      all(xt, yt).forEach((g, i) => expect(sameBits(g, got[i]!), `zero-copy [${shape}] output ${i}`).toBeNull());
      xt.free();
      yt.free();
    }
    initSync({ backend });
  });
});

describe.each(WASM_BACKENDS)('klDivLogitsWithGrad over narrow columns (float32 W = 2, 3) on %s', (backend) => {
  it("the loss and both gradients match the float64 js backend ('sum', 'none' with gradOutput, 'perSlice' with per-slice scales); zero-copy gives the same bits", () => {
    for (const [R, K, W, T] of [[1, 3000, 2, 1], [3, 500, 3, 2.5], [40, 64, 3, 0.5]] as const) {
      const rand = seeded(R * K * W + 1);
      const n = R * K * W;
      const xd = new Float32Array(n).map(() => 8 * (rand() - 0.5));
      const yd = xd.map((v) => 0.7 * v + 2 * (rand() - 0.5));
      const go = new Float32Array(n).map(() => rand() - 0.5);
      const gs = new Float32Array(R * W).map(() => rand() + 0.5);
      const shape = [R, K, W];
      type Operand = { data: Float32Array | Float64Array; shape: number[] } | Tensor;
      const all = (x: Operand, y: Operand, G: Operand, S: Operand) => {
        const a = klDivLogitsWithGrad(x, y, { dim: 1, reduction: 'sum', temperature: T, gradTarget: true });
        const b = klDivLogitsWithGrad(x, y, { dim: 1, reduction: 'none', temperature: T, gradTarget: true, gradOutput: G });
        const c = klDivLogitsWithGrad(x, y, { dim: 1, reduction: 'perSlice', temperature: T, gradOutput: S });
        return [[a.loss.item()], a.gradInput.data, a.gradTarget!.data, b.loss.data, b.gradInput.data, b.gradTarget!.data, c.loss.data, c.gradInput.data];
      };
      const f64 = (d: Float32Array, s: number[]) => ({ data: Float64Array.from(d), shape: s });
      useBackend('js');
      const want = all(f64(xd, shape), f64(yd, shape), f64(go, shape), f64(gs, [R, W]));
      useBackend(backend);
      const got = all({ data: xd, shape }, { data: yd, shape }, { data: go, shape }, { data: gs, shape: [R, W] });
      got.forEach((g, i) => expect(closeMismatch(g, want[i]!, 2e-6, 2e-6), `[${shape}] T = ${T} output ${i}`).toBeNull());
      const zc = [xd, yd, go].map((d) => {
        const t = allocTensor(shape, 'float32');
        t.data.set(d);
        return t;
      });
      all(zc[0]!, zc[1]!, zc[2]!, { data: gs, shape: [R, W] }).forEach((g, i) => expect(sameBits(g, got[i]!), `zero-copy [${shape}] output ${i}`).toBeNull());
      zc.forEach((t) => t.free());
    }
  });
});
