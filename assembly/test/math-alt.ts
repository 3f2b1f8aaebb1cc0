// Benchmark-only entry: the alternatives weighed against assembly/math/ (see bench/math.bench.mjs)
// and AssemblyScript stdlib baselines. Not used by the kernels. Accuracy of the alternatives was
// measured separately (numbers in bench/math.bench.mjs and the report).
import { expf4Neg, expf4 } from '../math/expf';
export {
  heapBase, hasSimd,
  expf4Batch, expf1Batch, expf4NegBatch, expf1NegBatch, logf4Batch, logf1Batch,
  exp2dBatch, exp1dBatch, log2dBatch, log1dBatch,
} from './math-entry';

// ---- rr2-p5: XNNPACK-style degree-5 `s + (t·s)·p(t)` with our own degree-5 minimax refit
// (2.26 ulp max, exhaustive; the XNNPACK coefficients measure the same). Same clamp/scaling as
// expf4Neg so subnormals are kept, which makes the cost comparison fair.
const P5_K = memory.data<i32>([
  0xc2d13333, 0xc2d13333, 0xc2d13333, 0xc2d13333, //   0 −104.6
  0x3fb8aa3b, 0x3fb8aa3b, 0x3fb8aa3b, 0x3fb8aa3b, //  16 log2e
  0x4b400097, 0x4b400097, 0x4b400097, 0x4b400097, //  32 magic (+24)
  0x3f317200, 0x3f317200, 0x3f317200, 0x3f317200, //  48 ln2_hi
  0x35bfbe8e, 0x35bfbe8e, 0x35bfbe8e, 0x35bfbe8e, //  64 ln2_lo
  0x3f7ffffb, 0x3f7ffffb, 0x3f7ffffb, 0x3f7ffffb, //  80 c1 0x1.fffff6p-1
  0x3efffee2, 0x3efffee2, 0x3efffee2, 0x3efffee2, //  96 c2 0x1.fffdc4p-2
  0x3e2aad37, 0x3e2aad37, 0x3e2aad37, 0x3e2aad37, // 112 c3 0x1.555a6ep-3
  0x3d2b9d7b, 0x3d2b9d7b, 0x3d2b9d7b, 0x3d2b9d7b, // 128 c4 0x1.573af6p-5
  0x3c07d3de, 0x3c07d3de, 0x3c07d3de, 0x3c07d3de, // 144 c5 0x1.0fa7bcp-7
  0x33800000, 0x33800000, 0x33800000, 0x33800000, // 160 2^-24
], 16);

// @ts-ignore: decorator
@inline function kp(off: usize): v128 {
  return v128.load(P5_K + off);
}

// @ts-ignore: decorator
@inline function expf4NegP5(x: v128): v128 {
  x = f32x4.pmax(x, kp(0));
  const v = f32x4.add(f32x4.mul(x, kp(16)), kp(32));
  const s = i32x4.shl(v, 23);
  const n = f32x4.sub(v, kp(32));
  let t = f32x4.sub(x, f32x4.mul(n, kp(48)));
  t = f32x4.sub(t, f32x4.mul(n, kp(64)));
  let p = f32x4.add(f32x4.mul(kp(144), t), kp(128));
  p = f32x4.add(f32x4.mul(p, t), kp(112));
  p = f32x4.add(f32x4.mul(p, t), kp(96));
  p = f32x4.add(f32x4.mul(p, t), kp(80));
  const ts = f32x4.mul(t, s);
  return f32x4.mul(f32x4.add(f32x4.mul(ts, p), s), kp(160));
}

