// log-sum-exp over the (outer R, size K, inner W) layout, as PyTorch's logsumexp_out_impl:
//   m = max (NaN-propagating); m ← 0 where |m| = inf; r = log(Σ exp(x − m)) + m.
// So an all −inf slice gives −inf, any +inf gives +inf (NaN if a NaN is present, because the max
// is then NaN), and the sum of f32 exponentials accumulates in f64.
// Also the online (running-max) form for slices streamed in chunks (Milakov & Gimelshein 2018,
// "Online normalizer calculation for softmax").
import { at, demotePair, expNegS, hsumF64, promoteHigh, sliceHasNaN, sliceMaxScalar } from './common';
import { colMaxF32x4, colMaxF64x2, rowMaxF32, rowMaxF64 } from './max';
import { exp1d, exp2d } from './math/index';
import { COL_SUMS, colSumExpF32x4, colSumExpF64x2, sumExpRowF32, sumExpRowF64 } from './rowsum';
import { expNegF32x4, logF64Call, logF64x2 } from './vmath';
import { select64 } from './math/relaxed';
import { GROUP, SHORT_ROW, WIDE_GROUP, tileBlock, tileSoftmax, tileIn } from './shortRows';
import { colBlockWidth, inColBlocks } from './colBlocks';
import { packGroup, packSlabs, stagedTail } from './colTails';

/**
 * Final value from a slice's max m and s = Σ exp(x − m). Where m is ±inf the result is m (any
 * +inf gives +inf, all −inf gives −inf) unless the slice holds a NaN, which the caller signals
 * with s = NaN (the vector max skips NaN, see max.ts).
 */
// @ts-ignore: decorator
@inline export function lseFinish(m: f64, s: f64): f64 {
  if (m == Infinity || m == -Infinity) return s != s ? NaN : m;
  return logF64Call(s) + m;
}

/**
 * lseFinish for two lanes (bit-identical to it per lane: log2d's lanes are log1d's). The
 * column and short-row kernels finish four slices with two of these instead of four scalar logs,
 * which were a quarter of logsumexp over rows of 10 elements.
 */
// @ts-ignore: decorator
@inline export function lseFinishF64x2(m: v128, s: v128): v128 {
  const r = f64x2.add(logF64x2(s), m);
  const special = select64(f64x2.splat(NaN), m, f64x2.ne(s, s));
  return select64(special, r, f64x2.eq(f64x2.abs(m), f64x2.splat(Infinity)));
}

// @ts-ignore: decorator
@inline function lseSliceScalar<T>(src: usize, K: i32, stride: i32): f64 {
  const m = sliceMaxScalar<T>(src, K, stride);
  if (!isFinite<T>(m)) return lseFinish(<f64>m, 0);
  let s: f64 = 0;
  for (let k = 0; k < K; k++) s += <f64>expNegS<T>(load<T>(at<T>(src, k * stride)) - m);
  return lseFinish(<f64>m, s);
}

// The max of the row lseRowStats last measured (an inline function returns one value).
let rowStatMax: f64 = 0;

/**
 * Max (in rowStatMax) and Σ exp(x − max) of one contiguous row; for an infinite max the sum is
 * NaN if the row holds a NaN, else 0 (lseFinish's convention). A call, so lseRows' three uses
 * share one copy of the max and pipelined sum loops per element type.
 */
function lseRowStatsF32(src: usize, n: i32): f64 {
  const m = rowMaxF32(src, n);
  rowStatMax = <f64>m;
  if (!isFinite<f32>(m)) return sliceHasNaN<f32>(src, n, 1) ? NaN : 0;
  return sumExpRowF32(src, 0, n, m, false);
}
function lseRowStatsF64(src: usize, n: i32): f64 {
  const m = rowMaxF64(src, n);
  rowStatMax = m;
  if (!isFinite<f64>(m)) return sliceHasNaN<f64>(src, n, 1) ? NaN : 0;
  return sumExpRowF64<i32>(src, n, m, 1);
}
// @ts-ignore: decorator
@inline function lseRowStats<T>(src: usize, n: i32): f64 {
  return sizeof<T>() == 4 ? lseRowStatsF32(src, n) : lseRowStatsF64(src, n);
}

