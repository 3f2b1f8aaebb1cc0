/**
 * `klwasm kl A B`: the KL divergence of two tensors in files.
 * - Without `--logits`: `torch.nn.functional.kl_div(A, B, reduction, log_target)` — A holds
 *   log-probabilities (log q), B probabilities p (log p with `--log-target`); shapes broadcast.
 * - With `--logits`: `klDivLogits(A, B, { dim, temperature, reduction })` — A and B are raw
 *   student and teacher logits of the same shape; KL(softmax(B/T) ‖ softmax(A/T))·T² per slice.
 *
 * Streaming: row blocks of the leading dimension (of the broadcast result for kl_div; only when
 * dim ≠ 0 with `--logits`). Reductions add the blocks' 'sum's (in float64) and divide at the end —
 * 'batchmean' = Σ block sums / A.shape[0], 'mean' = Σ / numel; 'none' writes each block's terms.
 */
import { CompensatedSum } from '../../compensated.js';
import { klDiv, klDivLogits } from '../../index.js';
import { TEMPERATURE_MAX, TEMPERATURE_MIN } from '../../ops/klDivLogits.js';
import { MEAN_WARNING } from '../../reduction.js';
import { Tensor } from '../../tensor.js';
import { type Reduction, arrayFor } from '../../types.js';
import { warn } from '../../warnings.js';
import { type ParsedArgs, choiceOption, intOption, numberOption } from '../args.js';
import { type Command, type RunContext, OUTPUT_OPTION } from '../command.js';
import { resolveDim } from '../dims.js';
import { inputError, usageError } from '../errors.js';
import { checkOutputOption, resultSink, withSink } from '../result.js';
import type { TensorSink } from '../sink.js';
import { type TensorSource, describeSource, openSource } from '../source.js';
import { blockCount, blockRowsFor, forEachBlock } from '../stream.js';

const REDUCTIONS: readonly Reduction[] = ['batchmean', 'sum', 'mean', 'none'];

