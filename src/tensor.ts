import { shapeStr } from './errors.js';
import { type Dtype, type FloatArray, dtypeOf } from './types.js';

/** Nested number arrays, as `Tensor.toArray()` returns them (a plain number for 0-d). */
export type NestedNumbers = number | NestedNumbers[];

/** Number of elements of a shape (1 for the 0-d shape `[]`). */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Set right before an internal construction (tensorOf, scalarOf); cleared by that constructor. */
let trusted = false;

/**
 * Builds a Tensor without re-validating (internal: ops and input conversion, which have already
 * checked that `shape` is valid and matches `data.length`; `shape` is adopted, not copied).
 */
export function tensorOf(data: FloatArray, shape: number[]): Tensor {
  trusted = true; // consumed (reset) by the constructor's first statement
  return new Tensor(data, shape);
}

/**
 * A 0-d tensor holding `value` in `dtype` (internal: the results of reductions). Its one-element
 * typed array is made on first access of `data`; `item()` needs none (see ScalarTensor).
 */
export function scalarOf(dtype: Dtype, value: number): Tensor {
  const v = dtype === 'float64' ? value : Math.fround(value);
  trusted = true; // consumed by Tensor's constructor (ScalarTensor evaluates nothing before super)
  return new ScalarTensor(dtype, v);
}

/** Row-major element strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * A dense, C-ordered (row-major) float tensor: what every klwasm op returns.
 *
 * `data` holds exactly `numel` elements in row-major order; `shape` is `[]` for a 0-d tensor
 * (a reduction's result). The data array is owned by the tensor unless it was created by
 * `allocTensor` (WASM memory; see the README's "Zero-copy" section).
 *
 * @example
 * ```ts
 * import { Tensor } from 'klwasm';
 * const t = new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * t.toArray(); // [[1, 2], [3, 4]]
 * ```
 */
export class Tensor {
  /** Backing store of `data` (a subclass may re-derive it, see `WasmTensor`). */
  protected _data: FloatArray;
  /** Dimension sizes; `[]` for a 0-d tensor. */
  readonly shape: number[];
  /** Element type, always matching `data`'s array type. */
  readonly dtype: Dtype;

  /**
   * Wraps `data` (not copied) with a shape. `shape` defaults to `[data.length]`.
   * @throws RangeError if the shape is invalid or does not match `data.length`.
   */
  constructor(data: FloatArray, shape?: readonly number[]) {
    if (trusted) {
      // Internal fast path (see tensorOf): the caller has validated data and shape. The flag is
      // reset here, by the one constructor it was set for, rather than by a try/finally around
      // it in tensorOf / scalarOf: that measured ~17 of the ~29 ns of a 0-d result.
      trusted = false;
      this._data = data;
      this.shape = shape as number[];
      this.dtype = data instanceof Float64Array ? 'float64' : 'float32';
      return;
    }
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new TypeError(`Tensor: 'data' must be a Float32Array or Float64Array, got ${Object.prototype.toString.call(data)}. Convert it with Float32Array.from(...).`);
    }
    const s = shape === undefined ? [data.length] : [...shape];
    for (const d of s) {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw new RangeError(`Tensor: 'shape' ${shapeStr(s)} must contain non-negative integers.`);
      }
    }
    const n = numelOf(s);
    if (n !== data.length) {
      throw new RangeError(`Tensor: 'shape' ${shapeStr(s)} needs ${n} elements but 'data' has ${data.length}. Pass data of the right length or fix the shape.`);
    }
    this._data = data;
    this.shape = s;
    this.dtype = dtypeOf(data);
  }

  /** Row-major element data (`Float32Array` for float32, `Float64Array` for float64). */
  get data(): FloatArray {
    return this._data;
  }

  /** Number of elements (product of the shape; 1 for 0-d). */
  get numel(): number {
    return numelOf(this.shape);
  }

  /** Number of dimensions (0 for a 0-d tensor). */
  get ndim(): number {
    return this.shape.length;
  }

  /**
   * The value of a one-element tensor, as a JS number (PyTorch's `Tensor.item()`).
   * Reductions return 0-d tensors, so `klDiv(x, t, { reduction: 'sum' }).item()` is the scalar.
   * @throws RangeError if the tensor does not have exactly one element.
   */
  item(): number {
    if (this.data.length !== 1) {
      throw new RangeError(`Tensor.item(): a tensor with ${this.data.length} elements (shape ${shapeStr(this.shape)}) cannot be converted to a number; use toArray() instead.`);
    }
    return this.data[0]!;
  }

  /** The values as nested arrays (a plain number for a 0-d tensor), like PyTorch's `tolist()`. */
  toArray(): NestedNumbers {
    if (this.shape.length === 0) return this.data[0]!;
    const data = this.data;
    const shape = this.shape;
    const strides = contiguousStrides(shape);
    const build = (dim: number, offset: number): NestedNumbers[] => {
      const size = shape[dim]!;
      const out: NestedNumbers[] = new Array(size);
      if (dim === shape.length - 1) {
        for (let i = 0; i < size; i++) out[i] = data[offset + i]!;
      } else {
        for (let i = 0; i < size; i++) out[i] = build(dim + 1, offset + i * strides[dim]!);
      }
      return out;
    };
    return build(0, 0);
  }

  /** `Tensor(shape=[2, 3], dtype=float32)`: a short description (no values). */
  toString(): string {
    return `Tensor(shape=${shapeStr(this.shape)}, dtype=${this.dtype})`;
  }
}

// Zero-length placeholders of a ScalarTensor's data until it is asked for (their type gives dtype).
const NO_F32 = new Float32Array(0);
const NO_F64 = new Float64Array(0);

/**
 * The 0-d result of a reduction. A reduction on a few elements is called in loops and read with
 * `item()`, and allocating its Float32Array(1) was ~25 ns of a 0.2 µs klDiv call, so the array is
 * made on first access of `data` (then kept: `data` returns the same array every time), and
 * `item()` returns the value, already rounded to the dtype, without it.
 */
class ScalarTensor extends Tensor {
  private readonly value: number;

  constructor(dtype: Dtype, value: number) {
    super(dtype === 'float64' ? NO_F64 : NO_F32, []);
    this.value = value;
  }

  override get data(): FloatArray {
    if (this._data.length === 0) {
      const a = this.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1);
      a[0] = this.value;
      this._data = a;
    }
    return this._data;
  }

  override item(): number {
    // Once `data` exists it is the value (callers may write it, or pass the tensor as `out`).
    return this._data.length === 0 ? this.value : this._data[0]!;
  }
}
