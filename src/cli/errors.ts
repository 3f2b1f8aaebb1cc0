/**
 * CLI errors and exit codes. Every failure the CLI reports is a `CliError` carrying the exit code
 * the process ends with; anything else that escapes a command is reported as a runtime error (1).
 */

/** Exit codes of the `klwasm` command (documented in `klwasm --help` and docs/cli.md). */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** Runtime error: the backend could not load, a computation failed, or an output could not be written. */
  RUNTIME: 1,
  /** Usage error: unknown command or option, missing or invalid argument (including a dim out of range). */
  USAGE: 2,
  /** Input file error: missing, unreadable or malformed file, unsupported dtype or order, mismatched shapes. */
  INPUT: 3,
  /** `klwasm diagnose` found a problem with the arguments (the report says which and the fix). */
  MISUSE: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as `klwasm: <message>` and exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** Print the command's usage line after the message (for usage errors). */
  readonly showUsage: boolean;

  constructor(exitCode: ExitCode, message: string, options: { showUsage?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.showUsage = options.showUsage ?? false;
  }
}

/** A usage error (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(EXIT.USAGE, message, { showUsage: true });
}

/** An input file error (exit 3) naming the file. */
export function inputError(file: string, message: string, cause?: unknown): CliError {
  return new CliError(EXIT.INPUT, `${file}: ${message}`, { cause });
}

/** A runtime error (exit 1). */
export function runtimeError(message: string, cause?: unknown): CliError {
  return new CliError(EXIT.RUNTIME, message, { cause });
}

/** The message of any thrown value. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
