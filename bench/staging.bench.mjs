#!/usr/bin/env node
// Where W1's typed-array time goes: klDiv(logq, p, { reduction: 'sum' }) on JS typed arrays,
// the same call on allocTensor inputs (zero-copy: the kernel alone, plus the API), and only the
// copy of both inputs into WASM memory (TypedArray.set, the staging's own operation), side by
// side in one run (tinybench). If typed ≈ zero-copy + copy, the staging copy is serialised
// with the kernel and bounds typed-array W1 (single thread: nothing overlaps the two).
// Usage: npm run build && node bench/staging.bench.mjs [--shape B,N;B,N] [--time ms]
import { setFlagsFromString } from 'node:v8';
import { Bench } from 'tinybench';
import { makeDataset } from './data.mjs';

// Relaxed SIMD is on by default from Node 22; Node 20 has it behind this flag (see bench/README.md).
if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-relaxed-simd');
const { allocTensor, initSync, klDiv } = await import('../dist/esm/index.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const time = Number(arg('time', '2000'));
const shapes = arg('shape', '8,32000;64,50257').split(';').map((s) => s.split(',').map(Number));

initSync({ backend: 'wasm-relaxed-simd', maxMemoryMiB: 512 });
for (const shape of shapes) {
  const ds = makeDataset(shape, 'float32');
  const S = ds.shape;
  const LQ = allocTensor(S, 'float32');
  const P = allocTensor(S, 'float32');
  LQ.data.set(ds.logq);
  P.data.set(ds.p);
  const sum = { reduction: 'sum' };
  const typed = () => klDiv({ data: ds.logq, shape: S }, { data: ds.p, shape: S }, sum).item();
  const zeroCopy = () => klDiv(LQ, P, sum).item();
  if (!Object.is(typed(), zeroCopy())) throw new Error('typed and zero-copy answers differ');
  const bench = new Bench({ time, warmupTime: 300 });
  bench
    .add('typed arrays', typed)
    .add('zero-copy', zeroCopy)
    .add('copy only', () => {
      LQ.data.set(ds.logq);
      P.data.set(ds.p);
    });
  await bench.run();
  const [a, b, c] = bench.tasks.map((t) => t.result.latency?.p50 ?? t.result.median ?? t.result.mean);
  const us = (ms) => `${(ms * 1e3).toFixed(0)} µs`;
  console.log(
    `W1 [${S}] float32: typed ${us(a)}, zero-copy ${us(b)}, copy of both inputs ${us(c)}; ` +
      `zero-copy + copy = ${((b + c) / a).toFixed(2)} × typed; the copy is ${((c / a) * 100).toFixed(0)} % of the typed call`,
  );
  LQ.free();
  P.free();
}
