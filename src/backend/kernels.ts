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

  /** `out[o,:,i] = softmax(x[o,:,i])`: `exp(x - max) / sum`. `out` may not alias `x` unless equal. */
  softmax(x: FloatArray, out: FloatArray, outer: number, size: number, inner: number): void;

  /** `out[o,:,i] = (x - max) - log(sum(exp(x - max)))` (PyTorch's evaluation order). */
  logSoftmax(x: FloatArray, out: FloatArray, outer: number, size: number, inner: number): void;

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
}
