// Short rows (W = 1, K ≤ SHORT_ROW): the softmax-family kernels take GROUP rows at a time through a
// static tile, transposed, so that their column code runs with one row per SIMD lane.
//
// Why: on a row of a few elements the row kernels spend their time on per-row setup, horizontal
// max/sum and scalar tails (K = 5 leaves one vector and one scalar exponential per row). Raw
// kernel calls from JS, 8 float32 rows: K = 5 329 → 179 ns, K = 3 221 → 136, K = 12 502 → 285,
// K = 16 377 → 336, and no gain left at K = 24. Through the API (`node bench/ab.mjs --workload w4
// --shape 1000,5`, interleaved against the previous build): logSumExp 1.78× at [1000, 5], 1.48× at
// [256, 3], 1.51× at [512, 12], 1.10× at [64, 16]; logSoftmax 1.96×, 1.56×, 1.43×, 1.05×.
//
// The tile lives in static memory (below __heap_base), so the kernels still take no scratch
// argument; the module is single-threaded, so one tile serves every call. GROUP whole rows are
// read into the tile before any output is written, so src = dst (in place) stays safe.
import { at } from './common';

/** Longest row (elements) that goes through the tile. */
export const SHORT_ROW: i32 = 16;
/** Rows per tile: one per f32 lane (two f64x2 column groups for f64). */
export const GROUP: i32 = 4;
/** SHORT_ROW × GROUP elements of up to 8 bytes, 16-byte aligned; element (k, j) at k·GROUP + j. */
export const TILE: usize = memory.data(SHORT_ROW * GROUP * 8, 16);

/** tile[k·GROUP + j] = row j's element k, for the GROUP rows of K elements starting at `src`. */
// @ts-ignore: decorator
@inline export function tileIn<T>(src: usize, K: i32): void {
  for (let k = 0; k < K; k++) {
    const q = at<T>(TILE, k * GROUP);
    store<T>(q, load<T>(at<T>(src, k)));
    store<T>(at<T>(q, 1), load<T>(at<T>(src, K + k)));
    store<T>(at<T>(q, 2), load<T>(at<T>(src, 2 * K + k)));
    store<T>(at<T>(q, 3), load<T>(at<T>(src, 3 * K + k)));
  }
}

/** The inverse of tileIn: row j's element k = tile[k·GROUP + j], rows of K elements at `dst`. */
// @ts-ignore: decorator
@inline export function tileOut<T>(dst: usize, K: i32): void {
  for (let k = 0; k < K; k++) {
    const q = at<T>(TILE, k * GROUP);
    store<T>(at<T>(dst, k), load<T>(q));
    store<T>(at<T>(dst, K + k), load<T>(at<T>(q, 1)));
    store<T>(at<T>(dst, 2 * K + k), load<T>(at<T>(q, 2)));
    store<T>(at<T>(dst, 3 * K + k), load<T>(at<T>(q, 3)));
  }
}
