// kl_div pointwise terms over a 2-level strided block (rows × cols) of the broadcast result:
//   log_target = 0: xlogy(t, t) − t·x in PyTorch's order (two products: t = +inf with x ≥ 0 is
//                   NaN, as in PyTorch), with xlogy = 0 where t == 0 (so 0 − 0·±inf = NaN there,
//                   as PyTorch ≥ 1.13; t < 0 or NaN → NaN via log);
//   log_target = 1: exp(t)·(t − x).
// Column strides are 0 (operand broadcast along the row) or 1; row strides are any element count.
// Terms optionally go to dst (rows·cols, row-major); their sum is returned in f64 (f32 terms are
// widened before accumulation, so the sum is as accurate as the terms). The SIMD loops for
// log_target = 0 (f32 and f64) try a fast t·log t first and fall back to the general term where
// a target needs it (termsLoop, klTermsF32, klTermsF64); the results are the same bits either way.
import { at, expS, hsumF64, logS, promoteHigh } from './common';
import {
  expF32x4, expF64x2, logF64x2, xlogxF32x4,
  exp2dClamp, exp2dFinish, exp2dT, exp2dV, expf4Clamp, expf4Finish, expf4T, expf4V,
  log2dMant, log2dPoly, log2dQuot, logf4Mant, logf4Poly, logf4Quot,
  xlogxf4NormalFromParts, xlogxNormal2dFromParts, xlogxNormalCheck2d, xlogxNormalFailed2d, xlogxNormalCheck, XLOGX_NORMAL_LIMIT,
} from './vmath';
import { select64 } from './math/relaxed';

// The term functions are shared with klDivSlices.ts (per-slice sums), so both compute the same
// values.

/** One term, scalar (T's precision). */
// @ts-ignore: decorator
@inline export function termS<T>(x: T, t: T, logTarget: bool): T {
  if (logTarget) return expS<T>(t) * (t - x);
  const a = t == 0 ? <T>0 : t * logS<T>(t);
  return a - t * x;
}

/**
 * Four terms. xlogy(t, t) comes from xlogxF32x4 (two selects instead of logf's four plus a zero
 * test; the same values: t·log t for 0 < t < inf, 0 at ±0, +inf at +inf, NaN below 0 or at NaN).
 */
// @ts-ignore: decorator
@inline export function termF32x4(x: v128, t: v128, logTarget: bool): v128 {
  if (logTarget) return f32x4.mul(expF32x4(t), f32x4.sub(t, x));
  return f32x4.sub(xlogxF32x4(t), f32x4.mul(t, x));
}

/** Two terms (f64). */
// @ts-ignore: decorator
@inline export function termF64x2(x: v128, t: v128, logTarget: bool): v128 {
  if (logTarget) return f64x2.mul(expF64x2(t), f64x2.sub(t, x));
  const zero = f64x2.splat(0);
  const a = select64(zero, f64x2.mul(t, logF64x2(t)), f64x2.eq(t, zero));
  return f64x2.sub(a, f64x2.mul(t, x));
}

// The fast log_target = 0 term, for targets that are ±0 or positive, normal and finite: the log
// of t in three stages (stage0..2 below: issued one vector ahead, see termsLoop), then
// t·log t masked to +0 at t = ±0 (xlogxf4NormalFromParts / xlogxNormal2dFromParts) minus t·x.
// Other targets give garbage, so termsLoop folds a check over the same targets
// (xlogxNormalCheck / xlogxNormalCheck2d) and, if it fails, redoes the block with the general
// term (termF32x4 / termF64x2). Every lane the fast term is exact for has the general term's bits.

/**
 * The first three stages of a term, issued one vector ahead by termsLoop: for the fast t·log t
 * the log's reduced mantissa m, s = (m − 1)/(m + 1) and the polynomial in s² (logf4Mant,
 * logf4Quot, logf4Poly / log2d…); for log_target = 1 e^t's clamped argument, v and reduced
 * argument (expf4Clamp, expf4V, expf4T / exp2d…), finished by expFinish; for the general
 * term (log_target = 0 without the fast path) none: it is computed whole, from the target.
 */
