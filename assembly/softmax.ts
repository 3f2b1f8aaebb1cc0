// softmax and log_softmax over the (outer R, size K, inner W) layout, PyTorch's evaluation order:
//   softmax:     m = max; e = exp(x − m); s = Σ e; y = e · (1/s)   (reciprocal multiply)
//   log_softmax: m = max; s = Σ exp(x − m); y = (x − m) − log s     (pytorch#11752 order)
// Sums of f32 exponentials accumulate in f64 (two f64x2 accumulators), so the only float32
// roundings are the exponentials and the final result. NaN, +inf and all −inf slices give NaN
// naturally (x − m is NaN there), as in PyTorch.
import { at, demotePair, expNegS, hsumF64, logS, promoteHigh, sliceMaxScalar } from './common';
import { colMaxF32x4, colMaxF64x2, rowMaxF32, rowMaxF64 } from './max';
import { COL_SUMS, colSumExpF32x4, colSumExpF64x2, sumExpRowF32, sumExpRowF64 } from './rowsum';
import { expNegF32x4, logF64Call, logF64x2 } from './vmath';
import { GROUP, SHORT_ROW, WIDE_GROUP, tileBlock, tileSoftmax, tileIn, tileOut } from './shortRows';
import { colBlockWidth, inColBlocks } from './colBlocks';
import { packGroup, packSlabs, stagedTail, unpackSlabs } from './colTails';

// ---------------------------------------------------------------------------------------------
// Scalar slice routines (any stride): the scalar build, and column tails of the SIMD build.

// @ts-ignore: decorator
@inline function softmaxSliceScalar<T>(src: usize, dst: usize, K: i32, stride: i32): void {
  const m = sliceMaxScalar<T>(src, K, stride);
  let s: f64 = 0;
  for (let k = 0; k < K; k++) {
    const e = expNegS<T>(load<T>(at<T>(src, k * stride)) - m);
    store<T>(at<T>(dst, k * stride), e);
    s += <f64>e;
  }
  const inv = <T>(1.0 / s);
  for (let k = 0; k < K; k++) {
    const q = at<T>(dst, k * stride);
    store<T>(q, load<T>(q) * inv);
  }
}

// @ts-ignore: decorator
@inline function logSoftmaxSliceScalar<T>(src: usize, dst: usize, K: i32, stride: i32): void {
  const m = sliceMaxScalar<T>(src, K, stride);
  let s: f64 = 0;
  for (let k = 0; k < K; k++) s += <f64>expNegS<T>(load<T>(at<T>(src, k * stride)) - m);
  const ls = <T>logF64Call(s);
  for (let k = 0; k < K; k++) {
    const q = at<T>(src, k * stride);
    store<T>(at<T>(dst, k * stride), load<T>(q) - m - ls);
  }
}

// ---------------------------------------------------------------------------------------------
// f32 rows (W = 1): vectorised along the row.

function softmaxRowF32(src: usize, dst: usize, n: i32): void {
  const m = rowMaxF32(src, n);
  const s = sumExpRowF32(src, dst, n, m, true);
  const inv = <f32>(1.0 / s);
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const vi = f32x4.splat(inv);
    const n8 = n & ~7;
    for (; k < n8; k += 8) {
      const q = at<f32>(dst, k);
      v128.store(q, f32x4.mul(v128.load(q), vi));
      v128.store(q, f32x4.mul(v128.load(q, 16), vi), 16);
    }
  }
  for (; k < n; k++) {
    const q = at<f32>(dst, k);
    store<f32>(q, load<f32>(q) * inv);
  }
}

function logSoftmaxRowF32(src: usize, dst: usize, n: i32): void {
  const m = rowMaxF32(src, n);
  const ls = <f32>logF64Call(sumExpRowF32(src, 0, n, m, false));
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m);
    const vl = f32x4.splat(ls);
    const n8 = n & ~7;
    for (; k < n8; k += 8) {
      const p = at<f32>(src, k);
      const q = at<f32>(dst, k);
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(p), vm), vl));
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(p, 16), vm), vl), 16);
    }
  }
  for (; k < n; k++) store<f32>(at<f32>(dst, k), load<f32>(at<f32>(src, k)) - m - ls);
}

// ---------------------------------------------------------------------------------------------
// f32 columns (W > 1): 4 adjacent columns per vector, rows at stride W.

function softmaxColsF32(src: usize, dst: usize, K: i32, W: i32): void {
  let i = 0;
  let end = W;
  if (ASC_FEATURE_SIMD) {
    end = stagedTail<f32>(src, dst, K, W, true, softmaxColsF32);
    const one = f64x2.splat(1.0);
    for (; i + 4 <= end; i += 4) {
      const s = at<f32>(src, i);
      const d = at<f32>(dst, i);
      const vm = colMaxF32x4(s, K, W);
      colSumExpF32x4<string, i32>(s, d, K, W, vm);
      const inv = demotePair(f64x2.div(one, v128.load(COL_SUMS)), f64x2.div(one, v128.load(COL_SUMS, 16)));
      for (let k = 0; k < K; k++) {
        const q = at<f32>(d, k * W);
        v128.store(q, f32x4.mul(v128.load(q), inv));
      }
    }
  }
  for (; i < end; i++) softmaxSliceScalar<f32>(at<f32>(src, i), at<f32>(dst, i), K, W);
}

