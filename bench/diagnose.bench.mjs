// Cost of klDiv's { validate: true } (the diagnose statistics pass) next to plain klDiv, measured in
// the same run, plus diagnose alone, the per-slice KL and the fused loss+gradient for context.
//
//   npm run build && node bench/diagnose.bench.mjs [--backend wasm-simd,wasm-scalar,js] [--time 500]
//
// Prints one table per backend and shape (median latency, throughput) and the ratio
// validate / plain from the medians of the same run.
import { Bench } from 'tinybench';
import {
  diagnose,
  initSync,
  klDiv,
  klDivBackward,
  klDivLogits,
  klDivLogitsWithGrad,
  klDivPerSlice,
  logSoftmax,
  softmax,
} from '../dist/esm/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const backends = arg('backend', 'wasm-simd,wasm-scalar').split(',');
const time = Number(arg('time', '500'));
const SHAPES = [
  [32, 32000], // LLM vocabulary rows
  [1024, 128], // many short rows
];

let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const randn = (n, scale) => Float32Array.from({ length: n }, () => scale * (rand() + rand() + rand() - 1.5));

const fmt = (ms) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`);
console.log(`node ${process.version}, tinybench time ${time} ms per task`);

for (const backend of backends) {
  initSync({ backend });
  for (const shape of SHAPES) {
    const n = shape[0] * shape[1];
    const x = { data: randn(n, 3), shape };
    const y = { data: randn(n, 3), shape };
    const logq = logSoftmax(x, -1);
    const p = softmax(y, -1);
    const bench = new Bench({ time, warmupTime: 100 });
    bench
      .add('klDiv sum', () => klDiv(logq, p, { reduction: 'sum' }))
      .add('klDiv sum, validate', () => klDiv(logq, p, { reduction: 'sum', validate: true }))
      .add('diagnose', () => diagnose(logq, p))
      .add('klDivPerSlice', () => klDivPerSlice(logq, p))
      .add('klDivBackward (∂input only)', () => klDivBackward(null, logq, p, { reduction: 'batchmean', gradTarget: false }))
      .add('klDivLogits batchmean', () => klDivLogits(x, y))
      .add('klDivLogitsWithGrad batchmean', () => klDivLogitsWithGrad(x, y));
    await bench.run();
    const med = Object.fromEntries(bench.tasks.map((t) => [t.name, t.result.latency.p50]));
    console.log(`\n${backend} float32 [${shape.join(', ')}] (${(n / 1e6).toFixed(2)} M elements)`);
    console.table(
      bench.tasks.map((t) => ({
        task: t.name,
        median: fmt(t.result.latency.p50),
        'Melem/s': (n / 1e3 / t.result.latency.p50).toFixed(0),
        '±rme': `${t.result.latency.rme.toFixed(1)} %`,
        samples: t.result.latency.samplesCount,
      })),
    );
    const ratio = med['klDiv sum, validate'] / med['klDiv sum'];
    console.log(`validate / plain klDiv = ${ratio.toFixed(2)}×   (diagnose alone ${(med['diagnose'] / med['klDiv sum']).toFixed(2)}× a klDiv)`);
    console.log(`klDivLogitsWithGrad / klDivLogits = ${(med['klDivLogitsWithGrad batchmean'] / med['klDivLogits batchmean']).toFixed(2)}×`);
  }
}
