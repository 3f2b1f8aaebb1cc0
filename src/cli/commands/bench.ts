/**
 * `klwasm bench [--quick] [--out FILE]`: a self-contained benchmark of the installed klwasm — its
 * three backends against plain JavaScript loops measured in the same run (W1 kl_div 'sum' from
 * log-probabilities, W2 klDivLogits from logits against the naive log_softmax → softmax → kl_div
 * chain, W3 logSoftmax, W4 logSumExp; float32, last dim). The peer suite (onnxruntime-node,
 * tfjs, mathjs, …) needs the repository's devDependencies: `npm run bench` there.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { initSync, klDiv, klDivLogits, logSoftmax, logSumExp, setWarningHandler, softmax } from '../../index.js';
import type { Command } from '../command.js';
import { usageError } from '../errors.js';

type Workload = 'W1' | 'W2' | 'W3' | 'W4';
const WORKLOADS: Record<Workload, string> = {
  W1: "klDiv(logq, p, 'sum')",
  W2: 'klDivLogits(x, y) vs the log_softmax → softmax → kl_div chain',
  W3: 'logSoftmax(x, -1)',
  W4: 'logSumExp(x, -1)',
};

/** Plain JS loops over Float32Arrays (float64 accumulation), the baseline of every ratio. */
const naive = {
  W1(lq: Float32Array, p: Float32Array): number {
    let s = 0;
    for (let i = 0; i < p.length; i++) s += p[i]! > 0 ? p[i]! * (Math.log(p[i]!) - lq[i]!) : 0;
    return s;
  },
  logSoftmax(x: Float32Array, B: number, C: number, out: Float32Array): void {
    for (let b = 0; b < B; b++) {
      const o = b * C;
      let m = -Infinity;
      for (let i = 0; i < C; i++) m = Math.max(m, x[o + i]!);
      let s = 0;
      for (let i = 0; i < C; i++) s += Math.exp(x[o + i]! - m);
      const ls = Math.log(s);
      for (let i = 0; i < C; i++) out[o + i] = x[o + i]! - m - ls;
    }
  },
  W4(x: Float32Array, B: number, C: number, out: Float32Array): void {
    for (let b = 0; b < B; b++) {
      const o = b * C;
      let m = -Infinity;
      for (let i = 0; i < C; i++) m = Math.max(m, x[o + i]!);
      let s = 0;
      for (let i = 0; i < C; i++) s += Math.exp(x[o + i]! - m);
      out[b] = m + Math.log(s);
    }
  },
};

interface Cell {
  workload: Workload;
  shape: [number, number];
  engine: string;
  medianMs: number;
  melemPerS: number;
  vsNaive: number;
}