/**
 * logsumexp of R contiguous rows of n elements (SIMD build), two rows per step: their maxima and
 * sums, then one lseFinishF64x2 for both (its lanes are lseFinish's bits; the scalar log was
 * ~8 % of a row of 100 elements). An odd last row is finished alone.
 */
// @ts-ignore: decorator
@inline function lseRows<T>(src: usize, dst: usize, R: i32, n: i32): void {
  let r = 0;
  for (; r + 2 <= R; r += 2) {
    const sa = lseRowStats<T>(at<T>(src, r * n), n);
    const ma = rowStatMax;
    const sb = lseRowStats<T>(at<T>(src, (r + 1) * n), n);
    const mb = rowStatMax;
    const v = lseFinishF64x2(f64x2.replace_lane(f64x2.splat(ma), 1, mb), f64x2.replace_lane(f64x2.splat(sa), 1, sb));
    store<T>(at<T>(dst, r), <T>f64x2.extract_lane(v, 0));
    store<T>(at<T>(dst, r + 1), <T>f64x2.extract_lane(v, 1));
  }
  if (r < R) {
    const s = lseRowStats<T>(at<T>(src, r * n), n);
    store<T>(at<T>(dst, r), <T>lseFinish(rowStatMax, s));
  }
}

/**
 * dst[i] = logsumexp over k of s[k·W + i] for the W columns of one slab, f32: 4 columns per
 * vector, then the scalar remainder.
 */
function lseColsF32(s: usize, d: usize, K: i32, W: i32): void {
  let i = 0;
  let end = W;
  if (ASC_FEATURE_SIMD) {
    end = stagedTail<f32>(s, d, K, W, false, lseColsF32);
    for (; i + 4 <= end; i += 4) {
      const p = at<f32>(s, i);
      const vm = colMaxF32x4(p, K, W);
      // Masked max: finite lanes keep m, infinite/NaN lanes are finished below.
      const fin = f32x4.lt(f32x4.abs(vm), f32x4.splat(Infinity));
      const mm = v128.and(vm, fin);
      colSumExpF32x4<i32, string>(p, 0, K, W, mm);
      let lo = v128.load(COL_SUMS);
      let hi = v128.load(COL_SUMS, 16);
      const nan = v128.load(COL_SUMS, 32); // lanes that saw a NaN (the pmax max skips them)
      // Infinite-max lanes: the sums are meaningless (x − 0 > 0 is outside expNeg's domain);
      // pass NaN only where the lane saw a NaN.
      const nanS = f64x2.splat(NaN);
      const zeroS = f64x2.splat(0);
      const nlo = i64x2.extend_low_i32x4_s(nan);
      const nhi = i64x2.extend_high_i32x4_s(nan);
      const flo = i64x2.extend_low_i32x4_s(fin);
      const fhi = i64x2.extend_high_i32x4_s(fin);
      lo = v128.bitselect(lo, v128.bitselect(nanS, zeroS, nlo), flo);
      hi = v128.bitselect(hi, v128.bitselect(nanS, zeroS, nhi), fhi);
      v128.store(at<f32>(d, i), demotePair(lseFinishF64x2(f64x2.promote_low_f32x4(vm), lo), lseFinishF64x2(promoteHigh(vm), hi)));
    }
  }
  for (; i < end; i++) store<f32>(at<f32>(d, i), <f32>lseSliceScalar<f32>(at<f32>(s, i), K, W));
}