/**
 * logF64x2 as a call, for the column kernels' once-per-four-slices logs: inlined there it measured
 * 0.8× on log_softmax over rows of 10–16 elements (its registers pushed the store loop into spills).
 */
function logPairF64x2(s: v128): v128 {
  return logF64x2(s);
}

function logSoftmaxColsF32(src: usize, dst: usize, K: i32, W: i32): void {
  let i = 0;
  let end = W;
  if (ASC_FEATURE_SIMD) {
    end = stagedTail<f32>(src, dst, K, W, true, logSoftmaxColsF32);
    for (; i + 4 <= end; i += 4) {
      const s = at<f32>(src, i);
      const d = at<f32>(dst, i);
      const vm = colMaxF32x4(s, K, W);
      colSumExpF32x4<i32, i32>(s, 0, K, W, vm);
      const lo = v128.load(COL_SUMS);
      const hi = v128.load(COL_SUMS, 16);
      // Two vector logs for four slices, lanes bit-identical to the row kernel's logF64Call.
      const ls = demotePair(logPairF64x2(lo), logPairF64x2(hi));
      for (let k = 0; k < K; k++) {
        v128.store(at<f32>(d, k * W), f32x4.sub(f32x4.sub(v128.load(at<f32>(s, k * W)), vm), ls));
      }
    }
  }
  for (; i < end; i++) logSoftmaxSliceScalar<f32>(at<f32>(src, i), at<f32>(dst, i), K, W);
}

// ---------------------------------------------------------------------------------------------
// f64 rows and columns (f64x2).

function softmaxRowF64(src: usize, dst: usize, n: i32): void {
  const m = rowMaxF64(src, n);
  const s = sumExpRowF64<i32, string>(src, n, m, 1, dst);
  const inv = 1.0 / s;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const vi = f64x2.splat(inv);
    for (; k + 2 <= n; k += 2) {
      const q = at<f64>(dst, k);
      v128.store(q, f64x2.mul(v128.load(q), vi));
    }
  }
  for (; k < n; k++) {
    const q = at<f64>(dst, k);
    store<f64>(q, load<f64>(q) * inv);
  }
}

function logSoftmaxRowF64(src: usize, dst: usize, n: i32): void {
  const m = rowMaxF64(src, n);
  const s = sumExpRowF64<i32>(src, n, m, 1);
  const ls = logF64Call(s);
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f64x2.splat(m);
    const vl = f64x2.splat(ls);
    for (; k + 2 <= n; k += 2) {
      v128.store(at<f64>(dst, k), f64x2.sub(f64x2.sub(v128.load(at<f64>(src, k)), vm), vl));
    }
  }
  for (; k < n; k++) store<f64>(at<f64>(dst, k), load<f64>(at<f64>(src, k)) - m - ls);
}

function softmaxColsF64(src: usize, dst: usize, K: i32, W: i32, log: bool): void {
  let i = 0;
  let end = W;
  if (ASC_FEATURE_SIMD) {
    end = stagedTail<f64>(src, dst, K, W, true, log ? logSoftmaxColsF64 : softmaxColsF64Plain);
    for (; i + 2 <= end; i += 2) {
      const s = at<f64>(src, i);
      const d = at<f64>(dst, i);
      const vm = colMaxF64x2(s, K, W);
      if (log) colSumExpF64x2<i32, i32>(s, d, K, W, vm);
      else colSumExpF64x2<string, i32>(s, d, K, W, vm);
      const acc = v128.load(COL_SUMS);
      if (log) {
        const ls = logPairF64x2(acc);
        for (let k = 0; k < K; k++) {
          v128.store(at<f64>(d, k * W), f64x2.sub(f64x2.sub(v128.load(at<f64>(s, k * W)), vm), ls));
        }
      } else {
        const inv = f64x2.div(f64x2.splat(1.0), acc);
        for (let k = 0; k < K; k++) {
          const q = at<f64>(d, k * W);
          v128.store(q, f64x2.mul(v128.load(q), inv));
        }
      }
    }
  }
  for (; i < end; i++) {
    if (log) logSoftmaxSliceScalar<f64>(at<f64>(src, i), at<f64>(dst, i), K, W);
    else softmaxSliceScalar<f64>(at<f64>(src, i), at<f64>(dst, i), K, W);
  }
}

function softmaxColsF64Plain(src: usize, dst: usize, K: i32, W: i32): void {
  softmaxColsF64(src, dst, K, W, false);
}

