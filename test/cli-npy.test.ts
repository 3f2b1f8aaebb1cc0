/**
 * The .npy reader/writer of the CLI (src/cli/npy.ts, src/cli/source.ts): round trips, format
 * versions, byte order, rejections, a byte-level check against a file built by hand from the
 * format spec, and files written by NumPy itself (test/fixtures/npy, see make_fixtures.py).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../src/cli/errors.js';
import {
  NpyFormatError,
  decodeNpyData,
  encodeNpyData,
  formatNpyHeader,
  parseNpy,
  parseNpyHeader,
  serializeNpy,
} from '../src/cli/npy.js';
import { openSource } from '../src/cli/source.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'npy');
const A = [0, 0.25, 0.5, 0.75, 1, -1.25]; // the fixtures' values, shape [2, 3]

const latin1 = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** A .npy file assembled from parts: version, header dict text (padded here), raw data bytes. */
function handMade(major: number, dict: string, data: number[], padTo = 64): Uint8Array {
  const lenBytes = major === 1 ? 2 : 4;
  const prefix = 8 + lenBytes;
  let header = dict;
  while ((prefix + header.length + 1) % padTo !== 0) header += ' ';
  header += '\n';
  const len = header.length;
  const lenField = major === 1 ? [len & 0xff, len >> 8] : [len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, len >>> 24];
  const enc = major === 3 ? Array.from(new TextEncoder().encode(header)) : latin1(header);
  if (major === 3) {
    const l = enc.length;
    lenField.splice(0, 4, l & 0xff, (l >> 8) & 0xff, (l >> 16) & 0xff, l >>> 24);
  }
  return Uint8Array.from([0x93, ...latin1('NUMPY'), major, 0, ...lenField, ...enc, ...data]);
}

function f32be(values: number[]): number[] {
  const dv = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => dv.setFloat32(i * 4, v, false));
  return Array.from(new Uint8Array(dv.buffer));
}

function f64le(values: number[]): number[] {
  const dv = new DataView(new ArrayBuffer(values.length * 8));
  values.forEach((v, i) => dv.setFloat64(i * 8, v, true));
  return Array.from(new Uint8Array(dv.buffer));
}

describe('npy writer: byte-level check against a file built by hand from the format spec', () => {
  it('matches the bytes numpy.save writes for float32 [[1, 2, 3], [4, 5, -0.5]]', () => {
    // Spec (numpy.lib.format, version 1.0): 6-byte magic "\x93NUMPY", major 1, minor 0, uint16 LE
    // header length, then the header: a dict literal with keys in sorted order; numpy ≥ 1.23 adds
    // 21 - len(str(shape[0])) spaces of growth room, then pads with spaces and a final '\n' so
    // that magic + length field + header is a multiple of 64.
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    expect(dict.length).toBe(59);
    const growth = ' '.repeat(21 - 1); // len('2') = 1
    // 10 prefix bytes + 59 + 20 + pad + 1 ('\n') = 128 → pad = 38, header length = 118 = 0x76.
    const header = dict + growth + ' '.repeat(38) + '\n';
    expect(header.length).toBe(118);
    // float32 little-endian, IEEE 754 by hand: 1 = 0x3F800000, 2 = 0x40000000, 3 = 0x40400000,
    // 4 = 0x40800000, 5 = 0x40A00000, -0.5 = 0xBF000000.
    const data = [
      [0x00, 0x00, 0x80, 0x3f],
      [0x00, 0x00, 0x00, 0x40],
      [0x00, 0x00, 0x40, 0x40],
      [0x00, 0x00, 0x80, 0x40],
      [0x00, 0x00, 0xa0, 0x40],
      [0x00, 0x00, 0x00, 0xbf],
    ].flat();
    const expected = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, ...latin1(header), ...data]);
    expect(expected.length).toBe(128 + 24);

    const written = serializeNpy(Float32Array.of(1, 2, 3, 4, 5, -0.5), [2, 3]);
    expect(Array.from(written)).toEqual(Array.from(expected));
    // ... and that is exactly what NumPy wrote for the same shape and dtype (header bytes).
    const numpyHeader = readFileSync(join(FIXTURES, 'f4_le_v1.npy')).subarray(0, 128);
    expect(Array.from(written.subarray(0, 128))).toEqual(Array.from(numpyHeader));

    const back = parseNpy(expected);
    expect(back.shape).toEqual([2, 3]);
    expect(back.dtype).toBe('float32');
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, -0.5]);
  });

  it('writes 0-d and 1-d shapes as numpy does: () and (n,)', () => {
    const h0 = new TextDecoder('latin1').decode(formatNpyHeader([], 'float64'));
    expect(h0).toContain("'shape': (), }");
    expect(h0.length % 64).toBe(0);
    const h1 = new TextDecoder('latin1').decode(formatNpyHeader([7], 'float32'));
    expect(h1).toContain("{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }");
    expect(h1.endsWith('\n')).toBe(true);
    expect(h1.length % 64).toBe(0);
  });

  it('switches to format 2.0 when the header does not fit a uint16 length', () => {
    const shape = new Array(25_000).fill(1);
    const h = formatNpyHeader(shape, 'float32');
    expect(h[6]).toBe(2);
    expect(h.length % 64).toBe(0);
    const back = parseNpy(serializeNpy(Float32Array.of(3.5), shape));
    expect(back.shape).toEqual(shape);
    expect(Array.from(back.data)).toEqual([3.5]);
  });
});