/** As lseColsF32 for f64 data (2 columns per vector). */
function lseColsF64(s: usize, d: usize, K: i32, W: i32): void {
  let i = 0;
  let end = W;
  if (ASC_FEATURE_SIMD) {
    end = stagedTail<f64>(s, d, K, W, false, lseColsF64);
    for (; i + 2 <= end; i += 2) {
      const p = at<f64>(s, i);
      const vm = colMaxF64x2(p, K, W);
      const fin = f64x2.lt(f64x2.abs(vm), f64x2.splat(Infinity));
      const mm = v128.and(vm, fin);
      colSumExpF64x2<i32, string>(p, 0, K, W, mm);
      let acc = v128.load(COL_SUMS);
      const nan = v128.load(COL_SUMS, 32);
      acc = v128.bitselect(acc, v128.bitselect(f64x2.splat(NaN), f64x2.splat(0), nan), fin);
      v128.store(at<f64>(d, i), lseFinishF64x2(vm, acc));
    }
  }
  for (; i < end; i++) store<f64>(at<f64>(d, i), lseSliceScalar<f64>(at<f64>(s, i), K, W));
}

/** Crowding limit for logsumexp (colBlocks.ts): it only reads the rows. */
// @ts-ignore: decorator
@inline const CROWD_LIMIT: u32 = 4;

/**
 * One slab's column log-sum-exps, through the column block when its rows crowd the cache
 * (colBlocks.ts; same bits either way).
 */
function lseColsSlab<T>(s: usize, d: usize, K: i32, W: i32): void {
  if (ASC_FEATURE_SIMD) {
    const cb = colBlockWidth<T>(K, W, CROWD_LIMIT);
    if (cb != 0) {
      inColBlocks<T>(s, d, K, W, cb, false, sizeof<T>() == 4 ? lseColsF32 : lseColsF64);
      return;
    }
  }
  if (sizeof<T>() == 4) lseColsF32(s, d, K, W);
  else lseColsF64(s, d, K, W);
}

/**
 * Narrow slabs and short slabs with a tail (colTails.ts, packGroup), P at a time side by side;
 * their P·W results follow the packed slab in the block and are contiguous in dst. Returns false,
 * having done nothing, for other slabs.
 */
function lsePacked<T>(src: usize, dst: usize, R: i32, K: i32, W: i32): bool {
  const P = packGroup<T>(K, W);
  if (P == 0) return false;
  const sz = <usize>sizeof<T>();
  for (let r = 0; r < R; r += P) {
    const n = min<i32>(P, R - r);
    const blk = tileBlock();
    packSlabs<T>(blk, src + <usize>(r * K * W) * sz, n, K, W, P);
    const res = blk + <usize>(K * P * W) * sz;
    lseColsSlab<T>(blk, res, K, P * W);
    memory.copy(dst + <usize>(r * W) * sz, res, <usize>(n * W) * sz);
  }
  return true;
}

/**
 * dst[r·W + i] = logsumexp over k of src[(r·K + k)·W + i], f32. K ≥ 1. SIMD build: short rows
 * (W = 1, K ≤ SHORT_ROW) four at a time through the column code (shortRows.ts), other rows
 * vectorised along the row, columns four at a time.
 */
export function logSumExp_f32(src: usize, dst: usize, R: i32, K: i32, W: i32): void {
  let r = 0;
  if (ASC_FEATURE_SIMD) if (W == 1 && K <= SHORT_ROW) {
    while (r + GROUP <= R) {
      const g = r + WIDE_GROUP <= R ? WIDE_GROUP : GROUP;
      tileIn<f32>(tileSoftmax(), at<f32>(src, r * K), K, g);
      lseColsF32(tileSoftmax(), at<f32>(dst, r), K, g);
      r += g;
    }
  }
  if (ASC_FEATURE_SIMD) if (W == 1) {
    lseRows<f32>(at<f32>(src, r * K), at<f32>(dst, r), R - r, K);
    return;
  }
  if (ASC_FEATURE_SIMD) if (lsePacked<f32>(src, dst, R, K, W)) return;
  for (; r < R; r++) lseColsSlab<f32>(at<f32>(src, r * K * W), at<f32>(dst, r * W), K, W);
}