function logSoftmaxColsF64(src: usize, dst: usize, K: i32, W: i32): void {
  softmaxColsF64(src, dst, K, W, true);
}

/** Crowding limit for the softmax pair (colBlocks.ts): they write the rows too. */
// @ts-ignore: decorator
@inline const CROWD_LIMIT: u32 = 2;

/**
 * One slab's columns (W > 1) with the column kernel of T: directly at the slab's stride, or
 * through the column block when its rows crowd the cache (colBlocks.ts; same bits either way).
 */
function colsSlab<T>(src: usize, dst: usize, K: i32, W: i32, log: bool): void {
  const cb = colBlockWidth<T>(K, W, CROWD_LIMIT);
  if (sizeof<T>() == 8) {
    if (cb == 0) softmaxColsF64(src, dst, K, W, log);
    else inColBlocks<T>(src, dst, K, W, cb, true, log ? logSoftmaxColsF64 : softmaxColsF64Plain);
  } else if (cb == 0) {
    if (log) logSoftmaxColsF32(src, dst, K, W);
    else softmaxColsF32(src, dst, K, W);
  } else inColBlocks<T>(src, dst, K, W, cb, true, log ? logSoftmaxColsF32 : softmaxColsF32);
}

// ---------------------------------------------------------------------------------------------
// Exported kernels. Layout (R, K, W) row-major, K ≥ 1; src and dst may be the same buffer.

/**
 * The slices of R slabs for element type T; LOG selects log_softmax at compile time. SIMD build:
 * short rows (W = 1, K ≤ SHORT_ROW) four at a time through the column kernels, other rows with the
 * row kernel, columns with the 4/2-column kernels; scalar build: one slice at a time.
 */
// @ts-ignore: decorator
@inline function sliceKernel<T>(src: usize, dst: usize, R: i32, K: i32, W: i32, LOG: bool): void {
  let r = 0;
  if (ASC_FEATURE_SIMD) if (W == 1 && K <= SHORT_ROW) {
    // Short rows, GROUP at a time through the column code, in place in the tile (shortRows.ts).
    while (r + GROUP <= R) {
      const g = r + WIDE_GROUP <= R ? WIDE_GROUP : GROUP;
      tileIn<T>(tileSoftmax(), at<T>(src, r * K), K, g);
      if (sizeof<T>() == 4) {
        if (LOG) logSoftmaxColsF32(tileSoftmax(), tileSoftmax(), K, g);
        else softmaxColsF32(tileSoftmax(), tileSoftmax(), K, g);
      } else softmaxColsF64(tileSoftmax(), tileSoftmax(), K, g, LOG);
      tileOut<T>(tileSoftmax(), at<T>(dst, r * K), K, g);
      r += g;
    }
  }
  if (ASC_FEATURE_SIMD) {
    // Narrow slabs and short slabs with a tail, P at a time side by side (colTails.ts).
    const P = packGroup<T>(K, W);
    if (P > 0) {
      for (; r < R; r += P) {
        const n = min<i32>(P, R - r);
        const blk = tileBlock();
        packSlabs<T>(blk, at<T>(src, r * K * W), n, K, W, P);
        colsSlab<T>(blk, blk, K, P * W, LOG);
        unpackSlabs<T>(blk, at<T>(dst, r * K * W), n, K, W, P);
      }
      return;
    }
  }
  for (; r < R; r++) {
    const s = at<T>(src, r * K * W);
    const d = at<T>(dst, r * K * W);
    if (!ASC_FEATURE_SIMD) {
      for (let i = 0; i < W; i++) {
        if (LOG) logSoftmaxSliceScalar<T>(at<T>(s, i), at<T>(d, i), K, W);
        else softmaxSliceScalar<T>(at<T>(s, i), at<T>(d, i), K, W);
      }
    } else if (W > 1) {
      colsSlab<T>(s, d, K, W, LOG);
    } else if (sizeof<T>() == 4) {
      if (LOG) logSoftmaxRowF32(s, d, K);
      else softmaxRowF32(s, d, K);
    } else if (LOG) logSoftmaxRowF64(s, d, K);
    else softmaxRowF64(s, d, K);
  }
}

/** softmax of each slice along K, f32. */
export function softmax_f32(src: usize, dst: usize, R: i32, K: i32, W: i32): void {
  sliceKernel<f32>(src, dst, R, K, W, false);
}

/** log_softmax of each slice along K, f32. */
export function logSoftmax_f32(src: usize, dst: usize, R: i32, K: i32, W: i32): void {
  sliceKernel<f32>(src, dst, R, K, W, true);
}

/** softmax of each slice along K, f64. */
export function softmax_f64(src: usize, dst: usize, R: i32, K: i32, W: i32): void {
  sliceKernel<f64>(src, dst, R, K, W, false);
}

/** log_softmax of each slice along K, f64. */
export function logSoftmax_f64(src: usize, dst: usize, R: i32, K: i32, W: i32): void {
  sliceKernel<f64>(src, dst, R, K, W, true);
}