// @ts-ignore: decorator
@inline function stage0<T>(t: v128, fast: bool, logTarget: bool): v128 {
  if (logTarget) return sizeof<T>() == 4 ? expf4Clamp(t) : exp2dClamp(t);
  if (!fast) return t; // the general term has no early stages
  return sizeof<T>() == 4 ? logf4Mant(t) : log2dMant(t);
}

// @ts-ignore: decorator
@inline function stage1<T>(a: v128, fast: bool, logTarget: bool): v128 {
  if (logTarget) return sizeof<T>() == 4 ? expf4V(a) : exp2dV(a);
  if (!fast) return a;
  return sizeof<T>() == 4 ? logf4Quot(a) : log2dQuot(a);
}

// @ts-ignore: decorator
@inline function stage2<T>(a: v128, b: v128, fast: bool, logTarget: bool): v128 {
  if (logTarget) return sizeof<T>() == 4 ? expf4T(a, b) : exp2dT(a, b);
  if (!fast) return b;
  return sizeof<T>() == 4 ? logf4Poly(b) : log2dPoly(b);
}

/** e^t from stage0..2 (log_target = 1). */
// @ts-ignore: decorator
@inline function expFinish<T>(c: v128, v: v128, t: v128): v128 {
  return sizeof<T>() == 4 ? expf4Finish(c, v, t) : exp2dFinish(c, v, t);
}

/** Whether a `xlogxNormalCheck` accumulator saw a target outside the fast term's domain. */
// @ts-ignore: decorator
@inline function normalCheckFailed(check: v128): bool {
  return v128.any_true(i32x4.ge_u(check, i32x4.splat(XLOGX_NORMAL_LIMIT)));
}

/**
 * n vectors of terms (four f32 or two f64 lanes, T): x, t (and dst, if ≠ 0) advance by xInc, tInc
 * and dInc bytes per vector, and an increment of 0 broadcasts the element at the pointer. The
 * terms go to dst and are added, in f64, to the accumulators at `acc`, which the loop reads and
 * writes back: for f32 two f64x2 (terms 0–1 and 2–3 of each vector, widened), for f64 one.
 * Returns the number of vectors done: n, except with `fast` (log_target = 0 only;
 * the fast term above, in blocks of FAST_BLOCK vectors), which stops at the first
 * block with a target outside the fast term's domain and returns the index of its first vector,
 * with `acc` as it was before that block; the caller redoes the run from there without `fast`
 * (the same bits on every lane both compute exactly; see klTermsF32).
 */
