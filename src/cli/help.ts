/** `--help` text for the whole tool and for each command. */
import type { OptionSpec } from './args.js';
import { COMMON_OPTIONS, type Command } from './command.js';
import { EXIT } from './errors.js';

const EXIT_CODES = [
  `  ${EXIT.OK}  success`,
  `  ${EXIT.RUNTIME}  runtime error (backend unavailable, computation failed, output not writable)`,
  `  ${EXIT.USAGE}  usage error (unknown command or option, bad value, --dim out of range, result too large to print)`,
  `  ${EXIT.INPUT}  input file error (missing, unreadable or malformed, unsupported dtype or order, mismatched shapes)`,
  `  ${EXIT.MISUSE}  diagnose: the arguments are not what kl_div expects (the report gives the fix)`,
].join('\n');

function wrap(text: string, width = 88, indent = ''): string {
  return text
    .split('\n\n')
    .map((para) => {
      const lines: string[] = [];
      let line = indent;
      for (const word of para.split(/\s+/).filter(Boolean)) {
        if (line.trim() !== '' && line.length + 1 + word.length > width) {
          lines.push(line);
          line = indent;
        }
        line += line.trim() === '' ? word : ` ${word}`;
      }
      if (line.trim() !== '') lines.push(line);
      return lines.join('\n');
    })
    .join('\n\n');
}

function optionLines(specs: readonly OptionSpec[]): string {
  const visible = specs.filter((s) => !s.hidden);
  const left = visible.map((s) => `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.kind === 'value' ? ` ${s.valueName ?? 'VALUE'}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return visible.map((s, i) => `  ${left[i]!.padEnd(width)}${s.description}`).join('\n');
}

/** Help for one command. */
export function commandHelp(cmd: Command): string {
  return [
    `Usage: ${cmd.usage}`,
    '',
    wrap(cmd.description),
    '',
    'Options:',
    optionLines(cmd.options),
    '',
    'Common options:',
    optionLines(COMMON_OPTIONS),
    '',
    'Examples:',
    ...cmd.examples.map((e) => `  ${e}`),
    '',
    'Exit codes:',
    EXIT_CODES,
    '',
  ].join('\n');
}

/** The top-level help. */
export function topHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'Usage: klwasm <command> [arguments] [options]',
    '',
    'KL divergence, log-sum-exp, softmax and log_softmax over NumPy .npy and .json files, with PyTorch 1.13 semantics.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help (klwasm <command> --help for a command)',
    '      --version  print the version',
    '',
    'Common options (every command):',
    optionLines(COMMON_OPTIONS),
    '',
    wrap(
      'Files: .npy (float32/float64, little- or big-endian, C order, format 1.0/2.0/3.0) or .json (nested arrays, ' +
        'read as float32; or {"data": [...], "shape": [...], "dtype": "float64"}). Large .npy inputs are streamed in ' +
        'blocks of rows of the leading dimension where the operation allows. Tensor results go to -o OUT (.npy or ' +
        '.json), or are printed as JSON when small; scalars are printed to stdout.',
    ),
    '',
    'Exit codes:',
    EXIT_CODES,
    '',
  ].join('\n');
}