/** As logSumExp_f32 for f64 data. */
export function logSumExp_f64(src: usize, dst: usize, R: i32, K: i32, W: i32): void {
  let r = 0;
  if (ASC_FEATURE_SIMD) if (W == 1 && K <= SHORT_ROW) {
    while (r + GROUP <= R) {
      const g = r + WIDE_GROUP <= R ? WIDE_GROUP : GROUP;
      tileIn<f64>(tileSoftmax(), at<f64>(src, r * K), K, g);
      lseColsF64(tileSoftmax(), at<f64>(dst, r), K, g);
      r += g;
    }
  }
  if (ASC_FEATURE_SIMD) if (W == 1) {
    lseRows<f64>(at<f64>(src, r * K), at<f64>(dst, r), R - r, K);
    return;
  }
  if (ASC_FEATURE_SIMD) if (lsePacked<f64>(src, dst, R, K, W)) return;
  for (; r < R; r++) lseColsSlab<f64>(at<f64>(src, r * K * W), at<f64>(dst, r * W), K, W);
}

// ---------------------------------------------------------------------------------------------
// Online form for streamed slices. State per column i (W columns): f64 m[i] at state + 8i and
// f64 s[i] at state + 8(W + i), with s = Σ exp((x − m)·scale) over the chunks seen so far.
// Initialise m = −inf, s = 0. `scale` is 1/T for klDivLogits, 1 otherwise.

// @ts-ignore: decorator
@inline function lseUpdateSlice<T>(src: usize, K: i32, stride: i32, scale: f64, mPtr: usize, sPtr: usize): void {
  const cm = <f64>sliceMaxScalar<T>(src, K, stride);
  const m0 = load<f64>(mPtr);
  const m1 = max<f64>(m0, cm);
  store<f64>(mPtr, m1);
  if (!isFinite<f64>(m1)) {
    // +inf or NaN: the slice's result is decided by m alone; −inf: nothing contributes yet.
    return;
  }
  let s = load<f64>(sPtr);
  if (m1 > m0) s *= Math.exp((m0 - m1) * scale); // rescale the earlier sum to the new max
  const mT = <T>m1;
  const sc = <T>scale;
  for (let k = 0; k < K; k++) s += <f64>expNegS<T>((load<T>(at<T>(src, k * stride)) - mT) * sc);
  store<f64>(sPtr, s);
}

/** Σ exp((x − m)·scale) over a contiguous f32 row: the in-window row sum when scale = 1. */
// @ts-ignore: decorator
@inline function sumExpRowScaledF32(src: usize, K: i32, m: f32, scale: f64): f64 {
  if (scale == 1) return sumExpRowF32(src, 0, K, m, false);
  const vm = f32x4.splat(m);
  const vs = f32x4.splat(<f32>scale);
  let a0 = f64x2.splat(0);
  let a1 = a0;
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const e = expNegF32x4(f32x4.mul(f32x4.sub(v128.load(at<f32>(src, k)), vm), vs));
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(e));
    a1 = f64x2.add(a1, promoteHigh(e));
  }
  let s = hsumF64(f64x2.add(a0, a1));
  const sc = <f32>scale;
  for (; k < K; k++) s += <f64>expNegS<f32>((load<f32>(at<f32>(src, k)) - m) * sc);
  return s;
}