describe('npy round trips', () => {
  const cases: Array<[string, Float32Array | Float64Array, number[]]> = [
    ['float32 2-d', Float32Array.of(0.1, -2, NaN, Infinity, -Infinity, -0), [2, 3]],
    ['float64 3-d', Float64Array.from({ length: 24 }, (_, i) => Math.sin(i) * 1e-300), [2, 3, 4]],
    ['float32 1-d', Float32Array.of(1, 2, 3), [3]],
    ['float64 0-d', Float64Array.of(Math.PI), []],
    ['float32 empty [0, 5]', new Float32Array(0), [0, 5]],
    ['float64 empty [3, 0, 2]', new Float64Array(0), [3, 0, 2]],
  ];
  for (const [name, data, shape] of cases) {
    it(name, () => {
      const back = parseNpy(serializeNpy(data, shape));
      expect(back.shape).toEqual(shape);
      expect(back.dtype).toBe(data instanceof Float64Array ? 'float64' : 'float32');
      expect(back.data.constructor).toBe(data.constructor);
      expect(Array.from(back.data).map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual(
        Array.from(data).map((v) => (Object.is(v, -0) ? '-0' : v)),
      );
    });
  }

  it('encodes data little-endian and decodes both byte orders', () => {
    const bytes = encodeNpyData(Float32Array.of(1));
    expect(Array.from(bytes)).toEqual([0, 0, 0x80, 0x3f]);
    const be = Uint8Array.from(f32be([1, -2.5]));
    expect(Array.from(decodeNpyData(be, 'float32', false))).toEqual([1, -2.5]);
    const le = Uint8Array.from(f64le([1e-310, -3]));
    expect(Array.from(decodeNpyData(le, 'float64', true))).toEqual([1e-310, -3]);
  });

  it('decodes data at an unaligned offset into a fresh array', () => {
    const buf = new Uint8Array(9);
    buf.set(f64le([0.5]), 1);
    const out = decodeNpyData(buf.subarray(1), 'float64', true);
    expect(Array.from(out)).toEqual([0.5]);
    expect(out.buffer).not.toBe(buf.buffer);
  });
});

describe('npy header versions and byte order (files built by hand)', () => {
  const dict = (descr: string, shape: string, fortran = 'False'): string => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

  it('reads format 1.0 big-endian float32', () => {
    const a = parseNpy(handMade(1, dict('>f4', '(2, 2)'), f32be([1, 2, 3, -4])));
    expect(a).toMatchObject({ shape: [2, 2], dtype: 'float32' });
    expect(Array.from(a.data)).toEqual([1, 2, 3, -4]);
  });

  it('reads format 2.0 (uint32 header length)', () => {
    const bytes = handMade(2, dict('<f8', '(3,)'), f64le([1, 2, 3]));
    const h = parseNpyHeader(bytes);
    expect(h.version).toEqual([2, 0]);
    expect(h.dataOffset % 64).toBe(0);
    expect(Array.from(parseNpy(bytes).data)).toEqual([1, 2, 3]);
  });

  it('reads format 3.0 (UTF-8 header)', () => {
    const bytes = handMade(3, dict('<f8', '(1, 2)'), f64le([0.5, 0.25]));
    expect(parseNpyHeader(bytes).version).toEqual([3, 0]);
    expect(Array.from(parseNpy(bytes).data)).toEqual([0.5, 0.25]);
  });

  it('accepts older header spellings: double quotes, no trailing comma, Python 2 longs, 16-byte alignment', () => {
    const bytes = handMade(1, `{"descr": "<f4", "shape": (2L, 1L), "fortran_order": False}`, Array.from(encodeNpyData(Float32Array.of(7, 8))), 16);
    const a = parseNpy(bytes);
    expect(a.shape).toEqual([2, 1]);
    expect(Array.from(a.data)).toEqual([7, 8]);
  });

  it('accepts Fortran order where it is the same layout as C order (1-d)', () => {
    const a = parseNpy(handMade(1, dict('<f4', '(2,)', 'True'), Array.from(encodeNpyData(Float32Array.of(1, 2)))));
    expect(Array.from(a.data)).toEqual([1, 2]);
  });

  it('ignores bytes after the array, as numpy.load does', () => {
    const bytes = handMade(1, dict('<f8', '(1,)'), [...f64le([9]), 1, 2, 3]);
    expect(Array.from(parseNpy(bytes).data)).toEqual([9]);
  });
});

describe('npy rejections', () => {
  const dict = (descr: string, shape = '(2, 3)', fortran = 'False'): string => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
  const reject = (bytes: Uint8Array, message: RegExp): void => {
    expect(() => parseNpy(bytes)).toThrow(NpyFormatError);
    expect(() => parseNpy(bytes)).toThrow(message);
  };

  it('rejects Fortran-order arrays, saying how to fix them', () => {
    reject(handMade(1, dict('<f4', '(2, 3)', 'True'), new Array(24).fill(0)), /Fortran \(column-major\) order.*np\.ascontiguousarray/);
  });

  it('rejects other dtypes, naming them', () => {
    reject(handMade(1, dict('<i8'), new Array(48).fill(0)), /unsupported dtype int64 \('<i8'\).*astype\(np\.float32\)/);
    reject(handMade(1, dict('<f2'), new Array(12).fill(0)), /unsupported dtype float16 \('<f2'\)/);
    reject(handMade(1, dict('|b1'), new Array(6).fill(0)), /unsupported dtype bool/);
    reject(handMade(1, dict('<c16'), new Array(96).fill(0)), /unsupported dtype complex128/);
    reject(handMade(1, dict('|O'), []), /unsupported dtype object/);
    reject(handMade(1, dict('<U3'), []), /unsupported dtype str/);
    reject(handMade(1, `{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,), }`, []), /structured array/);
  });

  it('rejects files that are not .npy, other versions, and truncated files', () => {
    reject(Uint8Array.from(latin1('PK\x03\x04 this is a zip')), /not a \.npy file.*magic/);
    reject(Uint8Array.from([0x93, 0x4e]), /not a \.npy file \(only 2 bytes long\)/);
    const v4 = handMade(1, dict('<f4'), []);
    v4[6] = 4;
    reject(v4, /format version 4\.0/);
    const full = handMade(1, dict('<f4'), new Array(24).fill(0));
    reject(full.subarray(0, 40), /truncated inside its \.npy header/);
    reject(full.subarray(0, full.length - 1), /truncated: shape \(2, 3\) float32 needs 24 data bytes but the file has 23/);
  });

  it('rejects malformed headers', () => {
    reject(handMade(1, "{'descr': '<f4', 'fortran_order': False}", []), /without the 'shape' key/);
    reject(handMade(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", []), /invalid 'shape'/);
    reject(handMade(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", []), /malformed \.npy header/);
    reject(handMade(1, "[1, 2]", []), /not a dict/);
  });
});

describe('npy files written by NumPy (test/fixtures/npy)', () => {
  const load = (name: string) => parseNpy(readFileSync(join(FIXTURES, name)));

  it.each([
    ['f4_le_v1.npy', 'float32', [1, 0]],
    ['f8_be_v1.npy', 'float64', [1, 0]],
    ['f4_le_v2.npy', 'float32', [2, 0]],
    ['f8_le_v3.npy', 'float64', [3, 0]],
  ])('%s', (name, dtype, version) => {
    const bytes = readFileSync(join(FIXTURES, name));
    expect(parseNpyHeader(bytes).version).toEqual(version);
    const a = load(name);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe(dtype);
    expect(Array.from(a.data)).toEqual(A);
  });

  it('0-d and empty arrays', () => {
    expect(load('f4_scalar.npy')).toMatchObject({ shape: [], dtype: 'float32' });
    expect(Array.from(load('f4_scalar.npy').data)).toEqual([-2.5]);
    expect(load('f4_empty.npy')).toMatchObject({ shape: [0, 3], dtype: 'float32' });
  });

  it('rejects NumPy Fortran-order and int64 files', () => {
    expect(() => load('f4_fortran.npy')).toThrow(/Fortran/);
    expect(() => load('i8.npy')).toThrow(/int64/);
  });

  it('our writer reproduces NumPy files byte for byte', () => {
    for (const [name, Ctor] of [
      ['f4_le_v1.npy', Float32Array],
      ['f4_empty.npy', Float32Array],
      ['f4_scalar.npy', Float32Array],
    ] as const) {
      const a = load(name);
      expect(Array.from(serializeNpy(Ctor.from(a.data), a.shape)), name).toEqual(Array.from(readFileSync(join(FIXTURES, name))));
    }
  });
});

describe('file-backed .npy source (block reads)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'klwasm-npy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads row blocks of a big-endian float64 file', () => {
    const path = join(dir, 'be.npy');
    const values = Array.from({ length: 12 }, (_, i) => i * 1.5 - 4);
    writeFileSync(path, handMade(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (4, 3), }", Array.from(values, (v) => {
      const dv = new DataView(new ArrayBuffer(8));
      dv.setFloat64(0, v, false);
      return Array.from(new Uint8Array(dv.buffer));
    }).flat()));
    const src = openSource(path);
    try {
      expect(src.shape).toEqual([4, 3]);
      expect(src.dtype).toBe('float64');
      const block = src.readRows(1, 2);
      expect(block.shape).toEqual([2, 3]);
      expect(Array.from(block.data)).toEqual(values.slice(3, 9));
      expect(Array.from(src.readAll().data)).toEqual(values);
    } finally {
      src.close();
    }
  });

  it('reports unusable files as input errors (exit 3) naming the file', () => {
    const path = join(dir, 'int.npy');
    writeFileSync(path, readFileSync(join(FIXTURES, 'i8.npy')));
    let err: unknown;
    try {
      openSource(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(3);
    expect((err as CliError).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: has unsupported dtype int64`));
    expect(() => openSource(join(dir, 'missing.npy'))).toThrow(/missing\.npy: no such file/);
  });
});
