// Column slabs whose width W is not a multiple of four, for the float32 column kernels (softmax,
// log_softmax, logsumexp, and the fused KL's klColsF32 / gradColsF32). Those run four columns per
// vector and finish the last W mod 4 columns with scalar code, one column at a time, which costs
// several times a vector lane: float32 logSoftmax over [1000, 10] dim 0 ran at 4.5× naive
// JavaScript against 8× at W = 8 or 12, and over [2000, 10, 2] dim 1 (W = 2: all scalar) at 1.9×.
// (float64 keeps its scalar column: see packGroup.) Two stagings give every column a vector lane,
// through the tile block (shortRows.ts, 64 KiB):
//  - a tail (W > 4): the last four columns — overlapping the group before them — are copied to
//    the block as a K × 4 slab, the kernel runs there, and only the last W mod 4 columns are
//    copied to dst. This runs before the kernel walks the other columns, so src = dst
//    (in place) stays safe: it reads its columns before anything is written.
//  - packed slabs (f32 W = 2, 3, and short columns with a tail; see packGroup): P whole slabs
//    side by side in the block as one K × P·W slab (P·W a multiple of the lanes; the lanes of
//    slabs past the last are zero), the kernel runs there, and the slabs are copied back. Every
//    slab of a group is read before any is written.
// The column kernels do the same operations on every lane, so a column's result does not depend
// on its lane, its neighbours or how slabs are grouped (the pool's and the facade's splits).
// SIMD builds only; slabs too long for the block keep the scalar columns.
import { at } from './common';
import { ColumnKernel, copyRows } from './colBlocks';
import { TILE_BLOCK_BYTES, tileBlock } from './shortRows';

/**
 * Runs the column kernel `cols` on the last `lanes` columns of a K × W slab of T staged in the
 * tile block, if W has a tail and the slab fits, and writes back the tail: the K × (W mod lanes)
 * result elements (`rows`, softmax / log_softmax) or its W mod lanes values at dst (logsumexp).
 * Returns the columns the caller still has to do: W − (W mod lanes), or W when nothing was staged.
 */
export function stagedTail<T>(src: usize, dst: usize, K: i32, W: i32, rows: bool, cols: ColumnKernel): i32 {
  if (!ASC_FEATURE_SIMD || sizeof<T>() != 4) return W;
  const L = <i32>(16 / sizeof<T>());
  const tail = W & (L - 1);
  // 16 bytes per row of the staged group, plus 16 for logsumexp's results.
  if (tail == 0 || W < L || <usize>K * 16 + 16 > TILE_BLOCK_BYTES) return W;
  const blk = tileBlock();
  const sz = sizeof<T>();
  const stride = <usize>W * sz;
  copyRows(src + <usize>(W - L) * sz, stride, blk, 16, K, 16);
  const skip = <usize>(L - tail) * sz; // the staged columns the caller does itself
  const first = <usize>(W - tail) * sz;
  if (rows) {
    cols(blk, blk, K, L);
    copyRows(blk + skip, 16, dst + first, stride, K, <usize>tail * sz);
  } else {
    const out = blk + <usize>K * 16;
    cols(blk, out, K, L);
    for (let j = 0; j < tail; j++) store<T>(dst + first + <usize>j * sz, load<T>(out + skip + <usize>j * sz));
  }
  return W - tail;
}

/**
 * Slabs per packed group for a slab of K × W of T, or 0 to leave the slabs to the column kernel
 * (with stagedTail for a tail). Packed: W narrower than a vector (f32 W = 2, 3), and slabs with a
 * tail whose columns are short (K < PACK_MAX_K), where staging the tail of each slab on its own
 * costs more than its scalar columns (float32 [2000, 10, 5] dim 1: 0.8×) and packing spreads the
 * kernel's per-slab setup (maxima, constants, loop entry) over several slabs. P is a multiple of
 * lanes / gcd(W, lanes), so that P·W fills whole vectors, aiming at 128-byte packed rows (32 f32
 * lanes); 0 when even the fewest slabs do not fit the tile block: `arrays` packed K × P·W slabs
 * (inputs and outputs) and `extra` bytes per lane (logsumexp's results, per-slice KLs).
 * float32 only: with two f64 lanes a scalar column costs little more than a lane, and the copies
 * measured 0.85–0.95× on float64.
 */
