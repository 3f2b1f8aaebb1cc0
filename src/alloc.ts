import type { Dtype, FloatArray } from './types.js';
import { arrayFor } from './types.js';

/**
 * Results of at least this many bytes skip zero-filling where the host can (Node's
 * `Buffer.allocUnsafeSlow`). Measured on Node 20 (`node bench/alloc.bench.mjs`): a fresh zero-filled
 * 12.9 MB Float32Array plus the copy of the result into it took 1.7–4 ms, the uninitialised one
 * 1.0–2.8 ms, about a fifth of a log_softmax call of that size; below about 1 MiB the two are
 * within noise.
 */
export const UNINIT_MIN_BYTES = 1 << 20;

interface BufferLike {
  allocUnsafeSlow(size: number): Uint8Array;
}

// Looked up once. `allocUnsafeSlow` never hands out a slice of Node's shared pool, so the result
// owns its whole ArrayBuffer (byteOffset 0), as `new Float32Array(n)` would; browsers have no
// Buffer and take the plain path.
const nodeBuffer: BufferLike | null = (() => {
  const B = (globalThis as { Buffer?: Partial<BufferLike> }).Buffer;
  return typeof B?.allocUnsafeSlow === 'function' ? (B as BufferLike) : null;
})();

/**
 * A new array of `n` elements of `dtype` **whose contents are unspecified**: only for results the
 * caller overwrites completely before anyone else sees the array (every kernel output that covers
 * all elements). Large arrays come uninitialised from `Buffer.allocUnsafeSlow` on Node, which
 * saves the zero-fill and its page faults; everything else is an ordinary typed array.
 */
export function allocOverwritten(dtype: Dtype, n: number): FloatArray {
  const Ctor = arrayFor(dtype);
  const bytes = n * Ctor.BYTES_PER_ELEMENT;
  if (nodeBuffer !== null && bytes >= UNINIT_MIN_BYTES) {
    const b = nodeBuffer.allocUnsafeSlow(bytes);
    if (b.byteOffset === 0 && b.buffer.byteLength === bytes) return new Ctor(b.buffer as ArrayBuffer, 0, n);
  }
  return new Ctor(n);
}
