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
/**
 * Rows per tile while at least that many remain: WIDE_GROUP / GROUP groups in one column-kernel
 * call, whose per-call setup (maxima, constants, loop entry) dominated rows of a few elements.
 * The column kernels treat every lane alike, so each row gets the bits it gets in a tile of GROUP
 * rows; the fused KL kernels continue the caller's running sum (their `total0`), so float32 sums
 * too associate as with tiles of GROUP rows. (klColsF64 adds pairs of lanes, so its returned total
 * associates differently from before; the facade sums the per-slice KLs, and answers are
 * identical — A/B, float32 and float64.)
 */
export const WIDE_GROUP: i32 = 64;
/** Bytes of one tile: SHORT_ROW × WIDE_GROUP elements of up to 8 bytes; element (k, j) at k·G + j for a tile of G rows. */
// @ts-ignore: decorator
@inline const WIDE_TILE_BYTES: usize = <usize>(SHORT_ROW * WIDE_GROUP * 8);
/** Number of tiles: the softmax family's, then the fused KL kernels' x, y, G, d, gx, gy, scratch. */
// @ts-ignore: decorator
@inline const TILES: usize = 8;

// The tiles sit at the start of the heap, right after the static data, and heapBase() (index.ts)
// reports the first byte after them, where the facade's window starts. (A memory.data block would
// be emitted as a data segment of zeros, since the memory is imported: 4 KiB more per binary.)
// @ts-ignore: decorator
@inline function tileAt(i: usize): usize {
  // Tiles 0–6 hold WIDE_GROUP rows; the scratch tile (7) holds 8·K f32 or 4·K f64 whatever the width.
  return ((__heap_base + 15) & ~15) + i * WIDE_TILE_BYTES;
}
/** First byte after the tiles (16-byte aligned). */
// @ts-ignore: decorator
@inline export function tilesEnd(): usize {
  return tileAt(TILES);
}
/**
 * All the tiles as one block, for the softmax family's column kernels (colTails.ts), which never
 * run while a tile is in use: the short-row path calls them only with whole vectors of columns,
 * and the fused KL kernels do not call them.
 */
// @ts-ignore: decorator
@inline export function tileBlock(): usize { return tileAt(0); }
/** Bytes of tileBlock (64 KiB). */
// @ts-ignore: decorator
@inline export const TILE_BLOCK_BYTES: usize = TILES * WIDE_TILE_BYTES;
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

/**
 * tile[k·GROUP + j] = row j's element k, for the GROUP rows of K elements starting at `src`.
 * SIMD build: whole 4 × 4 (f32) or 4 × 2 (f64) blocks with row loads, shuffles and column stores
 * (a register transpose: the f32 one unpacks pairs of rows, then pairs of 64-bit halves), the
 * last K mod 4 (mod 2) columns element by element, so nothing past the rows is read. Data
 * movement only, so the same tile as the element loop, which measured ~20 % of a [4096, 10]
 * logsumexp (80 scalar loads and stores per group of four rows). The transposes are functions,
 * not inlined: inlined at each of the eleven tile sites they made each SIMD binary 14 kB larger.
 */
// @ts-ignore: decorator
@inline export function tileIn<T>(tile: usize, src: usize, K: i32, G: i32 = GROUP): void {
  if (ASC_FEATURE_SIMD) {
    if (sizeof<T>() == 4) tileInF32(tile, src, K, G);
    else tileInF64(tile, src, K, G);
  } else {
    tileColumns<T>(tile, src, K, 0, true, G);
  }
}

/** The inverse of tileIn: row j's element k = tile[k·GROUP + j], rows of K elements at `dst`; the same transposes. */
// @ts-ignore: decorator
@inline export function tileOut<T>(tile: usize, dst: usize, K: i32, G: i32 = GROUP): void {
  if (ASC_FEATURE_SIMD) {
    if (sizeof<T>() == 4) tileOutF32(tile, dst, K, G);
    else tileOutF64(tile, dst, K, G);
  } else {
    tileColumns<T>(tile, dst, K, 0, false, G);
  }
}

/** Columns k0 … K − 1 of G rows element by element: into the tile (IN) or out of it. */
// @ts-ignore: decorator
@inline function tileColumns<T>(tile: usize, rows: usize, K: i32, k0: i32, IN: bool, G: i32): void {
  for (let k = k0; k < K; k++) {
    const q = at<T>(tile, k * G);
    for (let j = 0; j < G; j++) {
      const p = at<T>(rows, j * K + k);
      if (IN) store<T>(at<T>(q, j), load<T>(p));
      else store<T>(p, load<T>(at<T>(q, j)));
    }
  }
}