export function packGroup<T>(K: i32, W: i32, arrays: i32 = 1, extra: usize = sizeof<T>(), f64Short: bool = false): i32 {
  if (!ASC_FEATURE_SIMD || W < 2) return 0;
  if (sizeof<T>() != 4 && !(f64Short && K < F64_PACK_MAX_K)) return 0;
  const L = <i32>(16 / sizeof<T>());
  if ((W & (L - 1)) == 0 || (W > L && K >= PACK_MAX_K)) return 0;
  const p0 = (W & 1) != 0 ? L : L >> 1; // lanes / gcd(W, lanes) for 4 or 2 lanes
  const perLane = <usize>K * <usize>arrays * sizeof<T>() + extra;
  let p = p0 * max<i32>(1, (L * 8) / (p0 * W));
  while (p > p0 && <usize>(p * W) * perLane > TILE_BLOCK_BYTES) p -= p0;
  return <usize>(p * W) * perLane <= TILE_BLOCK_BYTES ? p : 0;
}

/**
 * Columns shorter than this are packed in float64 too where the caller allows it (`f64Short`:
 * klDivLogits, whose per-slab setup — maxima, sums, two divisions and two logs per pair of
 * columns — dominated float64 [20000, 1, 3] dim 1 at 0.70× naive JavaScript).
 */
// @ts-ignore: decorator
@inline const F64_PACK_MAX_K: i32 = 16;

/** Longest column packGroup packs when the slab is wider than a vector (longer ones stage their tail). */
// @ts-ignore: decorator
@inline const PACK_MAX_K: i32 = 64;

/**
 * Copies n ≤ P slabs (K × W of T, contiguous at src) side by side into `blk` as one K × P·W slab
 * (slab s in columns s·W … s·W + W − 1); the columns of slabs n … P − 1 are zero.
 */
export function packSlabs<T>(blk: usize, src: usize, n: i32, K: i32, W: i32, P: i32): void {
  const sz = sizeof<T>();
  const width = <usize>(P * W) * sz;
  const slab = <usize>(K * W) * sz;
  const row = <usize>W * sz;
  for (let s = 0; s < n; s++) copyRows(src + <usize>s * slab, row, blk + <usize>s * row, width, K, row);
  if (n < P) {
    const used = <usize>n * row;
    for (let k = 0; k < K; k++) memory.fill(blk + <usize>k * width + used, 0, width - used);
  }
}

/** The inverse of packSlabs: the first n slabs of the K × P·W slab at `blk` back to K × W slabs at dst. */
export function unpackSlabs<T>(blk: usize, dst: usize, n: i32, K: i32, W: i32, P: i32): void {
  const sz = sizeof<T>();
  const width = <usize>(P * W) * sz;
  const slab = <usize>(K * W) * sz;
  const row = <usize>W * sz;
  for (let s = 0; s < n; s++) copyRows(blk + <usize>s * row, width, dst + <usize>s * slab, row, K, row);
}

/**
 * The sum of each of n packed slabs' W per-slice KLs (f64 at `kls`, slab after slab), added slab
 * by slab: each slab's KLs in the order the column kernels sum one slab (a group of four f32 lanes
 * as their pairwise sum hsumF64(t0 + t1) = (l0 + l2) + (l1 + l3), of two f64 lanes as l0 + l1,
 * then the remaining columns one by one), so packed slabs keep the bits of one kernel call per
 * slab. Starts from `total`.
 */
export function packedSlabTotals(kls: usize, n: i32, W: i32, total: f64, lanes: i32 = 4): f64 {
  for (let s = 0; s < n; s++) {
    const k = kls + <usize>(s * W) * 8;
    let slabTotal: f64 = 0;
    let j = 0;
    if (lanes == 4) {
      for (; j + 4 <= W; j += 4) {
        const g = k + <usize>j * 8;
        slabTotal += (load<f64>(g) + load<f64>(g, 16)) + (load<f64>(g, 8) + load<f64>(g, 24));
      }
    } else {
      // f64x2 groups: hsumF64(t) = l0 + l1.
      for (; j + 2 <= W; j += 2) slabTotal += load<f64>(k + <usize>j * 8) + load<f64>(k + <usize>j * 8, 8);
    }
    for (; j < W; j++) slabTotal += load<f64>(k + <usize>j * 8);
    total += slabTotal;
  }
  return total;
}