function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** NumPy broadcasting of the two input shapes, or an input error naming both files. */
function broadcast(where: string, a: TensorSource, b: TensorSource): number[] {
  const n = Math.max(a.shape.length, b.shape.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a.shape[a.shape.length - n + i] ?? 1;
    const db = b.shape[b.shape.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw inputError(
        `${a.path}, ${b.path}`,
        `shapes do not broadcast: A has shape [${a.shape.join(', ')}] and B has shape [${b.shape.join(', ')}] ` +
          `(size ${da} vs ${db} at dimension ${i} of the broadcast result). ${where} needs tensors of the same shape, ` +
          'or shapes where each dimension is equal or 1 in one of them.',
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * Runs one streamed KL: `block(start, count, reduction)` computes the library result for rows
 * [start, start + count) of the leading dimension. One block: the library's own reduction, exactly.
 * Several: 'none' writes blocks; reductions sum the blocks' 'sum' results and divide by `divisor`.
 */
async function runKl(
  ctx: RunContext,
  sink: TensorSink,
  rows: number,
  blockRows: number,
  reduction: Reduction,
  divisor: number,
  block: (start: number, count: number, reduction: Reduction) => Tensor,
): Promise<void> {
  const blocks = blockCount(rows, blockRows);
  await withSink(sink, async () => {
    if (reduction === 'none' || blocks === 1) {
      await forEachBlock(ctx, rows, blockRows, (start, count) => sink.write(block(start, count, reduction)));
      return;
    }
    if (reduction === 'mean') warn('KLWASM_MEAN_REDUCTION', MEAN_WARNING);
    const total = new CompensatedSum();
    let dtype: Tensor['dtype'] = 'float32';
    await forEachBlock(ctx, rows, blockRows, (start, count) => {
      const part = block(start, count, 'sum');
      dtype = part.dtype;
      total.add(part.item());
    });
    await sink.write(new Tensor(arrayFor(dtype).of(total.value / divisor), []));
  });
}

export const klCommand: Command = {
  name: 'kl',
  summary: 'KL divergence: F.kl_div(A, B), or from raw logits with --logits',
  usage: 'klwasm kl A B [--logits [--dim D] [--temperature T]] [--reduction R] [--log-target] [-o OUT] [options]',
  description:
    'Without --logits, computes torch.nn.functional.kl_div(A, B): A holds log-probabilities (log q), B holds ' +
    'probabilities p (or log p with --log-target), and the pointwise term is p·(log p − log q). Shapes broadcast.\n\n' +
    'With --logits, A and B are raw student and teacher logits of the same shape, and the result is ' +
    'KL(softmax(B/T) ‖ softmax(A/T))·T² along dim D (klwasm.klDivLogits: fused, never negative, exactly 0 for ' +
    'identical logits).\n\n' +
    "--reduction defaults to batchmean (the sum divided by A's leading dimension: the KL per sample) in both modes; " +
    "note that F.kl_div's own default is 'mean', which divides by the element count and is not the KL. A scalar " +
    'result is printed to stdout; --reduction none gives a tensor (printed as JSON when small, or written to -o OUT).\n\n' +
    'Streaming: .npy inputs are processed in blocks of rows of the leading dimension (with --logits only when D is ' +
    'not 0; a broadcast operand without that dimension is loaded whole). Block sums are added in float64; with ' +
    'several blocks a float32 result may differ from a single pass in its last bit.',
  options: [
    { name: 'logits', kind: 'flag', description: 'A and B are raw student/teacher logits (fused softmax + KL)' },
    { name: 'dim', kind: 'value', valueName: 'D', description: 'with --logits: the class dimension (default -1)' },
    { name: 'temperature', kind: 'value', valueName: 'T', description: 'with --logits: distillation temperature in [2^-63, 2^63] (default 1)' },
    { name: 'reduction', kind: 'value', valueName: 'R', description: 'batchmean (default), sum, mean or none' },
    { name: 'log-target', kind: 'flag', description: 'without --logits: B holds log-probabilities' },
    OUTPUT_OPTION,
  ],
  examples: [
    'klwasm kl student_logprobs.npy teacher_probs.npy',
    'klwasm kl student_logits.npy teacher_logits.npy --logits --temperature 2',
    'klwasm kl a.npy b.npy --reduction none -o terms.npy',
  ],
  async run(args, ctx) {
    const where = ctx.where;
    if (args.positionals.length !== 2) {
      throw usageError(`${where}: expected two input files A and B, got ${args.positionals.length}${args.positionals.length ? `: ${args.positionals.join(' ')}` : ''}.`);
    }
    const [pathA, pathB] = args.positionals as [string, string];
    const logits = args.flags.has('logits');
    if (!logits) {
      for (const opt of ['dim', 'temperature']) {
        if (args.values.has(opt)) throw usageError(`${where}: --${opt} only applies with --logits (kl_div of log-probabilities has no ${opt}).`);
      }
    } else if (args.flags.has('log-target')) {
      throw usageError(`${where}: --log-target only applies without --logits (logits are never log-probabilities).`);
    }
    const reduction = choiceOption(args, 'reduction', where, REDUCTIONS, 'batchmean');
    const dim = intOption(args, 'dim', where, -1);
    const temperature = numberOption(args, 'temperature', where, 1);
    if (!(temperature >= TEMPERATURE_MIN && temperature <= TEMPERATURE_MAX)) {
      throw usageError(`${where}: --temperature must be > 0 and in [2^-63, 2^63], got ${args.values.get('temperature')}.`);
    }
    const logTarget = args.flags.has('log-target');
    checkOutputOption(args);

    const a = openSource(pathA);
    let b: TensorSource | null = null;
    try {
      b = openSource(pathB);
      ctx.verbose(`A = ${describeSource(a)}`);
      ctx.verbose(`B = ${describeSource(b)}`);
      const bytes = (s: TensorSource): number => s.rowElems * (s.dtype === 'float32' ? 4 : 8);
      if (logits) {
        await runLogits(ctx, args, a, b, reduction, dim, temperature, bytes);
      } else {
        await runKlDiv(ctx, args, a, b, reduction, logTarget, bytes);
      }
    } finally {
      a.close();
      b?.close();
    }
  },
};

async function runLogits(
  ctx: RunContext,
  args: ParsedArgs,
  a: TensorSource,
  b: TensorSource,
  reduction: Reduction,
  dim: number,
  temperature: number,
  bytes: (s: TensorSource) => number,
): Promise<void> {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw inputError(
      `${a.path}, ${b.path}`,
      `A has shape [${a.shape.join(', ')}] but B has shape [${b.shape.join(', ')}]; --logits needs student and teacher ` +
        'logits of the same shape (e.g. both [batch, classes]).',
    );
  }
  const d = resolveDim(ctx.where, dim, a);
  const ndim = a.shape.length;
  const outShape = reduction === 'none' ? [...a.shape] : [];
  const sink = resultSink(args, ctx, outShape);
  const rows = ndim === 0 ? 1 : a.shape[0]!;
  const streamed = ndim >= 2 && d >= 1;
  const blockRows = streamed ? blockRowsFor(ctx, bytes(a) + bytes(b)) : Math.max(rows, 1);
  ctx.verbose(
    streamed
      ? `streaming ${rows} rows in ${blockCount(rows, blockRows)} block(s) of up to ${blockRows} rows`
      : `loading both inputs whole (softmax along dim ${d} of a ${ndim}-d input needs every row)`,
  );
  const divisor = reduction === 'mean' ? numelOf(a.shape) : reduction === 'batchmean' && ndim > 0 ? a.shape[0]! : 1;
  await runKl(ctx, sink, rows, blockRows, reduction, divisor, (start, count, red) =>
    klDivLogits(a.readRows(start, count), b.readRows(start, count), { dim: d, temperature, reduction: red }),
  );
}

async function runKlDiv(
  ctx: RunContext,
  args: ParsedArgs,
  a: TensorSource,
  b: TensorSource,
  reduction: Reduction,
  logTarget: boolean,
  bytes: (s: TensorSource) => number,
): Promise<void> {
  const outShape = broadcast(ctx.where, a, b);
  const sink = resultSink(args, ctx, reduction === 'none' ? outShape : []);
  const ndim = outShape.length;
  const rows = ndim === 0 ? 1 : outShape[0]!;
  // An operand is read in row blocks when it has the result's leading dimension; otherwise it is
  // broadcast along it (missing, or of size 1) and is loaded whole once.
  const rowed = (s: TensorSource): boolean => ndim > 0 && rows > 1 && s.shape.length === ndim && s.shape[0] === rows;
  const aRowed = rowed(a);
  const bRowed = rowed(b);
  const streamed = aRowed || bRowed;
  const blockRows = streamed ? blockRowsFor(ctx, (aRowed ? bytes(a) : 0) + (bRowed ? bytes(b) : 0)) : Math.max(rows, 1);
  const aWhole = aRowed ? null : a.readAll();
  const bWhole = bRowed ? null : b.readAll();
  ctx.verbose(
    streamed
      ? `streaming ${rows} rows in ${blockCount(rows, blockRows)} block(s) of up to ${blockRows} rows` +
          (aWhole || bWhole ? ` (${[aWhole ? 'A' : '', bWhole ? 'B' : ''].filter(Boolean).join(' and ')} broadcast, loaded whole)` : '')
      : 'loading both inputs whole',
  );
  // PyTorch: 'mean' divides by the element count of the broadcast result, 'batchmean' by input.size(0).
  const divisor = reduction === 'mean' ? numelOf(outShape) : reduction === 'batchmean' && a.shape.length > 0 ? a.shape[0]! : 1;
  await runKl(ctx, sink, rows, blockRows, reduction, divisor, (start, count, red) =>
    klDiv(aWhole ?? a.readRows(start, count), bWhole ?? b.readRows(start, count), { reduction: red, logTarget }),
  );
}
