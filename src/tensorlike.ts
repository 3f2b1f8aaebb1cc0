import { argRangeError, argTypeError, describe, shapeGivenStr, shapeStr } from './errors.js';
import { gatherStrided } from './strided.js';
import { Tensor, tensorOf, contiguousStrides, numelOf } from './tensor.js';
import { type Dtype, type FloatArray, arrayFor } from './types.js';

/** Nested arrays of numbers, as `torch.tensor` accepts them (read as float32). */
export type NestedArray = number | readonly NestedArray[];

/**
 * Everything klwasm ops accept as a tensor argument, without depending on the packages that define
 * the foreign forms:
 * - a klwasm `Tensor`, or any `{ data, shape, dtype? }` with row-major data;
 * - a `Float32Array` / `Float64Array` (1-d, used without copying);
 * - a number (0-d float32, like `torch.tensor(0.5)`);
 * - nested number arrays (float32, like `torch.tensor([[...]])`; must not be ragged);
 * - a strided view `{ data, shape, stride, offset }` (scijs ndarray; copied to row-major order);
 * - `{ data, dims }` (an onnxruntime `Tensor`);
 * - an object with `dataSync()` and `shape` (a tfjs `Tensor`).
 */
export type TensorLike =
  | Tensor
  | Float32Array
  | Float64Array
  | number
  | readonly NestedArray[]
  | { readonly data: FloatArray | readonly number[]; readonly shape: readonly number[]; readonly dtype?: string }
  | {
      readonly data: FloatArray | readonly number[];
      readonly shape: readonly number[];
      readonly stride: readonly number[];
      readonly offset?: number;
    }
  | { readonly data: FloatArray | readonly number[]; readonly dims: readonly number[]; readonly type?: string }
  | { dataSync(): ArrayLike<number>; readonly shape: readonly number[]; readonly dtype?: string };

const FIX_INTEGER = 'kl_div, softmax and logsumexp need floating-point data: convert it, e.g. Float32Array.from(values)';

/**
 * Whether a view's ArrayBuffer was detached (transferred to a worker, or `ArrayBuffer#transfer`).
 * A detached view reads as length 0; constructing a view on its buffer throws, which tells the
 * two apart (Node 20 has no `ArrayBuffer#detached`).
 */
