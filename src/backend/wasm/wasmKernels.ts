/**
 * The WASM backends' implementation of the kernel interface: marshalling between JS arrays and
 * the kernels' memory.
 *
 * - Inputs are staged through the fixed scratch window in blocks of whole slices (hash-wasm's
 *   chunked streaming): the window is reused, so a warm call allocates nothing in WASM memory.
 * - When one slice (size × inner) does not fit, tiles of columns are staged instead; when a
 *   single column does not fit either, the slice is streamed in chunks with the online
 *   (running-max) log-sum-exp and a second pass for the outputs. Peak WASM memory therefore stays
 *   at the configured cap whatever the input size.
 * - Arrays that already live in WASM memory (allocTensor) are passed by pointer with no copy.
 */
import { CompensatedSum, sumCompensated } from '../../compensated.js';
import { UNINIT_MIN_BYTES, allocOverwritten } from '../../alloc.js';
import { SEGMENT_STATS, combineSegments } from './klSegments.js';
import { uBound } from '../js/klSlice.js';
import { type Kernels, ROW_GROUP, SLICE_STATS, STAT } from '../kernels.js';
import type { BackendName, Dtype, FloatArray } from '../../types.js';
import { dtypeOf } from '../../types.js';
import type { KernelExports } from './exports.js';
import type { WasmMemory } from './memory.js';

const ALIGN = 16;
const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/**
 * dst[d .. d+n) = src[s .. s+n). Short runs are copied element by element: for them a
 * `subarray` + `set` costs more (an allocation and a native call) than the copy itself.
 */
function copyInto(dst: FloatArray, d: number, src: FloatArray, s: number, n: number): void {
  if (s === 0 && src.length === n) {
    dst.set(src, d); // a whole array: one builtin copy, no subarray view
  } else if (n <= 64) {
    for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
  } else {
    dst.set(src.subarray(s, s + n), d);
  }
}

type SliceKind = 'softmax' | 'logSoftmax';

/**
 * Rows per staged block, rounded down to a multiple of ROW_GROUP when there are more: blocks then
 * start on multiples of it, so the kernels group the same short rows whatever the window size and
 * results do not depend on it.
 */
function wholeGroups(rows: number): number {
  return rows > ROW_GROUP ? rows - (rows % ROW_GROUP) : rows;
}

/**
 * Element count under which calls take the small-call fast paths: operands staged behind each
 * other at the start of the window, one kernel call, no bookkeeping allocations (small calls are
 * dominated by JavaScript overhead, not by the kernels). 3 × SMALL elements of f64 must fit the
 * smallest window (1 KiB is the minimum windowKiB, so SMALL·24 ≤ 1024 − alignment).
 */
const SMALL = 32;

/**
 * Segment length (elements) for klDivLogits rows longer than the window: a float32 segment's
 * working set (x, y and both exponentials, 16 bytes per element) is 1 MiB. Longer segments are
 * more accurate (the segment-level error falls with the segment length) and were no slower in
 * measurements from 2^13 to 2^19 elements, all within this host's noise.
 */
const SEGMENT = 1 << 16;

/**
 * Staging block of klDivLogits over several slabs and of klDiv (rows, or column chunks of longer
 * rows): small enough to still be in L2 when the kernel reads it. (klDiv is a plain sum, so
 * chunking a row costs nothing; the softmax-type ops keep whole-window blocks, because a slice
 * that does not fit a block has to stream in two passes.)
 */
const STAGE_BYTES = 1 << 20;

/**
 * A tile width of `tw` columns cut to whole vectors (4 float32 or 2 float64 columns) when it
 * holds at least one: the column kernels take the columns past the last whole vector one at a
 * time with scalar code, so a tile of 6 float32 columns ran 2 of them scalar in every tile
 * (klDivLogits [100000, 16] float32 dim 0: 76 Melem/s against 172 at [50000, 16]).
 */
function wholeLanes(tw: number, bytes: number): number {
  const lanes = 16 / bytes;
  return tw >= lanes ? tw - (tw % lanes) : tw;
}

/**
 * The column tile width for a region that holds `fit` whole columns (0: none fits; callers stream).
 * With room for one column only, every tile is one column and goes to the row kernels (tileSpan
 * does not widen those tiles: the region holds one column).
 */
function tileWidth(fit: number, bytes: number): number {
  return fit >= 1 ? wholeLanes(fit, bytes) : 0;
}

/**
 * The columns [i0, i0 + n) of the column tile starting at column i (tiles of tw columns over
 * `inner`). A last tile of one column would reach the kernels as inner = 1, which they take for
 * rows (another summation order: results would depend on the window size in the last bit), so it
 * is widened to the column before it too; callers write that column again with the same bits and
 * count only column i in sums. Tiles of width 1 (a region that holds one column) are not widened:
 * they are all rows to the kernels, and the region has no room for a second column.
 */
function tileSpan(i: number, tw: number, inner: number): [number, number] {
  const n = Math.min(tw, inner - i);
  return n === 1 && i > 0 && tw > 1 ? [i - 1, 2] : [i, n];
}

/**
 * Columns streamed together (transposed chunks, see gatherT): all of them when a chunk of
 * STREAM_ROWS rows of every column fits `room` at `bytesPerElem` bytes per element — each chunk
 * is then one contiguous copy from the caller's array — else at most 16 (each row of a chunk is
 * then a short copy of its own, 1–4 ns per element in JavaScript).
 */
function streamColumns(inner: number, bytesPerElem: number, room: number): number {
  return Math.floor(room / (inner * bytesPerElem)) >= STREAM_ROWS ? inner : Math.min(inner, 16);
}

/** Rows per chunk below which streamColumns stops taking every column at once. */
const STREAM_ROWS = 4096;

/**
 * Columns narrower than a vector (float32 W = 2 or 3), at least NARROW_MIN_K long. The column
 * kernels run them with scalar code, so float32 logSumExp over [100000, 2] dim 0 ran at
 * 142 Melem/s against 843 over the same data as rows; such slabs are transposed through the window
 * instead (narrowSlabs). From one vector up (W = 5–7, float64 W = 3) the column kernels' scalar
 * tail costs less than the transposes (logSoftmax [20000, 100, 5] dim 1: 0.71× transposed).
 */
function isNarrow(inner: number, size: number, bytes: number): boolean {
  return inner > 1 && size >= NARROW_MIN_K && inner * bytes < 16;
}

/** Whether every element is finite (x − x is 0 exactly for finite x, NaN for ±inf and NaN). */
function allFinite(a: FloatArray): boolean {
  for (let i = 0; i < a.length; i++) if (a[i]! - a[i]! !== 0) return false;
  return true;
}

/** Shortest column klDivLogits takes through transposed tiles (klDivLogitsColumnRows) before its column tiles. */
const COLUMN_ROWS_MIN_K = 16384;

/** Shortest column that isNarrow transposes (shorter ones cost more in calls than they save). */
const NARROW_MIN_K = 64;

/** The kernels of one element type, looked up once: a template-string property lookup on every call cost ~0.1 µs. */
function kernelsFor(k: KernelExports, s: '_f32' | '_f64') {
  return {
    softmax: k[`softmax${s}`],
    logSoftmax: k[`logSoftmax${s}`],
    logSumExp: k[`logSumExp${s}`],
    lseUpdate: k[`lseUpdate${s}`],
    softmaxApply: k[`softmaxApply${s}`],
    klDivLogits: k[`klDivLogits${s}`],
    klTermsChunk: k[`klTermsChunk${s}`],
    klDivGrad: k[`klDivGrad${s}`],
    klDivSlices: k[`klDivSlices${s}`],
    sliceStats: k[`sliceStats${s}`],
    klDivLogitsGrad: k[`klDivLogitsGrad${s}`],
    klGradTermsChunk: k[`klGradTermsChunk${s}`],
    klGradApplyChunk: k[`klGradApplyChunk${s}`],
    transposeTile: k[`transposeTile${s}`],
  };
}

export class WasmKernels implements Kernels {
  private readonly kf: Record<Dtype, ReturnType<typeof kernelsFor>>;

  constructor(
    readonly name: BackendName,
    private readonly k: KernelExports,
    readonly mem: WasmMemory,
  ) {
    this.kf = { float32: kernelsFor(k, '_f32'), float64: kernelsFor(k, '_f64') };
  }

  /** Carves the window into consecutive 16-byte-aligned regions of the given byte sizes. */
  private carve(...bytes: number[]): number[] {
    const out: number[] = [];
    let p = this.mem.window;
    for (const b of bytes) {
      out.push(p);
      p += alignUp(b);
    }
    if (p > this.mem.window + this.mem.windowBytes) {
      throw new Error(`klwasm internal error: window overflow (${p - this.mem.window} > ${this.mem.windowBytes} bytes)`);
    }
    return out;
  }

  /** Usable window bytes for `regions` regions (each may lose up to 15 bytes to alignment). */
  private room(regions: number): number {
    return this.mem.windowBytes - regions * ALIGN;
  }

  // -------------------------------------------------------------------------------------------
  // Copies between JS arrays and the window.

  /** Copies the tile (k ∈ [k0, k0+kc), i ∈ [i0, i0+w)) of slab `o` of `src` to `ptr` (row-major kc × w). */
  private gather(src: FloatArray, o: number, size: number, inner: number, k0: number, kc: number, i0: number, w: number, ptr: number): void {
    const V = this.mem.view(dtypeOf(src));
    const at = ptr / V.BYTES_PER_ELEMENT;
    const base = (o * size + k0) * inner + i0;
    if (w === inner) {
      copyInto(V, at, src, base, kc * inner);
      return;
    }
    if (w === 1) {
      // One column (tiles of width 1): a strided loop, not a copy call per element.
      for (let k = 0, s = base; k < kc; k++, s += inner) V[at + k] = src[s]!;
      return;
    }
    for (let k = 0; k < kc; k++) copyInto(V, at + k * w, src, base + k * inner, w);
  }