// @ts-ignore: decorator
@inline function termsLoop<T>(
  x: usize, xInc: usize, t: usize, tInc: usize, n: i32, dst: usize, dInc: usize, acc: usize,
  logTarget: bool, fast: bool,
): i32 {
  const F32 = sizeof<T>() == 4;
  let a0 = v128.load(acc);
  let a1 = v128.load(acc, 16); // f32 only (KL_ACC has room for both)
  const zero = f64x2.splat(0);
  const xs = v128.load_splat<T>(x);
  const ts = v128.load_splat<T>(t);
  let i = 0;
  let xq = x;
  let tq = t;
  let dq = dst;
  while (i < n) {
    const stop = fast ? min(i + FAST_BLOCK, n) : n;
    let check = zero;
    const b0 = a0;
    const b1 = a1;
    // Software-pipelined in two stages: the loads and the first three stages of vector j + 1
    // (for the fast t·log t: the log's mantissa, division and polynomial; for log_target = 1:
    // e^t's clamp, v and reduced argument) are issued before the rest of vector j, whose
    // inputs are then ready. Why that helps, as we read it (this host exposes no hardware
    // counters to confirm it): issued in plain order, one vector's ~40 dependent operations sit
    // in the out-of-order scheduler waiting for their inputs and fill it; pipelined, fewer of
    // them wait. Measured (zero-copy A/B, see the CHANGELOG): the fast term 1.02–1.14×,
    // log_target = 1 1.06–1.10×, the exp row loops 1.1–1.2×. The same operations on the same
    // lanes, so the same bits. Issuing the next vector unconditionally, with the last one
    // finished after the loop, measured 0.89–0.93×.
    let tv = tInc != 0 ? v128.load(tq) : ts;
    let xv = xInc != 0 ? v128.load(xq) : xs;
    let p0 = stage0<T>(tv, fast, logTarget);
    let p1 = stage1<T>(p0, fast, logTarget);
    let p2 = stage2<T>(p0, p1, fast, logTarget);
    for (let j = i; j < stop; j++) {
      let tn = tv;
      let xn = xv;
      let q0 = p0;
      let q1 = p1;
      let q2 = p2;
      if (j + 1 < stop) {
        tn = tInc != 0 ? v128.load(tq + tInc) : ts;
        xn = xInc != 0 ? v128.load(xq + xInc) : xs;
        q0 = stage0<T>(tn, fast, logTarget);
        q1 = stage1<T>(q0, fast, logTarget);
        q2 = stage2<T>(q0, q1, fast, logTarget);
      }
      let v: v128;
      if (logTarget) {
        const e = expFinish<T>(p0, p1, p2);
        v = F32 ? f32x4.mul(e, f32x4.sub(tv, xv)) : f64x2.mul(e, f64x2.sub(tv, xv));
      } else if (!fast) {
        v = F32 ? termF32x4(xv, tv, false) : termF64x2(xv, tv, false);
      } else if (F32) {
        const nonzero = f32x4.ne(tv, zero);
        check = xlogxNormalCheck(check, tv, nonzero);
        v = f32x4.sub(xlogxf4NormalFromParts(tv, nonzero, p0, p1, p2), f32x4.mul(tv, xv));
      } else {
        const nonzero = f64x2.ne(tv, zero);
        check = xlogxNormalCheck2d(check, tv, nonzero);
        v = f64x2.sub(xlogxNormal2dFromParts(tv, nonzero, p0, p1, p2), f64x2.mul(tv, xv));
      }
      if (dst != 0) v128.store(dq, v);
      if (F32) {
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
        a1 = f64x2.add(a1, promoteHigh(v));
      } else {
        a0 = f64x2.add(a0, v);
      }
      xq += xInc;
      tq += tInc;
      dq += dInc;
      tv = tn;
      xv = xn;
      p0 = q0;
      p1 = q1;
      p2 = q2;
    }
    if (fast && (F32 ? normalCheckFailed(check) : xlogxNormalFailed2d(check))) {
      v128.store(acc, b0);
      if (F32) v128.store(acc, b1, 16);
      return i;
    }
    i = stop;
  }
  v128.store(acc, a0);
  if (F32) v128.store(acc, a1, 16);
  return n;
}

/**
 * The SIMD part of log_target = 0 terms of one run (see termsLoop for the layout): blocks with
 * the fast term while their targets allow it, then the general term for the rest.
 */
// @ts-ignore: decorator
@inline function termsRun<T>(x: usize, xInc: usize, t: usize, tInc: usize, n: i32, dst: usize, dInc: usize, acc: usize): void {
  const done = termsLoop<T>(x, xInc, t, tInc, n, dst, dInc, acc, false, true);
  if (done < n) {
    const o = <usize>done;
    termsLoop<T>(x + o * xInc, xInc, t + o * tInc, tInc, n - done, dst != 0 ? dst + o * dInc : 0, dInc, acc, false, false);
  }
}

/**
 * Vectors per block of the fast path: a block with a target outside the fast term's domain is
 * done twice, and the rest of its run takes the general term (a row of subnormal targets then
 * costs what it did before the fast path, plus at most one block).
 */
// @ts-ignore: decorator
@inline const FAST_BLOCK: i32 = 64;

/**
 * log_target = 0 terms of one f32 run (termsRun). Not inlined: the row kernel and both layouts of
 * klDivSlices.ts call this one copy.
 */
export function klTermsF32(x: usize, xInc: usize, t: usize, tInc: usize, n: i32, dst: usize, dInc: usize, acc: usize): void {
  termsRun<f32>(x, xInc, t, tInc, n, dst, dInc, acc);
}

/** As klTermsF32 for log_target = 1 (e^t·(t − x); no fast path). */
export function klTermsExpF32(x: usize, xInc: usize, t: usize, tInc: usize, n: i32, dst: usize, dInc: usize, acc: usize): void {
  termsLoop<f32>(x, xInc, t, tInc, n, dst, dInc, acc, true, false);
}

