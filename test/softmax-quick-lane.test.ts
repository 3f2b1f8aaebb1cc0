/**
 * softmax / logSoftmax without options (src/ops/softmax.ts, sliceOpQuick): a Tensor or plain
 * `{ data, shape }` input with an integer dim skips the plan but must make the general path's
 * kernel call. Pinned on every backend and dtype: the same bits, shape and dtype as the general
 * path (forced here with an empty options object) for every dim of 1-, 2- and 3-d shapes, short
 * rows (the tile path) and long ones, special values; a fresh result array; and the general
 * path's errors and warnings for the calls it declines.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, logSoftmax, logSumExp, setWarningHandler, softmax } from '../src/index.js';
import { ALL_BACKENDS, useBackend } from './helpers/backends.js';
import { seeded } from './helpers/random.js';

type Dt = 'float32' | 'float64';
const make = (dtype: Dt, n: number) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));

const SHAPES: number[][] = [[1], [7], [4, 5], [1, 1], [9, 3], [3, 17], [6, 4, 5], [2, 3, 40], [5, 130], [33, 2]];
/** One input per shape of SHAPES: seeded logits in (−10, 10), with NaN, +inf and −inf in the larger ones. */
function inputs(dtype: Dt, seed: number): [number[], Float32Array | Float64Array][] {
  const rnd = seeded(seed);
  return SHAPES.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = make(dtype, n);
    for (let i = 0; i < n; i++) x[i] = (rnd() - 0.5) * 20;
    if (n > 8) {
      x[3] = NaN;
      x[n - 2] = Infinity;
      x[5] = -Infinity;
    }
    return [shape, x];
  });
}

const RUNS = ALL_BACKENDS.flatMap((b) => (['float32', 'float64'] as const).map((d) => [b, d] as const));

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): string {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `element ${i}: ${a[i]} vs ${b[i]}`;
  return '';
}

describe.each(RUNS)('softmax / logSoftmax without options on %s, %s', (name, dtype) => {
  beforeAll(() => useBackend(name));

  it('every dim of every shape: the general path’s bits, shape and dtype, in a fresh array', () => {
    for (const [shape, x] of inputs(dtype, 21)) {
      for (let dim = -shape.length; dim < shape.length; dim++) {
        for (const op of [softmax, logSoftmax]) {
          for (const input of [{ data: x, shape }, new Tensor(x, shape)]) {
            const quick = op(input, dim);
            const general = op(input, dim, {});
            const what = `${op.name} [${shape}] dim ${dim}`;
            expect(sameBits(quick.data, general.data), what).toBe('');
            expect(quick.shape, what).toEqual(shape);
            expect(quick.dtype, what).toBe(dtype);
            expect(quick.data, what).not.toBe(x);
            expect(quick.shape, what).not.toBe(shape); // its own copy of the shape
          }
        }
      }
    }
  });

  it('declined calls keep the general path’s errors and warnings', () => {
    const x = { data: make(dtype, 20).fill(1), shape: [4, 5] };
    expect(() => softmax(x, 2)).toThrow(/Dimension out of range/);
    expect(() => logSoftmax(x, -3)).toThrow(/Dimension out of range/);
    expect(() => softmax(x, 0.5)).toThrow(/must be an integer/);
    expect(() => softmax({ data: make(dtype, 19), shape: [4, 5] }, -1)).toThrow(/needs 20 elements/);
    const seen: string[] = [];
    const restore = setWarningHandler((w) => seen.push(w.code));
    try {
      softmax(x); // implicit dim: PyTorch's warning, from the general path
    } finally {
      setWarningHandler(restore);
    }
    expect(seen).toContain('KLWASM_IMPLICIT_DIM');
    // Empty and 0-d inputs take the general path and keep its results.
    expect(softmax({ data: make(dtype, 0), shape: [0, 3] }, -1).shape).toEqual([0, 3]);
    expect(softmax({ data: make(dtype, 1).fill(5), shape: [] }, 0).item()).toBe(1);
  });
});

describe.each(RUNS)('logSumExp with one integer dim on %s, %s', (name, dtype) => {
  beforeAll(() => useBackend(name));

  it('every dim and keepdim: the general path’s bits, shape and dtype (the general path forced with a one-element dim list)', () => {
    for (const [shape, x] of inputs(dtype, 22)) {
      for (let dim = -shape.length; dim < shape.length; dim++) {
        for (const keepdim of [false, true]) {
          for (const input of [{ data: x, shape }, new Tensor(x, shape)]) {
            const quick = logSumExp(input, dim, keepdim);
            const general = logSumExp(input, [dim], keepdim);
            const what = `[${shape}] dim ${dim} keepdim ${keepdim}`;
            expect(sameBits(quick.data, general.data), what).toBe('');
            expect(quick.shape, what).toEqual(general.shape);
            expect(quick.dtype, what).toBe(dtype);
          }
        }
      }
    }
  });

  it('declined calls keep the general path’s results and errors', () => {
    const x = { data: make(dtype, 20).fill(1), shape: [4, 5] };
    expect(() => logSumExp(x, 2)).toThrow(/Dimension out of range/);
    expect(() => logSumExp(x, 1.5)).toThrow(/must be an integer/);
    expect(() => logSumExp(x, -1, 1 as never)).toThrow(/keepdim/);
    expect(logSumExp({ data: make(dtype, 0), shape: [0, 3] }, -1).shape).toEqual([0]);
    expect(logSumExp({ data: make(dtype, 1).fill(2), shape: [] }, 0).item()).toBe(2);
  });
});
