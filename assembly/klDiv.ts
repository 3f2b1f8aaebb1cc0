// kl_div pointwise terms over a 2-level strided block (rows × cols) of the broadcast result:
//   log_target = 0: xlogy(t, t) − t·x in PyTorch's order (two products: t = +inf with x ≥ 0 is
//                   NaN, as in PyTorch), with xlogy = 0 where t == 0 (so 0 − 0·±inf = NaN there,
//                   as PyTorch ≥ 1.13; t < 0 or NaN → NaN via log);
//   log_target = 1: exp(t)·(t − x).
// Column strides are 0 (operand broadcast along the row) or 1; row strides are any element count.
// Terms optionally go to dst (rows·cols, row-major); their sum is returned in f64 (f32 terms are
// widened before accumulation, so the sum is as accurate as the terms).
import { at, expS, hsumF64, logS, promoteHigh } from './common';
import { expF32x4, expF64x2, logF64x2, xlogxF32x4 } from './vmath';
import { xlogxf4Normal, xlogxNormalCheck, XLOGX_NORMAL_LIMIT } from './math/index';
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

/**
 * Four log_target = 0 terms for targets that are ±0 or positive, normal and finite (`nonzero` =
 * `t ≠ 0`); other lanes give garbage, so the caller folds `xlogxNormalCheck` over the same
 * targets and, if it fails, recomputes with termF32x4. Every lane it is exact for has
 * termF32x4's bits (see xlogxf4Normal).
 */
// @ts-ignore: decorator
@inline export function termNormalF32x4(x: v128, t: v128, nonzero: v128): v128 {
  return f32x4.sub(xlogxf4Normal(t, nonzero), f32x4.mul(t, x));
}

/** Whether a `xlogxNormalCheck` accumulator saw a target outside termNormalF32x4's domain. */
// @ts-ignore: decorator
@inline export function normalCheckFailed(check: v128): bool {
  return v128.any_true(i32x4.ge_u(check, i32x4.splat(XLOGX_NORMAL_LIMIT)));
}

/** Set by klRowVecF32 with `fast`: a target lane was outside termNormalF32x4's domain. */
let klFastFailed: bool = false;

/**
 * The SIMD part of one f32 row: Σ of the terms of elements [0, cols & ~3), also stored to `dp`
 * when dst ≠ 0. `fast` (log_target = 0 only) uses termNormalF32x4 and sets klFastFailed when
 * that was not exact for some lane, for the caller to redo the row with `fast` = false.
 */
// @ts-ignore: decorator
@inline function klRowVecF32(
  xp: usize, xCol: i32, tp: usize, tCol: i32, cols: i32, logTarget: bool, dst: usize, dp: usize, fast: bool,
): f64 {
  let a0 = f64x2.splat(0);
  let a1 = a0;
  let check = a0;
  const zero = a0;
  const xs = v128.load_splat<f32>(xp);
  const ts = v128.load_splat<f32>(tp);
  for (let k = 0; k + 4 <= cols; k += 4) {
    const xv = xCol != 0 ? v128.load(at<f32>(xp, k)) : xs;
    const tv = tCol != 0 ? v128.load(at<f32>(tp, k)) : ts;
    let v: v128;
    if (fast) {
      const nonzero = f32x4.ne(tv, zero);
      check = xlogxNormalCheck(check, tv, nonzero);
      v = termNormalF32x4(xv, tv, nonzero);
    } else {
      v = termF32x4(xv, tv, logTarget);
    }
    if (dst != 0) v128.store(at<f32>(dp, k), v);
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, promoteHigh(v));
  }
  if (fast) klFastFailed = normalCheckFailed(check);
  return hsumF64(f64x2.add(a0, a1));
}

// @ts-ignore: decorator
@inline function klBlockF32(
  x: usize, xRow: i32, xCol: i32, t: usize, tRow: i32, tCol: i32,
  rows: i32, cols: i32, logTarget: bool, dst: usize,
): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xp = at<f32>(x, r * xRow);
    const tp = at<f32>(t, r * tRow);
    const dp = at<f32>(dst, r * cols);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      // log_target = 0: the fast term first; a row with a target outside (0, inf) ∪ {±0} normal
      // (rare: subnormal, negative, infinite or NaN) is redone with the general term, which
      // gives the fast term's bits on every other lane, so the result does not depend on which
      // path a row took.
      let s = klRowVecF32(xp, xCol, tp, tCol, cols, logTarget, dst, dp, !logTarget);
      if (!logTarget && klFastFailed) s = klRowVecF32(xp, xCol, tp, tCol, cols, logTarget, dst, dp, false);
      total += s;
      k = cols & ~3;
    }
    for (; k < cols; k++) {
      const v = termS<f32>(load<f32>(at<f32>(xp, k * xCol)), load<f32>(at<f32>(tp, k * tCol)), logTarget);
      if (dst != 0) store<f32>(at<f32>(dp, k), v);
      total += <f64>v;
    }
  }
  return total;
}

// @ts-ignore: decorator
@inline function klBlockF64(
  x: usize, xRow: i32, xCol: i32, t: usize, tRow: i32, tCol: i32,
  rows: i32, cols: i32, logTarget: bool, dst: usize,
): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xp = at<f64>(x, r * xRow);
    const tp = at<f64>(t, r * tRow);
    const dp = at<f64>(dst, r * cols);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      let a0 = f64x2.splat(0);
      const xs = v128.load_splat<f64>(xp);
      const ts = v128.load_splat<f64>(tp);
      for (; k + 2 <= cols; k += 2) {
        const xv = xCol != 0 ? v128.load(at<f64>(xp, k)) : xs;
        const tv = tCol != 0 ? v128.load(at<f64>(tp, k)) : ts;
        const v = termF64x2(xv, tv, logTarget);
        if (dst != 0) v128.store(at<f64>(dp, k), v);
        a0 = f64x2.add(a0, v);
      }
      total += hsumF64(a0);
    }
    for (; k < cols; k++) {
      const v = termS<f64>(load<f64>(at<f64>(xp, k * xCol)), load<f64>(at<f64>(tp, k * tCol)), logTarget);
      if (dst != 0) store<f64>(at<f64>(dp, k), v);
      total += v;
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
    ? klBlockF32(x, xRow, xCol, t, tRow, tCol, rows, cols, true, dst)
    : klBlockF32(x, xRow, xCol, t, tRow, tCol, rows, cols, false, dst);
}

/** As klDiv_f32 for f64 data. */
export function klDiv_f64(
  x: usize, xRow: i32, xCol: i32, t: usize, tRow: i32, tCol: i32,
  rows: i32, cols: i32, logTarget: i32, dst: usize,
): f64 {
  return logTarget != 0
    ? klBlockF64(x, xRow, xCol, t, tRow, tCol, rows, cols, true, dst)
    : klBlockF64(x, xRow, xCol, t, tRow, tCol, rows, cols, false, dst);
}
