/**
 * Interop with the real packages users hold tensors in (devDependencies; klwasm itself depends on
 * none of them): a tfjs Tensor, an onnxruntime-common Tensor, scijs ndarrays — contiguous and
 * non-contiguous offset views (transpose, lo/hi, negative step, zero stride) — and plain nested
 * arrays are passed directly to every op and must give exactly the typed-array path's result.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import ndarray, { type NdArray } from 'ndarray';
import { Tensor as OrtTensor } from 'onnxruntime-common';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Tensor,
  type TensorLike,
  klDiv,
  klDivLogits,
  logSoftmax,
  logSumExp,
  setWarningHandler,
  softmax,
} from '../src/index.js';
import { ALL_BACKENDS, useBackend } from './helpers/backends.js';
import { seeded } from './helpers/random.js';

const R = 4;
const C = 6;
const SHAPE = [R, C];

/** Float32 logits with a spread of magnitudes (row 3 has a large offset: exercises the max shift). */
function logits(seed: number): Float32Array {
  const rand = seeded(seed);
  return Float32Array.from({ length: R * C }, (_, i) => (rand() - 0.5) * 8 + (i >= 3 * C ? 40 : 0));
}
const X = logits(1);
const Y = logits(2);
const X64 = Float64Array.from(X, (v, i) => v + i * 1e-9);

/** Every op under test, on two tensor arguments of shape [4, 6]. */
const OPS: [string, (a: TensorLike, b: TensorLike) => Tensor][] = [
  ['softmax dim -1', (a) => softmax(a, -1)],
  ['softmax dim 0', (a) => softmax(a, 0)],
  ['logSoftmax dim 1', (a) => logSoftmax(a, 1)],
  ['logSumExp dim 1 keepdim', (a) => logSumExp(a, 1, true)],
  ['logSumExp dims [0, 1]', (a) => logSumExp(a, [0, 1])],
  ['klDiv none (raw values as log-probs/probs)', (a, b) => klDiv(a, b, { reduction: 'none' })],
  ['klDiv batchmean logTarget', (a, b) => klDiv(a, b, { reduction: 'batchmean', logTarget: true })],
  ['klDivLogits batchmean T=2', (a, b) => klDivLogits(a, b, { temperature: 2 })],
  ['klDivLogits none dim 0', (a, b) => klDivLogits(a, b, { dim: 0, reduction: 'none' })],
];

/** The reference: the same values as row-major typed arrays. */
const typed = (data: Float32Array | Float64Array): TensorLike => ({ data, shape: SHAPE });

/** Shape, dtype and every bit of the data must equal the typed-array path's. */
function expectSame(got: Tensor, want: Tensor, label: string): void {
  expect(got.shape, label).toEqual(want.shape);
  expect(got.dtype, label).toBe(want.dtype);
  expect(Array.from(got.data), label).toEqual(Array.from(want.data));
}

/** Writes `values` (row-major [R, C]) through a view, leaving the rest of its buffer NaN. */
function fillView(view: NdArray<Float32Array>, values: Float32Array): NdArray<Float32Array> {
  expect(view.shape).toEqual(SHAPE);
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) view.set(i, j, values[i * C + j]!);
  return view;
}
const nanBuffer = (n: number) => new Float32Array(n).fill(NaN);

/** Non-contiguous views holding X (and Y): name → builder. Any wrong index reads a NaN. */
const VIEWS: [string, (v: Float32Array) => NdArray<Float32Array>][] = [
  ['transpose', (v) => fillView(ndarray(nanBuffer(C * R), [C, R]).transpose(1, 0), v)],
  ['lo/hi window (offset)', (v) => fillView(ndarray(nanBuffer(7 * 9), [7, 9]).lo(2, 1).hi(R, C), v)],
  ['step(1, -1) (negative stride)', (v) => fillView(ndarray(nanBuffer(R * C), [R, C]).step(1, -1), v)],
  ['transpose + lo + step(-2) + hi', (v) => fillView(ndarray(nanBuffer(10 * 13), [10, 13]).transpose(1, 0).lo(1, 2).step(-2, 1).hi(R, C), v)],
];

beforeAll(async () => {
  tf.env().set('IS_TEST', true); // no "use tfjs-node" banner
  await tf.setBackend('cpu');
  setWarningHandler(null);
  return () => setWarningHandler(undefined);
});

