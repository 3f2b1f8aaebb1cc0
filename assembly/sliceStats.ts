// Per-slice statistics for diagnose(): one read of the data (plus, with withLse, a second read of
// each slice while it is still in cache, for Σ exp(x − m)). Layout (outer R, size K, inner W);
// out receives STATS = 10 f64 per slice, slice r·W + i at out + (r·W + i)·80:
//   [0] NaN count        [1] +inf count        [2] −inf count
//   [3] finite entries < 0                     [4] finite entries > 1
//   [5] Σ finite entries [6] min finite (+inf if none)  [7] max finite (−inf if none)
//   [8] m = max of the non-NaN entries (+inf if any, −inf if none)
//   [9] Σ exp(x − m) over non-NaN entries when withLse ≠ 0 and m is finite, else 0
// so that logsumexp of the non-NaN entries is m + log([9]) (or m when m is infinite), and
// chunks of a long slice combine exactly as an online log-sum-exp (the facade does that).
// SIMD: f32 rows (4 lanes) and f32 column groups of 4; f64 runs the scalar code in both builds.
import { at, expNegS, hsumF64, promoteHigh } from './common';
import { expNegF32x4 } from './vmath';

const STATS: i32 = 10;

// @ts-ignore: decorator
@inline function storeStats(
  dst: usize, nan: f64, pinf: f64, ninf: f64, neg: f64, above: f64, sum: f64, mn: f64, mx: f64, m: f64, s: f64,
): void {
  store<f64>(dst, nan);
  store<f64>(dst, pinf, 8);
  store<f64>(dst, ninf, 16);
  store<f64>(dst, neg, 24);
  store<f64>(dst, above, 32);
  store<f64>(dst, sum, 40);
  store<f64>(dst, mn, 48);
  store<f64>(dst, mx, 56);
  store<f64>(dst, m, 64);
  store<f64>(dst, s, 72);
}

/** One slice (any stride), scalar; the twin of the vector code. */
// @ts-ignore: decorator
@inline function statsScalar<T>(x: usize, K: i32, stride: i32, withLse: bool, dst: usize): void {
  let nan = 0;
  let pinf = 0;
  let ninf = 0;
  let neg = 0;
  let above = 0;
  let sum: f64 = 0;
  let mn: T = <T>Infinity;
  let mx: T = <T>-Infinity;
  for (let k = 0; k < K; k++) {
    const v = load<T>(at<T>(x, k * stride));
    if (v != v) nan++;
    else if (v == <T>Infinity) pinf++;
    else if (v == <T>-Infinity) ninf++;
    else {
      if (v < <T>0) neg++;
      if (v > <T>1) above++;
      sum += <f64>v;
      mn = min<T>(mn, v);
      mx = max<T>(mx, v);
    }
  }
  const m: T = pinf > 0 ? <T>Infinity : mx;
  let s: f64 = 0;
  if (withLse && abs<T>(m) < <T>Infinity) {
    for (let k = 0; k < K; k++) {
      const v = load<T>(at<T>(x, k * stride));
      if (v == v) s += <f64>expNegS<T>(v - m);
    }
  }
  storeStats(dst, <f64>nan, <f64>pinf, <f64>ninf, <f64>neg, <f64>above, sum, <f64>mn, <f64>mx, <f64>m, s);
}

/** Counts of the lanes where `mask` is set, added to `acc` (masks are −1 per set lane). */
// @ts-ignore: decorator
@inline function count(acc: v128, mask: v128): v128 {
  return i32x4.sub(acc, mask);
}

