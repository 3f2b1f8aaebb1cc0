/**
 * Tensors in `.json` files.
 *
 * Reading accepts
 * - nested arrays of numbers, read as float32 (as `torch.tensor([[...]])`); a bare number is 0-d;
 * - an object `{ "data": [...], "shape": [...], "dtype": "float32" | "float64" }`, where `data` is
 *   flat (row-major; reshaped to `shape`) or nested, and `shape` and `dtype` (default float32) are
 *   optional;
 * - the tokens `NaN`, `Infinity` and `-Infinity`, as Python's `json` module writes them.
 *
 * Writing (see `JsonTensorWriter`) streams nested arrays one row block at a time, or the object
 * form for float64 files so that the dtype survives a round trip.
 */
import { formatNumber } from './numbers.js';
import type { Dtype, FloatArray } from '../types.js';

/** A malformed or unsupported JSON tensor. Messages do not name the file; callers add it. */
export class JsonTensorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonTensorError';
  }
}

/** A tensor read from JSON. */
export interface JsonTensor {
  shape: number[];
  dtype: Dtype;
  data: FloatArray;
}

const NONFINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const MARK = '\u0000klwasm:';

/** JSON.parse that also accepts Python's bare NaN / Infinity / -Infinity number tokens. */
function parseLenient(text: string): unknown {
  const escaped = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (tok) => (tok[0] === '"' ? tok : `"\\u0000klwasm:${tok}"`));
  try {
    return JSON.parse(escaped, (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(MARK) ? NONFINITE[value.slice(MARK.length)] : value,
    );
  } catch (e) {
    throw new JsonTensorError(`is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 30 ? v.slice(0, 30) + '…' : v)}`;
  return String(v);
}

/** Shape and row-major values of nested arrays (rejecting ragged arrays and non-numbers). */
function flattenNested(value: unknown, where: string): { shape: number[]; values: number[] } {
  const shape: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const values: number[] = [];
  const walk = (node: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof node !== 'number') {
        throw new JsonTensorError(`has ${describeJson(node)} at ${where}${path} where a number was expected`);
      }
      values.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      const got = Array.isArray(node) ? `length ${node.length}` : describeJson(node);
      throw new JsonTensorError(
        `is a ragged nested array: ${where}${path} has ${got} where length ${shape[dim]} was expected (shape [${shape.join(', ')}])`,
      );
    }
    for (let i = 0; i < node.length; i++) walk(node[i], dim + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return { shape, values };
}

/** Parses the text of a .json tensor file. */
export function parseJsonTensor(text: string): JsonTensor {
  const root = parseLenient(text);
  if (typeof root === 'number' || Array.isArray(root)) {
    const { shape, values } = flattenNested(root, 'the top level');
    return { shape, dtype: 'float32', data: Float32Array.from(values) };
  }
  if (root === null || typeof root !== 'object') {
    throw new JsonTensorError(`holds ${describeJson(root)}; expected nested arrays of numbers or { "data": [...], "shape": [...], "dtype": "float32" }`);
  }
  const obj = root as Record<string, unknown>;
  const unknownKeys = Object.keys(obj).filter((k) => k !== 'data' && k !== 'shape' && k !== 'dtype');
  if (unknownKeys.length > 0 || !('data' in obj)) {
    throw new JsonTensorError(
      `${unknownKeys.length > 0 ? `has unknown key(s) ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')}` : "has no 'data' key"}; ` +
        'a tensor object has "data" (required), "shape" and "dtype" ("float32" or "float64")',
    );
  }
  const dtype = obj.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new JsonTensorError(`has unsupported dtype ${JSON.stringify(dtype)}; klwasm reads "float32" and "float64"`);
  }
  const { shape: nestedShape, values } = flattenNested(obj.data, '"data"');
  let shape = nestedShape;
  if (obj.shape !== undefined) {
    if (!Array.isArray(obj.shape) || obj.shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
      throw new JsonTensorError(`has an invalid "shape" ${JSON.stringify(obj.shape)}; expected an array of non-negative integers`);
    }
    const given = obj.shape as number[];
    const numel = given.reduce((a, b) => a * b, 1);
    const sameAsNested = given.length === nestedShape.length && given.every((d, i) => d === nestedShape[i]);
    if (!sameAsNested && (nestedShape.length > 1 || numel !== values.length)) {
      throw new JsonTensorError(
        `has "shape" [${given.join(', ')}] (${numel} elements) but its "data" has shape [${nestedShape.join(', ')}] (${values.length} elements)`,
      );
    }
    shape = given;
  }
  const Ctor = dtype === 'float64' ? Float64Array : Float32Array;
  return { shape, dtype, data: Ctor.from(values) };
}

/**
 * Writes a tensor as JSON text, one block of row-major values at a time: `open()`, then
 * `values(block)` for consecutive blocks covering all elements, then `close()`.
 * - `'nested'`: nested arrays, one innermost row per line (NumPy-like layout, valid JSON);
 * - `'object'`: `{"dtype": ..., "shape": [...], "data": [flat values]}`.
 */
export class JsonTensorWriter {
  private readonly suffix: number[];
  private index = 0;
  private readonly numel: number;

  constructor(
    readonly shape: readonly number[],
    readonly dtype: Dtype,
    readonly style: 'nested' | 'object',
  ) {
    const n = shape.length;
    this.suffix = new Array<number>(n + 1);
    this.suffix[n] = 1;
    for (let d = n - 1; d >= 0; d--) this.suffix[d] = this.suffix[d + 1]! * shape[d]!;
    this.numel = this.suffix[0]!;
  }

  open(): string {
    if (this.style === 'object') {
      return `{"dtype": "${this.dtype}", "shape": [${this.shape.join(', ')}], "data": ${this.shape.length === 0 ? '' : '['}`;
    }
    if (this.shape.length === 0) return '';
    if (this.numel === 0) return emptyNested(this.shape);
    return '[';
  }

  values(block: ArrayLike<number>): string {
    if (this.index + block.length > this.numel) throw new Error(`JsonTensorWriter: more than ${this.numel} values written`);
    const parts: string[] = [];
    const n = this.shape.length;
    const rowLen = n === 0 ? 1 : this.shape[n - 1]!;
    for (let j = 0; j < block.length; j++, this.index++) {
      const i = this.index;
      const text = formatNumber(block[j]!, this.dtype);
      if (this.style === 'object') {
        parts.push(i === 0 ? text : i % rowLen === 0 ? `,\n ${text}` : `, ${text}`);
        continue;
      }
      let opens = 0;
      for (let d = 1; d < n; d++) if (i % this.suffix[d]! === 0) opens++;
      if (i > 0) parts.push(opens > 0 ? `,\n${' '.repeat(n - opens)}` : ', ');
      parts.push('['.repeat(opens), text);
      let closes = 0;
      for (let d = 1; d < n; d++) if ((i + 1) % this.suffix[d]! === 0) closes++;
      if (closes > 0) parts.push(']'.repeat(closes));
    }
    return parts.join('');
  }

  close(): string {
    if (this.index !== this.numel) throw new Error(`JsonTensorWriter: ${this.index} of ${this.numel} values written`);
    if (this.style === 'object') return `${this.shape.length === 0 ? '' : ']'}}\n`;
    if (this.shape.length === 0 || this.numel === 0) return '\n';
    return ']\n';
  }
}

/** Nested empty arrays for a shape with no elements, e.g. [2, 0] → [[], []]. */
function emptyNested(shape: readonly number[]): string {
  if (shape[0] === 0 || shape.length === 1) return '[]';
  return `[${Array.from({ length: shape[0]! }, () => emptyNested(shape.slice(1))).join(', ')}]`;
}
