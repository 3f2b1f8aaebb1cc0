// Benchmarks of the vectorised exp/log primitives (assembly/math/) in ns/element over 32 K-element
// arrays: SIMD vs scalar twin vs the scalar build, the alternatives that were rejected, and
// baselines (AssemblyScript stdlib Mathf/Math, plain JS Math.* loops) measured in the same run.
//
//   node bench/math.bench.mjs            (≈ 1 min; ROUNDS=n to change the number of rounds;
//                                          other load on the machine shows up as noise, so
//                                          compare ratios within one run, not across runs)
//
// Ratios (from the per-task minimum) are against the `JS Math.*` loop of the same dataset (the pure-TS backend's cost) and,
// for the f32 exp family, against expf4Neg.
import { Bench } from 'tinybench';
import { compileEntry, instantiate } from '../test/helpers/asbuild.mjs';

const N = 32768;
const PAGES = 640; // every task gets its own input/output buffers (36 × 2 × 256 KiB)

const simd = instantiate(await compileEntry('assembly/test/math-alt.ts', { simd: true }), PAGES);
const scal = instantiate(await compileEntry('assembly/test/math-entry.ts', { simd: false }), PAGES);

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}
const r = rng(42);
const gen = (f) => Array.from({ length: N }, (_, i) => f(i));
const data = {
  neg: gen(() => -20 * r()), // x − max of softmax-like logits
  full: gen(() => 40 * r() - 20),
  masked: gen((i) => (i % 16 === 5 ? -Infinity : -20 * r())), // 1 in 16 masked (−inf) lanes
  subnormal: gen(() => -88 - 15 * r()), // e^x subnormal: x86 subnormal-arithmetic penalty
  prob: gen(() => r() + 2 ** -30), // (0, 1]
  probZeros: gen((i) => (i % 16 === 5 ? 0 : r() + 2 ** -30)), // sparse targets: zeros force logf4's fix-up path
};

/** Next free byte per module: each task gets its own buffers, so no task sees another's data. */
const nextFree = new Map();
/** Binds a module's batch export to fresh buffers holding `xs` (f32 or f64). */
function setup(mod, kind, xs) {
  const width = kind === 'f32' ? 4 : 8;
  const base = nextFree.get(mod) ?? (mod.exports.heapBase() + 63) & ~63;
  const src = base;
  const dst = base + N * width + 64;
  nextFree.set(mod, dst + N * width + 64);
  if (nextFree.get(mod) > mod.memory.buffer.byteLength) throw new Error('bench: memory too small');
  const View = kind === 'f32' ? Float32Array : Float64Array;
  new View(mod.memory.buffer, src, N).set(xs);
  return { src, dst };
}

const rows = [];
// Several short rounds, each running every task once in turn: a burst of load from other
// processes then spoils one round of a task, not the task's only measurement.
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const bench = new Bench({ time: 120, warmupTime: 50 });
function task(group, name, mod, fnName, kind, dataset, baseline) {
  const b = setup(mod, kind, data[dataset]);
  const fn = mod.exports[fnName];
  if (typeof fn !== 'function') throw new Error(`missing export ${fnName}`);
  const label = `${group} | ${name} [${dataset}]`;
  bench.add(label, () => fn(b.src, b.dst, N));
  rows.push({ label, group, baseline });
}
function jsTask(group, name, kind, dataset, f) {
  const View = kind === 'f32' ? Float32Array : Float64Array;
  const src = View.from(data[dataset]);
  const dst = new View(N);
  const label = `${group} | ${name} [${dataset}]`;
  bench.add(label, () => {
    for (let i = 0; i < N; i++) dst[i] = f(src[i]);
  });
  rows.push({ label, group, baseline: true });
}

