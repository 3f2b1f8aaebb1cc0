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
import { CompensatedSum } from '../../compensated.js';
import type { Kernels } from '../kernels.js';
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
  if (n <= 64) {
    for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
  } else {
    dst.set(src.subarray(s, s + n), d);
  }
}

type SliceKind = 'softmax' | 'logSoftmax';

export class WasmKernels implements Kernels {
  constructor(
    readonly name: BackendName,
    private readonly k: KernelExports,
    readonly mem: WasmMemory,
  ) {}

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

  private suffix(dtype: Dtype): '_f32' | '_f64' {
    return dtype === 'float64' ? '_f64' : '_f32';
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
    for (let k = 0; k < kc; k++) copyInto(dst, base + k * inner, V, at + k * w, w);
  }

  /** Fresh online state (m = −inf, s = 0) for w columns at `ptr`. */
  private initState(ptr: number, w: number): void {
    const F = this.mem.f64();
    F.fill(-Infinity, ptr / 8, ptr / 8 + w);
    F.fill(0, ptr / 8 + w, ptr / 8 + 2 * w);
  }

  // -------------------------------------------------------------------------------------------
  // softmax / log_softmax

  softmax(x: FloatArray, out: FloatArray, outer: number, size: number, inner: number): void {
    this.sliceOp('softmax', x, out, outer, size, inner);
  }

  logSoftmax(x: FloatArray, out: FloatArray, outer: number, size: number, inner: number): void {
    this.sliceOp('logSoftmax', x, out, outer, size, inner);
  }

