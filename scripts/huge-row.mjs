#!/usr/bin/env node
// A [1, 2^k] float32 row through logSumExp, softmax and klDivLogits with the WASM memory capped at
// 64 MiB: the row is far larger than the streaming window, so the online (running-max) chunked
// path runs. The data is a 1000-periodic pattern, so exact answers are known in float64.
//
//   node scripts/huge-row.mjs --log2 30      # the full-size manual run (needs ~9 GiB of RAM)
//   (the test suite runs it at 2^24)
import { initSync, klDivLogits, logSumExp, memoryStats, softmax } from 'klwasm';

const PERIOD = 1000;
const pattern = (j) => Math.fround(((j * 37) % PERIOD) / 97 - 3);
const patternY = (j) => Math.fround(pattern(j) + 0.25 * Math.sin(j));

/** Runs the check; returns a report or throws on a wrong answer or a memory bound violation. */
export function runHugeRow(log2, { backend = 'wasm-simd', maxMemoryMiB = 64, log = () => {} } = {}) {
  const n = 2 ** log2;
  if (n % PERIOD !== 0 && n < PERIOD) throw new Error('need n ≥ 1000');
  initSync({ backend, maxMemoryMiB });
  const t0 = performance.now();
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  // Generate in chunks of one period (the input is produced piecewise, as a stream would be).
  const px = Float32Array.from({ length: PERIOD }, (_, j) => pattern(j));
  const py = Float32Array.from({ length: PERIOD }, (_, j) => patternY(j));
  for (let i = 0; i < n; i += PERIOD) {
    const m = Math.min(PERIOD, n - i);
    x.set(m === PERIOD ? px : px.subarray(0, m), i);
    y.set(m === PERIOD ? py : py.subarray(0, m), i);
  }
  log(`generated 2 × ${n} float32 in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Exact float64 answers from the pattern's counts (full periods plus a partial one).
  const full = Math.floor(n / PERIOD);
  const rest = n - full * PERIOD;
  const count = (j) => full + (j < rest ? 1 : 0);
  let mx = -Infinity;
  for (let j = 0; j < PERIOD; j++) mx = Math.max(mx, px[j]);
  let sx = 0;
  let sy = 0;
  let my = -Infinity;
  for (let j = 0; j < PERIOD; j++) my = Math.max(my, py[j]);
  for (let j = 0; j < PERIOD; j++) {
    sx += count(j) * Math.exp(px[j] - mx);
    sy += count(j) * Math.exp(py[j] - my);
  }
  const lseX = mx + Math.log(sx);
  const lseY = my + Math.log(sy);
  let kl = 0;
  for (let j = 0; j < PERIOD; j++) {
    const p = Math.exp(py[j] - lseY);
    kl += count(j) * p * (py[j] - lseY - (px[j] - lseX));
  }

  const shape = [1, n];
  const report = { n, backend };
  let t = performance.now();
  report.logSumExp = logSumExp({ data: x, shape }, -1).item();
  report.logSumExpSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const sm = softmax({ data: x, shape }, -1).data;
  report.softmaxSeconds = (performance.now() - t) / 1000;
  let smSum = 0;
  for (let i = 0; i < n; i++) smSum += sm[i];
  report.softmaxSum = smSum;
  report.softmax0 = sm[0];
  t = performance.now();
  report.klDivLogits = klDivLogits({ data: x, shape }, { data: y, shape }, { reduction: 'sum' }).item();
  report.klSeconds = (performance.now() - t) / 1000;
  report.expected = { logSumExp: lseX, softmax0: Math.exp(px[0] - lseX), klDivLogits: kl };
  report.memory = memoryStats();

  const rel = (a, b) => Math.abs(a - b) / Math.abs(b);
  const problems = [];
  if (rel(report.logSumExp, lseX) > 1e-6) problems.push(`logSumExp ${report.logSumExp} vs ${lseX}`);
  if (Math.abs(smSum - 1) > 1e-4) problems.push(`softmax sums to ${smSum}`);
  if (rel(report.softmax0, report.expected.softmax0) > 1e-5) problems.push(`softmax[0] ${report.softmax0} vs ${report.expected.softmax0}`);
  if (rel(report.klDivLogits, kl) > 1e-5) problems.push(`klDivLogits ${report.klDivLogits} vs ${kl}`);
  if (report.memory.wasmBytes > maxMemoryMiB * 2 ** 20) problems.push(`WASM memory ${report.memory.wasmBytes} bytes > ${maxMemoryMiB} MiB`);
  if (problems.length) throw new Error(`huge-row check failed: ${problems.join('; ')}`);
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--log2');
  const log2 = i > 0 ? Number(process.argv[i + 1]) : 30;
  const b = process.argv.indexOf('--backend');
  const report = runHugeRow(log2, { backend: b > 0 ? process.argv[b + 1] : 'wasm-simd', log: console.log });
  console.log(JSON.stringify(report, null, 2));
}
