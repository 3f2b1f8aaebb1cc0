/** `--dim` values checked against an input's rank, PyTorch style (negative dims count from the end). */
import { usageError } from './errors.js';
import type { TensorSource } from './source.js';

function rangeText(ndim: number): string {
  const n = Math.max(ndim, 1);
  return `${-n}..${n - 1}`;
}

/** Wraps `dim` for `src` (0-d inputs accept 0 and -1, as PyTorch). @throws CliError (exit 2) when out of range. */
export function resolveDim(where: string, dim: number, src: TensorSource): number {
  const ndim = src.shape.length;
  const n = Math.max(ndim, 1);
  if (dim < -n || dim > n - 1) {
    throw usageError(
      `${where}: --dim ${dim} is out of range for ${src.path}, which has ${ndim} dimension${ndim === 1 ? '' : 's'} ` +
        `(shape [${src.shape.join(', ')}]); use a dim in ${rangeText(ndim)} (-1 is the last).`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** Parses a `--dim` list such as `-1` or `0,1`. @throws CliError (exit 2). */
export function parseDimList(where: string, raw: string | undefined): number[] {
  if (raw === undefined) return [-1];
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^[+-]?\d+$/.test(p))) {
    throw usageError(`${where}: option '--dim' must be an integer or a comma-separated list of integers (e.g. 0,1), got '${raw}'.`);
  }
  return parts.map(Number);
}

/** Wraps a dim list for `src`, rejecting repeats (the result is sorted). */
export function resolveDimList(where: string, dims: readonly number[], src: TensorSource): number[] {
  const out = dims.map((d) => resolveDim(where, d, src));
  if (new Set(out).size !== out.length) {
    throw usageError(`${where}: --dim ${dims.join(',')} names the same dimension twice; list each dimension once.`);
  }
  return out.sort((a, b) => a - b);
}