  private sliceOp(kind: SliceKind, x: FloatArray, out: FloatArray, outer: number, size: number, inner: number): void {
    const dtype = dtypeOf(x);
    const b = x.BYTES_PER_ELEMENT;
    const fn = this.k[`${kind}${this.suffix(dtype)}`];
    if (this.mem.owns(x) && this.mem.owns(out)) {
      fn(x.byteOffset, out.byteOffset, outer, size, inner);
      return;
    }
    const slab = size * inner;
    const cap = Math.floor(this.room(1) / b);
    if (slab <= cap) {
      const per = Math.floor(cap / slab);
      const [w] = this.carve(per * slab * b);
      for (let o = 0; o < outer; o += per) {
        const n = Math.min(per, outer - o);
        this.gather(x, o, size, inner, 0, size * n, 0, inner, w!);
        fn(w!, w!, n, size, inner);
        this.scatter(out, o, size, inner, 0, size * n, 0, inner, w!);
      }
      return;
    }
    if (size <= cap) {
      // One slab is too big but whole columns fit: tiles of `tw` columns (inner > 1 here).
      const tw = Math.floor(cap / size);
      const [w] = this.carve(tw * size * b);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i += tw) {
          const n = Math.min(tw, inner - i);
          this.gather(x, o, size, inner, 0, size, i, n, w!);
          fn(w!, w!, 1, size, n);
          this.scatter(out, o, size, inner, 0, size, i, n, w!);
        }
      }
      return;
    }
    // A single column is longer than the window: stream it with the online log-sum-exp.
    const update = this.k[`lseUpdate${this.suffix(dtype)}`];
    const apply = this.k[`softmaxApply${this.suffix(dtype)}`];
    const cols = Math.min(inner, 16);
    const stateBytes = 16 * cols;
    const kc = Math.max(1, Math.floor((this.room(2) - stateBytes) / (cols * b)));
    const [state, w] = this.carve(stateBytes, kc * cols * b);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i += cols) {
        const n = Math.min(cols, inner - i);
        this.initState(state!, n);
        for (let k = 0; k < size; k += kc) {
          const m = Math.min(kc, size - k);
          this.gather(x, o, size, inner, k, m, i, n, w!);
          update(w!, m, n, 1, state!);
        }
        for (let k = 0; k < size; k += kc) {
          const m = Math.min(kc, size - k);
          this.gather(x, o, size, inner, k, m, i, n, w!);
          apply(w!, w!, m, n, state!, kind === 'softmax' ? 0 : 1);
          this.scatter(out, o, size, inner, k, m, i, n, w!);
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // logsumexp

  logSumExp(x: FloatArray, out: FloatArray, outer: number, size: number, inner: number): void {
    const dtype = dtypeOf(x);
    const b = x.BYTES_PER_ELEMENT;
    const fn = this.k[`logSumExp${this.suffix(dtype)}`];
    if (this.mem.owns(x) && this.mem.owns(out)) {
      fn(x.byteOffset, out.byteOffset, outer, size, inner);
      return;
    }
    const slab = size * inner;
    const cap = Math.floor(this.room(2) / b);
    const V = () => this.mem.view(dtype);
    if (slab + inner <= cap) {
      const per = Math.floor(cap / (slab + inner));
      const [w, d] = this.carve(per * slab * b, per * inner * b);
      for (let o = 0; o < outer; o += per) {
        const n = Math.min(per, outer - o);
        this.gather(x, o, size, inner, 0, size * n, 0, inner, w!);
        fn(w!, d!, n, size, inner);
        copyInto(out, o * inner, V(), d! / b, n * inner);
      }
      return;
    }
    if (size + 1 <= cap) {
      const tw = Math.floor(cap / (size + 1));
      const [w, d] = this.carve(tw * size * b, tw * b);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i += tw) {
          const n = Math.min(tw, inner - i);
          this.gather(x, o, size, inner, 0, size, i, n, w!);
          fn(w!, d!, 1, size, n);
          copyInto(out, o * inner + i, V(), d! / b, n);
        }
      }
      return;
    }
    const update = this.k[`lseUpdate${this.suffix(dtype)}`];
    const cols = Math.min(inner, 16);
    const stateBytes = 16 * cols;
    const kc = Math.max(1, Math.floor((this.room(2) - stateBytes) / (cols * b)));
    const [state, w] = this.carve(stateBytes, kc * cols * b);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i += cols) {
        const n = Math.min(cols, inner - i);
        this.initState(state!, n);
        for (let k = 0; k < size; k += kc) {
          const m = Math.min(kc, size - k);
          this.gather(x, o, size, inner, k, m, i, n, w!);
          update(w!, m, n, 1, state!);
        }
        const F = this.mem.f64();
        for (let j = 0; j < n; j++) {
          const mj = F[state! / 8 + j]!;
          out[o * inner + i + j] = mj === Infinity || mj === -Infinity ? mj : Math.log(F[state! / 8 + n + j]!) + mj;
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
    const dtype = dtypeOf(input);
    const b = input.BYTES_PER_ELEMENT;
    const fn = this.k[`klDiv${this.suffix(dtype)}`];
    const lt = logTarget ? 1 : 0;
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
    const cap = Math.floor(this.room(3) / b);
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
    const dtype = dtypeOf(x);
    const b = x.BYTES_PER_ELEMENT;
    const sfx = this.suffix(dtype);
    const fn = this.k[`klDivLogits${sfx}`];
    const invT = 1 / temperature;
    const total = new CompensatedSum();
    const F64 = () => this.mem.f64();
    const pw = pointwise ? 1 : 0;
    // The kernel's scratch: both slices' exponentials; f32 column groups keep 4 lanes of each.
    const scratchBytes = (inner === 1 || dtype === 'float64' ? 2 : 8) * size * b;
    const slab = size * inner;
    const zeroCopy = this.mem.owns(x) && this.mem.owns(y) && (pointwise === null || this.mem.owns(pointwise));

    // Whole slabs per block: x, y, optional pointwise output, per-slice sums, scratch.
    const perSlab = slab * b * (2 + pw) + inner * 8;
    const avail = this.room(5) - scratchBytes;
    if (zeroCopy && avail >= inner * 8) {
      const per = Math.max(1, Math.floor(avail / (inner * 8)));
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
      const per = Math.floor(avail / perSlab);
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
    const perCol = size * b * (2 + pw) + 8;
    if (perCol <= avail) {
      // Tiles of whole columns (inner > 1 here).
      const tw = Math.floor(avail / perCol);
      const [scratch, xw, yw, dw, ps] = this.carve(scratchBytes, tw * size * b, tw * size * b, pw * tw * size * b, tw * 8);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i += tw) {
          const n = Math.min(tw, inner - i);
          this.gather(x, o, size, inner, 0, size, i, n, xw!);
          this.gather(y, o, size, inner, 0, size, i, n, yw!);
          total.add(fn(xw!, yw!, 1, size, n, invT, pointScale, pointwise ? dw! : 0, ps!, scratch!));
          if (pointwise) this.scatter(pointwise, o, size, inner, 0, size, i, n, dw!);
          if (perSlice) copyInto(perSlice, o * inner + i, F64(), ps! / 8, n);
        }
      }
      return total.value;
    }
    // Columns longer than the window: online log-sum-exp of x/T and y/T (pass A), then the terms
    // with the exponentials recomputed (pass B).
    const update = this.k[`lseUpdate${sfx}`];
    const terms = this.k[`klTermsChunk${sfx}`];
    const cols = Math.min(inner, 16);
    const fixedBytes = 2 * 16 * cols + 8 * cols;
    const kc = Math.max(1, Math.floor((this.room(6) - fixedBytes) / (cols * b * (2 + pw))));
    const [sx, sy, acc, xw, yw, dw] = this.carve(16 * cols, 16 * cols, 8 * cols, kc * cols * b, kc * cols * b, pw * kc * cols * b);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i += cols) {
        const n = Math.min(cols, inner - i);
        this.initState(sx!, n);
        this.initState(sy!, n);
        F64().fill(0, acc! / 8, acc! / 8 + n);
        for (let k = 0; k < size; k += kc) {
          const m = Math.min(kc, size - k);
          this.gather(x, o, size, inner, k, m, i, n, xw!);
          update(xw!, m, n, invT, sx!);
          this.gather(y, o, size, inner, k, m, i, n, yw!);
          update(yw!, m, n, invT, sy!);
        }
        for (let k = 0; k < size; k += kc) {
          const m = Math.min(kc, size - k);
          this.gather(x, o, size, inner, k, m, i, n, xw!);
          this.gather(y, o, size, inner, k, m, i, n, yw!);
          terms(xw!, yw!, m, n, invT, sx!, sy!, pointScale, pointwise ? dw! : 0, acc!);
          if (pointwise) this.scatter(pointwise, o, size, inner, k, m, i, n, dw!);
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
