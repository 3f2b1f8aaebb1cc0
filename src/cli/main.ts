/**
 * The `klwasm` command line: dispatches `klwasm <command> ...` to a command from the registry,
 * handles `--help` / `--version`, initialises the backend, shows warnings on stderr, and turns
 * errors into messages and exit codes. `bin/klwasm.mjs` calls `main` with process.argv.
 */
import { once } from 'node:events';
import { initSync, setWarningHandler } from '../index.js';
import type { BackendChoice } from '../types.js';
import { type ParsedArgs, choiceOption, parseArgs, suggest } from './args.js';
import { COMMON_OPTIONS, type CliContext, type Command, type RunContext } from './command.js';
import { COMMANDS } from './commands/index.js';
import { CliError, EXIT, messageOf, runtimeError, usageError } from './errors.js';
import { commandHelp, topHelp } from './help.js';
import type { ProgressStream } from './progress.js';
import type { TextOut } from './sink.js';
import { parseBlockRows } from './stream.js';

/** Streams and settings `main` uses; each defaults to the process's own. */
export interface MainOptions {
  version: string;
  stdout?: TextOut;
  stderr?: ProgressStream;
  env?: Readonly<Record<string, string | undefined>>;
}

/** process.stdout as a `TextOut` that waits for 'drain' when the pipe is full. */
function processStdout(): TextOut {
  return {
    async write(text: string): Promise<void> {
      if (text !== '' && !process.stdout.write(text)) await once(process.stdout, 'drain');
    },
  };
}

const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'];

/** True if `--help` / `-h` appears before any `--`. */
function asksForHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

function runContext(cmd: Command, args: ParsedArgs, ctx: CliContext): RunContext {
  const where = `klwasm ${cmd.name}`;
  const verbose = args.flags.has('verbose');
  const fromFlag = parseBlockRows(args.values.get('block-rows'), `${where}: option '--block-rows'`);
  const fromEnv = parseBlockRows(ctx.env.KLWASM_BLOCK_ROWS, 'KLWASM_BLOCK_ROWS');
  return {
    ...ctx,
    where,
    verbose: verbose ? (line) => void ctx.stderr.write(`${where}: ${line}\n`) : () => {},
    blockRowsOverride: fromFlag ?? fromEnv,
    progress: !args.flags.has('no-progress') && ctx.env.KLWASM_PROGRESS !== '0',
  };
}

async function dispatch(argv: readonly string[], ctx: CliContext): Promise<void> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    ctx.stderr.write(topHelp(COMMANDS));
    throw new CliError(EXIT.USAGE, 'no command given.');
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const named = first === 'help' ? rest[0] : undefined;
    if (named === undefined) return ctx.stdout.write(topHelp(COMMANDS));
    const cmd = COMMANDS.find((c) => c.name === named);
    if (!cmd) throw usageError(`unknown command '${named}'. Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`);
    return ctx.stdout.write(commandHelp(cmd));
  }
  if (first === '--version' || first === '-V') return ctx.stdout.write(`${ctx.version}\n`);
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) {
    const hint = first.startsWith('-') ? null : suggest(first, COMMANDS.map((c) => c.name));
    const what = first.startsWith('-') ? `unknown option '${first}' (options go after the command)` : `unknown command '${first}'`;
    throw usageError(`${what}.${hint ? ` Did you mean '${hint}'?` : ''} Commands: ${COMMANDS.map((c) => c.name).join(', ')}. See 'klwasm --help'.`);
  }
  if (asksForHelp(rest)) return ctx.stdout.write(commandHelp(cmd));
  const where = `klwasm ${cmd.name}`;
  const args = parseArgs(rest, [...cmd.options, ...COMMON_OPTIONS], where);
  const run = runContext(cmd, args, ctx);
  const choice = choiceOption(args, 'backend', where, BACKENDS, 'auto');
  let name: string;
  try {
    name = initSync({ backend: choice });
  } catch (e) {
    throw runtimeError(`${where}: cannot use backend '${choice}': ${messageOf(e)}`, e);
  }
  run.verbose(`backend ${name}`);
  await cmd.run(args, run);
}

/**
 * Runs the CLI on `argv` (the words after `klwasm`) and resolves to the exit code. Never throws and
 * never calls process.exit, so pending output is flushed before the process ends.
 */
export async function main(argv: readonly string[], opts: MainOptions): Promise<number> {
  const ctx: CliContext = {
    stdout: opts.stdout ?? processStdout(),
    stderr: opts.stderr ?? process.stderr,
    env: opts.env ?? process.env,
    version: opts.version,
  };
  const shown = new Set<string>();
  const previous = setWarningHandler((w) => {
    if (shown.has(w.code)) return;
    shown.add(w.code);
    ctx.stderr.write(`klwasm: warning: ${w.message}\n`);
  });
  try {
    await dispatch(argv, ctx);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CliError) {
      const cmd = COMMANDS.find((c) => c.name === argv[0]);
      const usage = e.showUsage && cmd ? `\nUsage: ${cmd.usage}\nSee 'klwasm ${cmd.name} --help'.` : '';
      const prefix = e.message.startsWith('klwasm') ? '' : cmd ? `klwasm ${cmd.name}: ` : 'klwasm: ';
      ctx.stderr.write(`${prefix}${e.message}${usage}\n`);
      if (ctx.env.KLWASM_DEBUG && e.cause instanceof Error) ctx.stderr.write(`${e.cause.stack}\n`);
      return e.exitCode;
    }
    // A library error the CLI did not anticipate, or a bug: report it as a runtime error.
    const cmd = COMMANDS.find((c) => c.name === argv[0]);
    ctx.stderr.write(`klwasm${cmd ? ` ${cmd.name}` : ''}: error: ${messageOf(e)}\n`);
    if (ctx.env.KLWASM_DEBUG && e instanceof Error) ctx.stderr.write(`${e.stack}\n`);
    return EXIT.RUNTIME;
  } finally {
    setWarningHandler(previous);
  }
}
