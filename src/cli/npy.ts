/**
 * The NumPy `.npy` format (format versions 1.0, 2.0 and 3.0), as specified in
 * `numpy.lib.format`: the magic string `\x93NUMPY`, a major and a minor version byte, the header
 * length (uint16 little-endian in 1.0, uint32 in 2.0/3.0), then the header — a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` (latin-1 in 1.0/2.0, UTF-8 in
 * 3.0) padded with spaces and ended by `\n` — then the raw array data.
 *
 * klwasm reads float32 and float64 (`<f4`, `>f4`, `<f8`, `>f8`) in C order and writes
 * little-endian float32/float64 byte for byte as `numpy.save` does. Pure functions on bytes: the
 * file-backed, block-wise reading lives in `source.ts`, the streaming writer in `sink.ts`.
 * (The maintained npm parsers parse whole buffers only, so they cannot stream row blocks.)
 */
import type { Dtype, FloatArray } from '../types.js';

/** A malformed or unsupported .npy file. Messages do not name the file; callers add it. */
export class NpyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyFormatError';
  }
}

/** What the header of a .npy file says. */
export interface NpyHeader {
  /** Format version, e.g. `[1, 0]`. */
  version: [number, number];
  /** Byte offset of the array data (magic + length field + header). */
  dataOffset: number;
  /** The dtype descriptor as written, e.g. `'<f4'`. */
  descr: string;
  dtype: Dtype;
  littleEndian: boolean;
  /** Always false for accepted files (Fortran order is rejected unless it equals C order). */
  fortranOrder: boolean;
  shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ARRAY_ALIGN = 64;
/** numpy ≥ 1.23 pads the header so the leading dim can grow to 21 digits in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes needed before the header's length is known (magic + version + a uint32 length). */
export const NPY_PREAMBLE_BYTES = 12;

/**
 * The total size of magic + length field + header (= the data offset), from the first bytes of a
 * file (at least 10 for version 1.0, 12 for 2.0/3.0).
 */
export function npyDataOffset(bytes: Uint8Array): number {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyFormatError(
      bytes.length < 8 ? `is not a .npy file (only ${bytes.length} bytes long)` : 'is not a .npy file (it does not start with the magic string \\x93NUMPY)',
    );
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3) {
    throw new NpyFormatError(`has .npy format version ${major}.${minor}; klwasm reads versions 1.0, 2.0 and 3.0`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) {
    if (bytes.length < 10) throw new NpyFormatError('is truncated inside its .npy header');
    return 10 + view.getUint16(8, true);
  }
  if (bytes.length < 12) throw new NpyFormatError('is truncated inside its .npy header');
  return 12 + view.getUint32(8, true);
}

// ---------------------------------------------------------------------------------------------
// The header dict: a small parser for the Python literal subset numpy writes.

type PyValue = string | number | boolean | null | PyValue[] | { tuple: PyValue[] } | Map<string, PyValue>;

function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new NpyFormatError(`has a malformed .npy header (${what} at character ${i}): ${JSON.stringify(text.trim().slice(0, 120))}`);
  };
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const map = new Map<string, PyValue>();
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return map;
        }
        const key = value();
        if (typeof key !== 'string') fail('a non-string key');
        ws();
        if (text[i] !== ':') fail("a missing ':'");
        i++;
        map.set(key as string, value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("a missing ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return c === '(' ? { tuple: items } : items;
        }
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`a missing ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('an unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|[+-]?\d+L?)/.exec(text.slice(i));
    if (!m) return fail('an unexpected token');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace(/L$/, '')); // Python 2 numpy wrote longs as 3L
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

const KIND_NAMES: Record<string, string> = {
  b: 'bool',
  i: 'int',
  u: 'uint',
  f: 'float',
  c: 'complex',
  O: 'object',
  U: 'str',
  S: 'bytes',
  a: 'bytes',
  V: 'void',
  M: 'datetime64',
  m: 'timedelta64',
};

/** A NumPy-style name for a dtype descriptor: `'<i8'` → `int64`, `'<c16'` → `complex128`. */
export function dtypeNameOf(descr: string): string {
  const m = /^[<>|=]?([a-zA-Z])(\d*)/.exec(descr);
  if (!m) return descr;
  const [, kind, size] = m;
  const base = KIND_NAMES[kind!];
  if (base === undefined) return descr;
  if (kind === 'b') return 'bool';
  if ((kind === 'i' || kind === 'u' || kind === 'f' || kind === 'c') && size) return `${base}${Number(size) * 8}`;
  return base;
}

function checkShape(value: PyValue | undefined): number[] {
  const items = value !== null && typeof value === 'object' && 'tuple' in value ? value.tuple : Array.isArray(value) ? value : null;
  if (items === null || items.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new NpyFormatError(`has an invalid 'shape' in its .npy header (expected a tuple of non-negative integers)`);
  }
  return items as number[];
}

/**
 * Parses a .npy header from the file's first `npyDataOffset(...)` (or more) bytes, checking that
 * klwasm can read the array: float32/float64, C order (or a layout where Fortran order is the same).
 * @throws NpyFormatError with a message saying what is wrong and how to convert the file.
 */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  const dataOffset = npyDataOffset(bytes);
  if (bytes.length < dataOffset) throw new NpyFormatError('is truncated inside its .npy header');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const start = major === 1 ? 10 : 12;
  const raw = bytes.subarray(start, dataOffset);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(raw);
  const dict = parsePyLiteral(text);
  if (!(dict instanceof Map)) throw new NpyFormatError('has a .npy header that is not a dict');
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!dict.has(key)) throw new NpyFormatError(`has a .npy header without the '${key}' key`);
  }
  const descrValue = dict.get('descr');
  if (typeof descrValue !== 'string') {
    throw new NpyFormatError(
      'holds a structured array (record dtype); klwasm reads plain float32 and float64 arrays. Save one field, e.g. np.save(path, np.ascontiguousarray(a["x"], dtype=np.float32))',
    );
  }
  const descr = descrValue;
  const m = /^([<>|=]?)f([48])$/.exec(descr);
  if (!m) {
    throw new NpyFormatError(
      `has unsupported dtype ${dtypeNameOf(descr)} ('${descr}'); klwasm reads float32 and float64 only. ` +
        'Convert it, e.g. np.save(path, a.astype(np.float32))',
    );
  }
  // '=' (native) is what NumPy calls the writing machine's order; every platform NumPy writes .npy
  // files on today is little-endian, and NumPy itself never writes '=' (it normalises to '<' or '>').
  const littleEndian = m[1] !== '>';
  const dtype: Dtype = m[2] === '4' ? 'float32' : 'float64';
  const fortran = dict.get('fortran_order');
  if (typeof fortran !== 'boolean') throw new NpyFormatError(`has a non-boolean 'fortran_order' in its .npy header`);
  const shape = checkShape(dict.get('shape'));
  if (fortran && shape.filter((d) => d > 1).length > 1) {
    throw new NpyFormatError(
      `is stored in Fortran (column-major) order, shape (${shape.join(', ')}); klwasm reads C-order arrays. ` +
        'Re-save it in C order: np.save(path, np.ascontiguousarray(a))',
    );
  }
  let numel = 1;
  for (const d of shape) numel *= d;
  if (!Number.isSafeInteger(numel * (dtype === 'float32' ? 4 : 8))) {
    throw new NpyFormatError(`has shape (${shape.join(', ')}), too large to address`);
  }
  return { version: [major, minor], dataOffset, descr, dtype, littleEndian, fortranOrder: false, shape };
}

// ---------------------------------------------------------------------------------------------
// Writing.

function shapeRepr(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * The header bytes (magic through the final `\n`) numpy.save writes for a C-order little-endian
 * array: version 1.0, or 2.0 when the header does not fit a uint16 length. Data starts 64-aligned.
 */
export function formatNpyHeader(shape: readonly number[], dtype: Dtype): Uint8Array {
  let dict = `{'descr': '<${dtype === 'float32' ? 'f4' : 'f8'}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  for (const major of [1, 2]) {
    const lenBytes = major === 1 ? 2 : 4;
    const hlen = dict.length + 1;
    const padlen = ARRAY_ALIGN - ((MAGIC.length + 2 + lenBytes + hlen) % ARRAY_ALIGN);
    const total = hlen + padlen;
    if (major === 1 && total > 0xffff) continue;
    const out = new Uint8Array(MAGIC.length + 2 + lenBytes + total);
    out.set(MAGIC, 0);
    out[6] = major;
    out[7] = 0;
    const view = new DataView(out.buffer);
    if (major === 1) view.setUint16(8, total, true);
    else view.setUint32(8, total, true);
    const body = dict + ' '.repeat(padlen) + '\n';
    for (let i = 0; i < body.length; i++) out[MAGIC.length + 2 + lenBytes + i] = body.charCodeAt(i);
    return out;
  }
  throw new NpyFormatError('header too long'); // unreachable: a uint32 length always fits
}

