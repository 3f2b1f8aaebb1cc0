/**
 * Outputs: a `.npy` or `.json` file written block by block as results are computed, or JSON text
 * on stdout. Files are written to a temporary name beside the target and renamed into place at the
 * end, so a failed run never leaves a truncated output (and `-o` may name an input file).
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Tensor } from '../tensor.js';
import type { Dtype } from '../types.js';
import { messageOf, runtimeError } from './errors.js';
import { JsonTensorWriter } from './json.js';
import { encodeNpyData, formatNpyHeader } from './npy.js';
import { formatOf } from './source.js';

/** Where text goes (stdout): resolves once the text is accepted (honouring backpressure). */
export interface TextOut {
  write(text: string): Promise<void>;
}

/** Where a result goes: a file (format by extension) or stdout (JSON text). */
export type OutputTarget = { kind: 'file'; path: string; format: 'npy' | 'json' } | { kind: 'stdout' };

/** Parses the `-o` value: `-` is stdout, otherwise a .npy or .json path. */
export function outputTarget(value: string | undefined): OutputTarget | null {
  if (value === undefined) return null;
  if (value === '-') return { kind: 'stdout' };
  return { kind: 'file', path: value, format: formatOf(value, 'output') };
}

/** Receives a result of a known shape as consecutive row-major blocks. */
export interface TensorSink {
  /** Appends the next block; the first block fixes the dtype. */
  write(block: Tensor): Promise<void>;
  /** Completes the output. */
  end(): Promise<void>;
  /** Discards a partial output after a failure (idempotent, never throws). */
  abort(): void;
}

function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Opens a sink for a result of `shape` (nothing is created before the first block). */
export function openSink(target: OutputTarget, shape: readonly number[], stdout: TextOut): TensorSink {
  if (target.kind === 'stdout') return new JsonTextSink(shape, stdout);
  return target.format === 'npy' ? new NpyFileSink(target.path, shape) : new JsonFileSink(target.path, shape);
}

abstract class FileSink implements TensorSink {
  private fd: number | null = null;
  private tmp: string | null = null;
  private written = 0;
  protected dtype: Dtype | null = null;

  constructor(
    readonly path: string,
    readonly shape: readonly number[],
  ) {}

  protected abstract header(dtype: Dtype): Uint8Array | string;
  protected abstract body(block: Tensor): Uint8Array | string;
  protected abstract trailer(): Uint8Array | string;

  private put(chunk: Uint8Array | string): void {
    try {
      if (typeof chunk === 'string') writeSync(this.fd!, chunk);
      else for (let off = 0; off < chunk.length; ) off += writeSync(this.fd!, chunk, off, chunk.length - off);
    } catch (e) {
      this.abort();
      throw runtimeError(`cannot write ${this.path}: ${messageOf(e)}`, e);
    }
  }

  async write(block: Tensor): Promise<void> {
    if (this.fd === null) {
      this.dtype = block.dtype;
      this.tmp = join(dirname(this.path), `.${basename(this.path)}.klwasm-${process.pid}-${Date.now().toString(36)}.tmp`);
      try {
        this.fd = openSync(this.tmp, 'w');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'its directory does not exist' : code === 'EACCES' ? 'permission denied' : messageOf(e);
        this.tmp = null;
        throw runtimeError(`cannot write ${this.path}: ${why}`, e);
      }
      this.put(this.header(block.dtype));
    }
    this.written += block.numel;
    this.put(this.body(block));
  }

  async end(): Promise<void> {
    if (this.fd === null) throw new Error(`internal: no data was written to ${this.path}`);
    if (this.written !== numelOf(this.shape)) {
      throw new Error(`internal: ${this.written} of ${numelOf(this.shape)} values written to ${this.path}`);
    }
    this.put(this.trailer());
    try {
      closeSync(this.fd);
      this.fd = null;
      renameSync(this.tmp!, this.path);
      this.tmp = null;
    } catch (e) {
      this.abort();
      throw runtimeError(`cannot write ${this.path}: ${messageOf(e)}`, e);
    }
  }

  abort(): void {
    try {
      if (this.fd !== null) closeSync(this.fd);
    } catch {
      /* already failing */
    }
    this.fd = null;
    try {
      if (this.tmp !== null) unlinkSync(this.tmp);
    } catch {
      /* nothing to remove */
    }
    this.tmp = null;
  }
}

class NpyFileSink extends FileSink {
  protected header(dtype: Dtype): Uint8Array {
    return formatNpyHeader(this.shape, dtype);
  }
  protected body(block: Tensor): Uint8Array {
    return encodeNpyData(block.data);
  }
  protected trailer(): Uint8Array {
    return new Uint8Array(0);
  }
}

/** float32 as nested arrays (what `torch.tensor` reads back); float64 as the object form, keeping the dtype. */
class JsonFileSink extends FileSink {
  private writer: JsonTensorWriter | null = null;
  protected header(dtype: Dtype): string {
    this.writer = new JsonTensorWriter(this.shape, dtype, dtype === 'float64' ? 'object' : 'nested');
    return this.writer.open();
  }
  protected body(block: Tensor): string {
    return this.writer!.values(block.data);
  }
  protected trailer(): string {
    return this.writer!.close();
  }
}

/** Nested arrays on stdout (a 0-d result prints as a bare number). */
class JsonTextSink implements TensorSink {
  private writer: JsonTensorWriter | null = null;

  constructor(
    readonly shape: readonly number[],
    private readonly out: TextOut,
  ) {}

  async write(block: Tensor): Promise<void> {
    if (this.writer === null) {
      this.writer = new JsonTensorWriter(this.shape, block.dtype, 'nested');
      await this.out.write(this.writer.open());
    }
    await this.out.write(this.writer.values(block.data));
  }

  async end(): Promise<void> {
    if (this.writer === null) throw new Error('internal: no data was written to stdout');
    await this.out.write(this.writer.close());
  }

  abort(): void {}
}
