// Per-slice sums of kl_div pointwise terms over the (outer R, size K, inner W) layout, both
// operands in the same layout (the facade expands broadcast operands first):
//   out[r·W + i] = Σ_k term(x[r,k,i], t[r,k,i]) in f64,
//   term = xlogy(t, t) − t·x (t = 0 → 0; NaN where t < 0 or NaN; 0·±inf = NaN), or exp(t)·(t − x).
// The terms are klDiv.ts's (same formulas and order, in T's precision) — widened to f64 before
// they are summed, so each slice's KL is as accurate as its terms. No pointwise output: nothing
// of size R·K·W is materialised. SIMD: f32 rows (4 lanes), f32 columns (4 adjacent slices per
// vector), f64 rows; the scalar build runs the scalar twin.
import { at, hsumF64, promoteHigh } from './common';
import { normalCheckFailed, termF32x4, termF64x2, termNormalF32x4, termS } from './klDiv';
import { xlogxNormalCheck } from './math/index';

/** One slice (any stride), scalar. */
// @ts-ignore: decorator
@inline function sliceScalar<T>(x: usize, t: usize, K: i32, stride: i32, logTarget: bool): f64 {
  let s: f64 = 0;
  for (let k = 0; k < K; k++) s += <f64>termS<T>(load<T>(at<T>(x, k * stride)), load<T>(at<T>(t, k * stride)), logTarget);
  return s;
}

/** Set by rowVecF32 with `fast`: a target lane was outside termNormalF32x4's domain. */
let sliceFastFailed: bool = false;

/** Σ of the terms of elements [0, K & ~3) of one contiguous f32 slice (see klRowVecF32 in klDiv.ts for `fast`). */
// @ts-ignore: decorator
@inline function rowVecF32(xr: usize, tr: usize, K: i32, logTarget: bool, fast: bool): f64 {
  let a0 = f64x2.splat(0);
  let a1 = a0;
  let check = a0;
  const zero = a0;
  for (let k = 0; k + 4 <= K; k += 4) {
    const xv = v128.load(at<f32>(xr, k));
    const tv = v128.load(at<f32>(tr, k));
    let v: v128;
    if (fast) {
      const nonzero = f32x4.ne(tv, zero);
      check = xlogxNormalCheck(check, tv, nonzero);
      v = termNormalF32x4(xv, tv, nonzero);
    } else {
      v = termF32x4(xv, tv, logTarget);
    }
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, promoteHigh(v));
  }
  if (fast) sliceFastFailed = normalCheckFailed(check);
  return hsumF64(f64x2.add(a0, a1));
}

/**
 * Four adjacent slices (columns i…i+3 of stride W) into dr[0..3] (f64). With `fast`, returns
 * false, without storing, when a target was outside termNormalF32x4's domain; the caller then
 * calls again without `fast`.
 */
// @ts-ignore: decorator
@inline function colsVecF32(xc: usize, tc: usize, K: i32, W: i32, logTarget: bool, dr: usize, fast: bool): bool {
  let a0 = f64x2.splat(0);
  let a1 = a0;
  let check = a0;
  const zero = a0;
  for (let k = 0; k < K; k++) {
    const xv = v128.load(at<f32>(xc, k * W));
    const tv = v128.load(at<f32>(tc, k * W));
    let v: v128;
    if (fast) {
      const nonzero = f32x4.ne(tv, zero);
      check = xlogxNormalCheck(check, tv, nonzero);
      v = termNormalF32x4(xv, tv, nonzero);
    } else {
      v = termF32x4(xv, tv, logTarget);
    }
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, promoteHigh(v));
  }
  if (fast && normalCheckFailed(check)) return false;
  v128.store(dr, a0);
  v128.store(dr, a1, 16);
  return true;
}

// @ts-ignore: decorator
@inline function slicesF32(x: usize, t: usize, R: i32, K: i32, W: i32, logTarget: bool, out: usize): void {
  for (let r = 0; r < R; r++) {
    const o = r * K * W;
    const xr = at<f32>(x, o);
    const tr = at<f32>(t, o);
    const dr = at<f64>(out, r * W);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      if (W == 1) {
        // log_target = 0: the fast term first, redone with the general one if a target was
        // outside its domain (as klDiv.ts; the same bits either way).
        let s = rowVecF32(xr, tr, K, logTarget, !logTarget);
        if (!logTarget && sliceFastFailed) s = rowVecF32(xr, tr, K, logTarget, false);
        for (let k = K & ~3; k < K; k++) s += <f64>termS<f32>(load<f32>(at<f32>(xr, k)), load<f32>(at<f32>(tr, k)), logTarget);
        store<f64>(dr, s);
        continue;
      }
      for (; i + 4 <= W; i += 4) {
        if (logTarget || !colsVecF32(xr + (<usize>i << 2), tr + (<usize>i << 2), K, W, logTarget, dr + (<usize>i << 3), true)) {
          colsVecF32(xr + (<usize>i << 2), tr + (<usize>i << 2), K, W, logTarget, dr + (<usize>i << 3), false);
        }
      }
    }
    for (; i < W; i++) store<f64>(at<f64>(dr, i), sliceScalar<f32>(at<f32>(xr, i), at<f32>(tr, i), K, W, logTarget));
  }
}

// @ts-ignore: decorator
@inline function slicesF64(x: usize, t: usize, R: i32, K: i32, W: i32, logTarget: bool, out: usize): void {
  for (let r = 0; r < R; r++) {
    const o = r * K * W;
    const xr = at<f64>(x, o);
    const tr = at<f64>(t, o);
    const dr = at<f64>(out, r * W);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      if (W == 1) {
        let a = f64x2.splat(0);
        let k = 0;
        for (; k + 2 <= K; k += 2) a = f64x2.add(a, termF64x2(v128.load(at<f64>(xr, k)), v128.load(at<f64>(tr, k)), logTarget));
        let s = hsumF64(a);
        for (; k < K; k++) s += termS<f64>(load<f64>(at<f64>(xr, k)), load<f64>(at<f64>(tr, k)), logTarget);
        store<f64>(dr, s);
        continue;
      }
      for (; i + 2 <= W; i += 2) {
        let a = f64x2.splat(0);
        for (let k = 0; k < K; k++) a = f64x2.add(a, termF64x2(v128.load(at<f64>(xr, k * W + i)), v128.load(at<f64>(tr, k * W + i)), logTarget));
        v128.store(at<f64>(dr, i), a);
      }
    }
    for (; i < W; i++) store<f64>(at<f64>(dr, i), sliceScalar<f64>(at<f64>(xr, i), at<f64>(tr, i), K, W, logTarget));
  }
}

/** Per-slice Σ of kl_div terms, f32 operands (R·K·W each), f64 output R·W. K ≥ 1. */
export function klDivSlices_f32(x: usize, t: usize, R: i32, K: i32, W: i32, logTarget: i32, out: usize): void {
  if (logTarget != 0) slicesF32(x, t, R, K, W, true, out);
  else slicesF32(x, t, R, K, W, false, out);
}

/** As klDivSlices_f32 for f64 operands. */
export function klDivSlices_f64(x: usize, t: usize, R: i32, K: i32, W: i32, logTarget: i32, out: usize): void {
  if (logTarget != 0) slicesF64(x, t, R, K, W, true, out);
  else slicesF64(x, t, R, K, W, false, out);
}
