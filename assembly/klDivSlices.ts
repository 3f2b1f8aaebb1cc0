// Per-slice sums of kl_div pointwise terms over the (outer R, size K, inner W) layout, both
// operands in the same layout (the facade expands broadcast operands first):
//   out[r·W + i] = Σ_k term(x[r,k,i], t[r,k,i]) in f64,
//   term = xlogy(t, t) − t·x (t = 0 → 0; NaN where t < 0 or NaN; 0·±inf = NaN), or exp(t)·(t − x).
// The terms are klDiv.ts's (same formulas and order, in T's precision) — widened to f64 before
// they are summed, so each slice's KL is as accurate as its terms. No pointwise output: nothing
// of size R·K·W is materialised. SIMD: rows, and columns with 4 (f32) or 2 (f64) adjacent slices
// per vector, through klDiv.ts's term loops (klTermsF32/F64, with their fast path for
// log_target = 0); the scalar build runs the scalar twin.
import { at, hsumF64 } from './common';
import { KL_ACC, klTermsExpF32, klTermsExpF64, klTermsF32, klTermsF64, termS } from './klDiv';

/** One slice (any stride), scalar. */
// @ts-ignore: decorator
@inline function sliceScalar<T>(x: usize, t: usize, K: i32, stride: i32, logTarget: bool): f64 {
  let s: f64 = 0;
  for (let k = 0; k < K; k++) s += <f64>termS<T>(load<T>(at<T>(x, k * stride)), load<T>(at<T>(t, k * stride)), logTarget);
  return s;
}

/** Zeroes klDiv.ts's accumulator and runs its SIMD term loop (log_target = 0 with the fast path). */
// @ts-ignore: decorator
@inline function termsF32(x: usize, xInc: usize, t: usize, tInc: usize, n: i32, logTarget: bool): void {
  v128.store(KL_ACC, f64x2.splat(0));
  v128.store(KL_ACC, f64x2.splat(0), 16);
  if (logTarget) klTermsExpF32(x, xInc, t, tInc, n, 0, 0, KL_ACC);
  else klTermsF32(x, xInc, t, tInc, n, 0, 0, KL_ACC);
}

/** As termsF32 for f64 (one f64x2 accumulator). */
// @ts-ignore: decorator
@inline function termsF64(x: usize, xInc: usize, t: usize, tInc: usize, n: i32, logTarget: bool): void {
  v128.store(KL_ACC, f64x2.splat(0));
  if (logTarget) klTermsExpF64(x, xInc, t, tInc, n, 0, 0, KL_ACC);
  else klTermsF64(x, xInc, t, tInc, n, 0, 0, KL_ACC);
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
        termsF32(xr, 16, tr, 16, K >> 2, logTarget);
        let s = hsumF64(f64x2.add(v128.load(KL_ACC), v128.load(KL_ACC, 16)));
        for (let k = K & ~3; k < K; k++) s += <f64>termS<f32>(load<f32>(at<f32>(xr, k)), load<f32>(at<f32>(tr, k)), logTarget);
        store<f64>(dr, s);
        continue;
      }
      // Four adjacent slices per vector: lanes 0–1 of the result in the first accumulator, 2–3 in
      // the second.
      for (; i + 4 <= W; i += 4) {
        termsF32(at<f32>(xr, i), <usize>W << 2, at<f32>(tr, i), <usize>W << 2, K, logTarget);
        v128.store(at<f64>(dr, i), v128.load(KL_ACC));
        v128.store(at<f64>(dr, i + 2), v128.load(KL_ACC, 16));
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
        termsF64(xr, 16, tr, 16, K >> 1, logTarget);
        let s = hsumF64(v128.load(KL_ACC));
        for (let k = K & ~1; k < K; k++) s += termS<f64>(load<f64>(at<f64>(xr, k)), load<f64>(at<f64>(tr, k)), logTarget);
        store<f64>(dr, s);
        continue;
      }
      for (; i + 2 <= W; i += 2) {
        termsF64(at<f64>(xr, i), <usize>W << 3, at<f64>(tr, i), <usize>W << 3, K, logTarget);
        v128.store(at<f64>(dr, i), v128.load(KL_ACC));
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
