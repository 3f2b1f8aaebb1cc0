/**
 * `klwasm logsumexp IN [--dim D[,D...]] [--keepdim]`: log(sum(exp(x))) over one or more dims, as
 * `torch.logsumexp`. Always streams row blocks of a .npy input: when dim 0 is kept, each block's
 * output rows are written as they come; when dim 0 is reduced, each block's partial logsumexp is
 * folded into a running (max, sum) per output element in float64, so even a huge 1-d vector needs
 * only one block of memory. (With several blocks the folded result can differ from a single pass
 * in the last bit of a float32.)
 */
import { logSumExp } from '../../index.js';
import { Tensor } from '../../tensor.js';
import { arrayFor } from '../../types.js';
import { type Command, OUTPUT_OPTION } from '../command.js';
import { parseDimList, resolveDimList } from '../dims.js';
import { usageError } from '../errors.js';
import { checkOutputOption, resultSink, withSink } from '../result.js';
import { describeSource, openSource } from '../source.js';
import { blockCount, blockRowsFor, forEachBlock } from '../stream.js';

/** Running logsumexp per element over partial results, with PyTorch's NaN / ±inf rules. */
class LogSumExpFold {
  private readonly max: Float64Array;
  private readonly sum: Float64Array;
  private readonly flags: Uint8Array; // 1 = NaN seen, 2 = +inf seen

  constructor(n: number) {
    this.max = new Float64Array(n).fill(-Infinity);
    this.sum = new Float64Array(n);
    this.flags = new Uint8Array(n);
  }

  add(part: ArrayLike<number>): void {
    for (let i = 0; i < part.length; i++) {
      const v = part[i]!;
      if (Number.isNaN(v)) this.flags[i]! |= 1;
      else if (v === Infinity) this.flags[i]! |= 2;
      else if (v !== -Infinity) {
        const m = this.max[i]!;
        if (v > m) {
          this.sum[i] = this.sum[i]! * Math.exp(m - v) + 1;
          this.max[i] = v;
        } else {
          this.sum[i] = this.sum[i]! + Math.exp(v - m);
        }
      }
    }
  }

  result(out: Float32Array | Float64Array): void {
    for (let i = 0; i < out.length; i++) {
      const f = this.flags[i]!;
      out[i] = f & 1 ? NaN : f & 2 ? Infinity : this.max[i] === -Infinity ? -Infinity : this.max[i]! + Math.log(this.sum[i]!);
    }
  }
}

export const logsumexpCommand: Command = {
  name: 'logsumexp',
  summary: 'log(sum(exp(x))) over one or more dimensions (torch.logsumexp)',
  usage: 'klwasm logsumexp IN [--dim D[,D...]] [--keepdim] [-o OUT] [options]',
  description:
    'Computes log(sum(exp(x - m))) + m over the listed dimensions of IN (default -1), with m the maximum ' +
    '(taken as 0 when infinite, so an all -inf slice gives -inf and any +inf gives +inf). --keepdim keeps the ' +
    'reduced dimensions with size 1. A scalar result is printed; a tensor result is printed as JSON when small, ' +
    'or written to -o OUT.\n\n' +
    'Streaming: a .npy input is always processed in blocks of rows of its leading dimension. When dim 0 is ' +
    'reduced, the partial results of the blocks are combined in float64 (so with several blocks a float32 ' +
    'result may differ from a single pass in its last bit).',
  options: [
    { name: 'dim', kind: 'value', valueName: 'D', list: true, description: 'dimension(s) to reduce: an integer or a list such as 0,1 (default -1)' },
    { name: 'keepdim', kind: 'flag', description: 'keep the reduced dimensions with size 1' },
    OUTPUT_OPTION,
  ],
  examples: ['klwasm logsumexp logits.npy', 'klwasm logsumexp logits.npy --dim 1 --keepdim -o lse.npy', 'klwasm logsumexp scores.npy --dim 0,1'],
  async run(args, ctx) {
    const [input, ...extra] = args.positionals;
    if (input === undefined) throw usageError(`${ctx.where}: missing the input file IN.`);
    if (extra.length > 0) throw usageError(`${ctx.where}: expected one input file, got ${args.positionals.length}: ${args.positionals.join(' ')}.`);
    const dimList = parseDimList(ctx.where, args.values.get('dim'));
    const keepdim = args.flags.has('keepdim');
    checkOutputOption(args);
    const src = openSource(input);
    try {
      const ndim = src.shape.length;
      const dims = resolveDimList(ctx.where, dimList, src);
      const outShape = ndim === 0 ? [] : src.shape.flatMap((s, d) => (dims.includes(d) ? (keepdim ? [1] : []) : [s]));
      const sink = resultSink(args, ctx, outShape);
      const rows = ndim === 0 ? 1 : src.shape[0]!;
      const blockRows = ndim === 0 ? 1 : blockRowsFor(ctx, src.rowElems * (src.dtype === 'float32' ? 4 : 8));
      const blocks = blockCount(rows, blockRows);
      const reducesRows = ndim > 0 && dims.includes(0);
      // The library's dim argument: the original list for 0-d (it validates it), else the wrapped dims.
      const libDims = ndim === 0 ? dimList : dims;
      ctx.verbose(describeSource(src));
      ctx.verbose(
        `streaming ${rows} rows in ${blocks} block(s) of up to ${blockRows} rows` +
          (reducesRows && blocks > 1 ? '; partial results over dim 0 combined in float64' : ''),
      );
      await withSink(sink, async () => {
        if (!reducesRows || blocks === 1) {
          await forEachBlock(ctx, rows, blockRows, (start, count) => sink.write(logSumExp(src.readRows(start, count), libDims, keepdim)));
          return;
        }
        const fold = new LogSumExpFold(outShape.reduce((a, b) => a * b, 1));
        await forEachBlock(ctx, rows, blockRows, (start, count) => {
          fold.add(logSumExp(src.readRows(start, count), libDims, keepdim).data);
        });
        const out = new (arrayFor(src.dtype))(outShape.reduce((a, b) => a * b, 1));
        fold.result(out);
        await sink.write(new Tensor(out, outShape));
      });
    } finally {
      src.close();
    }
  },
};