// @ts-ignore: decorator
@inline function hsumI32(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** A contiguous f32 row (one slice), 4 elements per step, then the scalar tail. */
function statsRowF32(x: usize, K: i32, withLse: bool, dst: usize): void {
  const inf = f32x4.splat(Infinity);
  const ninfV = f32x4.splat(-Infinity);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let cNan = i32x4.splat(0);
  let cPinf = cNan;
  let cNinf = cNan;
  let cNeg = cNan;
  let cAbove = cNan;
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let mn = inf;
  let mx = ninfV;
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const v = v128.load(at<f32>(x, k));
    const fin = f32x4.lt(f32x4.abs(v), inf);
    cNan = count(cNan, f32x4.ne(v, v));
    cPinf = count(cPinf, f32x4.eq(v, inf));
    cNinf = count(cNinf, f32x4.eq(v, ninfV));
    cNeg = count(cNeg, v128.and(fin, f32x4.lt(v, zero)));
    cAbove = count(cAbove, v128.and(fin, f32x4.gt(v, one)));
    const vf = v128.bitselect(v, zero, fin);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(vf));
    s1 = f64x2.add(s1, promoteHigh(vf));
    mn = f32x4.pmin(mn, v128.bitselect(v, inf, fin)); // non-finite lanes masked: pmin = min here
    mx = f32x4.pmax(mx, v128.bitselect(v, ninfV, fin));
  }
  let nan = hsumI32(cNan);
  let pinf = hsumI32(cPinf);
  let ninf = hsumI32(cNinf);
  let neg = hsumI32(cNeg);
  let above = hsumI32(cAbove);
  let sum = hsumF64(f64x2.add(s0, s1));
  let mnS = min<f32>(min<f32>(f32x4.extract_lane(mn, 0), f32x4.extract_lane(mn, 1)), min<f32>(f32x4.extract_lane(mn, 2), f32x4.extract_lane(mn, 3)));
  let mxS = max<f32>(max<f32>(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max<f32>(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  for (; k < K; k++) {
    const v = load<f32>(at<f32>(x, k));
    if (v != v) nan++;
    else if (v == Infinity) pinf++;
    else if (v == -Infinity) ninf++;
    else {
      if (v < 0) neg++;
      if (v > 1) above++;
      sum += <f64>v;
      mnS = min<f32>(mnS, v);
      mxS = max<f32>(mxS, v);
    }
  }
  const m: f32 = pinf > 0 ? <f32>Infinity : mxS;
  let es: f64 = 0;
  if (withLse && abs<f32>(m) < <f32>Infinity) {
    const vm = f32x4.splat(m);
    let e0 = f64x2.splat(0);
    let e1 = e0;
    k = 0;
    for (; k + 4 <= K; k += 4) {
      const v = v128.load(at<f32>(x, k));
      const e = v128.bitselect(expNegF32x4(f32x4.sub(v, vm)), zero, f32x4.eq(v, v));
      e0 = f64x2.add(e0, f64x2.promote_low_f32x4(e));
      e1 = f64x2.add(e1, promoteHigh(e));
    }
    es = hsumF64(f64x2.add(e0, e1));
    for (; k < K; k++) {
      const v = load<f32>(at<f32>(x, k));
      if (v == v) es += <f64>expNegS<f32>(v - m);
    }
  }
  storeStats(dst, <f64>nan, <f64>pinf, <f64>ninf, <f64>neg, <f64>above, sum, <f64>mnS, <f64>mxS, <f64>m, es);
}

/** 4 adjacent f32 columns (4 slices; element k of lane l at x + (k·W + l)·4), one per lane. */
function statsColsF32(x: usize, K: i32, W: i32, withLse: bool, dst: usize): void {
  const inf = f32x4.splat(Infinity);
  const ninfV = f32x4.splat(-Infinity);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let cNan = i32x4.splat(0);
  let cPinf = cNan;
  let cNinf = cNan;
  let cNeg = cNan;
  let cAbove = cNan;
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let mn = inf;
  let mx = ninfV;
  for (let k = 0; k < K; k++) {
    const v = v128.load(at<f32>(x, k * W));
    const fin = f32x4.lt(f32x4.abs(v), inf);
    cNan = count(cNan, f32x4.ne(v, v));
    cPinf = count(cPinf, f32x4.eq(v, inf));
    cNinf = count(cNinf, f32x4.eq(v, ninfV));
    cNeg = count(cNeg, v128.and(fin, f32x4.lt(v, zero)));
    cAbove = count(cAbove, v128.and(fin, f32x4.gt(v, one)));
    const vf = v128.bitselect(v, zero, fin);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(vf));
    s1 = f64x2.add(s1, promoteHigh(vf));
    mn = f32x4.pmin(mn, v128.bitselect(v, inf, fin)); // non-finite lanes masked: pmin = min here
    mx = f32x4.pmax(mx, v128.bitselect(v, ninfV, fin));
  }
  const m = v128.bitselect(inf, mx, i32x4.gt_s(cPinf, i32x4.splat(0)));
  let e0 = f64x2.splat(0);
  let e1 = e0;
  if (withLse) {
    const mFin = f32x4.lt(f32x4.abs(m), inf);
    const mm = v128.bitselect(m, zero, mFin); // lanes with infinite m: their sum is discarded
    for (let k = 0; k < K; k++) {
      const v = v128.load(at<f32>(x, k * W));
      const e = v128.bitselect(expNegF32x4(f32x4.sub(v, mm)), zero, v128.and(f32x4.eq(v, v), mFin));
      e0 = f64x2.add(e0, f64x2.promote_low_f32x4(e));
      e1 = f64x2.add(e1, promoteHigh(e));
    }
  }
  storeStats(
    dst + 0, <f64>i32x4.extract_lane(cNan, 0), <f64>i32x4.extract_lane(cPinf, 0), <f64>i32x4.extract_lane(cNinf, 0),
    <f64>i32x4.extract_lane(cNeg, 0), <f64>i32x4.extract_lane(cAbove, 0), f64x2.extract_lane(s0, 0),
    <f64>f32x4.extract_lane(mn, 0), <f64>f32x4.extract_lane(mx, 0), <f64>f32x4.extract_lane(m, 0), f64x2.extract_lane(e0, 0),
  );
  storeStats(
    dst + 80, <f64>i32x4.extract_lane(cNan, 1), <f64>i32x4.extract_lane(cPinf, 1), <f64>i32x4.extract_lane(cNinf, 1),
    <f64>i32x4.extract_lane(cNeg, 1), <f64>i32x4.extract_lane(cAbove, 1), f64x2.extract_lane(s0, 1),
    <f64>f32x4.extract_lane(mn, 1), <f64>f32x4.extract_lane(mx, 1), <f64>f32x4.extract_lane(m, 1), f64x2.extract_lane(e0, 1),
  );
  storeStats(
    dst + 160, <f64>i32x4.extract_lane(cNan, 2), <f64>i32x4.extract_lane(cPinf, 2), <f64>i32x4.extract_lane(cNinf, 2),
    <f64>i32x4.extract_lane(cNeg, 2), <f64>i32x4.extract_lane(cAbove, 2), f64x2.extract_lane(s1, 0),
    <f64>f32x4.extract_lane(mn, 2), <f64>f32x4.extract_lane(mx, 2), <f64>f32x4.extract_lane(m, 2), f64x2.extract_lane(e1, 0),
  );
  storeStats(
    dst + 240, <f64>i32x4.extract_lane(cNan, 3), <f64>i32x4.extract_lane(cPinf, 3), <f64>i32x4.extract_lane(cNinf, 3),
    <f64>i32x4.extract_lane(cNeg, 3), <f64>i32x4.extract_lane(cAbove, 3), f64x2.extract_lane(s1, 1),
    <f64>f32x4.extract_lane(mn, 3), <f64>f32x4.extract_lane(mx, 3), <f64>f32x4.extract_lane(m, 3), f64x2.extract_lane(e1, 1),
  );
}

/**
 * Per-slice statistics (see the header) of f32 data in the (R, K, W) layout, K ≥ 1; out: R·W·10
 * f64. withLse = 0 skips the exponentials (out[9] = 0).
 */
export function sliceStats_f32(x: usize, R: i32, K: i32, W: i32, withLse: i32, out: usize): void {
  const lse = withLse != 0;
  for (let r = 0; r < R; r++) {
    const xr = at<f32>(x, r * K * W);
    const dr = out + <usize>(r * W * STATS * 8);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      if (W == 1) {
        statsRowF32(xr, K, lse, dr);
        continue;
      }
      for (; i + 4 <= W; i += 4) statsColsF32(at<f32>(xr, i), K, W, lse, dr + <usize>(i * STATS * 8));
    }
    for (; i < W; i++) statsScalar<f32>(at<f32>(xr, i), K, W, lse, dr + <usize>(i * STATS * 8));
  }
}

/** As sliceStats_f32 for f64 data (scalar in both builds). */
export function sliceStats_f64(x: usize, R: i32, K: i32, W: i32, withLse: i32, out: usize): void {
  const lse = withLse != 0;
  for (let r = 0; r < R; r++) {
    const xr = at<f64>(x, r * K * W);
    const dr = out + <usize>(r * W * STATS * 8);
    for (let i = 0; i < W; i++) statsScalar<f64>(at<f64>(xr, i), K, W, lse, dr + <usize>(i * STATS * 8));
  }
}
