// Short rows (W = 1, K ≤ SHORT_ROW, or KL_SHORT_ROW for the fused KL): the softmax-family and
// fused KL kernels take GROUP rows at a time through tiles, transposed, so that their column code
// runs with one row per SIMD lane. (The scalar build does not use them.)
//
// Why: on a row of a few elements the row kernels spend their time on per-row setup, horizontal
// max/sum and scalar tails (K = 5 leaves one vector and one scalar exponential per row). Raw
// kernel calls from JS, 8 float32 rows: K = 5 329 → 179 ns, K = 3 221 → 136, K = 12 502 → 285,
// K = 16 377 → 336, and no gain left at K = 24. Through the API (`node bench/ab.mjs --workload w4
// --shape 1000,5`, interleaved against the previous build): logSumExp 1.78× at [1000, 5], 1.48× at
// [256, 3], 1.51× at [512, 12], 1.10× at [64, 16]; logSoftmax 1.96×, 1.56×, 1.43×, 1.05×.
//
// The tiles live in a fixed block of memory reserved before the facade's window (see tileAt), so
// the kernels take no extra argument and need no more scratch from the caller; the module is
// single-threaded, so one set serves every call. GROUP whole rows are read into a tile before any
// output is written, so src = dst (in place) stays safe. The row and tile paths round differently
// in the last bits, so the facade and the worker pool start every block of rows on a multiple of
// GROUP (ROW_GROUP in src/backend/kernels.ts): results do not depend on how rows are split.
import { at } from './common';

/** Longest row (elements) that goes through the tile (softmax, log_softmax, logsumexp). */
export const SHORT_ROW: i32 = 16;
/**
 * Longest row for the fused KL kernels (klDivLogits.ts, klDivLogitsGrad.ts: both, so that their
 * losses stay bit-identical). Raw kernel calls, 8 float32 rows: K = 3 674 → 239 ns, K = 5
 * 639 → 328, K = 10 960 → 662, K = 16 965 → 907 (no longer worth the copies).
 */
export const KL_SHORT_ROW: i32 = 12;
/** Rows per tile: one per f32 lane (two f64x2 column groups for f64). */
export const GROUP: i32 = 4;
/** Bytes of one tile: SHORT_ROW × GROUP elements of up to 8 bytes; element (k, j) at k·GROUP + j. */
// @ts-ignore: decorator
@inline const TILE_BYTES: usize = <usize>(SHORT_ROW * GROUP * 8);
/** Number of tiles: the softmax family's, then the fused KL kernels' x, y, G, d, gx, gy, scratch. */
// @ts-ignore: decorator
@inline const TILES: usize = 8;

// The tiles sit at the start of the heap, right after the static data, and heapBase() (index.ts)
// reports the first byte after them, where the facade's window starts. (A memory.data block would
// be emitted as a data segment of zeros, since the memory is imported: 4 KiB more per binary.)
// @ts-ignore: decorator
@inline function tileAt(i: usize): usize {
  return ((__heap_base + 15) & ~15) + i * TILE_BYTES;
}
/** First byte after the tiles (16-byte aligned). */
// @ts-ignore: decorator
@inline export function tilesEnd(): usize {
  return tileAt(TILES);
}
/** The softmax-family tile (in place). */
// @ts-ignore: decorator
@inline export function tileSoftmax(): usize { return tileAt(0); }
/** The fused KL kernels' tiles: x, y, the upstream gradient, the point terms, both gradients. */
// @ts-ignore: decorator
@inline export function tileX(): usize { return tileAt(1); }
// @ts-ignore: decorator
@inline export function tileY(): usize { return tileAt(2); }
// @ts-ignore: decorator
@inline export function tileG(): usize { return tileAt(3); }
// @ts-ignore: decorator
@inline export function tileD(): usize { return tileAt(4); }
// @ts-ignore: decorator
@inline export function tileGx(): usize { return tileAt(5); }
// @ts-ignore: decorator
@inline export function tileGy(): usize { return tileAt(6); }
/** Scratch of the fused KL column kernels for K ≤ KL_SHORT_ROW (8·K f32 or 4·K f64). */
// @ts-ignore: decorator
@inline export function tileScratch(): usize { return tileAt(7); }

/** tile[k·GROUP + j] = row j's element k, for the GROUP rows of K elements starting at `src`. */
// @ts-ignore: decorator
@inline export function tileIn<T>(tile: usize, src: usize, K: i32): void {
  for (let k = 0; k < K; k++) {
    const q = at<T>(tile, k * GROUP);
    store<T>(q, load<T>(at<T>(src, k)));
    store<T>(at<T>(q, 1), load<T>(at<T>(src, K + k)));
    store<T>(at<T>(q, 2), load<T>(at<T>(src, 2 * K + k)));
    store<T>(at<T>(q, 3), load<T>(at<T>(src, 3 * K + k)));
  }
}

/** The inverse of tileIn: row j's element k = tile[k·GROUP + j], rows of K elements at `dst`. */
// @ts-ignore: decorator
@inline export function tileOut<T>(tile: usize, dst: usize, K: i32): void {
  for (let k = 0; k < K; k++) {
    const q = at<T>(tile, k * GROUP);
    store<T>(at<T>(dst, k), load<T>(q));
    store<T>(at<T>(dst, K + k), load<T>(at<T>(q, 1)));
    store<T>(at<T>(dst, 2 * K + k), load<T>(at<T>(q, 2)));
    store<T>(at<T>(dst, 3 * K + k), load<T>(at<T>(q, 3)));
  }
}

/** The fused KL kernels' inputs: rows r … r + GROUP − 1 of x and y (rows of K) into tileX, tileY. */
// @ts-ignore: decorator
@inline export function tileInLogits<T>(x: usize, y: usize, r: i32, K: i32): void {
  tileIn<T>(tileX(), at<T>(x, r * K), K);
  tileIn<T>(tileY(), at<T>(y, r * K), K);
}