/**
 * A 4 × 4 f32 transpose through registers: the vectors at a0…a3 (one row each) are stored as
 * columns at b0…b3. Unpacks pairs of rows, then pairs of 64-bit halves; tileIn and tileOut use it
 * in opposite directions (rows into the tile, the tile's columns out to rows).
 */
// @ts-ignore: decorator
@inline function transpose4x4F32(a0: usize, a1: usize, a2: usize, a3: usize, b0: usize, b1: usize, b2: usize, b3: usize): void {
  const r0 = v128.load(a0);
  const r1 = v128.load(a1);
  const r2 = v128.load(a2);
  const r3 = v128.load(a3);
  const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // r0[2] r1[2] r0[3] r1[3]
  const hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(b0, v128.shuffle<f64>(lo01, lo23, 0, 2));
  v128.store(b1, v128.shuffle<f64>(lo01, lo23, 1, 3));
  v128.store(b2, v128.shuffle<f64>(hi01, hi23, 0, 2));
  v128.store(b3, v128.shuffle<f64>(hi01, hi23, 1, 3));
}

/**
 * The f64 block (4 rows × 2 columns): row pairs at a0…a3 (rows 0–3, two elements each) become,
 * at b, column 0 (rows 0–1, rows 2–3) then, `col` bytes on, column 1; tileOut runs it backwards
 * (`toRows`).
 */
// @ts-ignore: decorator
@inline function transpose4x2F64(rows: usize, K: i32, k: i32, b: usize, col: usize, toRows: bool): void {
  const p0 = at<f64>(rows, k);
  const p1 = at<f64>(rows, K + k);
  const p2 = at<f64>(rows, 2 * K + k);
  const p3 = at<f64>(rows, 3 * K + k);
  if (toRows) {
    const c0lo = v128.load(b); // column k: rows 0–1
    const c0hi = v128.load(b, 16); //        rows 2–3
    const c1lo = v128.load(b + col); // column k + 1
    const c1hi = v128.load(b + col, 16);
    v128.store(p0, v128.shuffle<f64>(c0lo, c1lo, 0, 2));
    v128.store(p1, v128.shuffle<f64>(c0lo, c1lo, 1, 3));
    v128.store(p2, v128.shuffle<f64>(c0hi, c1hi, 0, 2));
    v128.store(p3, v128.shuffle<f64>(c0hi, c1hi, 1, 3));
  } else {
    const r0 = v128.load(p0);
    const r1 = v128.load(p1);
    const r2 = v128.load(p2);
    const r3 = v128.load(p3);
    v128.store(b, v128.shuffle<f64>(r0, r1, 0, 2));
    v128.store(b, v128.shuffle<f64>(r2, r3, 0, 2), 16);
    v128.store(b + col, v128.shuffle<f64>(r0, r1, 1, 3));
    v128.store(b + col, v128.shuffle<f64>(r2, r3, 1, 3), 16);
  }
}

// The SIMD tile copies: G rows (a multiple of 4) as quads of rows, each transposed in 4 × 4 (f32)
// or 4 × 2 (f64) blocks; columns past the last whole block element by element.

function tileInF32(tile: usize, src: usize, K: i32, G: i32): void {
  const col: usize = <usize>G << 2; // bytes between tile columns
  if (K == 2 || K == 3) {
    tileNarrowF32(tile, src, K, G, true);
    return;
  }
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    for (let j = 0; j < G; j += 4) {
      const q = at<f32>(tile, k * G + j);
      const r = at<f32>(src, j * K + k);
      transpose4x4F32(r, at<f32>(r, K), at<f32>(r, 2 * K), at<f32>(r, 3 * K), q, q + col, q + 2 * col, q + 3 * col);
    }
  }
  tileColumns<f32>(tile, src, K, k, true, G);
}

function tileOutF32(tile: usize, dst: usize, K: i32, G: i32): void {
  const col: usize = <usize>G << 2;
  if (K == 2 || K == 3) {
    tileNarrowF32(tile, dst, K, G, false);
    return;
  }
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    for (let j = 0; j < G; j += 4) {
      const q = at<f32>(tile, k * G + j);
      const r = at<f32>(dst, j * K + k);
      transpose4x4F32(q, q + col, q + 2 * col, q + 3 * col, r, at<f32>(r, K), at<f32>(r, 2 * K), at<f32>(r, 3 * K));
    }
  }
  tileColumns<f32>(tile, dst, K, k, false, G);
}

/**
 * Rows of K = 2 or 3 f32 elements, four rows (8 or 12 contiguous elements) per step, into the
 * tile's columns (IN) or back: two or three vector loads, shuffles that deinterleave them, and
 * two or three vector stores, where the element loop (tileColumns) takes 16 or 24 scalar loads
 * and stores. Data movement only: the same tile, so the same bits.
 */
