/**
 * Every accepted tensor form gives the same answer as the plain typed-array path, and every bad
 * input gets a clear TypeError / RangeError naming the argument — never a wrong number.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, klDiv, klDivLogits, logSumExp, setWarningHandler, softmax } from '../src/index.js';
import { ALL_BACKENDS, useBackend } from './helpers/backends.js';
import { closeMismatch } from './helpers/golden.js';

const rows = [
  [0.5, -1.25, 2, 0.75],
  [-0.5, 1.5, 0.25, -2],
  [1, 0, -1, 3],
];
const flat = Float32Array.from(rows.flat());
const reference = () => softmax({ data: flat, shape: [3, 4] }, -1);

describe.each(ALL_BACKENDS)('TensorLike forms on %s', (name) => {
  beforeAll(() => {
    useBackend(name);
    setWarningHandler(null);
  });

  it('nested arrays are float32, like torch.tensor', () => {
    const r = softmax(rows, -1);
    expect(r.dtype).toBe('float32');
    expect(r.shape).toEqual([3, 4]);
    expect(r.data).toEqual(reference().data);
  });

  it('{ data, shape, dtype } with typed or plain data', () => {
    expect(softmax({ data: flat, shape: [3, 4] }, -1).data).toEqual(reference().data);
    expect(softmax({ data: rows.flat(), shape: [3, 4] }, -1).data).toEqual(reference().data);
    const r64 = softmax({ data: rows.flat(), shape: [3, 4], dtype: 'float64' }, -1);
    expect(r64.dtype).toBe('float64');
    expect(closeMismatch(reference().data, r64.data, 1.3e-6, 1e-7)).toBeNull();
    expect(softmax({ data: Float64Array.from(flat), shape: [3, 4], dtype: 'float32' }, -1).data).toEqual(reference().data);
  });

  it('a Tensor, a Float32Array (1-d) and a Float64Array (1-d, float64)', () => {
    const t = new Tensor(flat, [3, 4]);
    expect(softmax(t, -1).data).toEqual(reference().data);
    expect(softmax(flat.subarray(0, 4), 0).data).toEqual(reference().data.subarray(0, 4));
    const d = softmax(Float64Array.from(flat.subarray(4, 8)), 0);
    expect(d.dtype).toBe('float64');
    expect(d.shape).toEqual([4]);
  });

  it('a number is a 0-d float32 tensor', () => {
    const r = klDiv(-1, 0.5, { reduction: 'sum' });
    expect(r.shape).toEqual([]);
    expect(r.dtype).toBe('float32');
  });

  it('strided views (scijs ndarray): transposed, offset, negative strides, stepped', () => {
    // Transposed view of the 4×3 storage of rows^T.
    const colMajor = new Float32Array(12);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) colMajor[c * 3 + r] = rows[r]![c]!;
    const transposed = { data: colMajor, shape: [3, 4], stride: [1, 3], offset: 0 };
    expect(softmax(transposed, -1).data).toEqual(reference().data);
    // Offset + larger row stride (a window of a bigger matrix).
    const big = new Float32Array(2 + 3 * 6).fill(NaN);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) big[2 + r * 6 + c] = rows[r]![c]!;
    expect(softmax({ data: big, shape: [3, 4], stride: [6, 1], offset: 2 }, -1).data).toEqual(reference().data);
    // Reversed rows via a negative stride.
    const rev = { data: flat, shape: [3, 4], stride: [-4, 1], offset: 8 };
    const want = softmax([rows[2]!, rows[1]!, rows[0]!], -1);
    expect(softmax(rev, -1).data).toEqual(want.data);
    // scijs's 'array' dtype holds plain numbers.
    expect(softmax({ data: rows.flat(), shape: [3, 4], stride: [4, 1], offset: 0, dtype: 'array' }, -1).data).toEqual(reference().data);
    // A contiguous view is used without copying.
    const contiguous = { data: flat, shape: [3, 4], stride: [4, 1], offset: 0 };
    expect(softmax(contiguous, -1).data).toEqual(reference().data);
  });

  it('{ data, dims, type } (onnxruntime Tensor)', () => {
    expect(softmax({ data: flat, dims: [3, 4], type: 'float32' }, -1).data).toEqual(reference().data);
    expect(() => softmax({ data: new Int32Array(12), dims: [3, 4], type: 'int32' } as never, -1)).toThrow(TypeError);
  });

  it('objects with dataSync() and shape (tfjs Tensor)', () => {
    const tfLike = { shape: [3, 4], dtype: 'float32', dataSync: () => flat };
    expect(softmax(tfLike, -1).data).toEqual(reference().data);
    const intLike = { shape: [3, 4], dtype: 'int32', dataSync: () => new Int32Array(12) };
    expect(() => softmax(intLike, -1)).toThrow(/dtype "int32"/);
  });

  it('views of a SharedArrayBuffer are read like any other', () => {
    const sab = new Float32Array(new SharedArrayBuffer(48));
    sab.set(flat);
    expect(softmax({ data: sab, shape: [3, 4] }, -1).data).toEqual(reference().data);
  });
});

describe('bad inputs get clear errors naming the argument', () => {
  beforeAll(() => setWarningHandler(null));

  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['integer typed array', () => softmax(new Int32Array([1, 2]) as never, 0), TypeError, /argument 'input'.*Int32Array.*Float32Array\.from/],
    ['Uint8Array data', () => klDiv({ data: new Uint8Array(2), shape: [2] } as never, [0.5, 0.5]), TypeError, /'input'.*Uint8Array/],
    ['string input', () => softmax('1,2,3' as never, 0), TypeError, /argument 'input' is "1,2,3"/],
    ['null target', () => klDiv([-1], null as never), TypeError, /argument 'target' is null/],
    ['undefined input', () => logSumExp(undefined as never, 0), TypeError, /'input' is undefined/],
    ['boolean', () => softmax(true as never, 0), TypeError, /'input' is true/],
    ['ragged nested array', () => softmax([[1, 2], [3]], -1), RangeError, /ragged.*\[1\] has length 1.*needs length 2/],
    ['non-number entry', () => softmax([[1, '2']] as never, -1), TypeError, /"2" at \[0\]\[1\]/],
    ['short data', () => softmax({ data: new Float32Array(5), shape: [2, 3] }, -1), RangeError, /shape \[2, 3\], which needs 6 elements, but its data has 5/],
    ['long data', () => softmax({ data: new Float32Array(7), shape: [2, 3] }, -1), RangeError, /needs 6 elements, but its data has 7/],
    ['negative shape entry', () => softmax({ data: new Float32Array(0), shape: [-1, 0] }, -1), RangeError, /non-negative integer/],
    ['fractional shape entry', () => softmax({ data: new Float32Array(3), shape: [1.5, 2] }, -1), RangeError, /non-negative integer/],
    ['shape not an array', () => softmax({ data: new Float32Array(3), shape: 3 } as never, -1), TypeError, /as its shape/],
    ['missing shape', () => softmax({ data: new Float32Array(3) } as never, -1), TypeError, /no 'shape'/],
    ['unsupported dtype name', () => softmax({ data: [1, 2], shape: [2], dtype: 'int64' }, -1), TypeError, /dtype "int64"/],
    ['strided view out of bounds', () => softmax({ data: new Float32Array(6), shape: [2, 3], stride: [4, 1], offset: 0 }, -1), RangeError, /reaches index 6/],
    ['strided view negative reach', () => softmax({ data: new Float32Array(6), shape: [2, 3], stride: [-3, 1], offset: 0 }, -1), RangeError, /reaches index -3/],
    ['bad stride length', () => softmax({ data: new Float32Array(6), shape: [2, 3], stride: [3], offset: 0 }, -1), RangeError, /stride/],
    ['bad offset', () => softmax({ data: new Float32Array(6), shape: [2, 3], stride: [3, 1], offset: -1 }, -1), RangeError, /offset/],
    ['fractional dim', () => softmax([1, 2], 0.5), TypeError, /'dim' must be an integer, got 0.5/],
    ['NaN dim', () => softmax([1, 2], NaN), TypeError, /'dim' must be an integer, got NaN/],
    ['string dim', () => softmax([1, 2], '0' as never), TypeError, /'dim' must be an integer/],
    ['dim out of range', () => softmax([[1, 2]], 2), RangeError, /Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/],
    ['dim out of range (negative)', () => softmax([[1, 2]], -3), RangeError, /but got -3/],
    ['options not an object', () => klDiv([-1], [1], 'sum' as never), TypeError, /'options' is "sum"/],
  ];

  it.each(cases)('%s', (_label, fn, ErrorClass, pattern) => {
    expect(fn).toThrow(ErrorClass);
    expect(fn).toThrow(pattern);
  });

  it('a detached (transferred) buffer is reported as such', () => {
    const data = new Float32Array([1, 2, 3]);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    expect(() => softmax({ data, shape: [3] }, 0)).toThrow(/transferred or detached/);
  });
});

describe('Tensor', () => {
  it('item() works on one-element tensors only', () => {
    expect(new Tensor(Float32Array.of(2.5), []).item()).toBe(2.5);
    expect(new Tensor(Float32Array.of(2.5), [1, 1]).item()).toBe(2.5);
    expect(() => new Tensor(new Float32Array(2), [2]).item()).toThrow(/2 elements.*toArray/);
  });

  it('toArray() nests by shape, including empty dims', () => {
    expect(new Tensor(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]).toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(new Tensor(Float32Array.of(1, 2), [2, 1, 1]).toArray()).toEqual([[[1]], [[2]]]);
    expect(new Tensor(new Float32Array(0), [2, 0]).toArray()).toEqual([[], []]);
    expect(new Tensor(new Float32Array(0), [0, 3]).toArray()).toEqual([]);
    expect(new Tensor(Float64Array.of(7), []).toArray()).toBe(7);
  });

  it('validates its arguments', () => {
    expect(() => new Tensor([1, 2] as never)).toThrow(TypeError);
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow(/needs 4 elements/);
    expect(() => new Tensor(new Float32Array(0), [-1])).toThrow(RangeError);
    expect(String(new Tensor(new Float64Array(6), [2, 3]))).toBe('Tensor(shape=[2, 3], dtype=float64)');
    const t = new Tensor(new Float32Array(6), [2, 3]);
    expect([t.numel, t.ndim, t.dtype]).toEqual([6, 2, 'float32']);
  });

  it('still validates right after internal (unvalidated) constructions: the flag is consumed', () => {
    // tensorOf / scalarOf set a module flag that the next constructor call consumes; op results
    // (ordinary and 0-d) are built that way, so a user's Tensor right after one must validate.
    const r = softmax([[1, 2, 3]], -1);
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow(/needs 4 elements/);
    const s = klDiv([0.1, 0.2], [0.5, 0.5], { reduction: 'sum' });
    expect(() => new Tensor([1, 2] as never)).toThrow(TypeError);
    const u = logSumExp({ data: Float64Array.of(1, 2), shape: [2] }, 0);
    expect(() => new Tensor(new Float64Array(1), [-1])).toThrow(RangeError);
    expect([r.shape, r.dtype, s.shape, s.dtype, u.shape, u.dtype]).toEqual([[1, 3], 'float32', [], 'float32', [], 'float64']);
    // Own enumerable fields as before the class-field setting changed (assign semantics).
    expect(Object.keys(new Tensor(new Float32Array(2), [2])).sort()).toEqual(['_data', 'dtype', 'shape']);
  });
});

describe('0-d results read back what their data holds', () => {
  it('item() follows writes to data and use as `out` (klDiv and klDivLogits reductions)', () => {
    const loss = klDiv([[-1, -2]], [[0.5, 0.5]], { reduction: 'sum' });
    const v = loss.item();
    loss.data[0] = v * 4;
    expect(loss.item()).toBe(Math.fround(v * 4));
    const l2 = klDivLogits([[1, 2]], [[2, 1]], { reduction: 'sum' });
    l2.data.fill(0);
    expect(l2.item()).toBe(0);
    const o = klDiv(new Tensor(Float32Array.of(-1), []), new Tensor(Float32Array.of(0.5), []), { reduction: 'sum' });
    klDiv(new Tensor(Float32Array.of(-3), []), new Tensor(Float32Array.of(0.5), []), { reduction: 'none', out: o });
    // 0.5·(log 0.5 + 3), as written into o by the 'none' call.
    expect(o.item()).toBe(o.data[0]);
    expect(o.item()).toBeCloseTo(0.5 * (Math.log(0.5) + 3), 6);
  });
});
