// klwasm kernels entry: compiled three times from these same sources, with `--enable simd`
// (build/klwasm.simd.wasm), with `--enable simd,relaxed-simd` (build/klwasm.relaxed.wasm: the
// same kernels with fused multiply-adds, see math/relaxed.ts) and without either
// (build/klwasm.scalar.wasm). Kernels branch on the compile-time constants ASC_FEATURE_SIMD and
// ASC_FEATURE_RELAXED_SIMD, so the scalar binary contains no v128 instruction.
//
// Boundary contract (every kernel): plain integers and byte pointers into the one imported
// memory; no allocation; slice layouts are (R outer, K along the reduced dim, W inner),
// row-major: element (r, k, i) at index (r·K + k)·W + i. No alignment is required (v128 loads
// and stores are unaligned-safe); 16-byte alignment is faster and the facade provides it.

export { max_f32, max_f64 } from './max';
export { softmax_f32, softmax_f64, logSoftmax_f32, logSoftmax_f64 } from './softmax';
export {
  logSumExp_f32, logSumExp_f64, lseUpdate_f32, lseUpdate_f64, lseUpdatePrecise_f32, softmaxApply_f32, softmaxApply_f64,
} from './lse';
export { klDiv_f32, klDiv_f64 } from './klDiv';
export { klDivLogits_f32, klDivLogits_f64, klDivLogitsSegment_f32, klDivLogitsSegment_f64, klTermsChunk_f32, klTermsChunk_f64 } from './klDivLogits';
export {
  klDivLogitsGrad_f32, klDivLogitsGrad_f64, klGradTermsChunk_f32, klGradTermsChunk_f64,
  klGradApplyChunk_f32, klGradApplyChunk_f64,
} from './klDivLogitsGrad';
export { klDivGrad_f32, klDivGrad_f64 } from './klDivGrad';
export { klDivSlices_f32, klDivSlices_f64 } from './klDivSlices';
export { sliceStats_f32, sliceStats_f64 } from './sliceStats';
export { transposeTile_f32, transposeTile_f64 } from './transpose';
import { colBlockEnd } from './colBlocks';

/** First free byte after static data, the short-row tiles and the column block: where the facade's scratch arena starts. */
export function heapBase(): usize {
  return colBlockEnd();
}

/** 1 in the SIMD and relaxed-SIMD builds, 0 in the scalar build (lets the facade verify what it loaded). */
export function simdEnabled(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** 1 in the relaxed-SIMD build, 0 otherwise. */
export function relaxedSimdEnabled(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