/** As klTermsF32 for f64 (one f64x2 accumulator at `acc`). */
export function klTermsF64(x: usize, xInc: usize, t: usize, tInc: usize, n: i32, dst: usize, dInc: usize, acc: usize): void {
  termsRun<f64>(x, xInc, t, tInc, n, dst, dInc, acc);
}

/** As klTermsF64 for log_target = 1. */
export function klTermsExpF64(x: usize, xInc: usize, t: usize, tInc: usize, n: i32, dst: usize, dInc: usize, acc: usize): void {
  termsLoop<f64>(x, xInc, t, tInc, n, dst, dInc, acc, true, false);
}

/** 32-byte accumulator for klTermsF32 (two f64x2). */
export const KL_ACC: usize = memory.data(32, 16);

/**
 * Σ of kl_div terms over a rows × cols block of T (f32 or f64): per row, the SIMD term loop over
 * whole vectors (klTermsF32 / klTermsF64, or their log_target = 1 twins) into KL_ACC, then the
 * scalar tail. The f32 loop fills both f64x2 accumulators of KL_ACC, the f64 loop the first.
 */
// @ts-ignore: decorator
@inline function klBlock<T>(
  x: usize, xRow: i32, xCol: i32, t: usize, tRow: i32, tCol: i32,
  rows: i32, cols: i32, logTarget: bool, dst: usize,
): f64 {
  const F32 = sizeof<T>() == 4;
  const shift = F32 ? 2 : 1; // log2 of the lanes per vector
  let total: f64 = 0;
  const inc: usize = 16;
  for (let r = 0; r < rows; r++) {
    const xp = at<T>(x, r * xRow);
    const tp = at<T>(t, r * tRow);
    const dp = at<T>(dst, r * cols);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      v128.store(KL_ACC, f64x2.splat(0));
      if (F32) v128.store(KL_ACC, f64x2.splat(0), 16);
      const nv = cols >> shift;
      const xInc = xCol != 0 ? inc : 0;
      const tInc = tCol != 0 ? inc : 0;
      const d = dst != 0 ? dp : 0;
      if (F32) {
        if (logTarget) klTermsExpF32(xp, xInc, tp, tInc, nv, d, inc, KL_ACC);
        else klTermsF32(xp, xInc, tp, tInc, nv, d, inc, KL_ACC);
        total += hsumF64(f64x2.add(v128.load(KL_ACC), v128.load(KL_ACC, 16)));
      } else {
        if (logTarget) klTermsExpF64(xp, xInc, tp, tInc, nv, d, inc, KL_ACC);
        else klTermsF64(xp, xInc, tp, tInc, nv, d, inc, KL_ACC);
        total += hsumF64(v128.load(KL_ACC));
      }
      k = nv << shift;
    }
    for (; k < cols; k++) {
      const v = termS<T>(load<T>(at<T>(xp, k * xCol)), load<T>(at<T>(tp, k * tCol)), logTarget);
      if (dst != 0) store<T>(at<T>(dp, k), v);
      total += <f64>v;
    }
  }
  return total;
}

/**
 * Σ of kl_div terms over a rows × cols block, f32. `x`/`t` are byte pointers to element (0, 0);
 * strides are in elements (xCol, tCol ∈ {0, 1}). dst = 0: no pointwise output.
 */
export function klDiv_f32(
  x: usize, xRow: i32, xCol: i32, t: usize, tRow: i32, tCol: i32,
  rows: i32, cols: i32, logTarget: i32, dst: usize,
): f64 {
  // Specialise the hot loop on logTarget at compile time.
  return logTarget != 0
    ? klBlock<f32>(x, xRow, xCol, t, tRow, tCol, rows, cols, true, dst)
    : klBlock<f32>(x, xRow, xCol, t, tRow, tCol, rows, cols, false, dst);
}

/** As klDiv_f32 for f64 data. */
export function klDiv_f64(
  x: usize, xRow: i32, xCol: i32, t: usize, tRow: i32, tCol: i32,
  rows: i32, cols: i32, logTarget: i32, dst: usize,
): f64 {
  return logTarget != 0
    ? klBlock<f64>(x, xRow, xCol, t, tRow, tCol, rows, cols, true, dst)
    : klBlock<f64>(x, xRow, xCol, t, tRow, tCol, rows, cols, false, dst);
}
