/**
 * Zero-copy tensors: data that lives in the WASM backend's memory, so ops read and write it in
 * place (no staging copies). For services that fill inputs once per request and call several ops.
 */
import type { WasmMemory } from './backend/wasm/memory.js';
import { argRangeError, argTypeError, describe, shapeGivenStr } from './errors.js';
import { activeWasmMemory, kernels } from './runtime.js';
import { Tensor, numelOf } from './tensor.js';
import { type Dtype, type FloatArray, arrayFor } from './types.js';

/**
 * A `Tensor` whose data lives in WASM memory (see `allocTensor`).
 *
 * Lifetime: valid until `free()`. Growing the WASM memory (another `allocTensor`) detaches every
 * view on the old buffer, so **always read `t.data` again after allocating** instead of keeping an
 * old `data` array: the getter re-derives the view (tfjs-backend-wasm's rule). Switching backends
 * with `init`/`initSync` leaves the tensor readable, but ops then copy it like any other array.
 */
export class WasmTensor extends Tensor {
  private freed = false;
  /**
   * The buffer `_data` views. Compared instead of `_data.buffer`, whose getter V8 (Node 20) does
   * not inline: ~16 ns per `data` read, two of them in a small op call.
   */
  private viewBuffer: ArrayBuffer;

  /** @internal Use `allocTensor`. */
  constructor(
    private readonly mem: WasmMemory,
    /** Byte offset of the data in WASM memory (for code that calls kernels directly). */
    readonly pointer: number,
    shape: number[],
    dtype: Dtype,
  ) {
    const buffer = mem.buffer;
    super(new (arrayFor(dtype))(buffer, pointer, numelOf(shape)), shape);
    this.viewBuffer = buffer;
  }

  override get data(): FloatArray {
    if (this.freed) throw new Error('WasmTensor: this tensor was freed; allocate a new one with allocTensor().');
    const buffer = this.mem.buffer;
    if (this.viewBuffer !== buffer) {
      // (A detached view reports length 0, so the length comes from the shape.)
      this._data = new (arrayFor(this.dtype))(buffer, this.pointer, numelOf(this.shape));
      this.viewBuffer = buffer;
    }
    // An op reads its operands' data right before it runs: noted, they are recognised by the
    // small-call paths' identity check (WasmMemory.ownsRecent) and read in place.
    this.mem.noteOwned(this._data);
    return this._data;
  }

  /** Whether `free()` was called. */
  get isFreed(): boolean {
    return this.freed;
  }

  /** Returns the memory to klwasm. Using the tensor afterwards throws. Idempotent. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.mem.release(this.pointer);
  }
}

/**
 * Allocates a tensor (zero-filled) inside the WASM backend's memory. Ops given such tensors —
 * as inputs or as `out` — work on them in place without copying, which matters for large inputs
 * called often. Requires an active WASM backend (`init()` picks one where supported).
 *
 * Memory counts against `init({ maxMemoryMiB })`; call `free()` when done.
 *
 * @example
 * ```ts
 * import { allocTensor, init, softmax } from 'klwasm';
 * await init();
 * const logits = allocTensor([8, 32000]);
 * logits.data.set(modelOutput);                 // write once, in place
 * softmax(logits, -1, { out: logits });         // in place, no copies
 * const top = logits.data.subarray(0, 10);
 * logits.free();
 * ```
 */
export function allocTensor(shape: readonly number[], dtype: Dtype = 'float32'): WasmTensor {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw argRangeError('allocTensor', 'shape', `is ${Array.isArray(shape) ? shapeGivenStr(shape) : describe(shape)}`, 'Give an array of non-negative integers (numbers, not BigInts), e.g. [8, 32000]');
  }
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw argTypeError('allocTensor', 'dtype', `is ${describe(dtype)}`, "Use 'float32' or 'float64'");
  }
  kernels(); // initialise on first use, like the ops
  const mem = activeWasmMemory();
  if (mem === null) {
    throw new Error("allocTensor: the active backend is 'js', which has no WASM memory. Call init() (or init({ backend: 'wasm-relaxed-simd' | 'wasm-simd' | 'wasm-scalar' })) first.");
  }
  const bytes = numelOf(shape) * (dtype === 'float64' ? 8 : 4);
  const ptr = mem.alloc(bytes);
  new Uint8Array(mem.memory.buffer, ptr, bytes).fill(0);
  return new WasmTensor(mem, ptr, [...shape], dtype);
}