// ---------------------------------------------------------------------------------------------
// Data.

/**
 * Decodes `bytes` (whole elements) as `dtype` in the given byte order into a new typed array
 * (never a view of `bytes`, so the caller may reuse its buffer).
 */
export function decodeNpyData(bytes: Uint8Array, dtype: Dtype, littleEndian: boolean): FloatArray {
  const size = dtype === 'float32' ? 4 : 8;
  if (bytes.length % size !== 0) throw new NpyFormatError(`has ${bytes.length} data bytes, not a whole number of ${dtype} elements`);
  const n = bytes.length / size;
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  if (littleEndian === HOST_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'float32') for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, littleEndian);
  else for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, littleEndian);
  return out;
}

/** The little-endian bytes of `data` (a view when the host is little-endian, else a swapped copy). */
export function encodeNpyData(data: FloatArray): Uint8Array {
  if (HOST_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  else for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i]!, true);
  return out;
}

/** A whole array read from .npy bytes. */
export interface NpyArray {
  shape: number[];
  dtype: Dtype;
  data: FloatArray;
}

/** Parses a complete .npy file held in memory. Bytes after the array are ignored (as numpy.load). */
export function parseNpy(bytes: Uint8Array): NpyArray {
  const header = parseNpyHeader(bytes);
  const numel = header.shape.reduce((a, b) => a * b, 1);
  const size = header.dtype === 'float32' ? 4 : 8;
  const need = numel * size;
  const have = bytes.length - header.dataOffset;
  if (have < need) {
    throw new NpyFormatError(`is truncated: shape (${header.shape.join(', ')}) ${header.dtype} needs ${need} data bytes but the file has ${have}`);
  }
  const data = decodeNpyData(bytes.subarray(header.dataOffset, header.dataOffset + need), header.dtype, header.littleEndian);
  return { shape: header.shape, dtype: header.dtype, data };
}

/** A complete .npy file (header + little-endian data), byte for byte as numpy.save writes it. */
export function serializeNpy(data: FloatArray, shape: readonly number[]): Uint8Array {
  const header = formatNpyHeader(shape, data instanceof Float64Array ? 'float64' : 'float32');
  const body = encodeNpyData(data);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}
