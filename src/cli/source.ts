/**
 * Input tensors: a `.npy` file read block by block (bounded memory), or a `.json` file read whole.
 * Both are seen through `TensorSource`, whose rows are the indices of the leading dimension.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { Tensor } from '../tensor.js';
import type { Dtype } from '../types.js';
import { inputError, messageOf, usageError } from './errors.js';
import { JsonTensorError, parseJsonTensor } from './json.js';
import { NPY_PREAMBLE_BYTES, NpyFormatError, decodeNpyData, npyDataOffset, parseNpyHeader } from './npy.js';

/** A tensor input whose leading-dimension rows can be read in blocks. */
export interface TensorSource {
  /** The path as given on the command line. */
  readonly path: string;
  readonly format: 'npy' | 'json';
  readonly shape: readonly number[];
  readonly dtype: Dtype;
  /** Elements per row of the leading dimension (the product of the other dims; 1 for 1-d and 0-d). */
  readonly rowElems: number;
  /** Rows `[start, start + count)` of the leading dimension as a tensor of shape `[count, ...shape[1:]]`. */
  readRows(start: number, count: number): Tensor;
  /** The whole tensor. */
  readAll(): Tensor;
  close(): void;
}

function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return messageOf(e);
  }
}

/** The format of a path by its extension, or a usage error. */
export function formatOf(path: string, role: 'input' | 'output'): 'npy' | 'json' {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.json') return 'json';
  throw usageError(`${path}: cannot tell the ${role} format from the extension '${ext || '(none)'}'; use a .npy or .json file.`);
}

/** Opens an input file (its header only, for .npy). @throws CliError (exit 3) for unusable files. */
export function openSource(path: string): TensorSource {
  return formatOf(path, 'input') === 'npy' ? NpySource.open(path) : JsonSource.open(path);
}

class JsonSource implements TensorSource {
  readonly format = 'json' as const;
  readonly rowElems: number;

  private constructor(
    readonly path: string,
    private readonly tensor: Tensor,
  ) {
    this.rowElems = numelOf(tensor.shape.slice(1));
  }

  static open(path: string): JsonSource {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw inputError(path, describeFsError(e), e);
    }
    try {
      const t = parseJsonTensor(text);
      return new JsonSource(path, new Tensor(t.data, t.shape));
    } catch (e) {
      if (e instanceof JsonTensorError) throw inputError(path, e.message, e);
      throw e;
    }
  }

  get shape(): readonly number[] {
    return this.tensor.shape;
  }

  get dtype(): Dtype {
    return this.tensor.dtype;
  }

  readRows(start: number, count: number): Tensor {
    if (this.tensor.shape.length === 0) return this.tensor;
    const data = this.tensor.data.subarray(start * this.rowElems, (start + count) * this.rowElems);
    return new Tensor(data, [count, ...this.tensor.shape.slice(1)]);
  }

  readAll(): Tensor {
    return this.tensor;
  }

  close(): void {}
}

class NpySource implements TensorSource {
  readonly format = 'npy' as const;
  readonly rowElems: number;
  private readonly itemSize: number;

  private constructor(
    readonly path: string,
    private fd: number | null,
    readonly shape: readonly number[],
    readonly dtype: Dtype,
    private readonly littleEndian: boolean,
    private readonly dataOffset: number,
  ) {
    this.rowElems = numelOf(shape.slice(1));
    this.itemSize = dtype === 'float32' ? 4 : 8;
  }

  static open(path: string): NpySource {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw inputError(path, describeFsError(e), e);
    }
    try {
      const stat = fstatSync(fd);
      if (stat.isDirectory()) throw inputError(path, 'is a directory, not a file');
      const size = stat.size;
      const pre = readExactly(fd, Math.min(size, NPY_PREAMBLE_BYTES), 0, path);
      const offset = npyDataOffset(pre);
      if (offset > size) throw new NpyFormatError('is truncated inside its .npy header');
      const header = parseNpyHeader(readExactly(fd, offset, 0, path));
      const need = numelOf(header.shape) * (header.dtype === 'float32' ? 4 : 8);
      const have = size - header.dataOffset;
      if (have < need) {
        throw new NpyFormatError(
          `is truncated: shape (${header.shape.join(', ')}) ${header.dtype} needs ${need} data bytes but the file has ${have}`,
        );
      }
      return new NpySource(path, fd, header.shape, header.dtype, header.littleEndian, header.dataOffset);
    } catch (e) {
      closeSync(fd);
      if (e instanceof NpyFormatError) throw inputError(path, e.message, e);
      throw e;
    }
  }

  readRows(start: number, count: number): Tensor {
    if (this.shape.length === 0) return this.readAll();
    const bytes = count * this.rowElems * this.itemSize;
    const raw = readExactly(this.handle(), bytes, this.dataOffset + start * this.rowElems * this.itemSize, this.path);
    return new Tensor(decodeNpyData(raw, this.dtype, this.littleEndian), [count, ...this.shape.slice(1)]);
  }

  readAll(): Tensor {
    const raw = readExactly(this.handle(), numelOf(this.shape) * this.itemSize, this.dataOffset, this.path);
    return new Tensor(decodeNpyData(raw, this.dtype, this.littleEndian), this.shape);
  }

  private handle(): number {
    if (this.fd === null) throw new Error(`${this.path}: read after close`);
    return this.fd;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Reads exactly `length` bytes at `position` (a fresh, aligned buffer). */
function readExactly(fd: number, length: number, position: number, path: string): Uint8Array {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    let n: number;
    try {
      n = readSync(fd, out, got, length - got, position + got);
    } catch (e) {
      throw inputError(path, `read failed: ${describeFsError(e)}`, e);
    }
    if (n === 0) throw inputError(path, `ended early (the file changed while it was being read?)`);
    got += n;
  }
  return out;
}

/** A description of a source for `--verbose`: `a.npy: float32 [1000, 10] (npy v1.0)`. */
export function describeSource(s: TensorSource): string {
  return `${s.path}: ${s.dtype} [${s.shape.join(', ')}] (${s.format})`;
}

