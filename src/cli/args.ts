/**
 * Command-line argument parsing: GNU-style long options (`--dim 1`, `--dim=1`), short options
 * (`-o out.npy`, `-oout.npy`), boolean flags, `--` to end options, and positionals. Values that look
 * like negative numbers are accepted as option values (`--dim -1`), which Node's `util.parseArgs`
 * rejects in strict mode. Unknown options are usage errors with a "did you mean" suggestion.
 */
import { usageError } from './errors.js';

/** One option a command accepts. */
export interface OptionSpec {
  /** Long name without dashes, e.g. `'dim'`. */
  name: string;
  /** One-letter short name without the dash, e.g. `'o'`. */
  short?: string;
  /** `'flag'` takes no value; `'value'` takes one. */
  kind: 'flag' | 'value';
  /** Placeholder shown in help, e.g. `'D'`. */
  valueName?: string;
  /** One-line description for `--help`. */
  description: string;
  /** Left out of `--help` (testing and tuning knobs). */
  hidden?: boolean;
  /** The value may be a comma-separated list (`--dim 0,1`); named in the given-twice error. */
  list?: boolean;
}

/** Parsed arguments: positionals in order; the value of each option (given once); flags that were given. */
export interface ParsedArgs {
  positionals: string[];
  values: Map<string, string>;
  flags: Set<string>;
}

/** Whether two option values are the same number written differently (`1` and `01`, `2` and `2.0`). */
function sameNumber(a: string, b: string): boolean {
  return a.trim() !== '' && b.trim() !== '' && Number(a) === Number(b);
}

/** Levenshtein distance, for suggestions. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate to `word` within a small edit distance, or null. */
export function suggest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== null && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : null;
}

/**
 * Parses `argv` (the words after the command name) against `specs`. `where` names the command in
 * error messages (e.g. `'klwasm kl'`).
 * @throws CliError (exit 2) for unknown options, missing values, values given to flags and value
 *   options given twice.
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], where: string): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const out: ParsedArgs = { positionals: [], values: new Map(), flags: new Set() };

  const unknown = (word: string): never => {
    const visible = specs.filter((s) => !s.hidden).map((s) => `--${s.name}`);
    const hint = word.startsWith('--') ? suggest(word.split('=')[0]!, visible) : null;
    throw usageError(`${where}: unknown option '${word}'.${hint ? ` Did you mean '${hint}'?` : ''} See '${where} --help'.`);
  };
  const set = (spec: OptionSpec, value: string, shown: string): void => {
    // Last-one-wins would silently drop a value (`--dim 0 --dim 1` computed over dim 1 only);
    // the same value twice (also as numbers: 1 and 01) loses nothing.
    const before = out.values.get(spec.name);
    if (before !== undefined && before !== value && !sameNumber(before, value)) {
      const list = spec.list ? ` (for both, a list: --${spec.name} ${before},${value})` : '';
      throw usageError(`${where}: option '${shown}' is given twice ('${before}', then '${value}'); give it once${list}.`);
    }
    out.values.set(spec.name, value);
  };
  const take = (spec: OptionSpec, inline: string | undefined, i: number, shown: string): number => {
    if (spec.kind === 'flag') {
      if (inline !== undefined) throw usageError(`${where}: option '${shown}' takes no value (got '${inline}').`);
      out.flags.add(spec.name);
      return i;
    }
    if (inline !== undefined) {
      set(spec, inline, shown);
      return i;
    }
    const next = argv[i + 1];
    // A following word is the value unless it is itself an option (negative numbers are values).
    if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d|^-\.\d|^-inf/i.test(next))) {
      throw usageError(`${where}: option '${shown}' needs a value${spec.valueName ? ` (${spec.valueName})` : ''}.`);
    }
    set(spec, next, shown);
    return i + 1;
  };

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const spec = byLong.get(name);
      if (!spec) unknown(word);
      i = take(spec!, eq < 0 ? undefined : word.slice(eq + 1), i, `--${name}`);
    } else if (word.startsWith('-') && word.length > 1 && !/^-\d/.test(word)) {
      const spec = byShort.get(word[1]!);
      if (!spec) unknown(word);
      const rest = word.slice(2);
      if (spec!.kind === 'flag' && rest !== '') unknown(word);
      i = take(spec!, rest === '' ? undefined : rest, i, `-${word[1]}`);
    } else {
      out.positionals.push(word);
    }
  }
  return out;
}

/** The value of an integer option, or `fallback` if it was not given. */
export function intOption(args: ParsedArgs, name: string, where: string, fallback: number): number {
  const raw = args.values.get(name);
  if (raw === undefined) return fallback;
  if (!/^[+-]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) {
    throw usageError(`${where}: option '--${name}' must be an integer, got '${raw}'.`);
  }
  return Number(raw);
}

/** The value of a finite-number option, or `fallback` if it was not given. */
export function numberOption(args: ParsedArgs, name: string, where: string, fallback: number): number {
  const raw = args.values.get(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) {
    throw usageError(`${where}: option '--${name}' must be a finite number, got '${raw}'.`);
  }
  return v;
}

/** The value of an option restricted to `choices`, or `fallback` if it was not given. */
export function choiceOption<T extends string>(args: ParsedArgs, name: string, where: string, choices: readonly T[], fallback: T): T {
  const raw = args.values.get(name);
  if (raw === undefined) return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  const hint = suggest(raw, choices);
  throw usageError(
    `${where}: option '--${name}' must be one of ${choices.join(', ')}; got '${raw}'.${hint ? ` Did you mean '${hint}'?` : ''}`,
  );
}