/** One chunk of a single streamed row (W = 1, contiguous) into the (m, s) state, vectorised. */
// @ts-ignore: decorator
@inline function lseRowUpdate<T, PRECISE = i32>(src: usize, K: i32, scale: f64, state: usize): void {
  const cm = sizeof<T>() == 4 ? <f64>rowMaxF32(src, K) : rowMaxF64(src, K);
  const m0 = load<f64>(state);
  const m1 = max<f64>(m0, cm);
  store<f64>(state, m1);
  if (!isFinite<f64>(m1)) {
    // The vector max skips NaN: record one in s, which lseFinish / the apply pass check.
    if (sliceHasNaN<T>(src, K, 1)) store<f64>(state, NaN, 8);
    return;
  }
  let s = load<f64>(state, 8);
  if (m1 > m0) s *= Math.exp((m0 - m1) * scale);
  // PRECISE (f32 only): f64 exponentials, for streamed slices with pointwise outputs.
  if (sizeof<T>() == 4) s += isReference<PRECISE>() ? sumExpRowPreciseF32(src, K, m1, scale) : sumExpRowScaledF32(src, K, <f32>m1, scale);
  else s += scale == 1 ? sumExpRowF64<i32>(src, K, m1, 1) : sumExpRowF64<string>(src, K, m1, scale);
  store<f64>(state, s, 8);
}

/**
 * Folds one chunk (K rows × W columns, row stride W) into the running per-column (m, s) state,
 * f32 data. Used only for slices longer than the streaming window; a single row (W = 1) is
 * vectorised, columns go slice by slice.
 */
export function lseUpdate_f32(src: usize, K: i32, W: i32, scale: f64, state: usize): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    lseRowUpdate<f32>(src, K, scale, state);
    return;
  }
  for (let i = 0; i < W; i++) lseUpdateSlice<f32>(at<f32>(src, i), K, W, scale, at<f64>(state, i), at<f64>(state, W + i));
}

/** As lseUpdate_f32 for f64 data. */
export function lseUpdate_f64(src: usize, K: i32, W: i32, scale: f64, state: usize): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    lseRowUpdate<f64>(src, K, scale, state);
    return;
  }
  for (let i = 0; i < W; i++) lseUpdateSlice<f64>(at<f64>(src, i), K, W, scale, at<f64>(state, i), at<f64>(state, W + i));
}

/**
 * Writes one chunk of softmax (mode 0) or log_softmax (mode 1) outputs from the final per-column
 * state: exp(x − m)/s or (x − m) − log s. Slices whose max is not finite (NaN, ±inf) give NaN,
 * exactly as the one-pass kernels.
 */
export function softmaxApply_f32(src: usize, dst: usize, K: i32, W: i32, state: usize, mode: i32): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    // One long row (the common streamed case): vectorised, same formulas as the scalar loop.
    const m = load<f64>(state);
    const s = load<f64>(state, 8);
    if (!isFinite<f64>(m)) {
      for (let k = 0; k < K; k++) store<f32>(at<f32>(dst, k), <f32>NaN);
      return;
    }
    const mT = <f32>m;
    if (mode == 0) {
      // exp(x − m)·(1/s) through sumExpRowF32's software-pipelined loop (stores only, no sum);
      // its scalar tail is expNegF32x4's bit-identical twin, so the same bits as a vector tail.
      sumExpRowF32(src, dst, K, mT, false, true, <f32>(1.0 / s));
      return;
    }
    const ls = <f32>logF64Call(s);
    const vm = f32x4.splat(mT);
    const vl = f32x4.splat(ls);
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      v128.store(at<f32>(dst, k), f32x4.sub(f32x4.sub(v128.load(at<f32>(src, k)), vm), vl));
    }
    for (; k < K; k++) store<f32>(at<f32>(dst, k), load<f32>(at<f32>(src, k)) - mT - ls);
    return;
  }
  for (let i = 0; i < W; i++) {
    const m = load<f64>(at<f64>(state, i));
    const s = load<f64>(at<f64>(state, W + i));
    const ok = isFinite<f64>(m);
    const mT = <f32>m;
    const inv = <f32>(1.0 / s);
    const ls = <f32>logF64Call(s);
    for (let k = 0; k < K; k++) {
      const x = load<f32>(at<f32>(src, k * W + i));
      const y: f32 = !ok ? <f32>NaN : mode == 0 ? expNegS<f32>(x - mT) * inv : x - mT - ls;
      store<f32>(at<f32>(dst, k * W + i), y);
    }
  }
}

