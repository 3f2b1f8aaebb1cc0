#!/usr/bin/env node
// Soak test (npm run soak): 10^6 mixed calls across ops, shapes, dtypes and backends, asserting
// that neither the WASM memory nor the JS heap (after GC) grows, then a [1, 2^30] float32 row
// generated in chunks and streamed with the WASM memory inside its 64 MiB cap
// (scripts/huge-row.mjs). CI runs a reduced size through test/soak.test.ts.
//
//   node --expose-gc scripts/soak.mjs [--calls 1000000] [--log2 30] [--backend wasm-simd]
import {
  allocTensor,
  initSync,
  klDiv,
  klDivLogits,
  klDivLogitsWithGrad,
  logSoftmax,
  logSumExp,
  memoryStats,
  setWarningHandler,
  softmax,
} from 'klwasm';
import { runHugeRow } from './huge-row.mjs';

/** Runs `calls` mixed calls; returns memory figures before and after. Throws on growth. */
export function runSoak({ calls = 1_000_000, backend = 'wasm-simd', log = () => {} } = {}) {
  setWarningHandler(null);
  initSync({ backend });
  let s = 7;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const make = (shape, dtype = 'float32') => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = 6 * (rand() - 0.5);
    return { data, shape };
  };
  const inputs = [
    [make([4, 5]), make([4, 5])],
    [make([8, 300]), make([8, 300])],
    [make([3, 7, 4], 'float64'), make([3, 7, 4], 'float64')],
    [make([2, 5000]), make([2, 5000])],
  ];
  // Zero-copy tensors on the WASM backends (the js backend has no WASM memory).
  const zc = backend === 'js' ? null : allocTensor([8, 300]);
  zc?.data.set(inputs[1][0].data);
  const ops = [
    ([x]) => softmax(x, -1),
    ([x]) => logSoftmax(x, 0),
    ([x]) => logSumExp(x, -1),
    ([x, y]) => klDivLogits(x, y, { temperature: 2 }),
    ([x, y]) => klDivLogits(x, y, { reduction: 'none' }),
    ([x, y]) => klDiv(logSoftmax(x, -1), softmax(y, -1), { reduction: 'batchmean' }),
    ([x, y]) => klDivLogitsWithGrad(x, y, { temperature: 1.5 }).gradInput,
    ([x]) => softmax(zc ?? x, -1),
  ];
  const gc = globalThis.gc ?? (() => {});
  const run = (i) => ops[i % ops.length](inputs[(i >> 3) % inputs.length]);
  for (let i = 0; i < 2000; i++) run(i); // warm up: every path allocated once
  gc();
  const before = { ...memoryStats(), heapUsed: process.memoryUsage().heapUsed };
  const t0 = performance.now();
  let check = 0;
  for (let i = 0; i < calls; i++) {
    const r = run(i);
    check += r.data[0] ?? 0;
    if (i > 0 && i % 200_000 === 0) log(`${i} calls, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  gc();
  const after = { ...memoryStats(), heapUsed: process.memoryUsage().heapUsed };
  zc?.free();
  const report = { calls, backend, seconds: (performance.now() - t0) / 1000, before, after, checksumFinite: Number.isFinite(check) };
  const problems = [];
  if (after.wasmBytes !== before.wasmBytes) problems.push(`WASM memory grew from ${before.wasmBytes} to ${after.wasmBytes} bytes`);
  if (after.liveTensorBytes !== before.liveTensorBytes) problems.push(`live tensor bytes changed ${before.liveTensorBytes} → ${after.liveTensorBytes}`);
  // The JS heap may wobble by a few MB between GCs; a leak of even 100 bytes per call would show.
  if (globalThis.gc && after.heapUsed - before.heapUsed > 16 * 2 ** 20) problems.push(`JS heap grew by ${((after.heapUsed - before.heapUsed) / 2 ** 20).toFixed(1)} MiB`);
  if (!report.checksumFinite) problems.push('a result was not finite');
  if (problems.length) throw new Error(`soak failed: ${problems.join('; ')}`);
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  if (!globalThis.gc) console.warn('(run with node --expose-gc to check the JS heap too)');
  const backend = arg('backend', 'wasm-simd');
  const soak = runSoak({ calls: Number(arg('calls', '1000000')), backend, log: console.log });
  console.log(JSON.stringify(soak, null, 2));
  const row = runHugeRow(Number(arg('log2', '30')), { backend, maxMemoryMiB: 64, log: console.log });
  console.log(JSON.stringify(row, null, 2));
}