function timeIt(fn: () => void, budgetMs: number): number {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  while (performance.now() < end || samples.length < 5) {
    let reps = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      fn();
      reps++;
      t = performance.now();
    } while (t - t0 < 2);
    samples.push((t - t0) / reps);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmark the backends against plain JavaScript loops on this machine',
  usage: 'klwasm bench [--quick] [--out FILE] [options]',
  description:
    'Times W1–W4 (' +
    Object.entries(WORKLOADS).map(([k, v]) => `${k} ${v}`).join('; ') +
    ') on float32 [B, C] inputs with every backend this engine runs (wasm-relaxed-simd, wasm-simd, wasm-scalar, js), next to plain JavaScript loops measured in ' +
    'the same run, and prints Melem/s and the ratio to the JavaScript loops. --quick uses two shapes and short ' +
    'timings (≈ 15 s). Results are written as JSON to --out (default klwasm-bench.json in the current directory). ' +
    'The full peer comparison (onnxruntime-node, tfjs, mathjs, ml-distance) is `npm run bench` in the klwasm repository.',
  options: [
    { name: 'quick', kind: 'flag', description: 'two shapes, short timings' },
    { name: 'out', kind: 'value', valueName: 'FILE', description: 'where to write the JSON results (default klwasm-bench.json)' },
  ],
  examples: ['klwasm bench --quick', 'klwasm bench --out results.json'],
  async run(args, ctx) {
    if (args.positionals.length > 0) throw usageError(`${ctx.where}: takes no input files.`);
    setWarningHandler(null);
    const quick = args.flags.has('quick');
    const shapes: [number, number][] = quick ? [[32, 1000], [8, 32000]] : [[4, 5], [32, 1000], [8, 32000], [64, 50257]];
    const budget = quick ? 150 : 600;
    const cells: Cell[] = [];
    let seed = 20261127;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (const [B, C] of shapes) {
      const n = B * C;
      const x = new Float32Array(n).map(() => 3 * (rand() + rand() + rand() - 1.5));
      const y = x.map((v) => v + 0.5 * (rand() - 0.5));
      const X = { data: x, shape: [B, C] };
      const Y = { data: y, shape: [B, C] };
      initSync({ backend: 'js' });
      const lq = logSoftmax(X, -1).data as Float32Array;
      const p = softmax(Y, -1).data as Float32Array;
      const tmp = new Float32Array(n);
      const tmp2 = new Float32Array(n);
      const naiveMs: Record<Workload, number> = {
        W1: timeIt(() => void naive.W1(lq, p), budget),
        W2: timeIt(() => {
          naive.logSoftmax(x, B, C, tmp);
          naive.logSoftmax(y, B, C, tmp2);
          for (let i = 0; i < n; i++) tmp2[i] = Math.exp(tmp2[i]!);
          naive.W1(tmp, tmp2);
        }, budget),
        W3: timeIt(() => naive.logSoftmax(x, B, C, tmp), budget),
        W4: timeIt(() => naive.W4(x, B, C, tmp), budget),
      };
      for (const w of Object.keys(WORKLOADS) as Workload[]) {
        cells.push({ workload: w, shape: [B, C], engine: 'naive-js', medianMs: naiveMs[w], melemPerS: n / naiveMs[w] / 1e3, vsNaive: 1 });
      }
      for (const backend of ['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'] as const) {
        try {
          initSync({ backend });
        } catch {
          continue; // not supported by this engine
        }
        const L = { data: lq, shape: [B, C] };
        const P = { data: p, shape: [B, C] };
        const runs: Record<Workload, () => void> = {
          W1: () => void klDiv(L, P, { reduction: 'sum' }),
          W2: () => void klDivLogits(X, Y, { reduction: 'sum' }),
          W3: () => void logSoftmax(X, -1),
          W4: () => void logSumExp(X, -1),
        };
        for (const w of Object.keys(WORKLOADS) as Workload[]) {
          const ms = timeIt(runs[w], budget);
          cells.push({ workload: w, shape: [B, C], engine: `klwasm ${backend}`, medianMs: ms, melemPerS: n / ms / 1e3, vsNaive: naiveMs[w] / ms });
        }
      }
      await ctx.stderr.write(`${ctx.where}: [${B}, ${C}] done\n`);
    }
    const lines = [`${'workload'.padEnd(9)}${'shape'.padEnd(14)}${'engine'.padEnd(22)}${'Melem/s'.padStart(9)}${'× naive JS'.padStart(12)}`];
    for (const c of cells) {
      lines.push(`${c.workload.padEnd(9)}${`[${c.shape.join(', ')}]`.padEnd(14)}${c.engine.padEnd(22)}${c.melemPerS.toFixed(1).padStart(9)}${c.vsNaive.toFixed(2).padStart(12)}`);
    }
    await ctx.stdout.write(`${lines.join('\n')}\n`);
    const out = resolve(args.values.get('out') ?? 'klwasm-bench.json');
    const meta = { date: new Date().toISOString(), node: process.version, quick, workloads: WORKLOADS };
    writeFileSync(out, `${JSON.stringify({ ...meta, cells }, null, 2)}\n`);
    await ctx.stdout.write(`results written to ${out}\n`);
    initSync({ backend: 'auto' });
  },
};
