#!/usr/bin/env node
// Worker-pool throughput: klDivLogits on [64, 50257] float32 (SharedArrayBuffer inputs), the
// single-thread path vs createPool({ threads }) — measured side by side in one run (tinybench),
// reported as a ratio. Usage: node bench/pool.bench.mjs [--threads N] [--time ms] [--shape B,C]
import { Bench } from 'tinybench';
import { createPool, initSync, klDivLogits, setWarningHandler } from '../dist/esm/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const threads = Number(arg('threads', '2'));
const time = Number(arg('time', '3000'));
const [B, C] = arg('shape', '64,50257').split(',').map(Number);
setWarningHandler(null);

let s = 12345;
const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const n = B * C;
const x = new Float32Array(new SharedArrayBuffer(n * 4));
const y = new Float32Array(new SharedArrayBuffer(n * 4));
for (let i = 0; i < n; i++) {
  x[i] = 3 * (rand() + rand() + rand() - 1.5);
  y[i] = x[i] + 0.5 * (rand() - 0.5);
}
const X = { data: x, shape: [B, C] };
const Y = { data: y, shape: [B, C] };

const backend = initSync({ backend: 'auto' });
const pool = createPool({ threads, backend });
await pool.ready();
const single = klDivLogits(X, Y).item();
const pooled = (await pool.klDivLogits(X, Y)).item();
if (single !== pooled) throw new Error(`pool result ${pooled} differs from single-thread ${single}`);

const bench = new Bench({ time, warmupTime: 500 });
bench
  .add(`single thread (${backend})`, () => {
    klDivLogits(X, Y);
  })
  .add(`pool, ${threads} threads`, async () => {
    await pool.klDivLogits(X, Y);
  });
await bench.run();
await pool.close();

const rows = bench.tasks.map((t) => {
  const r = t.result;
  const median = r.latency?.p50 ?? r.median ?? r.mean;
  return { task: t.name, 'median ms': median.toFixed(2), 'Melem/s': (n / median / 1e3).toFixed(0), samples: r.latency?.samplesCount };
});
console.table(rows);
const [a, b] = bench.tasks.map((t) => t.result.latency?.p50 ?? t.result.median ?? t.result.mean);
console.log(`klDivLogits [${B}, ${C}] float32: pool ${threads} threads / single thread = ${(a / b).toFixed(2)}× throughput (same answer: ${single})`);
