/**
 * Block-wise processing of the leading dimension. A streamed command reads `blockRows` rows of
 * its inputs at a time, so its memory is bounded by the block size (at least one row) rather than
 * the file size. Blocks default to about `BLOCK_BYTES` of input per operand; `--block-rows N` or
 * `KLWASM_BLOCK_ROWS=N` fix the row count (for tests and tuning).
 */
import type { RunContext } from './command.js';
import { usageError } from './errors.js';
import { ProgressBar } from './progress.js';

/** Target input bytes per block and operand (16 MiB). */
export const BLOCK_BYTES = 16 * 1024 * 1024;

/** Parses a `--block-rows` / `KLWASM_BLOCK_ROWS` value. */
export function parseBlockRows(raw: string | undefined, from: string): number | null {
  if (raw === undefined || raw === '') return null;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw usageError(`${from} must be a positive integer, got '${raw}'.`);
  }
  return Number(raw);
}

/** Rows per block for rows of `rowBytes` bytes (the override if set; else ~BLOCK_BYTES, at least 1). */
export function blockRowsFor(ctx: RunContext, rowBytes: number): number {
  if (ctx.blockRowsOverride !== null) return ctx.blockRowsOverride;
  return Math.max(1, Math.floor(BLOCK_BYTES / Math.max(1, rowBytes)));
}

/**
 * Calls `fn(start, count)` for consecutive blocks covering `rows` rows, with a progress bar, and
 * returns the number of blocks. A tensor with no rows still gets one call with `count = 0`, so
 * every result is produced (and its dtype known) the same way.
 */
export async function forEachBlock(
  ctx: RunContext,
  rows: number,
  blockRows: number,
  fn: (start: number, count: number) => Promise<void> | void,
): Promise<number> {
  const bar = new ProgressBar(ctx.stderr, ctx.where, rows, { enabled: ctx.progress });
  let blocks = 0;
  try {
    if (rows === 0) {
      await fn(0, 0);
      return 1;
    }
    for (let start = 0; start < rows; start += blockRows) {
      const count = Math.min(blockRows, rows - start);
      await fn(start, count);
      blocks++;
      bar.update(start + count);
    }
    return blocks;
  } finally {
    bar.finish();
  }
}

/** Number of blocks `rows` rows split into. */
export function blockCount(rows: number, blockRows: number): number {
  return rows === 0 ? 1 : Math.ceil(rows / blockRows);
}
