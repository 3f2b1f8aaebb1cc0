/**
 * What a command is, and what it gets to run. Adding a command = one file in `commands/` that
 * exports a `Command`, listed in `commands/index.ts`; the dispatcher (`main.ts`) adds the common
 * options, `--help`, backend initialisation, error reporting and exit codes.
 */
import type { OptionSpec, ParsedArgs } from './args.js';
import type { ProgressStream } from './progress.js';
import type { TextOut } from './sink.js';

/** Streams and settings of one CLI run. */
export interface CliContext {
  /** Result text (stdout). */
  stdout: TextOut;
  /** Diagnostics, warnings and the progress bar (stderr). */
  stderr: ProgressStream;
  /** Environment variables (`KLWASM_BLOCK_ROWS`, `KLWASM_PROGRESS`, `KLWASM_DEBUG`). */
  env: Readonly<Record<string, string | undefined>>;
  /** The package version, for `--version`. */
  version: string;
}

/** What a command's `run` receives besides its parsed arguments. */
export interface RunContext extends CliContext {
  /** `klwasm <name>`, for messages. */
  where: string;
  /** Prints a `--verbose` line on stderr (no-op without `--verbose`). */
  verbose(line: string): void;
  /** Rows per block from `--block-rows` / `KLWASM_BLOCK_ROWS`, or null to size blocks by bytes. */
  blockRowsOverride: number | null;
  /** Whether a progress bar may be drawn (false for `--no-progress` or `KLWASM_PROGRESS=0`). */
  progress: boolean;
}

/** A `klwasm` subcommand. */
export interface Command {
  /** The word after `klwasm`. */
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Synopsis after `Usage: `, e.g. `klwasm softmax IN [--dim D] [-o OUT]`. */
  usage: string;
  /** Paragraphs for `klwasm <name> --help`. */
  description: string;
  /** The command's own options (the common ones are added by the dispatcher). */
  options: OptionSpec[];
  /** Example invocations for `--help`. */
  examples: string[];
  /** Runs the command; throws `CliError` for reportable failures. */
  run(args: ParsedArgs, ctx: RunContext): Promise<void>;
}

/** `-o OUT`, shared by the commands that produce a tensor. */
export const OUTPUT_OPTION: OptionSpec = {
  name: 'output',
  short: 'o',
  kind: 'value',
  valueName: 'OUT',
  description: 'write the result to OUT (.npy or .json by extension; - prints JSON to stdout whatever its size)',
};

/** Options every command accepts. */
export const COMMON_OPTIONS: OptionSpec[] = [
  { name: 'backend', kind: 'value', valueName: 'B', description: 'compute backend: auto (default), wasm-relaxed-simd, wasm-simd, wasm-scalar or js' },
  { name: 'no-progress', kind: 'flag', description: 'never draw the progress bar (it only appears on a TTY after ~1 s anyway)' },
  { name: 'verbose', short: 'v', kind: 'flag', description: 'describe the inputs, the backend and the block plan on stderr' },
  { name: 'help', short: 'h', kind: 'flag', description: 'show this help' },
  { name: 'block-rows', kind: 'value', valueName: 'N', description: 'rows of the leading dimension per streamed block', hidden: true },
];
