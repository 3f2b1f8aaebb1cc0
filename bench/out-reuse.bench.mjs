#!/usr/bin/env node
// Result allocation vs `out` reuse: logSoftmax(x, -1) returning a fresh tensor, against the same
// call writing into a reused result tensor (`{ out }`), side by side in one run (tinybench),
// reported as a ratio per backend. Shows how much of a large typed-array call is the allocation
// of its result (fresh pages) rather than the kernel.
// Usage: npm run build && node bench/out-reuse.bench.mjs [--shape B,C] [--time ms]
import { setFlagsFromString } from 'node:v8';
import { Bench } from 'tinybench';

// Relaxed SIMD is on by default from Node 22; Node 20 has it behind this flag (see bench/README.md).
if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-relaxed-simd');
const { initSync, logSoftmax } = await import('../dist/esm/index.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const time = Number(arg('time', '2000'));
const shapes = arg('shape', '8,32000;64,50257').split(';').map((s) => s.split(',').map(Number));

let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
for (const [B, C] of shapes) {
  const n = B * C;
  const x = new Float32Array(n).map(() => 3 * (rand() + rand() + rand() - 1.5));
  const X = { data: x, shape: [B, C] };
  for (const backend of ['wasm-relaxed-simd', 'wasm-simd']) {
    initSync({ backend });
    const out = logSoftmax(X, -1);
    const fresh = logSoftmax(X, -1).data;
    logSoftmax(X, -1, { out });
    for (let i = 0; i < n; i++) if (!Object.is(out.data[i], fresh[i])) throw new Error(`out differs at ${i}`);
    const bench = new Bench({ time, warmupTime: 300 });
    bench.add('fresh result', () => void logSoftmax(X, -1)).add('reused out', () => void logSoftmax(X, -1, { out }));
    await bench.run();
    const [a, b] = bench.tasks.map((t) => t.result.latency?.p50 ?? t.result.median ?? t.result.mean);
    const mel = (ms) => (n / ms / 1e3).toFixed(0);
    console.log(`logSoftmax [${B}, ${C}] float32 on ${backend}: fresh ${mel(a)} Melem/s, reused out ${mel(b)} Melem/s, ratio ${(a / b).toFixed(2)}×`);
  }
}