/** As softmaxApply_f32 for f64 data. */
export function softmaxApply_f64(src: usize, dst: usize, K: i32, W: i32, state: usize, mode: i32): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    const m = load<f64>(state);
    const s = load<f64>(state, 8);
    if (!isFinite<f64>(m)) {
      for (let k = 0; k < K; k++) store<f64>(at<f64>(dst, k), NaN);
      return;
    }
    if (mode == 0) {
      // exp(x − m)·(1/s) through sumExpRowF64's loop (software-pipelined in the SIMD build, as
      // for softmax's one-pass rows; stores only, no sum); its scalar tail is expNegF64x2's
      // bit-identical twin.
      sumExpRowF64<i32, i32, string>(src, K, m, 1, dst, 1.0 / s);
      return;
    }
    const ls = logF64Call(s);
    const vm = f64x2.splat(m);
    const vl = f64x2.splat(ls);
    let k = 0;
    for (; k + 2 <= K; k += 2) v128.store(at<f64>(dst, k), f64x2.sub(f64x2.sub(v128.load(at<f64>(src, k)), vm), vl));
    for (; k < K; k++) store<f64>(at<f64>(dst, k), load<f64>(at<f64>(src, k)) - m - ls);
    return;
  }
  for (let i = 0; i < W; i++) {
    const m = load<f64>(at<f64>(state, i));
    const s = load<f64>(at<f64>(state, W + i));
    const ok = isFinite<f64>(m);
    const inv = 1.0 / s;
    const ls = logF64Call(s);
    for (let k = 0; k < K; k++) {
      const x = load<f64>(at<f64>(src, k * W + i));
      const y: f64 = !ok ? NaN : mode == 0 ? expNegS<f64>(x - m) * inv : x - m - ls;
      store<f64>(at<f64>(dst, k * W + i), y);
    }
  }
}

/** Σ exp((x − m)·scale) over a contiguous f32 row, f64 exponentials (exp2d lanes are exp1d's bits). */
// @ts-ignore: decorator
@inline function sumExpRowPreciseF32(src: usize, K: i32, m: f64, scale: f64): f64 {
  const vm = f64x2.splat(m);
  const vsc = f64x2.splat(scale);
  let a = f64x2.splat(0);
  let b = a;
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const v = v128.load(at<f32>(src, k));
    a = f64x2.add(a, exp2d(f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v), vm), vsc)));
    b = f64x2.add(b, exp2d(f64x2.mul(f64x2.sub(promoteHigh(v), vm), vsc)));
  }
  let s = hsumF64(f64x2.add(a, b));
  for (; k < K; k++) s += exp1d((<f64>load<f32>(at<f32>(src, k)) - m) * scale);
  return s;
}

/**
 * lseUpdate_f32 with f64 exponentials (exact sums): for streamed slices whose pointwise KL terms
 * are written, which see the sums' error directly (see klRows.ts). Same state layout.
 */
export function lseUpdatePrecise_f32(src: usize, K: i32, W: i32, scale: f64, state: usize): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    // One long row: lseRowUpdate, the f64 exponentials two lanes at a time.
    lseRowUpdate<f32, string>(src, K, scale, state);
    return;
  }
  for (let i = 0; i < W; i++) {
    const mPtr = at<f64>(state, i);
    const sPtr = at<f64>(state, W + i);
    const cm = <f64>sliceMaxScalar<f32>(at<f32>(src, i), K, W);
    const m0 = load<f64>(mPtr);
    const m1 = max<f64>(m0, cm);
    store<f64>(mPtr, m1);
    if (!isFinite<f64>(m1)) continue;
    let s = load<f64>(sPtr);
    if (m1 > m0) s *= Math.exp((m0 - m1) * scale);
    for (let k = 0; k < K; k++) s += exp1d((<f64>load<f32>(at<f32>(src, k * W + i)) - m1) * scale);
    store<f64>(sPtr, s);
  }
}