// ---- expf4Neg with v128.const literals instead of table loads (same algorithm, Horner form).
// @ts-ignore: decorator
@inline function expf4NegConst(x: v128): v128 {
  x = f32x4.pmax(x, i32x4.splat(0xc2d00000));
  const v = f32x4.add(f32x4.mul(x, i32x4.splat(0x3fb8aa3b)), i32x4.splat(0x4b400097));
  const s = i32x4.shl(v, 23);
  const n = f32x4.sub(v, i32x4.splat(0x4b400097));
  let t = f32x4.sub(x, f32x4.mul(n, i32x4.splat(0x3f317200)));
  t = f32x4.sub(t, f32x4.mul(n, i32x4.splat(0x35bfbe8e)));
  let q = f32x4.add(f32x4.mul(i32x4.splat(0x3ab511d5), t), i32x4.splat(0x3c091d1b));
  q = f32x4.add(f32x4.mul(q, t), i32x4.splat(0x3d2aac7a));
  q = f32x4.add(f32x4.mul(q, t), i32x4.splat(0x3e2aaa48));
  q = f32x4.add(f32x4.mul(q, t), i32x4.splat(0x3efffffe));
  const u = f32x4.add(f32x4.mul(f32x4.mul(t, t), q), t);
  const p = f32x4.add(i32x4.splat(0x3f800000), u);
  return f32x4.mul(f32x4.mul(p, s), i32x4.splat(0x33800000));
}

// ---- expf4Neg evaluated by Horner instead of Estrin (same coefficients; 0.9888 ulp exhaustive
// on x ≤ 0 and 0.9692 for x > 0, vs 0.9961 / 1.0272 for Estrin).
const H_K = memory.data<i32>([
  0xc2d13333, 0xc2d13333, 0xc2d13333, 0xc2d13333, //   0 −104.6
  0x3fb8aa3b, 0x3fb8aa3b, 0x3fb8aa3b, 0x3fb8aa3b, //  16 log2e
  0x4b400097, 0x4b400097, 0x4b400097, 0x4b400097, //  32 magic (+24)
  0x3f317200, 0x3f317200, 0x3f317200, 0x3f317200, //  48 ln2_hi
  0x35bfbe8e, 0x35bfbe8e, 0x35bfbe8e, 0x35bfbe8e, //  64 ln2_lo
  0x3ab511d5, 0x3ab511d5, 0x3ab511d5, 0x3ab511d5, //  80 C6
  0x3c091d1b, 0x3c091d1b, 0x3c091d1b, 0x3c091d1b, //  96 C5
  0x3d2aac7a, 0x3d2aac7a, 0x3d2aac7a, 0x3d2aac7a, // 112 C4
  0x3e2aaa48, 0x3e2aaa48, 0x3e2aaa48, 0x3e2aaa48, // 128 C3
  0x3efffffe, 0x3efffffe, 0x3efffffe, 0x3efffffe, // 144 C2
  0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000, // 160 1
  0x33800000, 0x33800000, 0x33800000, 0x33800000, // 176 2^-24
], 16);

// @ts-ignore: decorator
@inline function kh(off: usize): v128 {
  return v128.load(H_K + off);
}

// @ts-ignore: decorator
@inline function expf4NegHorner(x: v128): v128 {
  x = f32x4.pmax(x, kh(0));
  const v = f32x4.add(f32x4.mul(x, kh(16)), kh(32));
  const s = i32x4.shl(v, 23);
  const n = f32x4.sub(v, kh(32));
  let t = f32x4.sub(x, f32x4.mul(n, kh(48)));
  t = f32x4.sub(t, f32x4.mul(n, kh(64)));
  let q = f32x4.add(f32x4.mul(kh(80), t), kh(96));
  q = f32x4.add(f32x4.mul(q, t), kh(112));
  q = f32x4.add(f32x4.mul(q, t), kh(128));
  q = f32x4.add(f32x4.mul(q, t), kh(144));
  const u = f32x4.add(f32x4.mul(f32x4.mul(t, t), q), t);
  return f32x4.mul(f32x4.mul(f32x4.add(kh(160), u), s), kh(176));
}

export function expf4NegHornerBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = expf4NegHorner(v128.load(src + o));
    const b = expf4NegHorner(v128.load(src + o, 16));
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
}

// ---- expf4Neg behind a call (is @inline worth it?)
// @ts-ignore: decorator
@noinline function expf4NegCall(x: v128): v128 {
  return expf4Neg(x);
}

