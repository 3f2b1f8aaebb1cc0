/**
 * `klwasm diagnose A B [--dim D] [--log-target] [--tolerance TOL] [--json]`: what `kl A B` would
 * receive — whether A looks like log-probabilities and B like probabilities (or log-probabilities
 * with --log-target), normalisation errors, swapped arguments, NaN/±inf/negative entries — and
 * the one-line fix. Exit 0 when the arguments look right, 4 when they do not. Loads both files.
 */
import { diagnose } from '../../index.js';
import { intOption, numberOption } from '../args.js';
import type { Command } from '../command.js';
import { CliError, EXIT, usageError } from '../errors.js';
import { openSource } from '../source.js';

export const diagnoseCommand: Command = {
  name: 'diagnose',
  summary: 'check that A and B are what kl expects (log-probabilities, probabilities) and say how to fix them',
  usage: 'klwasm diagnose A B [--dim D] [--log-target] [--tolerance TOL] [--json] [options]',
  description:
    'Reports what A (kl_div input, expected log-probabilities) and B (target, expected probabilities, or ' +
    'log-probabilities with --log-target) look like along --dim (default -1): log-probabilities (logsumexp ≈ 0), ' +
    'probabilities (entries in [0, 1], sums ≈ 1) or raw scores; the worst slice’s normalisation error; whether ' +
    'the two look swapped; negative, NaN or infinite entries and where; and the fix in one line. ' +
    'Exit status 0 when the arguments look right, 4 when they do not. --json prints the structured report.\n\n' +
    'Both files are loaded whole.',
  options: [
    { name: 'dim', kind: 'value', valueName: 'D', description: 'dimension the distributions run along (default -1)' },
    { name: 'log-target', kind: 'flag', description: 'B is meant to hold log-probabilities' },
    { name: 'tolerance', kind: 'value', valueName: 'TOL', description: 'normalisation tolerance for |Σ − 1| and |logsumexp| (default 1e-3)' },
    { name: 'json', kind: 'flag', description: 'print the report as JSON instead of text' },
  ],
  examples: ['klwasm diagnose logq.npy p.npy', 'klwasm diagnose scores.npy probs.npy --dim 1 --json'],
  async run(args, ctx) {
    const [a, b, ...extra] = args.positionals;
    if (a === undefined || b === undefined) throw usageError(`${ctx.where}: expected two input files A B.`);
    if (extra.length > 0) throw usageError(`${ctx.where}: expected two input files, got ${args.positionals.length}.`);
    const dim = intOption(args, 'dim', ctx.where, -1);
    const tolerance = numberOption(args, 'tolerance', ctx.where, 1e-3);
    if (!(tolerance > 0)) throw usageError(`${ctx.where}: --tolerance must be a positive number, got ${tolerance}.`);
    const sa = openSource(a);
    const sb = openSource(b);
    try {
      let report;
      try {
        report = diagnose(sa.readAll(), sb.readAll(), { dim, logTarget: args.flags.has('log-target'), tolerance });
      } catch (e) {
        if (e instanceof RangeError) throw new CliError(EXIT.INPUT, `${a}, ${b}: ${e.message}`, { cause: e });
        throw e;
      }
      await ctx.stdout.write(args.flags.has('json') ? `${JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n` : `${report.text}\n`);
      if (!report.ok) throw new CliError(EXIT.MISUSE, `${ctx.where}: ${report.problems.length} problem(s); fix: ${report.fix}`);
    } finally {
      sa.close();
      sb.close();
    }
  },
};
