/**
 * The one WebAssembly.Memory the facade owns, shared by the kernel instance:
 *
 *     [0, heapBase)                 kernel static data (constants) and the kernels' short-row tiles
 *     [window, window + windowBytes) scratch window: every call stages its inputs, outputs and
 *                                   temporaries here; reused, never freed, so a warm call
 *                                   allocates nothing
 *     [heap, …)                     zero-copy tensors from allocTensor (first-fit free list);
 *                                   the memory grows on demand up to maxBytes
 *
 * Growing detaches every view on the old buffer (WebAssembly/design#795), so views are re-derived
 * whenever `memory.buffer` changed (tfjs-backend-wasm's rule); callers ask `f32()`/`f64()`/`u8()`
 * after anything that may grow.
 */
import type { Dtype } from '../../types.js';

const PAGE = 65536;
const ALIGN = 16;

/** Sizing of the WASM memory; see `InitOptions`. */
export interface MemoryConfig {
  /** Hard cap of the whole memory in bytes (default 64 MiB). */
  maxBytes: number;
  /** Size of the scratch window in bytes (default: 8 MiB, or less if the cap requires). */
  windowBytes: number;
}

const alignUp = (n: number, a = ALIGN): number => Math.ceil(n / a) * a;

/** The error for an operand that views klwasm's own part of the WASM memory (isInternal). */
function internalViewError(arr: ArrayBufferView, heap: number): RangeError {
  return new RangeError(
    `klwasm: an operand views klwasm's internal WASM memory (bytes ${arr.byteOffset}–${arr.byteOffset + arr.byteLength} of the kernels' constants and scratch window, below ${heap}), which ops must not read or write in place. Pass an allocTensor() tensor, a view inside one, or a copy.`,
  );
}

export class WasmMemory {
  readonly memory: WebAssembly.Memory;
  /** Start of the scratch window (16-byte aligned). */
  readonly window: number;
  readonly windowBytes: number;
  readonly maxBytes: number;
  /** Start of the zero-copy heap. */
  private readonly heap: number;
  /** Zero-copy heap blocks: sorted [start, bytes] pairs of free space below `heapTop`. */
  private free: [number, number][] = [];
  private heapTop: number;
  private live = new Map<number, number>();
  private buf: ArrayBuffer | null = null;
  private v8: Uint8Array = new Uint8Array(0);
  private v32: Float32Array = new Float32Array(0);
  private v64: Float64Array = new Float64Array(0);
  /**
   * The last two views of `buf` that `owns` found or a zero-copy tensor's `data` getter handed
   * out (noteOwned). A view's buffer never changes, so the answer holds until `buf` does;
   * refresh() forgets them. Reading `.buffer` is a builtin call V8 (Node 20) does not inline,
   * ~18 ns, paid by every op on a zero-copy operand; a zero-copy tensor hands out the same view
   * every time, so two entries cover an op's operands.
   */
  private owned0: ArrayBufferView | null = null;
  private owned1: ArrayBufferView | null = null;

  constructor(staticEnd: number, config: MemoryConfig) {
    this.window = alignUp(staticEnd, 64);
    this.maxBytes = Math.floor(config.maxBytes / PAGE) * PAGE;
    this.windowBytes = Math.floor(config.windowBytes / ALIGN) * ALIGN;
    this.heap = alignUp(this.window + this.windowBytes, 64);
    if (this.heap > this.maxBytes) {
      throw new RangeError(
        `init: the WASM memory limit (${this.maxBytes} bytes) cannot hold the kernels' static data and a ${this.windowBytes}-byte window. Raise maxMemoryMiB or lower windowKiB.`,
      );
    }
    this.heapTop = this.heap;
    const initial = Math.ceil(this.heap / PAGE);
    this.memory = new WebAssembly.Memory({ initial, maximum: this.maxBytes / PAGE });
    this.refresh();
  }

