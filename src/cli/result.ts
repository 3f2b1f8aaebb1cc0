/**
 * Where a command's result goes: `-o OUT` (a file, or `-` for JSON on stdout), else stdout as JSON
 * when the result is small enough to read (at most `PRINT_LIMIT` elements; scalars always).
 */
import type { ParsedArgs } from './args.js';
import type { RunContext } from './command.js';
import { usageError } from './errors.js';
import { type TensorSink, openSink, outputTarget } from './sink.js';

/** Largest result printed to stdout without `-o`. */
export const PRINT_LIMIT = 10_000;

/** Checks `-o` (call before opening inputs, so a bad extension is reported first). */
export function checkOutputOption(args: ParsedArgs): void {
  outputTarget(args.values.get('output'));
}

/** Opens the sink for a result of `shape`. @throws CliError (exit 2) for a large result without `-o`. */
export function resultSink(args: ParsedArgs, ctx: RunContext, shape: readonly number[]): TensorSink {
  const target = outputTarget(args.values.get('output'));
  if (target !== null) return openSink(target, shape, ctx.stdout);
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel > PRINT_LIMIT) {
    throw usageError(
      `${ctx.where}: the result has ${numel} elements (shape [${shape.join(', ')}]), too many to print; ` +
        `write it to a file with -o OUT.npy (or OUT.json), or use -o - to print it anyway.`,
    );
  }
  return openSink({ kind: 'stdout' }, shape, ctx.stdout);
}

/** Runs `produce` and completes the sink, discarding partial output if anything fails. */
export async function withSink(sink: TensorSink, produce: () => Promise<void>): Promise<void> {
  try {
    await produce();
    await sink.end();
  } catch (e) {
    sink.abort();
    throw e;
  }
}
