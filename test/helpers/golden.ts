/**
 * Loader for the PyTorch 1.13 golden cases in ../shared/golden/pytorch (read-only).
 * `encoding`: finite numbers are JSON numbers; non-finite ones the strings "NaN", "Infinity",
 * "-Infinity"; large cases name raw little-endian *.f32 / *.f64 files under large/.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/golden/pytorch');

export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface GoldenTensor {
  dtype: 'float32' | 'float64';
  shape: number[];
  data: JsonNumber[];
}

export interface GoldenCase {
  id: string;
  op: 'kl_div' | 'softmax' | 'log_softmax' | 'logsumexp' | 'kl_div_logits' | 'kl_div_logits_large' | 'log_softmax_large';
  note: string;
  args: Record<string, unknown>;
  input?: GoldenTensor;
  target?: GoldenTensor;
  expected?: GoldenTensor;
  expected_f64?: GoldenTensor | number;
  exact?: boolean;
  torch_float32_chain?: GoldenTensor | number;
  grad_input?: GoldenTensor;
  grad_target?: GoldenTensor;
  warnings?: string[] | null;
  error?: string;
  shape?: number[];
  input_file?: string;
  target_file?: string;
  expected_f64_file?: string;
  expected_f64_per_row?: number[];
}

export interface GoldenFile {
  generator: string;
  encoding: string;
  cases: GoldenCase[];
}

let cached: GoldenFile | undefined;

/** All golden cases (parsed once). */
export function loadGolden(): GoldenFile {
  cached ??= JSON.parse(readFileSync(join(GOLDEN_DIR, 'cases.json'), 'utf8')) as GoldenFile;
  return cached;
}

/** Decodes one JSON number per the file's `encoding`. */
export function decodeNumber(v: JsonNumber): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new Error(`golden: unknown number encoding ${JSON.stringify(v)}`);
}

/** A golden tensor as `{ data, shape, dtype }` with a typed array of its dtype. */
export function decodeTensor(t: GoldenTensor): { data: Float32Array | Float64Array; shape: number[]; dtype: 'float32' | 'float64' } {
  const values = t.data.map(decodeNumber);
  return { data: t.dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), shape: t.shape, dtype: t.dtype };
}

/** Reads a raw little-endian float file from large/. */
export function readRaw(file: string, dtype: 'float32' | 'float64'): Float32Array | Float64Array {
  const buf = readFileSync(join(GOLDEN_DIR, file));
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
  return dtype === 'float64' ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer);
}

/**
 * Asserts `actual` is close to `expected` element-wise: |a − e| ≤ atol + rtol·|e|, NaN matches
 * NaN, infinities must be equal. Returns a description of the first failures, or null.
 */
export function closeMismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} ≠ expected ${expected.length}`;
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) {
      bad.push(`[${i}] got ${a}, expected ${e} (diff ${Math.abs(a - e).toExponential(2)})`);
      if (bad.length >= 5) break;
    }
  }
  return bad.length ? bad.join('; ') : null;
}

/** PyTorch's assert_close defaults, the tolerances the issue grades with. */
export const TOL = {
  float32: { rtol: 1.3e-6, atol: 1e-5 },
  float64: { rtol: 1e-7, atol: 1e-7 },
  klDivLogits: { rtol: 1e-5, atol: 1e-9 },
} as const;
