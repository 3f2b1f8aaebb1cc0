/**
 * Timing one cell (workload × dtype × shape): every runnable peer, round-robin over rounds, with
 * tinybench doing the sampling. See PROFILES in config.mjs for the method.
 */
import { Bench } from 'tinybench';

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};

/** Median of a sorted or unsorted numeric array. */
export function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Linear-interpolated quantile (0..1). */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Times one call in ms (awaiting it if async); returns [ms, result]. */
export async function timeOnce(fn) {
  const t0 = performance.now();
  let r = fn();
  if (r && typeof r.then === 'function') r = await r;
  return [performance.now() - t0, r];
}

/**
 * Mean ms per call over ≥ 2 ms of back-to-back calls (at least one). The batch size of a fast
 * entry comes from this, not from one call: a single call that met a GC pause or a tier-up could
 * read 100× too slow, and then the batches came out tiny, the per-sample timer overhead showed in
 * sub-µs cells, and a round held so many samples that spreading them overflowed the stack.
 */
async function msPerCall(fn) {
  const t0 = performance.now();
  let calls = 0;
  let t = t0;
  do {
    const r = fn();
    if (r && typeof r.then === 'function') await r;
    calls++;
    t = performance.now();
  } while (t - t0 < 2 && calls < 1e6);
  return (t - t0) / calls;
}

let sink;

/** A closure running `fn` K times (the tinybench task). */
function batch(fn, K, isAsync) {
  if (isAsync) {
    return async () => {
      for (let k = 0; k < K; k++) sink = await fn();
    };
  }
  if (K === 1) {
    return () => {
      sink = fn();
    };
  }
  return () => {
    for (let k = 0; k < K; k++) sink = fn();
  };
}

/**
 * Measures `entries` (each { key, fn, isAsync, activate, firstCallMs }) round-robin.
 * `firstCallMs` (the checked call's duration) picks the mode: 'fast' (batched tinybench runs),
 * 'slow' (≥ slowCallMs: a few plain samples per round, slowRounds rounds) or 'once' (≥ onceCallMs: one sample).
 * Returns a Map key → { medianMs, roundMs[], samplesMs[], samples, K, mode }.
 */
export async function measureCell(entries, profile, onProgress = () => {}) {
  const plans = [];
  for (const e of entries) {
    // A second call, to choose the batch size: the first one (the accuracy check) also paid for
    // compilation. For 'once' entries this call is the measurement.
    if (e.activate) await e.activate();
    const [ms] = await timeOnce(e.fn);
    let est = Math.min(ms, e.firstCallMs ?? ms);
    let mode = 'fast';
    if (est >= profile.onceCallMs) mode = 'once';
    else if (est >= profile.slowCallMs) mode = 'slow';
    if (mode === 'fast') est = Math.min(est, await msPerCall(e.fn));
    const K = mode === 'fast' ? Math.max(1, Math.ceil((profile.minSampleUs / 1000) / Math.max(est, 1e-6))) : 1;
    plans.push({ e, mode, K, rounds: [], samples: [], onceMs: ms });
  }
  for (let round = 0; round < profile.rounds; round++) {
    const order = plans.map((_, i) => plans[(i + round) % plans.length]);
    for (const p of order) {
      // One sample in total: the second call above (warm, after the checked first one) is it.
      if (p.mode === 'once') continue;
      // Slow entries (big shapes on slow peers) get fewer rounds.
      if (p.mode === 'slow' && round >= (profile.slowRounds ?? profile.rounds)) continue;
      gc();
      if (p.e.activate) await p.e.activate();
      const bench = new Bench({
        timestampProvider: 'hrtimeNow',
        retainSamples: true,
        throws: true,
        ...(p.mode === 'fast'
          ? { time: profile.roundMs, iterations: profile.minSamples, warmupTime: profile.warmupMs, warmupIterations: 1 }
          : { time: 0, iterations: p.mode === 'slow' ? profile.slowSamples : 1, warmup: false }),
      });
      bench.add(p.e.key, batch(p.e.fn, p.K, p.e.isAsync), { async: !!p.e.isAsync });
      await bench.run();
      const task = bench.tasks[0];
      const res = task.result;
      if (res.state !== 'completed') throw res.error ?? new Error(`${p.e.key}: tinybench state ${res.state}`);
      for (const ms of res.latency.samples ?? []) p.samples.push(ms / p.K);
      p.rounds.push(res.latency.p50 / p.K);
      onProgress(p.e.key, round);
    }
  }
  sink = undefined;
  const out = new Map();
  for (const p of plans) {
    if (p.mode === 'once') {
      p.rounds.push(p.onceMs);
      p.samples.push(p.onceMs);
    }
    out.set(p.e.key, {
      medianMs: median(p.rounds),
      roundMs: p.rounds,
      samplesMs: p.samples,
      samples: p.samples.length,
      K: p.K,
      mode: p.mode,
    });
  }
  return out;
}