// ---- full-range exp with a branch: unscaled fast path when all |x| ≤ 80, else expf4 out of
// line (the design expf4 had first; same bits, measured slower than always scaling).
const W_K = memory.data<i32>([
  0x42a00000, 0x42a00000, 0x42a00000, 0x42a00000, //   0 80
  0x3fb8aa3b, 0x3fb8aa3b, 0x3fb8aa3b, 0x3fb8aa3b, //  16 log2e
  0x4b40007f, 0x4b40007f, 0x4b40007f, 0x4b40007f, //  32 magic
  0x3f317200, 0x3f317200, 0x3f317200, 0x3f317200, //  48 ln2_hi
  0x35bfbe8e, 0x35bfbe8e, 0x35bfbe8e, 0x35bfbe8e, //  64 ln2_lo
  0x3ab511d5, 0x3ab511d5, 0x3ab511d5, 0x3ab511d5, //  80 C6
  0x3c091d1b, 0x3c091d1b, 0x3c091d1b, 0x3c091d1b, //  96 C5
  0x3d2aac7a, 0x3d2aac7a, 0x3d2aac7a, 0x3d2aac7a, // 112 C4
  0x3e2aaa48, 0x3e2aaa48, 0x3e2aaa48, 0x3e2aaa48, // 128 C3
  0x3efffffe, 0x3efffffe, 0x3efffffe, 0x3efffffe, // 144 C2
  0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000, // 160 1
], 16);

// @ts-ignore: decorator
@inline function kw(off: usize): v128 {
  return v128.load(W_K + off);
}

// @ts-ignore: decorator
@noinline function expf4OutOfLine(x: v128): v128 {
  return expf4(x);
}

// @ts-ignore: decorator
@inline function expf4Branch(x: v128): v128 {
  if (i32x4.all_true(f32x4.le(f32x4.abs(x), kw(0)))) {
    const v = f32x4.add(f32x4.mul(x, kw(16)), kw(32));
    const s = i32x4.shl(v, 23);
    const n = f32x4.sub(v, kw(32));
    let t = f32x4.sub(x, f32x4.mul(n, kw(48)));
    t = f32x4.sub(t, f32x4.mul(n, kw(64)));
    let q = f32x4.add(f32x4.mul(kw(80), t), kw(96));
    q = f32x4.add(f32x4.mul(q, t), kw(112));
    q = f32x4.add(f32x4.mul(q, t), kw(128));
    q = f32x4.add(f32x4.mul(q, t), kw(144));
    const u = f32x4.add(f32x4.mul(f32x4.mul(t, t), q), t);
    return f32x4.mul(f32x4.add(kw(160), u), s);
  }
  return expf4OutOfLine(x);
}

// ---- batches (same 2-way unrolled loop shape as math-entry.ts; n must be a multiple of 8)

export function expf4NegP5Batch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = expf4NegP5(v128.load(src + o));
    const b = expf4NegP5(v128.load(src + o, 16));
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
}

export function expf4NegConstBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = expf4NegConst(v128.load(src + o));
    const b = expf4NegConst(v128.load(src + o, 16));
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
}

export function expf4NegCallBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = expf4NegCall(v128.load(src + o));
    const b = expf4NegCall(v128.load(src + o, 16));
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
}

export function expf4Neg1xBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, expf4Neg(v128.load(src + o)));
  }
}

export function expf4Neg4xBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = expf4Neg(v128.load(src + o));
    const b = expf4Neg(v128.load(src + o, 16));
    const c = expf4Neg(v128.load(src + o, 32));
    const d = expf4Neg(v128.load(src + o, 48));
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
    v128.store(dst + o, c, 32);
    v128.store(dst + o, d, 48);
  }
}

export function expf4BranchBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = expf4Branch(v128.load(src + o));
    const b = expf4Branch(v128.load(src + o, 16));
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
}

/** expf4 on each vector, accumulating the sum (the logsumexp use: no store). */
export function expf4SumBatch(src: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  for (let i = 0; i + 4 <= n; i += 4) acc = f32x4.add(acc, expf4(v128.load(src + (<usize>i << 2))));
  return f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
}

// ---- AssemblyScript stdlib baselines (scalar, table-based musl/ARM ports, ~0.5 ulp)
export function stdExpfBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), Mathf.exp(load<f32>(src + (<usize>i << 2))));
}
export function stdLogfBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), Mathf.log(load<f32>(src + (<usize>i << 2))));
}
export function stdExpBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(dst + (<usize>i << 3), Math.exp(load<f64>(src + (<usize>i << 3))));
}
export function stdLogBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(dst + (<usize>i << 3), Math.log(load<f64>(src + (<usize>i << 3))));
}