function isDetached(view: ArrayBufferView): boolean {
  if (view.byteLength !== 0) return false;
  try {
    new Uint8Array(view.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

function checkNotDetached(op: string, arg: string, view: ArrayBufferView): void {
  if (isDetached(view)) {
    throw argRangeError(op, arg, `is a ${view.constructor.name} whose ArrayBuffer was transferred or detached`, 'Pass data that is still owned by this thread (copy it before transferring the buffer)');
  }
}

/** Throws a TypeError unless `data` is a float typed array or a plain array of numbers. */
function checkDataKind(op: string, arg: string, data: unknown): void {
  if (data instanceof Float32Array || data instanceof Float64Array || Array.isArray(data)) return;
  if (ArrayBuffer.isView(data)) {
    throw argTypeError(op, arg, `has ${describe(data)} as data; integer and other non-float arrays are not supported`, FIX_INTEGER);
  }
  throw argTypeError(op, arg, `has ${describe(data)} as data`, 'Pass a Float32Array, a Float64Array or an array of numbers');
}

function checkShape(op: string, arg: string, shape: unknown, field = 'shape'): number[] {
  if (!Array.isArray(shape) && !(ArrayBuffer.isView(shape) && !(shape instanceof DataView))) {
    throw argTypeError(op, arg, `has ${describe(shape)} as its ${field}`, `Give '${field}' as an array of non-negative integers, e.g. [2, 3]`);
  }
  const src = shape as ArrayLike<unknown>;
  const out = new Array<number>(src.length);
  for (let i = 0; i < src.length; i++) {
    const d = src[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw argRangeError(op, arg, `has ${field} ${shapeGivenStr(src)}: entry ${i} is ${describe(d)}, not a non-negative integer`, `Every dimension size must be a number that is an integer ≥ 0`);
    }
    out[i] = d;
  }
  return out;
}

/** Float array of the requested dtype holding `values` (copies unless already of that type). */
function asFloatArray(values: ArrayLike<number>, dtype: Dtype): FloatArray {
  const Ctor = arrayFor(dtype);
  if (values instanceof Ctor) return values;
  return Ctor.from(values);
}

function dtypeFromName(op: string, arg: string, name: unknown, data: unknown): Dtype {
  if (name === undefined || name === null) {
    return data instanceof Float64Array ? 'float64' : 'float32';
  }
  if (name === 'float32' || name === 'float64') return name;
  throw argTypeError(op, arg, `has dtype ${describe(name)}`, `klwasm computes in 'float32' or 'float64': ${FIX_INTEGER}`);
}

/** Reads nested number arrays (row-major) into a float32 tensor; rejects ragged arrays and non-numbers. */
function fromNested(op: string, arg: string, value: readonly NestedArray[]): Tensor {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const out = new Float32Array(numelOf(shape));
  let k = 0;
  const walk = (node: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof node !== 'number') {
        throw argTypeError(op, arg, `has ${describe(node)} at ${path || 'the top level'} where a number was expected`, 'Nested arrays must contain only numbers (NaN and ±Infinity are allowed)');
      }
      out[k++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      const got = Array.isArray(node) ? `length ${node.length}` : describe(node);
      throw argRangeError(op, arg, `is a ragged nested array: ${path || 'the top level'} has ${got} but shape ${shapeStr(shape)} needs length ${shape[dim]} there`, 'Every row at the same depth must have the same length');
    }
    for (let i = 0; i < node.length; i++) walk(node[i], dim + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return tensorOf(out, shape);
}

/** Copies a strided view (any strides, including negative and zero) into row-major order. */
function fromStrided(
  op: string,
  arg: string,
  data: FloatArray | readonly number[],
  shape: number[],
  strideIn: unknown,
  offsetIn: unknown,
  dtype: Dtype,
): Tensor {
  const stride = checkShapeLike(op, arg, strideIn, shape.length);
  const offset = offsetIn === undefined || offsetIn === null ? 0 : Number(offsetIn);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw argRangeError(op, arg, `has offset ${describe(offsetIn)}`, 'The offset must be a non-negative integer index into data');
  }
  const n = numelOf(shape);
  const Ctor = arrayFor(dtype);
  if (n === 0) return tensorOf(new Ctor(0), shape);
  // Reject views that would read outside data before reading anything.
  let lo = offset;
  let hi = offset;
  for (let d = 0; d < shape.length; d++) {
    const span = (shape[d]! - 1) * stride[d]!;
    if (span < 0) lo += span;
    else hi += span;
  }
  if (lo < 0 || hi >= data.length) {
    throw argRangeError(op, arg, `is a strided view (shape ${shapeStr(shape)}, stride ${shapeStr(stride)}, offset ${offset}) that reaches index ${lo < 0 ? lo : hi} of data with ${data.length} elements`, 'Fix the shape, stride or offset so the view stays inside its data');
  }
  const contiguous = contiguousStrides(shape);
  if (
    offset === 0 &&
    data.length === n &&
    data instanceof Ctor &&
    stride.every((s, d) => s === contiguous[d] || shape[d] === 1)
  ) {
    return tensorOf(data, shape);
  }
  const out = new Ctor(n);
  gatherStrided(data, offset, shape, stride, out);
  return tensorOf(out, shape);
}

function checkShapeLike(op: string, arg: string, stride: unknown, ndim: number): number[] {
  if (!Array.isArray(stride) && !ArrayBuffer.isView(stride)) {
    throw argTypeError(op, arg, `has ${describe(stride)} as its stride`, 'Give stride as an array of integers, one per dimension');
  }
  const out = Array.from(stride as ArrayLike<number>, Number);
  if (out.length !== ndim || out.some((s) => !Number.isSafeInteger(s))) {
    throw argRangeError(op, arg, `has stride ${shapeStr(out)} for a ${ndim}-d shape`, 'Give one integer stride per dimension');
  }
  return out;
}

/**
 * The commonest argument, a plain `{ data: Float32Array | Float64Array, shape: number[] }` without
 * `dtype`, `stride` or `dataSync`, with the same checks as the general path below but fewer steps
 * (in a call on a few elements this conversion was a sixth of the time). Returns null for every
 * other form, and for a shape it would reject, so that the general path reports the error.
 */
function plainTensorOf(value: unknown, op: string, arg: string): Tensor | null {
  const shape = plainShapeOf(value);
  if (shape === null) return null;
  const data = (value as { data: FloatArray }).data;
  if (data.byteLength === 0) checkNotDetached(op, arg, data);
  return tensorOf(data, shape.slice() as number[]);
}

/**
 * The shape of a plain `{ data: Float32Array | Float64Array, shape }` without `dtype`, `stride` or
 * `dataSync` whose dims are non-negative safe integers with `data.length` elements, as given (not
 * copied); null for anything else. plainTensorOf builds on it, and so do the small-call lanes
 * (laneShapeOf), which read the operands without making Tensors of them.
 */
function plainShapeOf(value: unknown): readonly number[] | null {
  if (value === null || typeof value !== 'object') return null;
  const obj = value as { data?: unknown; shape?: unknown; dtype?: unknown; stride?: unknown; dataSync?: unknown };
  const data = obj.data;
  const shape = obj.shape;
  if (!(data instanceof Float32Array || data instanceof Float64Array) || !Array.isArray(shape)) return null;
  if (obj.dtype !== undefined || obj.stride !== undefined || obj.dataSync !== undefined) return null;
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return null;
    n *= d;
  }
  return data.length === n ? (shape as number[]) : null;
}

/**
 * The shape of an operand the ops' small-call lanes read without making a Tensor of it: a Tensor's
 * own shape, or a valid plain `{ data, shape }`'s (plainShapeOf); null for anything else.
 */
export function laneShapeOf(value: unknown): readonly number[] | null {
  return value instanceof Tensor ? value.shape : plainShapeOf(value);
}

/** The data and shape (not copied) of the operand quickDimOf last accepted (read right after it). */
export let quickData: FloatArray = new Float32Array(0);
export let quickShape: readonly number[] = [];

/**
 * The operand of the ops' no-plan lanes (softmax, logSoftmax, logSumExp): a Tensor or a plain
 * `{ data, shape }` (plainShapeOf) of at least one dimension and one element, with an integer
 * `dim` in range. Returns the normalised dim and leaves the operand in quickData / quickShape
 * (module state rather than a result object: returning one measured ~20 % of a [4, 5]
 * logSumExp call); −1 for anything else, which then takes the op's general path and its errors.
 */
export function quickDimOf(input: unknown, dim: unknown): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim)) return -1;
  const shape = laneShapeOf(input);
  if (shape === null) return -1;
  const nd = shape.length;
  if (nd === 0 || dim < -nd || dim >= nd) return -1;
  const x = (input as { data: FloatArray }).data;
  if (x.length === 0) return -1;
  quickData = x;
  quickShape = shape;
  return dim < 0 ? dim + nd : dim;
}

