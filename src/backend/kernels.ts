import type { BackendName, FloatArray } from '../types.js';

/**
 * The kernel interface every backend implements (the pure-TS `js` backend and the two WASM builds).
 *
 * The facade (`src/ops/`) resolves dims, shapes, broadcasting, dtypes and reductions once, then
 * calls these with flat row-major arrays and plain integers. Contracts shared by all methods:
 * - all arrays passed to one call have the same dtype (the facade promotes first);
 * - a slice layout `(outer, size, inner)` addresses element `(o, k, i)` at `(o * size + k) * inner + i`;
 * - `size`, `outer`, `inner` ≥ 1 unless stated (the facade skips empty work itself);
 * - sums are returned as float64 and accumulated with compensation (or float64 blocks), never in
 *   float32, so reductions are at least as accurate as PyTorch's float32 path;
 * - NaN and ±Infinity follow PyTorch 1.13 (see `../shared/reference/pytorch-semantics.md` §1.5, §3.4).
 */
export interface Kernels {
  /** Which backend this is. */
  readonly name: BackendName;

  /**
   * `out[o,:,i] = softmax(x[o,:,i])`: `exp(x - max) / sum`. `out` may not alias `x` unless equal.
   * With `out = null` the backend allocates the result (the WASM backends can then copy it out of
   * their memory in one pass instead of zero-filling a new array and copying into it). Returns
   * the output array.
   */
  softmax(x: FloatArray, out: FloatArray | null, outer: number, size: number, inner: number): FloatArray;

  /** `out[o,:,i] = (x - max) - log(sum(exp(x - max)))` (PyTorch's evaluation order). */
  logSoftmax(x: FloatArray, out: FloatArray | null, outer: number, size: number, inner: number): FloatArray;

  /**
   * `out[o * inner + i] = log(sum(exp(x[o,:,i] - m))) + m`, where `m` is the slice max with
   * infinite maxima replaced by 0 (so all -inf gives -inf and any +inf gives +inf). `size` may be 0
   * (then every output is -inf).
   */
  logSumExp(x: FloatArray, out: FloatArray, outer: number, size: number, inner: number): void;

  /**
   * kl_div pointwise terms over a 2-level strided block, `rows × cols`, of the broadcast result:
   * term(r, c) uses `input[inOff + r*inRowStride + c*inColStride]` and
   * `target[tOff + r*tRowStride + c*tColStride]` (strides may be 0 for broadcast operands) and is
   * `xlogy(t, t) - t*x`, or `exp(t) * (t - x)` when `logTarget`.
   * If `out` is given, term(r, c) is written to `out[outOff + r*cols + c]` (rounded to its dtype).
   * Returns the sum of the terms (float64, compensated) whether or not `out` is given.
   */
  klDivBlock(
    input: FloatArray,
    inOff: number,
    inRowStride: number,
    inColStride: number,
    target: FloatArray,
    tOff: number,
    tRowStride: number,
    tColStride: number,
    rows: number,
    cols: number,
    logTarget: boolean,
    out: FloatArray | null,
    outOff: number,
  ): number;

  /**
   * Σ of the kl_div terms of two whole arrays of one dtype and length (the small-call lane of
   * `klDiv`): the same value, bit for bit, as `klDivBlock(input, 0, 0, c, target, 0, 0, c, 1, n,
   * logTarget, null, 0)` with `c = n === 1 ? 0 : 1`, without its stride and staging bookkeeping.
   */
  klDivWhole(input: FloatArray, target: FloatArray, logTarget: boolean): number;

