/**
 * `klwasm softmax IN` and `klwasm log-softmax IN`: softmax / log_softmax along `--dim` (default
 * -1), written with the input's shape and dtype. Streams row blocks when the dim is not 0 (each
 * block holds whole slices); a softmax along dim 0 (or of a 1-d input) needs every row and loads
 * the input whole.
 */
import { logSoftmax, softmax } from '../../index.js';
import { intOption } from '../args.js';
import { type Command, OUTPUT_OPTION } from '../command.js';
import { resolveDim } from '../dims.js';
import { usageError } from '../errors.js';
import { checkOutputOption, resultSink, withSink } from '../result.js';
import { describeSource, openSource } from '../source.js';
import { blockCount, blockRowsFor, forEachBlock } from '../stream.js';

function sliceCommand(name: 'softmax' | 'log-softmax'): Command {
  const op = name === 'softmax' ? softmax : logSoftmax;
  const math = name === 'softmax' ? 'exp(x - max) / sum(exp(x - max))' : '(x - max) - log(sum(exp(x - max)))';
  const torch = name === 'softmax' ? 'torch.softmax' : 'torch.log_softmax';
  return {
    name,
    summary: `${name} along a dimension (${torch})`,
    usage: `klwasm ${name} IN [--dim D] [-o OUT] [options]`,
    description:
      `Computes ${math} along dimension D of IN (default -1, the last; unlike ${torch}, the CLI never guesses ` +
      `an implicit dim). The result has IN's shape and dtype.\n\n` +
      'Streaming: a .npy input is processed in blocks of rows of its leading dimension when D is not 0, ' +
      'so memory stays bounded; with D = 0 (or a 1-d input) every row is needed and IN is loaded whole.',
    options: [{ name: 'dim', kind: 'value', valueName: 'D', description: 'the dimension to normalise over (default -1)' }, OUTPUT_OPTION],
    examples: [
      `klwasm ${name} logits.npy -o ${name === 'softmax' ? 'probs' : 'logprobs'}.npy`,
      `klwasm ${name} logits.json --dim 1`,
      `klwasm ${name} big.npy --dim -1 -o out.npy --verbose`,
    ],
    async run(args, ctx) {
      const [input, ...extra] = args.positionals;
      if (input === undefined) throw usageError(`${ctx.where}: missing the input file IN.`);
      if (extra.length > 0) throw usageError(`${ctx.where}: expected one input file, got ${args.positionals.length}: ${args.positionals.join(' ')}.`);
      const dim = intOption(args, 'dim', ctx.where, -1);
      checkOutputOption(args);
      const src = openSource(input);
      try {
        const d = resolveDim(ctx.where, dim, src);
        const sink = resultSink(args, ctx, src.shape);
        const rows = src.shape.length === 0 ? 1 : src.shape[0]!;
        const streamed = src.shape.length >= 2 && d >= 1;
        const blockRows = streamed ? blockRowsFor(ctx, src.rowElems * (src.dtype === 'float32' ? 4 : 8)) : Math.max(rows, 1);
        ctx.verbose(describeSource(src));
        ctx.verbose(
          streamed
            ? `streaming ${rows} rows in ${blockCount(rows, blockRows)} block(s) of up to ${blockRows} rows`
            : `loading ${src.path} whole (${name} along dim ${d} of a ${src.shape.length}-d input needs every row)`,
        );
        await withSink(sink, async () => {
          await forEachBlock(ctx, rows, blockRows, (start, count) => sink.write(op(src.readRows(start, count), d)));
        });
      } finally {
        src.close();
      }
    },
  };
}

export const softmaxCommand = sliceCommand('softmax');
export const logSoftmaxCommand = sliceCommand('log-softmax');
