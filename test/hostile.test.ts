/**
 * Hostile inputs, row by row on every backend: each gets PyTorch's result or a TypeError /
 * RangeError naming the argument and the fix — and the next ordinary call still returns the right
 * answer (the WASM heap is intact).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KLDivLoss, klDiv, klDivLogits, logSoftmax, logSumExp, setWarningHandler, softmax } from '../src/index.js';
import { ALL_BACKENDS, useBackend } from './helpers/backends.js';
import { closeMismatch } from './helpers/golden.js';

type Row = [label: string, call: () => unknown, expected: ErrorConstructor | ((r: unknown) => void), message?: RegExp];

const detached = () => {
  const d = new Float32Array([1, 2, 3, 4]);
  structuredClone(d.buffer, { transfer: [d.buffer] });
  return d;
};
const shared = (values: number[]) => {
  const a = new Float32Array(new SharedArrayBuffer(values.length * 4));
  a.set(values);
  return a;
};
const f = (data: number[], shape: number[]) => ({ data: Float32Array.from(data), shape });
const x23 = f([-1, -2, -3, -1.5, -0.5, -2.5], [2, 3]);
const t23 = f([0.2, 0.3, 0.5, 0.1, 0.6, 0.3], [2, 3]);

const rows: Row[] = [
  // wrong kinds of arguments
  ['string input', () => softmax('abc' as never, 0), TypeError, /'input' is "abc"/],
  ['symbol input', () => softmax(Symbol('s') as never, 0), TypeError, /'input'/],
  ['function input', () => softmax((() => 1) as never, 0), TypeError, /'input' is a function/],
  ['object without data', () => klDiv({ shape: [2] } as never, [1, 2]), TypeError, /'input'.*without a 'data' field/],
  ['Map target', () => klDiv([1], new Map() as never), TypeError, /'target' is a Map/],
  ['bigint input', () => softmax(10n as never, 0), TypeError, /'input' is 10n \(a BigInt, not a number\)/],
  ['bigint dim', () => softmax(x23, 1n as never), TypeError, /'dim' must be an integer, got 1n \(a BigInt, not a number\)/],
  ['bigint temperature', () => klDivLogits(x23, x23, { temperature: 2n as never }), TypeError, /'temperature' is 2n \(a BigInt, not a number\)/],
  ['bigint reduction', () => klDiv(x23, t23, { reduction: 5n as never }), TypeError, /'reduction' is 5n \(a BigInt, not a number\)/],
  ['bigint in a nested array', () => softmax([1, 2n] as never, 0), TypeError, /2n \(a BigInt, not a number\) at \[1\]/],
  // integer typed arrays
  ['Int32Array', () => softmax(new Int32Array([1, 2]) as never, 0), TypeError, /'input'.*Int32Array.*Float32Array\.from/],
  ['Uint8Array data', () => logSumExp({ data: new Uint8Array(4), shape: [4] } as never, 0), TypeError, /'input'.*Uint8Array/],
  ['BigInt64Array', () => klDiv(new BigInt64Array(2) as never, [0.5, 0.5]), TypeError, /'input'.*BigInt64Array/],
  ['Int16 target', () => klDiv([-1, -1], new Int16Array(2) as never), TypeError, /'target'/],
  ['DataView', () => softmax(new DataView(new ArrayBuffer(8)) as never, 0), TypeError, /'input'/],
  // ragged / malformed nested arrays
  ['ragged rows', () => softmax([[1, 2, 3], [4, 5]], -1), RangeError, /'input' is a ragged nested array/],
  ['ragged depth', () => softmax([[1, 2], 3] as never, -1), RangeError, /ragged/],
  ['null entry', () => softmax([[1, null]] as never, -1), TypeError, /null at \[0\]\[1\]/],
  // data vs shape
  ['data shorter than shape', () => softmax(f([1, 2, 3], [2, 2]), -1), RangeError, /needs 4 elements, but its data has 3/],
  ['data longer than shape', () => softmax(f([1, 2, 3, 4, 5], [2, 2]), -1), RangeError, /needs 4 elements, but its data has 5/],
  ['negative shape entry', () => softmax({ data: new Float32Array(2), shape: [-2] }, 0), RangeError, /non-negative integer/],
  ['fractional shape entry', () => softmax({ data: new Float32Array(2), shape: [0.5, 4] }, 0), RangeError, /non-negative integer/],
  ['NaN shape entry', () => softmax({ data: new Float32Array(2), shape: [NaN] }, 0), RangeError, /non-negative integer/],
  ['Infinity shape entry', () => softmax({ data: new Float32Array(2), shape: [Infinity] }, 0), RangeError, /non-negative integer/],
  ['bigint shape entry', () => softmax({ data: new Float32Array(2), shape: [2n] as never }, 0), RangeError, /shape \[2n\]: entry 0 is 2n \(a BigInt, not a number\), not a non-negative integer/],
  ['shape entry without a string form', () => softmax({ data: new Float32Array(6), shape: [2, Object.create(null)] as never }, 1), RangeError, /shape \[2, an object\]: entry 1 is an object, not a non-negative integer/],
  ['detached buffer', () => softmax({ data: detached(), shape: [4] }, 0), RangeError, /'input' is a Float32Array whose ArrayBuffer was transferred or detached/],
  ['detached 1-d typed array', () => logSumExp(detached(), 0), RangeError, /'input' is a Float32Array whose ArrayBuffer was transferred or detached/],
  ['genuinely empty typed array', () => logSumExp(new Float32Array(0), 0), (r: unknown) => expect((r as { item(): number }).item()).toBe(-Infinity)],
  // dims
  ['NaN dim', () => softmax(x23, NaN), TypeError, /'dim' must be an integer, got NaN/],
  ['fractional dim', () => logSoftmax(x23, 0.5), TypeError, /'dim' must be an integer, got 0.5/],
  ['string dim', () => softmax(x23, '1' as never), TypeError, /'dim' must be an integer, got "1"/],
  ['dim out of range', () => softmax(x23, 2), RangeError, /Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/],
  ['negative dim out of range', () => klDivLogits(x23, x23, { dim: -3 }), RangeError, /but got -3/],
  ['Infinity dim', () => logSumExp(x23, Infinity), TypeError, /'dim' must be an integer/],
  ['repeated logsumexp dims', () => logSumExp(x23, [0, -2]), RangeError, /dim 0 appears multiple times/],
  ['logsumexp dim list with a string', () => logSumExp(x23, [0, 'a'] as never), TypeError, /'dim' must be an integer/],
  // reductions (case-sensitive)
  ['reduction SUM', () => klDiv(x23, t23, { reduction: 'SUM' as never }), TypeError, /'reduction' is "SUM".*'none', 'mean', 'sum', 'batchmean'/],
  ['reduction Batchmean', () => klDiv(x23, t23, { reduction: 'Batchmean' as never }), TypeError, /'batchmean'/],
  ['reduction with a space', () => klDivLogits(x23, x23, { reduction: ' sum' as never }), TypeError, /'reduction'/],
  ['KLDivLoss reduction', () => new KLDivLoss({ reduction: 'avg' as never }), TypeError, /'reduction' is "avg"/],
  // temperatures
  ['temperature 0', () => klDivLogits(x23, x23, { temperature: 0 }), RangeError, /'temperature' is 0.*2\^-63/],
  ['temperature negative', () => klDivLogits(x23, x23, { temperature: -2 }), RangeError, /'temperature' is -2/],
  ['temperature NaN', () => klDivLogits(x23, x23, { temperature: NaN }), RangeError, /'temperature' is NaN/],
  ['temperature Infinity', () => klDivLogits(x23, x23, { temperature: Infinity }), RangeError, /'temperature' is Infinity/],
  ['temperature string', () => klDivLogits(x23, x23, { temperature: '2' as never }), TypeError, /'temperature' is "2"/],
  // shapes
  ['klDiv shapes do not broadcast', () => klDiv(x23, f([0.5, 0.5], [2]), { reduction: 'sum' }), RangeError, /'target' has shape \[2\] and 'input' has shape \[2, 3\]/],
  ['klDivLogits shapes differ', () => klDivLogits(x23, f([1, 2, 3], [3]), {}), RangeError, /'inputLogits' has shape \[2, 3\] but 'targetLogits' has shape \[3\]/],
  // valid but unusual inputs get PyTorch's result
  ['SharedArrayBuffer inputs', () => softmax({ data: shared([1, 2, 3]), shape: [3] }, 0), (r: unknown) => {
    expect(closeMismatch((r as { data: Float32Array }).data, [0.09003057, 0.24472847, 0.66524096], 1.3e-6, 1e-7)).toBeNull();
  }],
  ['huge logits', () => softmax([3e38, -3e38, 3e38], 0), (r: unknown) => {
    expect(closeMismatch((r as { data: Float32Array }).data, [0.5, 0, 0.5], 1e-7, 0)).toBeNull();
  }],
  ['huge logsumexp', () => logSumExp([3e38, 3e38], 0), (r: unknown) => expect((r as { item(): number }).item()).toBe(Math.fround(3e38))],
  ['subnormal target', () => klDiv([-1], [1e-45], { reduction: 'sum' }), (r: unknown) => {
    expect(Math.abs((r as { item(): number }).item() - -1.42932443e-43)).toBeLessThan(3e-45);
  }],
  ['subnormal logits', () => klDivLogits([[1e-45, 0]], [[0, 1e-45]], { reduction: 'sum' }), (r: unknown) => {
    expect((r as { item(): number }).item()).toBeGreaterThanOrEqual(0);
    expect((r as { item(): number }).item()).toBeLessThan(1e-80);
  }],
  ['all -inf logits', () => klDivLogits([[-Infinity, -Infinity]], [[0, 0]]), (r: unknown) => expect((r as { item(): number }).item()).toBeNaN()],
  ['options null', () => klDivLogits(x23, x23, null as never), TypeError, /'options' is null/],
];

describe.each(ALL_BACKENDS)('hostile inputs on %s', (name) => {
  beforeAll(() => {
    useBackend(name);
    setWarningHandler(null);
  });

  it.each(rows)('%s', (_label, call, expected, message) => {
    if (typeof expected === 'function' && (expected === TypeError || expected === RangeError)) {
      expect(call).toThrow(expected as ErrorConstructor);
      if (message) expect(call).toThrow(message);
    } else {
      (expected as (r: unknown) => void)(call());
    }
    // The heap is intact: an ordinary call right after still gives the right answer.
    const after = klDivLogits([[2, 0.5, -1], [0, 0, 0]], [[2.5, 0, -1.5], [0, 0, 0]], { reduction: 'none' });
    const ref = [0.13234904, -0.06373169, -0.01422046, 0, 0, 0];
    expect(closeMismatch(after.data, ref, 2e-5, 1e-7)).toBeNull();
    expect(softmax([1, 2, 3], 0).data[2]).toBeCloseTo(0.66524096, 6);
  });
});