  /**
   * Fused KL(p ‖ q) per slice with p = softmax(y / T), q = softmax(x / T) along the middle axis,
   * without intermediate tensors. Each slice's KL is non-negative (termwise form, see
   * `js/klDivLogits.ts`) and exactly 0 when the slice's x and y are identical.
   * - `perSlice` (length `outer * inner`), if given, receives each slice's KL (unscaled);
   * - `pointwise` (length `outer * size * inner`), if given, receives `pointScale * p * log(p / q)`
   *   per element (PyTorch's 'none' terms of the chain; these can be negative);
   * Returns the sum of all slices' KL (float64, unscaled: the facade applies T² and divisors).
   */
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
  ): number;

  /**
   * Gradients of the kl_div pointwise terms over the strided block of `klDivBlock` (same
   * operands and strides), as PyTorch ≥ 1.13 autograd through `xlogy(t, t) − t·x` /
   * `exp(t)·(t − x)` computes them, with `g` the upstream gradient of term (r, c):
   * `g = gradOut[gOff + r*cols + c] / gDivisor` if `gradOut` is given, else `g = gScalar`.
   * - logTarget = false: `∂x = (−g)·t`, `∂t = g·xlogy(t≠0, t) + (g·t)/t + (−g)·x` (NaN at t = 0 and t < 0);
   * - logTarget = true: `∂x = −(g·eᵗ)`, `∂t = (g·(t − x))·eᵗ + g·eᵗ`.
   * `∂x` goes to `gradInput[giOff + r*cols + c]`, `∂t` to `gradTarget[gtOff + r*cols + c]`
   * (either output may be null = not wanted). Broadcast reduction is the facade's job.
   */
  klDivGradBlock(
    input: FloatArray,
    inOff: number,
    inRowStride: number,
    inColStride: number,
    target: FloatArray,
    tOff: number,
    tRowStride: number,
    tColStride: number,
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
  ): void;

  /**
   * `klDivLogits` fused with its gradients, in the same passes over memory (same arguments and
   * loss — returned unscaled, `perSlice` / `pointwise` as there), plus, with p = softmax(y/T),
   * q = softmax(x/T), u = log(p/q) and KL the slice's KL:
   * - `gradOut` null (reduced): `gradInput = s·(q − p)` and, if `gradTarget` is given,
   *   `gradTarget = s·p·(u − KL)`, where `s = gradScale · sliceScale[slice]` (`sliceScale`
   *   length outer·inner, or null for 1);
   * - `gradOut` given (same layout as x, the upstream gradient G of the 'none' terms):
   *   `gradInput = gradScale·(q·Σ G·p − G·p)`, `gradTarget = gradScale·p·(G·(u+1) − Σ G·p·(u+1))`
   *   (sums over the slice; `sliceScale` ignored).
   * Where the target logit is −inf (p = 0) `gradTarget` is 0 (the limit; PyTorch's chain: NaN).
   */
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
  ): number;

  /**
   * Per-slice sums of kl_div pointwise terms: `out[o * inner + i] = Σ_k term(input[o,k,i],
   * target[o,k,i])` (both operands in the same `(outer, size, inner)` layout; terms as
   * `klDivBlock`), without writing the terms anywhere.
   */
  klDivSlices(input: FloatArray, target: FloatArray, outer: number, size: number, inner: number, logTarget: boolean, out: Float64Array): void;

  /**
   * Per-slice statistics for `diagnose`, `SLICE_STATS` float64 values per slice at
   * `out[(o * inner + i) * SLICE_STATS + field]` (fields: `STAT`). With `withLse` false the
   * exponential sum (`STAT.expSum`) is 0 and no exponential is evaluated.
   */
  sliceStats(x: FloatArray, outer: number, size: number, inner: number, withLse: boolean, out: Float64Array): void;
}

/** Number of float64 statistics `Kernels.sliceStats` writes per slice. */
export const SLICE_STATS = 10;

/**
 * Field offsets of `Kernels.sliceStats`. The logsumexp of a slice's non-NaN entries is
 * `max + log(expSum)` when `max` is finite, else `max`.
 */
export const STAT = {
  /** NaN entries. */
  nan: 0,
  /** +inf entries. */
  posInf: 1,
  /** −inf entries. */
  negInf: 2,
  /** Finite entries < 0. */
  negative: 3,
  /** Finite entries > 1. */
  aboveOne: 4,
  /** Σ of the finite entries. */
  sum: 5,
  /** Smallest finite entry (+inf if none). */
  minFinite: 6,
  /** Largest finite entry (−inf if none). */
  maxFinite: 7,
  /** Max of the non-NaN entries (+inf if any, −inf if none). */
  max: 8,
  /** Σ exp(x − max) over the non-NaN entries (0 when max is infinite or withLse is false). */
  expSum: 9,
} as const;

/**
 * The SIMD kernels take short rows (dim −1, inner = 1) this many at a time, transposed into one
 * row per lane (assembly/shortRows.ts), and the rows of a trailing partial group one by one. The
 * two paths round differently in the last bits, so callers that split rows into blocks (the
 * staging window, the worker pool) start every block on a multiple of ROW_GROUP: the same rows
 * are then grouped together however the work is split (as long as a block can hold ROW_GROUP
 * rows: a window of a few KiB too small for that takes every row one by one).
 */
export const ROW_GROUP = 4;
