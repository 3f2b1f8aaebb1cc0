// Column blocks: wide slabs of the column kernels (W > 1) staged through a contiguous block.
//
// Why: a column kernel walks four (f32) or two (f64) columns down all K rows at a stride of W
// elements, then the next columns. When the row stride W·sizeof(T) is a multiple of 4 KiB (W =
// 1024, 4096, 32768 f32 …: the H·W of most image models), the K rows of a column fall into the
// same L1 set (and at multiples of 128 KiB into the same L2 set), so with K above the 8 ways each
// pass misses and the next column group fetches the same lines again. Measured on this host
// (zero-copy, K = 19, ~4 M elements, wasm-simd): log_softmax f32 215 Melem/s at W = 32768 and 251
// at W = 1024, against 465 at W = 10000.
//
// So a slab wider than a block is done in blocks of `cb` columns (a multiple of 16, so the same
// columns take the 4/2-lane path and the scalar tail as without blocks): the K × cb block is
// copied into COL_BLOCK (rows contiguous, stride cb), the column kernel runs there, and the
// results are copied back. The kernel does the same operations on every column whatever its
// stride, so the results are bit-identical to the direct walk. SIMD builds only.
import { tilesEnd } from './shortRows';

/** Bytes of the column block (after the short-row tiles; see heapBase in index.ts). */
// @ts-ignore: decorator
@inline export const COL_BLOCK_BYTES: usize = 65536;
/**
 * Bytes a block aims at: 16 KiB keeps it in L1 with its results (tried: 8, 16, 32 and 64 KiB
 * blocks, 16 best by a few %). Columns longer than that take 16-column blocks up to
 * COL_BLOCK_BYTES (K ≤ 1024 float32, 512 float64): L2-resident, still far better than
 * thrashing (float32 [300, 1024] dim 0 softmax measured 130 Melem/s walked directly).
 */
// @ts-ignore: decorator
@inline const COL_BLOCK_TARGET: usize = 16384;

/** The column block: K rows of cb elements, row-major. */
// @ts-ignore: decorator
@inline export function colBlock(): usize {
  return tilesEnd();
}

/** First byte after the column block. */
// @ts-ignore: decorator
@inline export function colBlockEnd(): usize {
  return tilesEnd() + COL_BLOCK_BYTES;
}

/**
 * Whether K rows at a stride of `stride` bytes crowd an L1 set: more than max(limit, K/8) of them
 * in one of 64 sets of 64-byte lines (a 4 KiB period, as on this host's 32 KiB 8-way L1; an L2
 * set conflict is an L1 one too, since its set bits include the L1's). `limit` is 2 or 4 (half of
 * 8 ways or all of them: the destination's rows may share the sets); K/8 lets long columns, which
 * fill every set anyway, count as crowded only when their rows use at most 8 sets (a stride at or
 * near a multiple of 512 bytes): [1000, 64] float32 dim 0, 16 sets, measured 535 Melem/s walked
 * directly and 238 in blocks. Counts (u16) in the column block's first 128 bytes.
 */
function rowsCrowdL1(K: i32, stride: usize, limit: u32): bool {
  const h = colBlock();
  memory.fill(h, 0, 128);
  const most = max<u32>(limit, <u32>K >> 3);
  let off: usize = 0;
  for (let k = 0; k < K; k++) {
    const p = h + (((off >> 6) & 63) << 1);
    const c = <u32>load<u16>(p) + 1;
    if (c > most) return true;
    store<u16>(p, <u16>c);
    off += stride;
  }
  return false;
}

/**
 * Columns per block for a K × W slab of T, or 0 to walk the slab directly: when W already fits
 * one block (nothing to gain), when K rows of 16 columns do not fit COL_BLOCK_BYTES (very long
 * columns), or
 * when the rows do not crowd the cache (the copies cost ~20 % of log_softmax there).
 */
export function colBlockWidth<T>(K: i32, W: i32, limit: u32): i32 {
  let cb = (<i32>(COL_BLOCK_TARGET / sizeof<T>()) / K) & ~15;
  if (cb < 16) cb = <usize>K * 16 * sizeof<T>() <= COL_BLOCK_BYTES ? 16 : 0;
  if (cb == 0 || cb >= W) return 0;
  return rowsCrowdL1(K, <usize>W * sizeof<T>(), limit) ? cb : 0;
}

/**
 * Copies `rows` rows of `bytes` bytes (a multiple of the element size, 4 or 8) from `src` (row
 * stride `srcStride` bytes) to `dst` (row stride `dstStride` bytes). The regions do not overlap.
 */
export function copyRows(src: usize, srcStride: usize, dst: usize, dstStride: usize, rows: i32, bytes: usize): void {
  const whole = bytes & ~63;
  for (let k = 0; k < rows; k++) {
    const s = src + <usize>k * srcStride;
    const d = dst + <usize>k * dstStride;
    let j: usize = 0;
    for (; j < whole; j += 64) {
      v128.store(d + j, v128.load(s + j));
      v128.store(d + j, v128.load(s + j, 16), 16);
      v128.store(d + j, v128.load(s + j, 32), 32);
      v128.store(d + j, v128.load(s + j, 48), 48);
    }
    for (; j + 16 <= bytes; j += 16) v128.store(d + j, v128.load(s + j));
    for (; j < bytes; j += 4) store<u32>(d + j, load<u32>(s + j));
  }
}

/** A column kernel: K rows of W columns at `src` (row stride W) → `dst` (row stride W, or W values). */
export type ColumnKernel = (src: usize, dst: usize, K: i32, W: i32) => void;

/**
 * Runs `cols` over a K × W slab of T in blocks of `cb` columns (colBlockWidth): each block is
 * copied into the column block, `cols` runs there, and — `rows` — its K × n result is copied
 * back to the slab's place in `dst`, or — not `rows` (logsumexp: one value per column) — `cols`
 * writes its n values straight to `dst` + i. The kernel is called through a function reference
 * (one indirect call per block).
 */
export function inColBlocks<T>(src: usize, dst: usize, K: i32, W: i32, cb: i32, rows: bool, cols: ColumnKernel): void {
  const blk = colBlock();
  const stride = <usize>W * sizeof<T>();
  for (let i = 0; i < W; i += cb) {
    const n = min<i32>(cb, W - i);
    const bytes = <usize>n * sizeof<T>();
    copyRows(src + <usize>i * sizeof<T>(), stride, blk, bytes, K, bytes);
    if (rows) {
      cols(blk, blk, K, n);
      copyRows(blk, bytes, dst + <usize>i * sizeof<T>(), stride, K, bytes);
    } else {
      cols(blk, dst + <usize>i * sizeof<T>(), K, n);
    }
  }
}