// f32 exp, x ≤ 0
jsTask('expf neg', 'JS Math.exp → Float32Array', 'f32', 'neg', Math.exp);
task('expf neg', 'expf4Neg (deg 6 Estrin, 0.996 ulp) SIMD', simd, 'expf4NegBatch', 'f32', 'neg');
task('expf neg', 'expf1Neg scalar twin (SIMD build)', simd, 'expf1NegBatch', 'f32', 'neg');
task('expf neg', 'expf4NegBatch in the scalar build', scal, 'expf4NegBatch', 'f32', 'neg');
task('expf neg', 'alt: rr2-p5 deg 5 (2.26 ulp) SIMD', simd, 'expf4NegP5Batch', 'f32', 'neg');
task('expf neg', 'alt: deg 6 Horner (0.989 ulp) SIMD', simd, 'expf4NegHornerBatch', 'f32', 'neg');
task('expf neg', 'alt: deg 6 Horner with v128.const', simd, 'expf4NegConstBatch', 'f32', 'neg');
task('expf neg', 'alt: expf4Neg @noinline call', simd, 'expf4NegCallBatch', 'f32', 'neg');
task('expf neg', 'alt: expf4Neg 1× unrolled', simd, 'expf4Neg1xBatch', 'f32', 'neg');
task('expf neg', 'alt: expf4Neg 4× unrolled', simd, 'expf4Neg4xBatch', 'f32', 'neg');
task('expf neg', 'expf4Neg SIMD, 1/16 −inf', simd, 'expf4NegBatch', 'f32', 'masked');
task('expf neg', 'expf4Neg SIMD, all results subnormal', simd, 'expf4NegBatch', 'f32', 'subnormal');
task('expf neg', 'AS stdlib Mathf.exp (scalar)', simd, 'stdExpfBatch', 'f32', 'neg');
// f32 exp, full range
jsTask('expf full', 'JS Math.exp → Float32Array', 'f32', 'full', Math.exp);
task('expf full', 'expf4 (1.027 ulp) SIMD', simd, 'expf4Batch', 'f32', 'full');
task('expf full', 'expf4 SIMD, 1/16 −inf', simd, 'expf4Batch', 'f32', 'masked');
task('expf full', 'alt: branch to unscaled fast path', simd, 'expf4BranchBatch', 'f32', 'full');
task('expf full', 'alt: branch to unscaled fast path, 1/16 −inf', simd, 'expf4BranchBatch', 'f32', 'masked');
task('expf full', 'expf1 scalar twin (SIMD build)', simd, 'expf1Batch', 'f32', 'full');
task('expf full', 'expf4Batch in the scalar build', scal, 'expf4Batch', 'f32', 'full');
task('expf full', 'AS stdlib Mathf.exp (scalar)', simd, 'stdExpfBatch', 'f32', 'full');
// f32 log
jsTask('logf', 'JS Math.log → Float32Array', 'f32', 'prob', Math.log);
task('logf', 'logf4 SIMD', simd, 'logf4Batch', 'f32', 'prob');
task('logf', 'logf4 SIMD, 1/16 zeros', simd, 'logf4Batch', 'f32', 'probZeros');
task('logf', 'logf1 scalar twin (SIMD build)', simd, 'logf1Batch', 'f32', 'prob');
task('logf', 'logf4Batch in the scalar build', scal, 'logf4Batch', 'f32', 'prob');
task('logf', 'AS stdlib Mathf.log (scalar)', simd, 'stdLogfBatch', 'f32', 'prob');
// f64
jsTask('exp f64', 'JS Math.exp → Float64Array', 'f64', 'full', Math.exp);
task('exp f64', 'exp2d SIMD', simd, 'exp2dBatch', 'f64', 'full');
task('exp f64', 'exp1d scalar twin (SIMD build)', simd, 'exp1dBatch', 'f64', 'full');
task('exp f64', 'exp2dBatch in the scalar build', scal, 'exp2dBatch', 'f64', 'full');
task('exp f64', 'AS stdlib Math.exp (scalar)', simd, 'stdExpBatch', 'f64', 'full');
jsTask('log f64', 'JS Math.log → Float64Array', 'f64', 'prob', Math.log);
task('log f64', 'log2d SIMD', simd, 'log2dBatch', 'f64', 'prob');
task('log f64', 'log1d scalar twin (SIMD build)', simd, 'log1dBatch', 'f64', 'prob');
task('log f64', 'log2dBatch in the scalar build', scal, 'log2dBatch', 'f64', 'prob');
task('log f64', 'AS stdlib Math.log (scalar)', simd, 'stdLogBatch', 'f64', 'prob');

// The minimum over rounds of each round's minimum is the statistic least disturbed by other
// processes on a shared 2-core machine; the median of the rounds' medians is printed alongside.
const mins = new Map();
const medians = new Map();
for (let round = 0; round < ROUNDS; round++) {
  await bench.run();
  for (const t of bench.tasks) {
    const res = t.result;
    if (!res || res.state !== 'completed') throw new Error(`${t.name}: ${res?.state} ${res?.error ?? ''}`);
    mins.set(t.name, Math.min(mins.get(t.name) ?? Infinity, (res.latency.min * 1e6) / N));
    medians.set(t.name, [...(medians.get(t.name) ?? []), (res.latency.p50 * 1e6) / N]);
  }
  bench.reset?.();
}
const nsPerElem = mins;
const nsMedian = new Map([...medians].map(([k, v]) => [k, v.sort((a, b) => a - b)[v.length >> 1]]));
const baseOf = new Map(rows.filter((x) => x.baseline).map((x) => [x.group, nsPerElem.get(x.label)]));
const negRef = nsPerElem.get('expf neg | expf4Neg (deg 6 Estrin, 0.996 ulp) SIMD [neg]');
const table = rows.map(({ label, group }) => {
  const ns = nsPerElem.get(label);
  return {
    task: label,
    'ns/elem (min)': +ns.toFixed(3),
    'ns/elem (median)': +nsMedian.get(label).toFixed(3),
    'speed-up vs JS': +(baseOf.get(group) / ns).toFixed(2),
    ...(group.startsWith('expf') ? { 'time vs expf4Neg': +(ns / negRef).toFixed(2) } : {}),
  };
});
console.log(`node ${process.version}, N = ${N} elements per call; ratios use the min`);
console.table(table);