  /** Inverse of `gather`: writes the kc × w tile at `ptr` back into slab `o` of `dst`. */
  private scatter(dst: FloatArray, o: number, size: number, inner: number, k0: number, kc: number, i0: number, w: number, ptr: number): void {
    const V = this.mem.view(dtypeOf(dst));
    const at = ptr / V.BYTES_PER_ELEMENT;
    const base = (o * size + k0) * inner + i0;
    if (w === inner) {
      copyInto(dst, base, V, at, kc * inner);
      return;
    }
    if (w === 1) {
      for (let k = 0, d = base; k < kc; k++, d += inner) dst[d] = V[at + k]!;
      return;
    }
    for (let k = 0; k < kc; k++) copyInto(dst, base + k * inner, V, at + k * w, w);
  }

  /**
   * As `gather`, transposed: column i0 + j of the tile goes to ptr + j·kc elements, its kc values
   * contiguous. Streamed columns then run through the row kernels (W = 1, vectorised) one at a
   * time, where the column-streaming kernels walk each column with scalar code. Staged row-major
   * at `tmp` (same size) and transposed there by a kernel (assembly/transpose.ts): a JavaScript
   * transposing loop took 1.3–4.5 ns per element. Rows (inner = 1) go straight to ptr.
   */
  private gatherT(src: FloatArray, o: number, size: number, inner: number, k0: number, kc: number, i0: number, w: number, ptr: number, tmp: number): void {
    if (inner === 1) {
      this.gather(src, o, size, 1, k0, kc, 0, 1, ptr);
      return;
    }
    this.gather(src, o, size, inner, k0, kc, i0, w, tmp);
    this.kf[dtypeOf(src)].transposeTile(tmp, ptr, 1, kc, w);
  }

  /** Inverse of `gatherT` (tmp: a region of the same size). */
  private scatterT(dst: FloatArray, o: number, size: number, inner: number, k0: number, kc: number, i0: number, w: number, ptr: number, tmp: number): void {
    if (inner === 1) {
      this.scatter(dst, o, size, 1, k0, kc, 0, 1, ptr);
      return;
    }
    this.kf[dtypeOf(dst)].transposeTile(ptr, tmp, 1, w, kc);
    this.scatter(dst, o, size, inner, k0, kc, i0, w, tmp);
  }

  /**
   * For the fused KL streams, after streamLseT: a slice whose maximum is not finite (+inf, NaN,
   * or all −inf) has a NaN softmax, as in PyTorch. The one-pass kernels get there through NaN
   * sums; the streamed state keeps the maximum and a finite sum, so the sum is made NaN here (the
   * term kernels assume it: a +inf maximum gave 1e305 'none' terms). Elements whose target p is
   * exactly 0 keep their 0 point term, as in the one-pass kernels. (Not in streamLseT itself:
   * logSumExp's stream needs the finite sum beside an infinite maximum.)
   */
  private nanSumsWhereMaxNotFinite(state: number, n: number): void {
    const S = this.mem.f64();
    for (let j = 0; j < n; j++) if (!Number.isFinite(S[state / 8 + 2 * j]!)) S[state / 8 + 2 * j + 1] = NaN;
  }

  /**
   * The online log-sum-exp states of column tile [i, i + n) of slab `o` (the streaming path for
   * slices longer than the window): from m = −inf, s = 0, the slab is folded in chunks of `kc`
   * rows staged transposed (gatherT) at `w`, each column through `update` as a row. Column j's
   * state is the pair (m, s) at state + 16·j, the layout the W = 1 kernels read.
   */
  private streamLseT(
    update: (src: number, K: number, W: number, scale: number, state: number) => void,
    x: FloatArray,
    o: number,
    size: number,
    inner: number,
    i: number,
    n: number,
    kc: number,
    w: number,
    tmp: number,
    scale: number,
    state: number,
  ): void {
    const F = this.mem.f64();
    for (let j = 0; j < n; j++) {
      F[state / 8 + 2 * j] = -Infinity;
      F[state / 8 + 2 * j + 1] = 0;
    }
    const b = x.BYTES_PER_ELEMENT;
    for (let k = 0; k < size; k += kc) {
      const m = Math.min(kc, size - k);
      this.gatherT(x, o, size, inner, k, m, i, n, w, tmp);
      for (let j = 0; j < n; j++) update(w + j * m * b, m, 1, scale, state + 16 * j);
    }
  }

