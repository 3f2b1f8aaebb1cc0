/** Element type of a tensor. klwasm computes in float32 or float64, as PyTorch does on CPU. */
export type Dtype = 'float32' | 'float64';

/** The typed arrays a tensor's data may live in. */
export type FloatArray = Float32Array | Float64Array;

/** PyTorch's `reduction` names for `kl_div`. `'elementwise_mean'` is accepted as a deprecated alias of `'mean'`. */
export type Reduction = 'none' | 'mean' | 'sum' | 'batchmean';

/** A concrete compute backend. */
export type BackendName = 'wasm-relaxed-simd' | 'wasm-simd' | 'wasm-scalar' | 'js';

/** What `init({ backend })` accepts: a concrete backend, or `'auto'` (best available). */
export type BackendChoice = 'auto' | BackendName;

/** Array constructor for a dtype. */
export function arrayFor(dtype: Dtype): Float32ArrayConstructor | Float64ArrayConstructor {
  return dtype === 'float64' ? Float64Array : Float32Array;
}

/** dtype of a float typed array. */
export function dtypeOf(data: FloatArray): Dtype {
  return data instanceof Float64Array ? 'float64' : 'float32';
}