  /**
   * Re-derives the views. Only `alloc` grows the memory (kernels never allocate), so it is called
   * from there and once at start; everything else reuses the cached buffer and views.
   */
  private refresh(): void {
    const b = this.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.owned0 = null;
      this.owned1 = null;
      this.v8 = new Uint8Array(b);
      this.v32 = new Float32Array(b);
      this.v64 = new Float64Array(b);
    }
  }

  /** Byte view of the whole memory (re-derived after growth). */
  u8(): Uint8Array {
    return this.v8;
  }
  f32(): Float32Array {
    return this.v32;
  }
  f64(): Float64Array {
    return this.v64;
  }
  /** The float view of `dtype`. */
  view(dtype: Dtype): Float32Array | Float64Array {
    return dtype === 'float64' ? this.v64 : this.v32;
  }

  /** Current size in bytes. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * The memory's current ArrayBuffer, cached: only `alloc` grows the memory and it re-derives the
   * cache (reading `WebAssembly.Memory#buffer` costs a builtin call per access).
   */
  get buffer(): ArrayBuffer {
    return this.buf!;
  }

  /**
   * Whether `arr` is one of the two views `owns` or a zero-copy tensor's `data` vouched for last:
   * identity only. The small-call paths ask this instead of `owns`, whose `byteOffset` read (a
   * getter V8 on Node 20 does not inline, ~10 ns) is a few percent of a 20-element call; a
   * zero-copy view they do not recognise is staged like a typed array (the same values, so the
   * same bits).
   */
  ownsRecent(arr: ArrayBufferView): boolean {
    return arr === this.owned0 || arr === this.owned1;
  }

  /** Records `arr`, a view of the current buffer (a zero-copy tensor's `data`), for ownsRecent. */
  noteOwned(arr: ArrayBufferView): void {
    if (arr !== this.owned0) {
      this.owned1 = this.owned0;
      this.owned0 = arr;
    }
  }

  /**
   * Whether `arr` views this memory below the zero-copy heap: the kernels' constants and the
   * scratch window, which no op may read or write in place (a view made over a zero-copy
   * tensor's `data.buffer` can point there). Reads `.buffer`: for validation, not hot paths.
   */
  isInternal(arr: ArrayBufferView): boolean {
    return arr.buffer === this.buf && arr.byteOffset < this.heap;
  }

  /**
   * Whether `arr` is a view into this memory (then its byteOffset is a kernel pointer).
   * @throws RangeError for a view below the zero-copy heap (see isInternal): a kernel would read
   *   or write the constants or the window in place, or a staging copy would overlap its source.
   */
  owns(arr: Float32Array | Float64Array): boolean {
    if (arr === this.owned0 || arr === this.owned1) return true;
    if (arr.byteOffset === 0) {
      // Nothing of ours starts at address 0 (the kernels' static data is there), so byteOffset 0
      // answers without reading `.buffer`, which for a small on-heap typed array (a fresh result
      // of a few elements) makes V8 materialise an ArrayBuffer: ~0.15 µs, a fifth of a small
      // call. Only an array long enough to reach the window is checked (a view from address 0
      // over the whole memory, made from a zero-copy tensor's `data.buffer`); `length` is cheap.
      if (arr.length > this.window >>> 3 && arr.buffer === this.buf) throw internalViewError(arr, this.heap);
      return false;
    }
    if (arr.buffer !== this.buf) return false;
    if (arr.byteOffset < this.heap) throw internalViewError(arr, this.heap);
    this.noteOwned(arr);
    return true;
  }

  /**
   * Allocates `bytes` in the zero-copy heap (16-byte aligned); grows the memory if needed.
   * @throws RangeError when the memory cap would be exceeded.
   */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, alignUp(bytes));
    for (let i = 0; i < this.free.length; i++) {
      const [start, len] = this.free[i]!;
      if (len >= size) {
        if (len === size) this.free.splice(i, 1);
        else this.free[i] = [start + size, len - size];
        this.live.set(start, size);
        return start;
      }
    }
    const start = this.heapTop;
    const end = start + size;
    if (end > this.maxBytes) {
      throw new RangeError(
        `allocTensor: ${bytes} bytes do not fit in the WASM memory (limit ${this.maxBytes} bytes, ${this.maxBytes - start} free at the top). Free unused tensors or raise init({ maxMemoryMiB }).`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      this.memory.grow(Math.ceil((end - have) / PAGE));
      this.refresh(); // growth detached the old views
    }
    this.heapTop = end;
    this.live.set(start, size);
    return start;
  }

  /** Returns a block from `alloc` to the free list (merging neighbours). Unknown pointers throw. */
  release(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new Error(`klwasm: freeing ${ptr}, which is not a live allocation (double free?)`);
    this.live.delete(ptr);
    this.free.push([ptr, size]);
    this.free.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const block of this.free) {
      const last = merged[merged.length - 1];
      if (last && last[0] + last[1] === block[0]) last[1] += block[1];
      else merged.push([block[0], block[1]]);
    }
    // A free block at the top shrinks the used heap instead.
    const top = merged[merged.length - 1];
    if (top && top[0] + top[1] === this.heapTop) {
      this.heapTop = top[0];
      merged.pop();
    }
    this.free = merged;
  }

  /** Bytes currently allocated to zero-copy tensors. */
  get liveBytes(): number {
    let n = 0;
    for (const size of this.live.values()) n += size;
    return n;
  }
}