  /**
   * softmax, logSoftmax or logSumExp over narrow columns (isNarrow): each slab (size × inner) is
   * transposed by a kernel into `inner` rows of `size`, the rows go through the row kernel, and
   * softmax's rows are transposed back.
   * Returns false, having done nothing, when one slab and its transpose do not fit the window; the
   * caller then takes its usual paths. Zero-copy operands take this path too (same bits).
   */
  private narrowSlabs(
    kind: SliceKind | 'logSumExp',
    x: FloatArray,
    out: FloatArray,
    outer: number,
    size: number,
    inner: number,
  ): boolean {
    const dtype = dtypeOf(x);
    const b = x.BYTES_PER_ELEMENT;
    const slab = size * inner;
    const per = Math.floor(this.room(2) / (2 * slab * b));
    if (per < 1) return false;
    const k = this.kf[dtype];
    const fn = k[kind];
    const [w, t] = this.carve(per * slab * b, per * slab * b);
    const xOwned = this.mem.owns(x);
    const outOwned = this.mem.owns(out);
    const lse = kind === 'logSumExp';
    for (let o = 0; o < outer; o += per) {
      const n = Math.min(per, outer - o);
      let src = x.byteOffset + o * slab * b;
      if (!xOwned) {
        this.gather(x, o, size, inner, 0, size * n, 0, inner, w!);
        src = w!;
      }
      k.transposeTile(src, t!, n, size, inner);
      // Rows longer than SHORT_ROW (NARROW_MIN_K > 16) go one by one through the row kernels, so
      // the n·inner rows of a block can share one call: the same bits as one call per slab.
      if (lse) {
        // Results straight to `out` when it is in module memory, else through w (free again).
        const d = outOwned ? out.byteOffset + o * inner * b : w!;
        fn(t!, d, n * inner, size, 1);
        if (!outOwned) copyInto(out, o * inner, this.mem.view(dtype), w! / b, n * inner);
        continue;
      }
      fn(t!, t!, n * inner, size, 1);
      const d = outOwned ? out.byteOffset + o * slab * b : w!;
      k.transposeTile(t!, d, n, inner, size);
      if (!outOwned) this.scatter(out, o, size, inner, 0, size * n, 0, inner, w!);
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // softmax / log_softmax

  softmax(x: FloatArray, out: FloatArray | null, outer: number, size: number, inner: number): FloatArray {
    return this.sliceOp('softmax', x, out, outer, size, inner);
  }

  logSoftmax(x: FloatArray, out: FloatArray | null, outer: number, size: number, inner: number): FloatArray {
    return this.sliceOp('logSoftmax', x, out, outer, size, inner);
  }

  private sliceOp(kind: SliceKind, x: FloatArray, outArg: FloatArray | null, outer: number, size: number, inner: number): FloatArray {
    const dtype = dtypeOf(x);
    const b = x.BYTES_PER_ELEMENT;
    const fn = this.kf[dtype][kind];
    const n = x.length;
    if (n <= SMALL && outArg === null && !this.mem.ownsRecent(x)) {
      // Small call: stage, compute in place at the start of the window, copy out.
      const V = this.mem.view(dtype);
      const e = this.mem.window / b;
      copyInto(V, e, x, 0, n);
      fn(this.mem.window, this.mem.window, outer, size, inner);
      return V.slice(e, e + n);
    }
    if (size === 1) {
      // A reduced dim of one element: softmax is 1 and log_softmax +0 where x is finite, NaN
      // elsewhere (x − max is NaN for ±inf), as the kernels compute them; a plain loop, since the
      // kernels' per-slice work made [1000000, 1] slower than naive JavaScript (68 vs 81 Melem/s).
      const res = outArg ?? allocOverwritten(dtype, n);
      if (kind === 'softmax') for (let i = 0; i < n; i++) res[i] = x[i]! - x[i]! === 0 ? 1 : NaN;
      else for (let i = 0; i < n; i++) res[i] = x[i]! - x[i]!;
      return res;
    }
    if (isNarrow(inner, size, b) && 2 * size * inner * b <= this.room(2)) {
      const res = outArg ?? allocOverwritten(dtype, n);
      this.narrowSlabs(kind, x, res, outer, size, inner);
      return res;
    }
    if (outArg !== null && this.mem.owns(x) && this.mem.owns(outArg)) {
      fn(x.byteOffset, outArg.byteOffset, outer, size, inner);
      return outArg;
    }
    const slab = size * inner;
    const cap = Math.floor(this.room(1) / b);
    if (outArg === null && slab * outer <= cap) {
      // One block: stage, compute in place, and copy the result out with slice() (one pass,
      // no zero-filled allocation).
      const [w] = this.carve(outer * slab * b);
      if (this.mem.owns(x)) fn(x.byteOffset, w!, outer, size, inner);
      else {
        this.gather(x, 0, size, inner, 0, size * outer, 0, inner, w!);
        fn(w!, w!, outer, size, inner);
      }
      const n = outer * slab;
      if (n * b < UNINIT_MIN_BYTES) return this.mem.view(dtype).slice(w! / b, w! / b + n);
      const res = allocOverwritten(dtype, n);
      res.set(this.mem.view(dtype).subarray(w! / b, w! / b + n));
      return res;
    }
    const out = outArg ?? allocOverwritten(dtype, x.length);
    if (this.mem.owns(x) && this.mem.owns(out)) {
      fn(x.byteOffset, out.byteOffset, outer, size, inner);
      return out;
    }
    if (slab <= cap) {
      const per = wholeGroups(Math.floor(cap / slab));
      const [w] = this.carve(per * slab * b);
      for (let o = 0; o < outer; o += per) {
        const n = Math.min(per, outer - o);
        this.gather(x, o, size, inner, 0, size * n, 0, inner, w!);
        fn(w!, w!, n, size, inner);
        this.scatter(out, o, size, inner, 0, size * n, 0, inner, w!);
      }
      return out;
    }
    const tw = tileWidth(Math.floor(cap / size), b);
    if (tw > 0) {
      // One slab is too big but whole columns fit: tiles of `tw` columns (inner > 1 here).
      const [w] = this.carve(tw * size * b);
      // A widened last tile re-reads column inner − 2, which the tile before it writes when
      // `out` is `x` (in place). So it goes first and writes back only its own column: every
      // tile then reads the input.
      const starts: number[] = [];
      for (let i = 0; i < inner; i += tw) starts.push(i);
      const last = starts[starts.length - 1]!;
      if (tileSpan(last, tw, inner)[0] !== last) starts.unshift(starts.pop()!);
      const V = this.mem.view(dtype);
      for (let o = 0; o < outer; o++) {
        for (const i of starts) {
          const [i0, n] = tileSpan(i, tw, inner);
          this.gather(x, o, size, inner, 0, size, i0, n, w!);
          fn(w!, w!, 1, size, n);
          if (i0 === i) this.scatter(out, o, size, inner, 0, size, i0, n, w!);
          else for (let k = 0, d = o * size * inner + i, e = w! / b + 1; k < size; k++, d += inner, e += 2) out[d] = V[e]!;
        }
      }
      return out;
    }
    // A single column is longer than the window: stream it with the online log-sum-exp.
    const update = this.kf[dtype].lseUpdate;
    const apply = this.kf[dtype].softmaxApply;
    const cols = streamColumns(inner, 2 * b + 16, this.room(3));
    const stateBytes = 16 * cols;
    // State, the chunk and its row-major staging (gatherT).
    const kc = Math.max(1, Math.floor((this.room(3) - stateBytes) / (2 * cols * b)));
    const [state, w, tmp] = this.carve(stateBytes, kc * cols * b, kc * cols * b);
    const mode = kind === 'softmax' ? 0 : 1;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i += cols) {
        const n = Math.min(cols, inner - i);
        this.streamLseT(update, x, o, size, inner, i, n, kc, w!, tmp!, 1, state!);
        for (let k = 0; k < size; k += kc) {
          const m = Math.min(kc, size - k);
          this.gatherT(x, o, size, inner, k, m, i, n, w!, tmp!);
          for (let j = 0; j < n; j++) apply(w! + j * m * b, w! + j * m * b, m, 1, state! + 16 * j, mode);
          this.scatterT(out, o, size, inner, k, m, i, n, w!, tmp!);
        }
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // logsumexp

  logSumExp(x: FloatArray, out: FloatArray, outer: number, size: number, inner: number): void {
    const dtype = dtypeOf(x);
    const b = x.BYTES_PER_ELEMENT;
    const fn = this.kf[dtype].logSumExp;
    const n = x.length;
    if (size === 1 && n > SMALL) {
      // One element per slice: logsumexp is x + log(1) = x + 0 (−0 → +0; ±inf, NaN kept), as the
      // kernels compute it, in a plain loop (see sliceOp).
      for (let i = 0; i < n; i++) out[i] = x[i]! + 0;
      return;
    }
    if (n <= SMALL && !this.mem.ownsRecent(x)) {
      // Small call: input and result behind each other at the start of the window.
      const V = this.mem.view(dtype);
      const e = this.mem.window / b;
      const d = alignUp(n * b);
      copyInto(V, e, x, 0, n);
      fn(this.mem.window, this.mem.window + d, outer, size, inner);
      copyInto(out, 0, V, e + d / b, outer * inner);
      return;
    }
    if (isNarrow(inner, size, b) && this.narrowSlabs('logSumExp', x, out, outer, size, inner)) return;
    const xOwned = this.mem.owns(x);
    if (xOwned && this.mem.owns(out)) {
      fn(x.byteOffset, out.byteOffset, outer, size, inner);
      return;
    }
    if (xOwned && outer * inner * b <= this.room(1)) {
      // Zero-copy input, result in a JS array: run in place, the result through the window.
      const [d] = this.carve(outer * inner * b);
      fn(x.byteOffset, d!, outer, size, inner);
      copyInto(out, 0, this.mem.view(dtype), d! / b, outer * inner);
      return;
    }
    const slab = size * inner;
    const cap = Math.floor(this.room(2) / b);
    const V = () => this.mem.view(dtype);
    if (slab + inner <= cap) {
      const per = wholeGroups(Math.floor(cap / (slab + inner)));
      const [w, d] = this.carve(per * slab * b, per * inner * b);
      for (let o = 0; o < outer; o += per) {
        const n = Math.min(per, outer - o);
        this.gather(x, o, size, inner, 0, size * n, 0, inner, w!);
        fn(w!, d!, n, size, inner);
        copyInto(out, o * inner, V(), d! / b, n * inner);
      }
      return;
    }
    const tw = tileWidth(Math.floor(cap / (size + 1)), b);
    if (tw > 0) {
      const [w, d] = this.carve(tw * size * b, tw * b);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i += tw) {
          const [i0, n] = tileSpan(i, tw, inner);
          this.gather(x, o, size, inner, 0, size, i0, n, w!);
          fn(w!, d!, 1, size, n);
          copyInto(out, o * inner + i0, V(), d! / b, n);
        }
      }
      return;
    }
    const update = this.kf[dtype].lseUpdate;
    const cols = streamColumns(inner, 2 * b + 16, this.room(3));
    const stateBytes = 16 * cols;
    const kc = Math.max(1, Math.floor((this.room(3) - stateBytes) / (2 * cols * b)));
    const [state, w, tmp] = this.carve(stateBytes, kc * cols * b, kc * cols * b);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i += cols) {
        const n = Math.min(cols, inner - i);
        this.streamLseT(update, x, o, size, inner, i, n, kc, w!, tmp!, 1, state!);
        const F = this.mem.f64();
        for (let j = 0; j < n; j++) {
          const mj = F[state! / 8 + 2 * j]!;
          const sj = F[state! / 8 + 2 * j + 1]!;
          // As lseFinish (assembly/lse.ts): an infinite max decides, unless a NaN was seen (s = NaN).
          out[o * inner + i + j] = mj === Infinity || mj === -Infinity ? (Number.isNaN(sj) ? NaN : mj) : Math.log(sj) + mj;
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // kl_div over a strided block

  klDivBlock(
    input: FloatArray,
    inOff: number,
    inRow: number,
    inCol: number,
    target: FloatArray,
    tOff: number,
    tRow: number,
    tCol: number,
    rows: number,
    cols: number,
    logTarget: boolean,
    out: FloatArray | null,
    outOff: number,
  ): number {
    const lt = logTarget ? 1 : 0;
    const n = rows * cols;
    if (n <= SMALL && inCol === 1 && tCol === 1 && (rows === 1 || (inRow === cols && tRow === cols)) && !this.mem.owns(input)) {
      return this.klDivSmall(input, inOff, target, tOff, rows, cols, lt, out, outOff);
    }
    const f64 = input instanceof Float64Array;
    const fn = f64 ? this.k.klDiv_f64 : this.k.klDiv_f32;
    const dtype = dtypeOf(input);
    const b = input.BYTES_PER_ELEMENT;
    if (this.mem.owns(input) && this.mem.owns(target) && (out === null || this.mem.owns(out))) {
      return fn(
        input.byteOffset + inOff * b, inRow, inCol,
        target.byteOffset + tOff * b, tRow, tCol,
        rows, cols, lt, out === null ? 0 : out.byteOffset + outOff * b,
      );
    }
    const sum = new CompensatedSum();
    const V = () => this.mem.view(dtype);
    // Elements one row of each operand needs in the window, and whether rows repeat (stride 0).
    const xRowElems = inCol === 0 ? 1 : cols;
    const tRowElems = tCol === 0 ? 1 : cols;
    const perRow = (inRow === 0 ? 0 : xRowElems) + (tRow === 0 ? 0 : tRowElems) + (out ? cols : 0);
    const fixed = (inRow === 0 ? xRowElems : 0) + (tRow === 0 ? tRowElems : 0);
    const cap = Math.floor(Math.min(this.room(3), STAGE_BYTES) / b);
    if (fixed + perRow <= cap) {
      const per = perRow === 0 ? rows : Math.max(1, Math.floor((cap - fixed) / perRow));
      const nMax = Math.min(per, rows);
      const [xw, tw, dw] = this.carve(
        (inRow === 0 ? 1 : nMax) * xRowElems * b,
        (tRow === 0 ? 1 : nMax) * tRowElems * b,
        out ? nMax * cols * b : 0,
      );
      // Rows that repeat are staged once.
      if (inRow === 0) this.stageRows(input, inOff, 0, 1, xRowElems, xw!);
      if (tRow === 0) this.stageRows(target, tOff, 0, 1, tRowElems, tw!);
      for (let r = 0; r < rows; r += nMax) {
        const n = Math.min(nMax, rows - r);
        if (inRow !== 0) this.stageRows(input, inOff + r * inRow, inRow, n, xRowElems, xw!);
        if (tRow !== 0) this.stageRows(target, tOff + r * tRow, tRow, n, tRowElems, tw!);
        sum.add(fn(xw!, inRow === 0 ? 0 : xRowElems, inCol, tw!, tRow === 0 ? 0 : tRowElems, tCol, n, cols, lt, out ? dw! : 0));
        if (out) copyInto(out, outOff + r * cols, V(), dw! / b, n * cols);
      }
      return sum.value;
    }
    // A single row does not fit: split it into column chunks.
    const cc = Math.max(1, Math.floor(cap / 3));
    const [xw, tw, dw] = this.carve(cc * b, cc * b, out ? cc * b : 0);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c += cc) {
        const n = Math.min(cc, cols - c);
        this.stageRows(input, inOff + r * inRow + c * inCol, 0, 1, inCol === 0 ? 1 : n, xw!);
        this.stageRows(target, tOff + r * tRow + c * tCol, 0, 1, tCol === 0 ? 1 : n, tw!);
        sum.add(fn(xw!, 0, inCol, tw!, 0, tCol, 1, n, lt, out ? dw! : 0));
        if (out) copyInto(out, outOff + r * cols + c, V(), dw! / b, n);
      }
    }
    return sum.value;
  }

  /**
   * `Kernels.klDivWhole`, the small-call lane of klDiv: up to SMALL elements per operand, both
   * staged behind each other at the start of the window by a loop typed for one dtype (the shared
   * copyInto's `set()` measured ~8 ns slower on 20 elements, and one loop for both dtypes 2–4 %
   * slower per call in a process that uses both, as the bench does), then the general path's kernel call
   * for one row of n (so the same bits). Its own small method, so V8 optimises it apart from
   * klDivBlock: the lane measured ~30 ns faster than the same staging behind klDivBlock's checks.
   * Operands in WASM memory (zero-copy) are staged like the others (the same values, so the same
   * bits as the kernel reading them in place): `owns()` reads `byteOffset`, which measured ~7 ns
   * per operand here. Longer operands take klDivBlock.
   */
  klDivWhole(input: FloatArray, target: FloatArray, logTarget: boolean): number {
    const n = input.length;
    if (n > SMALL) return this.klDivBlock(input, 0, 0, 1, target, 0, 0, 1, 1, n, logTarget, null, 0);
    const w = this.mem.window;
    const lt = logTarget ? 1 : 0;
    if (input instanceof Float64Array) {
      const V = this.mem.f64();
      const e = w >>> 3;
      for (let i = 0; i < n; i++) {
        V[e + i] = input[i]!;
        V[e + n + i] = target[i]!;
      }
      return this.k.klDiv_f64(w, n, 1, w + 8 * n, n, 1, 1, n, lt, 0);
    }
    const V = this.mem.f32();
    const e = w >>> 2;
    for (let i = 0; i < n; i++) {
      V[e + i] = input[i]!;
      V[e + n + i] = target[i]!;
    }
    return this.k.klDiv_f32(w, n, 1, w + 4 * n, n, 1, 1, n, lt, 0);
  }

  /**
   * Small contiguous kl_div call (the common [B, C] case): both operands staged behind each other
   * at the start of the window, one kernel call, no allocation. Its own small method: inlined in
   * klDivBlock it measured ~50 ns slower on a 20-element call.
   */
  private klDivSmall(input: FloatArray, inOff: number, target: FloatArray, tOff: number, rows: number, cols: number, lt: number, out: FloatArray | null, outOff: number): number {
    const n = rows * cols;
    const w = this.mem.window;
    const f64 = input instanceof Float64Array;
    const b = input.BYTES_PER_ELEMENT;
    const V = f64 ? this.mem.f64() : this.mem.f32();
    const e = w / b;
    copyInto(V, e, input, inOff, n);
    copyInto(V, e + n, target, tOff, n);
    const fn = f64 ? this.k.klDiv_f64 : this.k.klDiv_f32;
    // Contiguous: one run of n elements (whole vectors across row ends; [4, 5] float64 took four
    // scalar logs as row tails).
    const v = fn(w, n, 1, w + n * b, n, 1, 1, n, lt, out ? w + 2 * n * b : 0);
    if (out) copyInto(out, outOff, V, e + 2 * n, n);
    return v;
  }

  /** Copies `n` rows of `len` elements (row starts `stride` apart from `off`) contiguously to `ptr`. */
  private stageRows(src: FloatArray, off: number, stride: number, n: number, len: number, ptr: number): void {
    const V = this.mem.view(dtypeOf(src));
    const at = ptr / V.BYTES_PER_ELEMENT;
    if (n === 1 || stride === len) {
      copyInto(V, at, src, off, (n - 1) * stride + len);
      return;
    }
    if (len === 1) {
      for (let r = 0; r < n; r++) V[at + r] = src[off + r * stride]!;
      return;
    }
    for (let r = 0; r < n; r++) copyInto(V, at + r * len, src, off + r * stride, len);
  }

  // -------------------------------------------------------------------------------------------
  // fused KL from logits

  /**
   * Small-call path of klDivLogits: x, y, the point terms, the per-slice sums and the scratch
   * behind each other in the window, one kernel call, no bookkeeping allocations (kept in its own
   * small method so V8 optimises it on its own). Operands that are all in WASM memory (zero-copy)
   * are passed as they are. Returns null when it does not fit the window.
   */
  private klDivLogitsSmall(
    x: FloatArray,
    y: FloatArray,
    outer: number,
    size: number,
    inner: number,
    invT: number,
    pointScale: number,
    perSlice: Float64Array | null,
    pointwise: FloatArray | null,
  ): number | null {
    const f64 = x instanceof Float64Array;
    const b = f64 ? 8 : 4;
    const n = x.length;
    const nb = alignUp(n * b);
    const slices = outer * inner;
    const scratchLen = (inner === 1 ? 2 : f64 ? 4 : 8) * size * b;
    const w = this.mem.window;
    const fn = f64 ? this.k.klDivLogits_f64 : this.k.klDivLogits_f32;
    if (this.mem.ownsRecent(x) && this.mem.ownsRecent(y) && (pointwise === null || this.mem.owns(pointwise))) {
      // Zero-copy operands (recognised by identity, see ownsRecent): only the per-slice sums and
      // the scratch go to the window.
      const ps = w;
      if (alignUp(slices * 8) + scratchLen > this.mem.windowBytes) return null;
      const v = fn(x.byteOffset, y.byteOffset, outer, size, inner, invT, pointScale, pointwise ? pointwise.byteOffset : 0, ps, ps + alignUp(slices * 8));
      if (perSlice) copyInto(perSlice, 0, this.mem.f64(), ps / 8, slices);
      return v;
    }
    if (3 * nb + alignUp(slices * 8) + scratchLen > this.mem.windowBytes) return null;
    const V = f64 ? this.mem.f64() : this.mem.f32();
    copyInto(V, w / b, x, 0, n);
    copyInto(V, (w + nb) / b, y, 0, n);
    const dw = w + 2 * nb;
    const ps = w + 3 * nb;
    const v = fn(w, w + nb, outer, size, inner, invT, pointScale, pointwise ? dw : 0, ps, ps + alignUp(slices * 8));
    if (pointwise) copyInto(pointwise, 0, V, dw / b, n);
    if (perSlice) copyInto(perSlice, 0, this.mem.f64(), ps / 8, slices);
    return v;
  }

  klDivLogits(
    x: FloatArray,
    y: FloatArray,
    outer: number,
    size: number,
    inner: number,
    temperature: number,
    pointScale: number,
    perSlice: Float64Array | null,
    pointwise: FloatArray | null,
  ): number {
    const invT = 1 / temperature;
    // Small calls first (typed arrays or zero-copy tensors): nothing else below is needed for them.
    if (x.length <= SMALL * 4) {
      const v = this.klDivLogitsSmall(x, y, outer, size, inner, invT, pointScale, perSlice, pointwise);
      if (v !== null) return v;
    }
    if (size === 1 && allFinite(x) && allFinite(y)) {
      // A reduced dim of one element with finite logits: p = q = 1 and u = +0 in every slice, so
      // the kernels give +0 for every KL and point term, and the total is +0; any ±inf or NaN
      // takes the kernels below for its own rules. A plain pass, as sliceOp's size 1: the kernels'
      // per-slice work made float64 [20000, 1, 3] dim 1 slower than naive JavaScript (0.70×).
      if (perSlice) perSlice.fill(0);
      if (pointwise) pointwise.fill(0);
      return 0;
    }
    const dtype = dtypeOf(x);
    const b = x.BYTES_PER_ELEMENT;
    const fn = this.kf[dtype].klDivLogits;
    const total = new CompensatedSum();
    const F64 = () => this.mem.f64();
    const pw = pointwise ? 1 : 0;
    // The kernel's scratch: both slices' exponentials; f32 column groups keep 4 lanes of each.
    const scratchBytes = (inner === 1 ? 2 : dtype === 'float64' ? 4 : 8) * size * b;
    const slab = size * inner;
    const zeroCopy = this.mem.owns(x) && this.mem.owns(y) && (pointwise === null || this.mem.owns(pointwise));
    if (isNarrow(inner, size, b)) {
      const v = this.klDivLogitsColumnRows(x, y, outer, size, inner, invT, pointScale, perSlice, pointwise);
      if (v !== null) return v;
    }

    // Whole slabs per block: x, y, optional pointwise output, per-slice sums, scratch.
    const perSlab = slab * b * (2 + pw) + inner * 8;
    const avail = this.room(5) - scratchBytes;
    if (zeroCopy && avail >= inner * 8) {
      const per = wholeGroups(Math.max(1, Math.floor(avail / (inner * 8))));
      const [scratch, ps] = this.carve(scratchBytes, Math.min(per, outer) * inner * 8);
      for (let o = 0; o < outer; o += per) {
        const n = Math.min(per, outer - o);
        const off = o * slab * b;
        total.add(fn(x.byteOffset + off, y.byteOffset + off, n, size, inner, invT, pointScale, pointwise ? pointwise.byteOffset + off : 0, ps!, scratch!));
        if (perSlice) copyInto(perSlice, o * inner, F64(), ps! / 8, n * inner);
      }
      return total.value;
    }
    if (perSlab <= avail) {
      const per = wholeGroups(Math.max(1, Math.min(Math.floor(avail / perSlab), Math.floor(STAGE_BYTES / perSlab))));
      const nMax = Math.min(per, outer);
      const [scratch, xw, yw, dw, ps] = this.carve(scratchBytes, nMax * slab * b, nMax * slab * b, pw * nMax * slab * b, nMax * inner * 8);
      for (let o = 0; o < outer; o += nMax) {
        const n = Math.min(nMax, outer - o);
        this.gather(x, o, size, inner, 0, size * n, 0, inner, xw!);
        this.gather(y, o, size, inner, 0, size * n, 0, inner, yw!);
        total.add(fn(xw!, yw!, n, size, inner, invT, pointScale, pointwise ? dw! : 0, ps!, scratch!));
        if (pointwise) this.scatter(pointwise, o, size, inner, 0, size * n, 0, inner, dw!);
        if (perSlice) copyInto(perSlice, o * inner, F64(), ps! / 8, n * inner);
      }
      return total.value;
    }
    // (Segments before tiles were 2.4× faster on long columns — float32 [20000, 64] dim 0: 173
    // Melem/s against 72 — but the chain rule's segment level has an absolute accuracy floor
    // (klSegments.ts): KLs near 1e-10 lost 1e-4 relative. Tiles keep the in-window kernel's
    // relative accuracy, so segments stay the path for columns that cannot tile, as for rows.)
    if (size >= COLUMN_ROWS_MIN_K) {
      // Long columns: transposed tiles through the row kernel beat tiles, whose column kernel
      // keeps 8·K exponentials (float32) in a scratch that outgrows L2 (one process per build,
      // default window: float32 [20000, 64] dim 0 76 → 90–101 Melem/s, float64 [50000, 64]
      // 21–23 → 36–38; [5000, 600] measured 0.9×, hence the threshold).
      const v = this.klDivLogitsColumnRows(x, y, outer, size, inner, invT, pointScale, perSlice, pointwise);
      if (v !== null) return v;
    }
    const perCol = size * b * (2 + pw) + 8;
    const tw = tileWidth(Math.floor(avail / perCol), b);
    if (tw > 0) {
      // Tiles of whole columns (inner > 1 here).
      const [scratch, xw, yw, dw, ps] = this.carve(scratchBytes, tw * size * b, tw * size * b, pw * tw * size * b, tw * 8);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i += tw) {
          const [i0, n] = tileSpan(i, tw, inner);
          this.gather(x, o, size, inner, 0, size, i0, n, xw!);
          this.gather(y, o, size, inner, 0, size, i0, n, yw!);
          const t = fn(xw!, yw!, 1, size, n, invT, pointScale, pointwise ? dw! : 0, ps!, scratch!);
          // A widened last tile recomputed column i − 1: count only column i's KL.
          total.add(i0 === i ? t : F64()[ps! / 8 + 1]!);
          if (pointwise) this.scatter(pointwise, o, size, inner, 0, size, i0, n, dw!);
          if (perSlice) copyInto(perSlice, o * inner + i0, F64(), ps! / 8, n);
        }
      }
      return total.value;
    }
    if (inner > 1) {
      // Columns whose column-kernel scratch (8·K float32 or 4·K float64) does not fit but whose
      // row-kernel scratch (2·K) does: transposed tiles through the row kernel, as rows of this
      // length go (relative accuracy, where segments have an absolute floor).
      const v = this.klDivLogitsColumnRows(x, y, outer, size, inner, invT, pointScale, perSlice, pointwise);
      if (v !== null) return v;
    }
    if (pointwise === null) {
      const v = this.klDivLogitsSegmented(x, y, outer, size, inner, invT, perSlice);
      if (v !== null) return v;
    }
    // Columns longer than the window: online log-sum-exp of x/T and y/T (pass A), then the terms
    // with the exponentials recomputed (pass B).
    // Pointwise terms need exact sums (f64 exponentials; see assembly/klRows.ts).
    const update = pointwise && dtype === 'float32' ? this.k.lseUpdatePrecise_f32 : this.kf[dtype].lseUpdate;
    const terms = this.kf[dtype].klTermsChunk;
    // States, sums, the chunks of x, y and the point terms, and their row-major staging (gatherT).
    const cols = Math.max(1, Math.min(streamColumns(inner, b * (3 + pw) + 40, this.room(7)), Math.floor(this.room(7) / (2 * 16 + 8 + b * (3 + pw)))));
    const fixedBytes = 2 * 16 * cols + 8 * cols;
    const kc = Math.max(1, Math.floor((this.room(7) - fixedBytes) / (cols * b * (3 + pw))));
    const e = kc * cols * b;
    const [sx, sy, acc, xw, yw, dw, tmp] = this.carve(16 * cols, 16 * cols, 8 * cols, e, e, pw * e, e);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i += cols) {
        const n = Math.min(cols, inner - i);
        F64().fill(0, acc! / 8, acc! / 8 + n);
        this.streamLseT(update, x, o, size, inner, i, n, kc, xw!, tmp!, invT, sx!);
        this.streamLseT(update, y, o, size, inner, i, n, kc, yw!, tmp!, invT, sy!);
        this.nanSumsWhereMaxNotFinite(sx!, n);
        this.nanSumsWhereMaxNotFinite(sy!, n);
        for (let k = 0; k < size; k += kc) {
          const m = Math.min(kc, size - k);
          this.gatherT(x, o, size, inner, k, m, i, n, xw!, tmp!);
          this.gatherT(y, o, size, inner, k, m, i, n, yw!, tmp!);
          for (let j = 0; j < n; j++) {
            const e = j * m * b;
            terms(xw! + e, yw! + e, m, 1, invT, sx! + 16 * j, sy! + 16 * j, pointScale, pointwise ? dw! + e : 0, acc! + 8 * j);
          }
          if (pointwise) this.scatterT(pointwise, o, size, inner, k, m, i, n, dw!, tmp!);
        }
        const A = F64();
        for (let j = 0; j < n; j++) {
          const kl = A[acc! / 8 + j]!;
          if (perSlice) perSlice[o * inner + i + j] = kl;
          total.add(kl);
        }
      }
    }
    return total.value;
  }

  /**
   * klDivLogitsGrad over narrow columns (isNarrow), as klDivLogitsColumnRows does whole slabs: x,
   * y and the upstream gradient transposed slab by slab into rows through one staging region, the
   * row kernel over all rows of a block, and the point terms and gradients transposed back
   * through the same region. Per-slice scales and KLs are in (outer, inner) order, the rows'
   * order. Null, having done nothing, when a slab does not fit.
   */
  private klDivLogitsGradNarrow(
    x: FloatArray,
    y: FloatArray,
    outer: number,
    size: number,
    inner: number,
    invT: number,
    pointScale: number,
    gradScale: number,
    gradOut: FloatArray | null,
    ss: Float64Array | null,
    perSlice: Float64Array | null,
    pointwise: FloatArray | null,
    gradInput: FloatArray,
    gradTarget: FloatArray | null,
  ): number | null {
    const dtype = dtypeOf(x);
    const b = x.BYTES_PER_ELEMENT;
    const k = this.kf[dtype];
    const slab = size * inner;
    const ins = [x, y, gradOut];
    const outs = [pointwise, gradInput, gradTarget];
    const nElem = [...ins, ...outs].filter((a) => a !== null).length;
    const scratchBytes = 2 * size * b;
    const perSliceBytes = 8 * (ss ? 2 : 1);
    // The staging region, one transposed region per array, per-slice KLs and scales.
    const per = Math.floor((this.room(12) - scratchBytes) / ((nElem + 1) * slab * b + inner * perSliceBytes));
    if (per < 1) return null;
    const n0 = Math.min(per, outer);
    const e = n0 * slab * b;
    const [scratch, stage, ps, sw, ...t] = this.carve(
      scratchBytes, e, n0 * inner * 8, ss ? n0 * inner * 8 : 0, ...[...ins, ...outs].map((a) => (a === null ? 0 : e)),
    );
    const total = new CompensatedSum();
    for (let o = 0; o < outer; o += n0) {
      const n = Math.min(n0, outer - o);
      const off = o * slab * b;
      ins.forEach((a, j) => {
        if (a === null) return;
        const owned = this.mem.owns(a);
        if (!owned) this.gather(a, o, size, inner, 0, size * n, 0, inner, stage!);
        k.transposeTile(owned ? a.byteOffset + off : stage!, t[j]!, n, size, inner);
      });
      if (ss) this.mem.f64().set(ss.subarray(o * inner, (o + n) * inner), sw! / 8);
      total.add(k.klDivLogitsGrad(
        t[0]!, t[1]!, n * inner, size, 1, invT, pointScale, gradScale, gradOut ? t[2]! : 0, ss ? sw! : 0,
        pointwise ? t[3]! : 0, ps!, t[4]!, gradTarget ? t[5]! : 0, scratch!,
      ));
      if (perSlice) perSlice.set(this.mem.f64().subarray(ps! / 8, ps! / 8 + n * inner), o * inner);
      outs.forEach((a, j) => {
        if (a === null) return;
        const owned = this.mem.owns(a);
        k.transposeTile(t[3 + j]!, owned ? a.byteOffset + off : stage!, n, inner, size);
        if (!owned) this.scatter(a, o, size, inner, 0, size * n, 0, inner, stage!);
      });
    }
    return total.value;
  }

  /**
   * klDivLogits with columns run as rows: x and y staged row-major, transposed into rows by a
   * kernel and run through the row kernel (2·K scratch, where the column kernel's is 8·K float32),
   * 'none' terms transposed back. Whole slabs, several per call, when one fits (narrow columns,
   * isNarrow); else tiles of as many whole columns as fit (long columns). Rows longer than
   * KL_SHORT_ROW are independent of each other, so the batching does not change any bits.
   * Zero-copy operands are transposed in place of the staging copy. Null, having done nothing,
   * when not even one column fits.
   */
  private klDivLogitsColumnRows(
    x: FloatArray,
    y: FloatArray,
    outer: number,
    size: number,
    inner: number,
    invT: number,
    pointScale: number,
    perSlice: Float64Array | null,
    pointwise: FloatArray | null,
  ): number | null {
    const dtype = dtypeOf(x);
    const b = x.BYTES_PER_ELEMENT;
    const k = this.kf[dtype];
    const pw = pointwise ? 1 : 0;
    const scratchBytes = 2 * size * b;
    // Per column: x and y rows, the point terms, the row-major staging, its KL.
    const perCol = (3 + pw) * size * b + 8;
    const room = this.room(7) - scratchBytes;
    const w = Math.min(inner, Math.floor(room / perCol));
    if (w < 1) return null;
    const slabs = w === inner ? Math.min(outer, Math.floor(room / (inner * perCol))) : 1;
    const e = slabs * w * size * b;
    const [scratch, xr, yr, dr, tmp, ps] = this.carve(scratchBytes, e, e, pw * e, e, slabs * w * 8);
    const total = new CompensatedSum();
    const stageT = (a: FloatArray, o: number, n: number, i: number, cols: number, dst: number): void => {
      if (cols === inner && this.mem.owns(a)) {
        k.transposeTile(a.byteOffset + o * size * inner * b, dst, n, size, inner);
        return;
      }
      this.gather(a, o, size, inner, 0, size * n, i, cols, tmp!);
      k.transposeTile(tmp!, dst, n, size, cols);
    };
    for (let o = 0; o < outer; o += slabs) {
      const n = Math.min(slabs, outer - o);
      for (let i = 0; i < inner; i += w) {
        const cols = Math.min(w, inner - i);
        stageT(x, o, n, i, cols, xr!);
        stageT(y, o, n, i, cols, yr!);
        total.add(k.klDivLogits(xr!, yr!, n * cols, size, 1, invT, pointScale, pointwise ? dr! : 0, ps!, scratch!));
        if (pointwise) {
          const owned = cols === inner && this.mem.owns(pointwise);
          k.transposeTile(dr!, owned ? pointwise.byteOffset + o * size * inner * b : tmp!, n, cols, size);
          if (!owned) this.scatter(pointwise, o, size, inner, 0, size * n, i, cols, tmp!);
        }
        if (perSlice) {
          // Rows come out slab by slab: (o, i … i + cols − 1) for each slab.
          const F = this.mem.f64();
          for (let j = 0; j < n; j++) copyInto(perSlice, (o + j) * inner + i, F, ps! / 8 + j * cols, cols);
        }
      }
    }
    return total.value;
  }

  /**
   * Columns klDivLogitsSegmented stages together: all when segments of STREAM_ROWS rows fit
   * (scratch 2 and staging 3 per row and column; see streamColumns), else at most 16.
   */
  private segmentColumns(inner: number, b: number): number {
    return Math.floor((this.room(5) - 32) / ((2 + 3 * inner) * b)) >= STREAM_ROWS ? inner : Math.min(inner, 16);
  }

  /**
   * Slices longer than the window, reductions only: each slice cut into segments of at most
   * SEGMENT elements that the row kernel handles on its own, combined by the chain rule
   * (klSegments.ts). Two exponentials per element, like an in-window row, where the streamed
   * two-pass form needs four. Columns (inner > 1) are staged transposed, up to 16 at a time, so
   * each column's segment is a contiguous row for the same kernel. Returns null if some slice has
   * a segment whose maximum is not finite; the caller then uses the two-pass form for the whole
   * call, which rewrites every perSlice entry.
   */
  private klDivLogitsSegmented(
    x: FloatArray,
    y: FloatArray,
    outer: number,
    size: number,
    inner: number,
    invT: number,
    perSlice: Float64Array | null,
  ): number | null {
    const f64 = x instanceof Float64Array;
    const b = f64 ? 8 : 4;
    const fn = f64 ? this.k.klDivLogitsSegment_f64 : this.k.klDivLogitsSegment_f32;
    const owned = inner === 1 && this.mem.owns(x) && this.mem.owns(y);
    // Window: scratch (2 per element), staged x and y of `cols` columns (unless zero-copy rows),
    // the statistics.
    const cols = this.segmentColumns(inner, b);
    const staged = owned ? 0 : inner === 1 ? 2 : 3 * cols; // x, y (and gatherT's staging for columns)
    const perElem = (2 + staged) * b;
    const seg = Math.min(SEGMENT, Math.floor((this.room(5) - 32) / perElem));
    if (seg < 1) return null;
    const count = Math.ceil(size / seg);
    const e = owned ? 0 : cols * seg * b;
    const [scratch, st, xw, yw, tmp] = this.carve(2 * seg * b, SEGMENT_STATS * 8, e, e, inner === 1 ? 0 : e);
    const kl = new Float64Array(cols * count);
    const stats = new Float64Array(cols * count * SEGMENT_STATS);
    // Per-slice KLs go straight to perSlice (the op layer passes one for every reduction).
    const slices = perSlice ?? new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i += cols) {
        const w = Math.min(cols, inner - i);
        for (let c = 0; c < count; c++) {
          const k = c * seg;
          const n = Math.min(seg, size - k);
          if (!owned) {
            this.gatherT(x, o, size, inner, k, n, i, w, xw!, tmp!);
            this.gatherT(y, o, size, inner, k, n, i, w, yw!, tmp!);
          }
          for (let j = 0; j < w; j++) {
            const xp = owned ? x.byteOffset + (o * size + k) * b : xw! + j * n * b;
            const yp = owned ? y.byteOffset + (o * size + k) * b : yw! + j * n * b;
            kl[j * count + c] = fn(xp, yp, n, invT, scratch!, st!);
            stats.set(this.mem.f64().subarray(st! / 8, st! / 8 + SEGMENT_STATS), (j * count + c) * SEGMENT_STATS);
          }
        }
        for (let j = 0; j < w; j++) {
          const v = combineSegments(kl.subarray(j * count, (j + 1) * count), stats.subarray(j * count * SEGMENT_STATS), count, invT, uBound(x));
          if (v === null) return null;
          slices[o * inner + i + j] = v;
        }
      }
    }
    return sumCompensated(slices.subarray(0, outer * inner));
  }

  // -------------------------------------------------------------------------------------------
  // Gradients of kl_div over a strided block (the layout of klDivBlock)

  klDivGradBlock(
    input: FloatArray,
    inOff: number,
    inRow: number,
    inCol: number,
    target: FloatArray,
    tOff: number,
    tRow: number,
    tCol: number,
    rows: number,
    cols: number,
    logTarget: boolean,
    gradOut: FloatArray | null,
    gOff: number,
    gScalar: number,
    gDivisor: number,
    gradInput: FloatArray | null,
    giOff: number,
    gradTarget: FloatArray | null,
    gtOff: number,
  ): void {
    const dtype = dtypeOf(input);
    const b = input.BYTES_PER_ELEMENT;
    const fn = this.kf[dtype].klDivGrad;
    const lt = logTarget ? 1 : 0;
    const owned = (a: FloatArray | null): boolean => a === null || this.mem.owns(a);
    const ptr = (a: FloatArray | null, off: number): number => (a === null ? 0 : a.byteOffset + off * b);
    if (this.mem.owns(input) && this.mem.owns(target) && owned(gradOut) && owned(gradInput) && owned(gradTarget)) {
      fn(ptr(input, inOff), inRow, inCol, ptr(target, tOff), tRow, tCol, rows, cols, lt, ptr(gradOut, gOff), gScalar, gDivisor, ptr(gradInput, giOff), ptr(gradTarget, gtOff));
      return;
    }
    const V = () => this.mem.view(dtype);
    const xRowElems = inCol === 0 ? 1 : cols;
    const tRowElems = tCol === 0 ? 1 : cols;
    const nOut = (gradOut ? 1 : 0) + (gradInput ? 1 : 0) + (gradTarget ? 1 : 0);
    const perRow = (inRow === 0 ? 0 : xRowElems) + (tRow === 0 ? 0 : tRowElems) + nOut * cols;
    const fixed = (inRow === 0 ? xRowElems : 0) + (tRow === 0 ? tRowElems : 0);
    const cap = Math.floor(this.room(5) / b);
    const copyOut = (dst: FloatArray | null, w: number, off: number, n: number): void => {
      if (dst) dst.set(V().subarray(w / b, w / b + n), off);
    };
    if (fixed + perRow <= cap) {
      const nMax = Math.min(rows, perRow === 0 ? rows : Math.max(1, Math.floor((cap - fixed) / perRow)));
      const [xw, tw, gw, iw, ow] = this.carve(
        (inRow === 0 ? 1 : nMax) * xRowElems * b,
        (tRow === 0 ? 1 : nMax) * tRowElems * b,
        gradOut ? nMax * cols * b : 0,
        gradInput ? nMax * cols * b : 0,
        gradTarget ? nMax * cols * b : 0,
      );
      if (inRow === 0) this.stageRows(input, inOff, 0, 1, xRowElems, xw!);
      if (tRow === 0) this.stageRows(target, tOff, 0, 1, tRowElems, tw!);
      for (let r = 0; r < rows; r += nMax) {
        const n = Math.min(nMax, rows - r);
        if (inRow !== 0) this.stageRows(input, inOff + r * inRow, inRow, n, xRowElems, xw!);
        if (tRow !== 0) this.stageRows(target, tOff + r * tRow, tRow, n, tRowElems, tw!);
        if (gradOut) this.stageRows(gradOut, gOff + r * cols, 0, 1, n * cols, gw!);
        fn(xw!, inRow === 0 ? 0 : xRowElems, inCol, tw!, tRow === 0 ? 0 : tRowElems, tCol, n, cols, lt, gradOut ? gw! : 0, gScalar, gDivisor, gradInput ? iw! : 0, gradTarget ? ow! : 0);
        copyOut(gradInput, iw!, giOff + r * cols, n * cols);
        copyOut(gradTarget, ow!, gtOff + r * cols, n * cols);
      }
      return;
    }
    // A single row does not fit: column chunks.
    const cc = Math.max(1, Math.floor(cap / 5));
    const [xw, tw, gw, iw, ow] = this.carve(cc * b, cc * b, gradOut ? cc * b : 0, gradInput ? cc * b : 0, gradTarget ? cc * b : 0);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c += cc) {
        const n = Math.min(cc, cols - c);
        this.stageRows(input, inOff + r * inRow + c * inCol, 0, 1, inCol === 0 ? 1 : n, xw!);
        this.stageRows(target, tOff + r * tRow + c * tCol, 0, 1, tCol === 0 ? 1 : n, tw!);
        if (gradOut) this.stageRows(gradOut, gOff + r * cols + c, 0, 1, n, gw!);
        fn(xw!, 0, inCol, tw!, 0, tCol, 1, n, lt, gradOut ? gw! : 0, gScalar, gDivisor, gradInput ? iw! : 0, gradTarget ? ow! : 0);
        copyOut(gradInput, iw!, giOff + r * cols + c, n);
        copyOut(gradTarget, ow!, gtOff + r * cols + c, n);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Per-slice reductions (klDivSlices, sliceStats): F float64 results per slice

  /**
   * Runs a per-slice reduction kernel over `(outer, size, inner)` inputs, writing F float64 values
   * per slice to `out`: zero-copy, blocks of whole slabs, tiles of whole columns, or — for slices
   * longer than the window — chunks along the slice whose partial results `combine` folds
   * (`combine(acc, accOffset, part, partOffset)` for one slice).
   */
  private sliceReduce(
    inputs: FloatArray[],
    outer: number,
    size: number,
    inner: number,
    F: number,
    out: Float64Array,
    call: (ptrs: number[], R: number, K: number, W: number, outPtr: number) => void,
    combine: (acc: Float64Array, ai: number, part: Float64Array, pi: number) => void,
  ): void {
    const b = inputs[0]!.BYTES_PER_ELEMENT;
    const nIn = inputs.length;
    const F64 = () => this.mem.f64();
    const slab = size * inner;
    const rowOut = inner * F * 8;
    if (inputs.every((a) => this.mem.owns(a)) && rowOut <= this.room(1)) {
      // Inputs read in place; only the per-slice results go through the window.
      const per = Math.floor(this.room(1) / rowOut);
      const [ow] = this.carve(Math.min(per, outer) * rowOut);
      for (let o = 0; o < outer; o += per) {
        const n = Math.min(per, outer - o);
        call(inputs.map((a) => a.byteOffset + o * slab * b), n, size, inner, ow!);
        out.set(F64().subarray(ow! / 8, ow! / 8 + n * inner * F), o * inner * F);
      }
      return;
    }
    const avail = this.room(nIn + 1);
    const perSlab = nIn * slab * b + rowOut;
    if (perSlab <= avail) {
      const nMax = Math.min(outer, Math.floor(avail / perSlab));
      const regions = this.carve(...inputs.map(() => nMax * slab * b), nMax * rowOut);
      const ow = regions[nIn]!;
      for (let o = 0; o < outer; o += nMax) {
        const n = Math.min(nMax, outer - o);
        inputs.forEach((a, j) => this.gather(a, o, size, inner, 0, size * n, 0, inner, regions[j]!));
        call(regions.slice(0, nIn), n, size, inner, ow);
        out.set(F64().subarray(ow / 8, ow / 8 + n * inner * F), o * inner * F);
      }
      return;
    }
    const perCol = nIn * size * b + F * 8;
    if (perCol <= avail) {
      const tw = wholeLanes(Math.floor(avail / perCol), b);
      const regions = this.carve(...inputs.map(() => tw * size * b), tw * F * 8);
      const ow = regions[nIn]!;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i += tw) {
          const n = Math.min(tw, inner - i);
          inputs.forEach((a, j) => this.gather(a, o, size, inner, 0, size, i, n, regions[j]!));
          call(regions.slice(0, nIn), 1, size, n, ow);
          out.set(F64().subarray(ow / 8, ow / 8 + n * F), (o * inner + i) * F);
        }
      }
      return;
    }
    // Slices longer than the window: chunks along the slice, partial results combined. Up to 16
    // columns, fewer when their statistics and one staged row each would not fit a small window
    // (at 1 KiB, 16 columns' statistics alone overflowed it).
    const cols = Math.max(1, Math.min(inner, 16, Math.floor(avail / (F * 8 + nIn * b))));
    const kc = Math.max(1, Math.floor((avail - cols * F * 8) / (nIn * cols * b)));
    const regions = this.carve(...inputs.map(() => kc * cols * b), cols * F * 8);
    const ow = regions[nIn]!;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i += cols) {
        const n = Math.min(cols, inner - i);
        for (let k = 0; k < size; k += kc) {
          const m = Math.min(kc, size - k);
          inputs.forEach((a, j) => this.gather(a, o, size, inner, k, m, i, n, regions[j]!));
          call(regions.slice(0, nIn), 1, m, n, ow);
          const part = F64();
          for (let j = 0; j < n; j++) {
            const at = (o * inner + i + j) * F;
            if (k === 0) out.set(part.subarray(ow / 8 + j * F, ow / 8 + (j + 1) * F), at);
            else combine(out, at, part, ow / 8 + j * F);
          }
        }
      }
    }
  }

  klDivSlices(input: FloatArray, target: FloatArray, outer: number, size: number, inner: number, logTarget: boolean, out: Float64Array): void {
    const fn = this.kf[dtypeOf(input)].klDivSlices;
    const lt = logTarget ? 1 : 0;
    this.sliceReduce(
      [input, target], outer, size, inner, 1, out,
      ([x, t], R, K, W, o) => fn(x!, t!, R, K, W, lt, o),
      (acc, ai, part, pi) => {
        acc[ai] = acc[ai]! + part[pi]!;
      },
    );
  }

  sliceStats(x: FloatArray, outer: number, size: number, inner: number, withLse: boolean, out: Float64Array): void {
    const fn = this.kf[dtypeOf(x)].sliceStats;
    const lse = withLse ? 1 : 0;
    this.sliceReduce([x], outer, size, inner, SLICE_STATS, out, ([p], R, K, W, o) => fn(p!, R, K, W, lse, o), combineStats);
  }

  // -------------------------------------------------------------------------------------------
  // fused KL from logits with its gradients

  klDivLogitsGrad(
    x: FloatArray,
    y: FloatArray,
    outer: number,
    size: number,
    inner: number,
    temperature: number,
    pointScale: number,
    gradScale: number,
    gradOut: FloatArray | null,
    sliceScale: Float64Array | null,
    perSlice: Float64Array | null,
    pointwise: FloatArray | null,
    gradInput: FloatArray,
    gradTarget: FloatArray | null,
  ): number {
    const dtype = dtypeOf(x);
    const b = x.BYTES_PER_ELEMENT;
    const fn = this.kf[dtype].klDivLogitsGrad;
    const invT = 1 / temperature;
    const total = new CompensatedSum();
    const F64 = () => this.mem.f64();
    const ss = sliceScale !== null && gradOut === null ? sliceScale : null;
    // Element arrays per slab: x, y, then optional G, pointwise, gradInput, gradTarget.
    const nElem = 3 + (gradOut ? 1 : 0) + (pointwise ? 1 : 0) + (gradTarget ? 1 : 0);
    const perSliceBytes = 8 * (ss ? 2 : 1);
    const scratchBytes = (inner === 1 || dtype === 'float64' ? 2 : 8) * size * b;
    const slab = size * inner;
    const zeroCopy = [x, y, gradOut, pointwise, gradInput, gradTarget].every((a) => a === null || this.mem.owns(a));
    const ptr = (a: FloatArray | null, off: number): number => (a === null ? 0 : a.byteOffset + off * b);
    const stageScale = (w: number, from: number, n: number): void => {
      if (ss) F64().set(ss.subarray(from, from + n), w / 8);
    };
    const avail = this.room(9) - scratchBytes;
    if (isNarrow(inner, size, b)) {
      // Narrow columns: transposed into rows, as klDivLogitsColumnRows does (the same losses).
      const v = this.klDivLogitsGradNarrow(x, y, outer, size, inner, invT, pointScale, gradScale, gradOut, ss, perSlice, pointwise, gradInput, gradTarget);
      if (v !== null) return v;
    }

    if (zeroCopy && avail >= inner * perSliceBytes) {
      const per = wholeGroups(Math.max(1, Math.floor(avail / (inner * perSliceBytes))));
      const nMax = Math.min(per, outer);
      const [scratch, ps, sw] = this.carve(scratchBytes, nMax * inner * 8, ss ? nMax * inner * 8 : 0);
      for (let o = 0; o < outer; o += nMax) {
        const n = Math.min(nMax, outer - o);
        const off = o * slab;
        stageScale(sw!, o * inner, n * inner);
        total.add(fn(ptr(x, off), ptr(y, off), n, size, inner, invT, pointScale, gradScale, ptr(gradOut, off), ss ? sw! : 0, ptr(pointwise, off), ps!, ptr(gradInput, off), ptr(gradTarget, off), scratch!));
        if (perSlice) perSlice.set(F64().subarray(ps! / 8, ps! / 8 + n * inner), o * inner);
      }
      return total.value;
    }
    const perSlab = slab * b * nElem + inner * perSliceBytes;
    if (perSlab <= avail) {
      const nMax = Math.min(outer, wholeGroups(Math.floor(avail / perSlab)));
      const e = nMax * slab * b;
      const [scratch, xw, yw, gw, dw, iw, ow, ps, sw] = this.carve(
        scratchBytes, e, e, gradOut ? e : 0, pointwise ? e : 0, e, gradTarget ? e : 0, nMax * inner * 8, ss ? nMax * inner * 8 : 0,
      );
      for (let o = 0; o < outer; o += nMax) {
        const n = Math.min(nMax, outer - o);
        this.gather(x, o, size, inner, 0, size * n, 0, inner, xw!);
        this.gather(y, o, size, inner, 0, size * n, 0, inner, yw!);
        if (gradOut) this.gather(gradOut, o, size, inner, 0, size * n, 0, inner, gw!);
        stageScale(sw!, o * inner, n * inner);
        total.add(fn(xw!, yw!, n, size, inner, invT, pointScale, gradScale, gradOut ? gw! : 0, ss ? sw! : 0, pointwise ? dw! : 0, ps!, iw!, gradTarget ? ow! : 0, scratch!));
        if (pointwise) this.scatter(pointwise, o, size, inner, 0, size * n, 0, inner, dw!);
        this.scatter(gradInput, o, size, inner, 0, size * n, 0, inner, iw!);
        if (gradTarget) this.scatter(gradTarget, o, size, inner, 0, size * n, 0, inner, ow!);
        if (perSlice) perSlice.set(F64().subarray(ps! / 8, ps! / 8 + n * inner), o * inner);
      }
      return total.value;
    }
    const perCol = size * b * nElem + perSliceBytes;
    const tw = tileWidth(Math.floor(avail / perCol), b);
    if (tw > 0) {
      // Tiles of whole columns (inner > 1 here).
      const e = tw * size * b;
      const [scratch, xw, yw, gw, dw, iw, ow, ps, sw] = this.carve(
        scratchBytes, e, e, gradOut ? e : 0, pointwise ? e : 0, e, gradTarget ? e : 0, tw * 8, ss ? tw * 8 : 0,
      );
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i += tw) {
          const [i0, n] = tileSpan(i, tw, inner);
          this.gather(x, o, size, inner, 0, size, i0, n, xw!);
          this.gather(y, o, size, inner, 0, size, i0, n, yw!);
          if (gradOut) this.gather(gradOut, o, size, inner, 0, size, i0, n, gw!);
          stageScale(sw!, o * inner + i0, n);
          const t = fn(xw!, yw!, 1, size, n, invT, pointScale, gradScale, gradOut ? gw! : 0, ss ? sw! : 0, pointwise ? dw! : 0, ps!, iw!, gradTarget ? ow! : 0, scratch!);
          // A widened last tile recomputed column i − 1: count only column i's loss.
          total.add(i0 === i ? t : F64()[ps! / 8 + 1]!);
          if (pointwise) this.scatter(pointwise, o, size, inner, 0, size, i0, n, dw!);
          this.scatter(gradInput, o, size, inner, 0, size, i0, n, iw!);
          if (gradTarget) this.scatter(gradTarget, o, size, inner, 0, size, i0, n, ow!);
          if (perSlice) perSlice.set(F64().subarray(ps! / 8, ps! / 8 + n), o * inner + i0);
        }
      }
      return total.value;
    }
    // Slices longer than the window: online log-sum-exp of x/T and y/T (pass A), the terms and
    // the input gradient or the 'none' sums (pass B), then the gradients that need the whole
    // slice's sums (pass C: 'none' gradInput, and gradTarget), exponentials recomputed per pass.
    // Pointwise outputs ('none' loss or upstream gradient) need exact sums (assembly/klRows.ts).
    // Columns are staged transposed (gatherT, as klDivLogits' stream), so every slice goes
    // through the chunk kernels as a row (W = 1: vectorised in the SIMD builds) with its own
    // state pair (m, s) at 16·j and its own sums at 8·j; a long row is the case inner = 1.
    const update = (pointwise || gradOut) && dtype === 'float32' ? this.k.lseUpdatePrecise_f32 : this.kf[dtype].lseUpdate;
    const terms = this.kf[dtype].klGradTermsChunk;
    const apply = this.kf[dtype].klGradApplyChunk;
    // Per column: states and sums (2·16 + 4·8 bytes) and one element of each staged array plus,
    // for columns, the transposition's staging (tmp; a row needs none, and its chunks stay as
    // they were). 1 KiB holds 8 float32 columns here.
    const t = inner > 1 ? 1 : 0;
    const perElem = b * (nElem + t);
    const room = this.room(12 + t);
    const cols = Math.max(1, Math.min(streamColumns(inner, perElem + 64, room), Math.floor(room / (64 + perElem))));
    const kc = Math.max(1, Math.floor((room - 64 * cols) / (cols * perElem)));
    const e = kc * cols * b;
    const [sx, sy, acc, accA, accB, sw, xw, yw, gw, dw, iw, ow, tmp] = this.carve(
      16 * cols, 16 * cols, 8 * cols, 8 * cols, 8 * cols, 8 * cols, e, e, gradOut ? e : 0, pointwise ? e : 0, e, gradTarget ? e : 0, t * e,
    );
    const needApply = gradOut !== null || gradTarget !== null;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i += cols) {
        const n = Math.min(cols, inner - i);
        for (const a of [acc!, accA!, accB!]) F64().fill(0, a / 8, a / 8 + n);
        stageScale(sw!, o * inner + i, n);
        this.streamLseT(update, x, o, size, inner, i, n, kc, xw!, tmp!, invT, sx!);
        this.streamLseT(update, y, o, size, inner, i, n, kc, yw!, tmp!, invT, sy!);
        this.nanSumsWhereMaxNotFinite(sx!, n);
        this.nanSumsWhereMaxNotFinite(sy!, n);
        for (let k = 0; k < size; k += kc) {
          const m = Math.min(kc, size - k);
          this.gatherT(x, o, size, inner, k, m, i, n, xw!, tmp!);
          this.gatherT(y, o, size, inner, k, m, i, n, yw!, tmp!);
          if (gradOut) this.gatherT(gradOut, o, size, inner, k, m, i, n, gw!, tmp!);
          for (let j = 0; j < n; j++) {
            const c = j * m * b;
            terms(xw! + c, yw! + c, gradOut ? gw! + c : 0, m, 1, invT, sx! + 16 * j, sy! + 16 * j, pointScale, gradScale, ss ? sw! + 8 * j : 0, pointwise ? dw! + c : 0, iw! + c, acc! + 8 * j, accA! + 8 * j, accB! + 8 * j);
          }
          if (pointwise) this.scatterT(pointwise, o, size, inner, k, m, i, n, dw!, tmp!);
          if (!gradOut) this.scatterT(gradInput, o, size, inner, k, m, i, n, iw!, tmp!);
        }
        if (needApply) {
          for (let k = 0; k < size; k += kc) {
            const m = Math.min(kc, size - k);
            this.gatherT(x, o, size, inner, k, m, i, n, xw!, tmp!);
            this.gatherT(y, o, size, inner, k, m, i, n, yw!, tmp!);
            if (gradOut) this.gatherT(gradOut, o, size, inner, k, m, i, n, gw!, tmp!);
            for (let j = 0; j < n; j++) {
              const c = j * m * b;
              apply(xw! + c, yw! + c, gradOut ? gw! + c : 0, m, 1, invT, sx! + 16 * j, sy! + 16 * j, gradScale, ss ? sw! + 8 * j : 0, acc! + 8 * j, accA! + 8 * j, accB! + 8 * j, iw! + c, gradTarget ? ow! + c : 0);
            }
            if (gradOut) this.scatterT(gradInput, o, size, inner, k, m, i, n, iw!, tmp!);
            if (gradTarget) this.scatterT(gradTarget, o, size, inner, k, m, i, n, ow!, tmp!);
          }
        }
        const A = F64();
        for (let j = 0; j < n; j++) {
          const kl = A[acc! / 8 + j]!;
          if (perSlice) perSlice[o * inner + i + j] = kl;
          total.add(kl);
        }
      }
    }
    return total.value;
  }
}

/**
 * Folds the statistics of a later chunk of a slice (`part` at `pi`) into those of the earlier
 * chunks (`acc` at `ai`): counts and sums add, extrema combine, and (max, Σ exp(x − max)) merge
 * as an online log-sum-exp.
 */
function combineStats(acc: Float64Array, ai: number, part: Float64Array, pi: number): void {
  for (const f of [STAT.nan, STAT.posInf, STAT.negInf, STAT.negative, STAT.aboveOne, STAT.sum]) acc[ai + f] = acc[ai + f]! + part[pi + f]!;
  acc[ai + STAT.minFinite] = Math.min(acc[ai + STAT.minFinite]!, part[pi + STAT.minFinite]!);
  acc[ai + STAT.maxFinite] = Math.max(acc[ai + STAT.maxFinite]!, part[pi + STAT.maxFinite]!);
  const m1 = acc[ai + STAT.max]!;
  const m2 = part[pi + STAT.max]!;
  const m = Math.max(m1, m2);
  acc[ai + STAT.max] = m;
  acc[ai + STAT.expSum] = Number.isFinite(m)
    ? acc[ai + STAT.expSum]! * Math.exp(m1 - m) + part[pi + STAT.expSum]! * Math.exp(m2 - m)
    : 0;
}