describe.each(ALL_BACKENDS)('interop on %s', (backendName) => {
  beforeAll(() => useBackend(backendName));

  it.each(OPS)('tfjs Tensor (float32): %s', (_name, op) => {
    const a = tf.tensor(X, SHAPE, 'float32');
    const b = tf.tensor(Y, SHAPE, 'float32');
    expectSame(op(a, b), op(typed(X), typed(Y)), 'tfjs');
    expect(a.isDisposed).toBe(false);
    tf.dispose([a, b]);
  });

  it.each(OPS)('onnxruntime-common Tensor (float32 and float64): %s', (_name, op) => {
    expectSame(op(new OrtTensor('float32', X, SHAPE), new OrtTensor('float32', Y, SHAPE)), op(typed(X), typed(Y)), 'ort float32');
    const y64 = Float64Array.from(Y);
    expectSame(op(new OrtTensor('float64', X64, SHAPE), new OrtTensor('float64', y64, SHAPE)), op(typed(X64), typed(y64)), 'ort float64');
  });

  it.each(OPS)('scijs ndarray, contiguous (float32, float64 and plain-array data): %s', (_name, op) => {
    expectSame(op(ndarray(X, SHAPE), ndarray(Y, SHAPE)), op(typed(X), typed(Y)), 'ndarray float32');
    const y64 = Float64Array.from(Y);
    expectSame(op(ndarray(X64, SHAPE), ndarray(y64, SHAPE)), op(typed(X64), typed(y64)), 'ndarray float64');
    // dtype 'array': plain JS numbers, read as float32 (like nested arrays).
    expectSame(op(ndarray(Array.from(X), SHAPE), ndarray(Array.from(Y), SHAPE)), op(typed(X), typed(Y)), 'ndarray array');
  });

  describe.each(VIEWS)('scijs ndarray view: %s', (_view, make) => {
    it('is really non-contiguous or offset', () => {
      const v = make(X);
      const contiguous = v.offset === 0 && v.stride[0] === C && v.stride[1] === 1 && v.data.length === R * C;
      expect(contiguous).toBe(false);
    });

    it.each(OPS)('%s', (_name, op) => {
      expectSame(op(make(X), make(Y)), op(typed(X), typed(Y)), 'ndarray view');
    });
  });

  it.each(OPS)('scijs ndarray with a zero stride (one row broadcast over 4): %s', (_name, op) => {
    const row = X.slice(C, 2 * C);
    const tiled = new Float32Array(R * C);
    for (let i = 0; i < R; i++) tiled.set(row, i * C);
    expectSame(op(ndarray(row, SHAPE, [0, 1], 0), ndarray(Y, SHAPE)), op(typed(tiled), typed(Y)), 'zero stride');
  });

  it.each(OPS)('plain nested arrays (float32): %s', (_name, op) => {
    const nested = (v: Float32Array) => Array.from({ length: R }, (_, i) => Array.from(v.subarray(i * C, (i + 1) * C)));
    expectSame(op(nested(X), nested(Y)), op(typed(X), typed(Y)), 'nested');
  });

  it('a 3-d ndarray view with a permuted axis order, softmax along each dim', () => {
    const [A, B, D] = [2, 3, 4];
    const base = ndarray(nanBuffer(D * A * B), [D, A, B]);
    const view = base.transpose(1, 2, 0); // shape [A, B, D], strides [B, 1, A*B]
    const flat = new Float32Array(A * B * D);
    for (let i = 0; i < A; i++) for (let j = 0; j < B; j++) for (let k = 0; k < D; k++) view.set(i, j, k, (flat[(i * B + j) * D + k] = X[(i * B + j) * D + k]!));
    for (const dim of [0, 1, 2, -1]) expectSame(softmax(view, dim), softmax({ data: flat, shape: [A, B, D] }, dim), `dim ${dim}`);
  });
});

describe('interop: answers agree with the other library and wrong dtypes are rejected', () => {
  it("klwasm's softmax / logSoftmax / logSumExp of a tfjs Tensor agree with tfjs's own", () => {
    const t = tf.tensor(X, SHAPE, 'float32');
    const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) =>
      Array.from(a).every((v, i) => Math.abs(v - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)));
    expect(near(softmax(t, -1).data, tf.softmax(t).dataSync(), 1e-6)).toBe(true);
    expect(near(logSoftmax(t, -1).data, tf.logSoftmax(t).dataSync(), 1e-5)).toBe(true);
    expect(near(logSumExp(t, 1).data, tf.logSumExp(t, 1).dataSync(), 1e-6)).toBe(true);
    t.dispose();
  });

  it('integer tensors are rejected with a TypeError naming the conversion', () => {
    // onnxruntime and ndarray integer tensors are compile-time errors too (@ts-expect-error);
    // tfjs types dataSync() loosely, so an int32 tfjs tensor is caught at run time only.
    const i32 = tf.tensor([1, 2, 3], [3], 'int32');
    expect(() => softmax(i32, -1)).toThrow(/tf\.cast\(x, 'float32'\)/);
    i32.dispose();
    // @ts-expect-error: an int32 onnxruntime tensor is not a TensorLike
    expect(() => softmax(new OrtTensor('int32', new Int32Array([1, 2, 3]), [3]), -1)).toThrow(TypeError);
    // @ts-expect-error: an Int32Array ndarray is not a TensorLike
    expect(() => softmax(ndarray(new Int32Array([1, 2, 3]), [3]), -1)).toThrow(TypeError);
  });

  it('foreign inputs are not modified', () => {
    const x = X.slice();
    const view = VIEWS[3]![1](x);
    const before = Array.from(view.data);
    klDivLogits(view, ndarray(Y.slice(), SHAPE), { reduction: 'none' });
    softmax(new OrtTensor('float32', x, SHAPE), -1);
    expect(Array.from(view.data)).toEqual(before);
    expect(Array.from(x)).toEqual(Array.from(X));
  });
});