/**
 * Converts any accepted tensor form to a row-major `Tensor`, sharing memory where the input already
 * is a row-major float array of the right type. `op` and `arg` name the call in error messages.
 */
export function toTensor(value: unknown, op: string, arg: string): Tensor {
  if (value instanceof Tensor) return value;
  const fast = plainTensorOf(value, op, arg);
  if (fast !== null) return fast;
  if (typeof value === 'number') return tensorOf(Float32Array.of(value), []);
  if (value instanceof Float32Array || value instanceof Float64Array) {
    checkNotDetached(op, arg, value);
    return tensorOf(value, [value.length]);
  }
  if (Array.isArray(value)) return fromNested(op, arg, value);
  if (value === null || typeof value !== 'object') {
    throw argTypeError(op, arg, `is ${describe(value)}`, 'Pass a Tensor, a Float32Array/Float64Array, a number, nested number arrays or { data, shape }');
  }
  if (ArrayBuffer.isView(value)) {
    throw argTypeError(op, arg, `is ${describe(value)}; integer and other non-float arrays are not supported`, FIX_INTEGER);
  }
  const obj = value as Record<string, unknown>;

  // tfjs Tensor: { dataSync(), shape, dtype }.
  if (typeof obj.dataSync === 'function') {
    const shape = checkShape(op, arg, obj.shape);
    if (obj.dtype !== undefined && obj.dtype !== 'float32' && obj.dtype !== 'float64') {
      throw argTypeError(op, arg, `is a tensor of dtype ${describe(obj.dtype)}`, `${FIX_INTEGER} (tfjs: x.toFloat() or tf.cast(x, 'float32'))`);
    }
    const data = (obj.dataSync as () => unknown)();
    checkDataKind(op, arg, data);
    return withShape(op, arg, asFloatArray(data as ArrayLike<number>, dtypeFromName(op, arg, undefined, data)), shape);
  }

  if (!('data' in obj)) {
    throw argTypeError(op, arg, `is ${describe(value)} without a 'data' field`, 'Pass a Tensor, a Float32Array/Float64Array, a number, nested number arrays or { data, shape }');
  }
  const data = obj.data;
  checkDataKind(op, arg, data);
  if (ArrayBuffer.isView(data)) checkNotDetached(op, arg, data);
  const floatData = data as FloatArray | readonly number[];

  // onnxruntime Tensor: { data, dims, type }.
  if (!('shape' in obj) && 'dims' in obj) {
    const shape = checkShape(op, arg, obj.dims, 'dims');
    const dtype = dtypeFromName(op, arg, obj.type, data);
    return withShape(op, arg, asFloatArray(floatData, dtype), shape);
  }
  if (!('shape' in obj)) {
    throw argTypeError(op, arg, `has 'data' but no 'shape' (or 'dims')`, 'Add a shape, e.g. { data, shape: [2, 3] }, or pass the typed array itself for 1-d data');
  }
  const shape = checkShape(op, arg, obj.shape);
  // scijs ndarray's dtype is 'float32' | 'float64' | 'array' | ...; 'array' means plain JS numbers.
  const dtypeName = obj.dtype === 'array' || obj.dtype === 'generic' ? undefined : obj.dtype;
  const dtype = dtypeFromName(op, arg, dtypeName, data);
  if ('stride' in obj && obj.stride !== undefined) {
    return fromStrided(op, arg, floatData, shape, obj.stride, obj.offset, dtype);
  }
  return withShape(op, arg, asFloatArray(floatData, dtype), shape);
}

function withShape(op: string, arg: string, data: FloatArray, shape: number[]): Tensor {
  const n = numelOf(shape);
  if (data.length !== n) {
    throw argRangeError(op, arg, `has shape ${shapeStr(shape)}, which needs ${n} elements, but its data has ${data.length}`, 'Pass data with exactly as many elements as the shape, in row-major order');
  }
  return tensorOf(data, shape);
}
