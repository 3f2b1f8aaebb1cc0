// Transposed staging for streamed columns: a chunk of K rows × W columns (row-major, as the facade
// copies it from the caller's array) becomes W contiguous rows of K values, so that columns longer
// than the window go through the vectorised row kernels (W = 1) one at a time instead of the
// column-streaming kernels, which walk each column with scalar code. A data move only: the values
// are copied bit for bit. Scalar loads and stores in every build (a few tenths of a ns per
// element); the JavaScript loop it replaces took 1.3–4.5 ns.
import { at } from './common';

/** Rows per block: a block's source rows (at most 64 × 16 × 8 bytes) stay in L1 while each column is read out. */
const ROWS = 64;

// @ts-ignore: decorator
@inline function transposeTile<T>(src: usize, dst: usize, K: i32, W: i32): void {
  for (let k0 = 0; k0 < K; k0 += ROWS) {
    const k1 = min<i32>(k0 + ROWS, K);
    for (let j = 0; j < W; j++) {
      const d = at<T>(dst, j * K);
      for (let k = k0; k < k1; k++) store<T>(at<T>(d, k), load<T>(at<T>(src, k * W + j)));
    }
  }
}

/**
 * R matrices of K × W f32, contiguous, each transposed: dst[(r·W + j)·K + k] = src[(r·K + k)·W + j]
 * for k < K, j < W. src and dst must not overlap; no alignment required. The inverse is
 * transposeTile_f32(dst, src, R, W, K).
 */
export function transposeTile_f32(src: usize, dst: usize, R: i32, K: i32, W: i32): void {
  const m = <usize>(K * W) << 2;
  for (let r: usize = 0; r < <usize>R; r++) transposeTile<f32>(src + r * m, dst + r * m, K, W);
}

/** As transposeTile_f32 for f64 data. */
export function transposeTile_f64(src: usize, dst: usize, R: i32, K: i32, W: i32): void {
  const m = <usize>(K * W) << 3;
  for (let r: usize = 0; r < <usize>R; r++) transposeTile<f64>(src + r * m, dst + r * m, K, W);
}