function tileNarrowF32(tile: usize, rows: usize, K: i32, G: i32, IN: bool): void {
  const col: usize = <usize>G << 2;
  for (let j = 0; j < G; j += 4) {
    const q = at<f32>(tile, j);
    const r = at<f32>(rows, j * K);
    if (K == 2) {
      if (IN) {
        const a = v128.load(r); // r0e0 r0e1 r1e0 r1e1
        const b = v128.load(r, 16); // r2e0 r2e1 r3e0 r3e1
        v128.store(q, v128.shuffle<f32>(a, b, 0, 2, 4, 6));
        v128.store(q + col, v128.shuffle<f32>(a, b, 1, 3, 5, 7));
      } else {
        const c0 = v128.load(q);
        const c1 = v128.load(q + col);
        v128.store(r, v128.shuffle<f32>(c0, c1, 0, 4, 1, 5));
        v128.store(r, v128.shuffle<f32>(c0, c1, 2, 6, 3, 7), 16);
      }
    } else if (IN) {
      const a = v128.load(r); //     r0e0 r0e1 r0e2 r1e0
      const b = v128.load(r, 16); // r1e1 r1e2 r2e0 r2e1
      const c = v128.load(r, 32); // r2e2 r3e0 r3e1 r3e2
      const ab0 = v128.shuffle<f32>(a, b, 0, 3, 6, 6); // r0e0 r1e0 r2e0 ·
      const ab1 = v128.shuffle<f32>(a, b, 1, 4, 7, 7); // r0e1 r1e1 r2e1 ·
      const ab2 = v128.shuffle<f32>(a, b, 2, 5, 5, 5); // r0e2 r1e2 · ·
      v128.store(q, v128.shuffle<f32>(ab0, c, 0, 1, 2, 5));
      v128.store(q + col, v128.shuffle<f32>(ab1, c, 0, 1, 2, 6));
      v128.store(q + 2 * col, v128.shuffle<f32>(ab2, c, 0, 1, 4, 7));
    } else {
      const c0 = v128.load(q); //           r0e0 r1e0 r2e0 r3e0
      const c1 = v128.load(q + col); //     r0e1 r1e1 r2e1 r3e1
      const c2 = v128.load(q + 2 * col); // r0e2 r1e2 r2e2 r3e2
      const t01 = v128.shuffle<f32>(c0, c1, 0, 4, 1, 5); // r0e0 r0e1 r1e0 r1e1
      const t23 = v128.shuffle<f32>(c0, c1, 2, 6, 3, 7); // r2e0 r2e1 r3e0 r3e1
      v128.store(r, v128.shuffle<f32>(t01, c2, 0, 1, 4, 2)); //      r0e0 r0e1 r0e2 r1e0
      const t1 = v128.shuffle<f32>(t01, c2, 3, 5, 5, 5); // r1e1 r1e2 · ·
      v128.store(r, v128.shuffle<f32>(t1, t23, 0, 1, 4, 5), 16); // r1e1 r1e2 r2e0 r2e1
      v128.store(r, v128.shuffle<f32>(t23, c2, 6, 2, 3, 7), 32); // r2e2 r3e0 r3e1 r3e2
    }
  }
}

function tileInF64(tile: usize, src: usize, K: i32, G: i32): void {
  const col: usize = <usize>G << 3;
  let k = 0;
  for (; k + 2 <= K; k += 2) {
    for (let j = 0; j < G; j += 4) transpose4x2F64(at<f64>(src, j * K), K, k, at<f64>(tile, k * G + j), col, false);
  }
  tileColumns<f64>(tile, src, K, k, true, G);
}

function tileOutF64(tile: usize, dst: usize, K: i32, G: i32): void {
  const col: usize = <usize>G << 3;
  let k = 0;
  for (; k + 2 <= K; k += 2) {
    for (let j = 0; j < G; j += 4) transpose4x2F64(at<f64>(dst, j * K), K, k, at<f64>(tile, k * G + j), col, true);
  }
  tileColumns<f64>(tile, dst, K, k, false, G);
}

/** The fused KL kernels' inputs: rows r … r + G − 1 of x and y (rows of K) into tileX, tileY. */
// @ts-ignore: decorator
@inline export function tileInLogits<T>(x: usize, y: usize, r: i32, K: i32, G: i32 = GROUP): void {
  tileIn<T>(tileX(), at<T>(x, r * K), K, G);
  tileIn<T>(tileY(), at<T>(y, r * K), K, G);
}
