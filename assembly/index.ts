// klwasm kernels entry: compiled twice from these same sources, with `--enable simd`
// (build/klwasm.simd.wasm) and without (build/klwasm.scalar.wasm). Kernels branch on the
// compile-time constant ASC_FEATURE_SIMD, so the scalar binary contains no v128 instruction.

/** First free byte after static data: where the facade's scratch arena starts. */
export function heapBase(): usize {
  return __heap_base;
}
