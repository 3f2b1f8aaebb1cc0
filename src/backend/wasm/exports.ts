/**
 * The raw exports of a kernel binary (assembly/index.ts). Pointers are byte addresses in the
 * imported memory; layouts (R, K, W) are row-major slices; see the doc comment of each kernel.
 */
export interface KernelExports {
  heapBase(): number;
  simdEnabled(): number;
  relaxedSimdEnabled(): number;
  max_f32(src: number, dst: number, R: number, K: number, W: number): void;
  max_f64(src: number, dst: number, R: number, K: number, W: number): void;
  softmax_f32(src: number, dst: number, R: number, K: number, W: number): void;
  softmax_f64(src: number, dst: number, R: number, K: number, W: number): void;
  logSoftmax_f32(src: number, dst: number, R: number, K: number, W: number): void;
  logSoftmax_f64(src: number, dst: number, R: number, K: number, W: number): void;
  logSumExp_f32(src: number, dst: number, R: number, K: number, W: number): void;
  logSumExp_f64(src: number, dst: number, R: number, K: number, W: number): void;
  lseUpdate_f32(src: number, K: number, W: number, scale: number, state: number): void;
  lseUpdate_f64(src: number, K: number, W: number, scale: number, state: number): void;
  lseUpdatePrecise_f32(src: number, K: number, W: number, scale: number, state: number): void;
  softmaxApply_f32(src: number, dst: number, K: number, W: number, state: number, mode: number): void;
  /** R contiguous K × W matrices, each transposed: dst[(r·W + j)·K + k] = src[(r·K + k)·W + j] (no overlap). */
  transposeTile_f32(src: number, dst: number, R: number, K: number, W: number): void;
  transposeTile_f64(src: number, dst: number, R: number, K: number, W: number): void;
  softmaxApply_f64(src: number, dst: number, K: number, W: number, state: number, mode: number): void;
  klDiv_f32(x: number, xRow: number, xCol: number, t: number, tRow: number, tCol: number, rows: number, cols: number, logTarget: number, dst: number): number;
  klDiv_f64(x: number, xRow: number, xCol: number, t: number, tRow: number, tCol: number, rows: number, cols: number, logTarget: number, dst: number): number;
  klDivLogits_f32(x: number, y: number, R: number, K: number, W: number, invT: number, pointScale: number, dst: number, perSlice: number, scratch: number): number;
  klDivLogits_f64(x: number, y: number, R: number, K: number, W: number, invT: number, pointScale: number, dst: number, perSlice: number, scratch: number): number;
  /** One contiguous segment of a row longer than the window: its own KL, and [max x, max y, Σx, Σy] (4 f64) at stats. */
  klDivLogitsSegment_f32(x: number, y: number, n: number, invT: number, scratch: number, stats: number): number;
  klDivLogitsSegment_f64(x: number, y: number, n: number, invT: number, scratch: number, stats: number): number;
  klTermsChunk_f32(x: number, y: number, K: number, W: number, invT: number, stateX: number, stateY: number, pointScale: number, dst: number, acc: number): void;
  klTermsChunk_f64(x: number, y: number, K: number, W: number, invT: number, stateX: number, stateY: number, pointScale: number, dst: number, acc: number): void;
  klDivLogitsGrad_f32(x: number, y: number, R: number, K: number, W: number, invT: number, pointScale: number, gradScale: number, gradOut: number, sliceScale: number, dst: number, perSlice: number, gx: number, gy: number, scratch: number): number;
  klDivLogitsGrad_f64(x: number, y: number, R: number, K: number, W: number, invT: number, pointScale: number, gradScale: number, gradOut: number, sliceScale: number, dst: number, perSlice: number, gx: number, gy: number, scratch: number): number;
  klGradTermsChunk_f32(x: number, y: number, G: number, K: number, W: number, invT: number, stateX: number, stateY: number, pointScale: number, gradScale: number, sliceScale: number, dst: number, gx: number, acc: number, accA: number, accB: number): void;
  klGradTermsChunk_f64(x: number, y: number, G: number, K: number, W: number, invT: number, stateX: number, stateY: number, pointScale: number, gradScale: number, sliceScale: number, dst: number, gx: number, acc: number, accA: number, accB: number): void;
  klGradApplyChunk_f32(x: number, y: number, G: number, K: number, W: number, invT: number, stateX: number, stateY: number, gradScale: number, sliceScale: number, acc: number, accA: number, accB: number, gx: number, gy: number): void;
  klGradApplyChunk_f64(x: number, y: number, G: number, K: number, W: number, invT: number, stateX: number, stateY: number, gradScale: number, sliceScale: number, acc: number, accA: number, accB: number, gx: number, gy: number): void;
  klDivGrad_f32(x: number, xRow: number, xCol: number, t: number, tRow: number, tCol: number, rows: number, cols: number, logTarget: number, gr: number, gScalar: number, gDiv: number, gi: number, gt: number): void;
  klDivGrad_f64(x: number, xRow: number, xCol: number, t: number, tRow: number, tCol: number, rows: number, cols: number, logTarget: number, gr: number, gScalar: number, gDiv: number, gi: number, gt: number): void;
  klDivSlices_f32(x: number, t: number, R: number, K: number, W: number, logTarget: number, out: number): void;
  klDivSlices_f64(x: number, t: number, R: number, K: number, W: number, logTarget: number, out: number): void;
  sliceStats_f32(x: number, R: number, K: number, W: number, withLse: number, out: number): void;
  sliceStats_f64(x: number, R: number, K: number, W: number, withLse: number, out: number): void;
}
