#!/usr/bin/env node
/**
 * klwasm benchmark suite: klwasm's backends against real peers, side by side in one run.
 *
 *   node --expose-gc bench/run.mjs            full run → bench/results/{latest.json,latest.md,chart.svg}
 *   node --expose-gc bench/run.mjs --quick    ≤ 60 s smoke run → bench/results/tmp/quick/
 *   --filter REGEX   keep only cells whose "peer workload dtype [B,N]" matches (repeatable, all
 *                    must match; e.g. --filter 'klwasm|naive' --filter 'w2 float32'); output then
 *                    defaults to bench/results/tmp/filtered/
 *   --out DIR        where to write latest.json, latest.md and chart.svg
 *   --rounds N       override the profile's number of rounds
 *   --wait-quiet [MIN]  first wait (at most MIN minutes, default 5) until other processes use
 *                    < 10 % of the CPU; `npm run bench` does this
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA, PROFILES, TOLERANCE, WARN_ERROR, WORKLOADS, numel, shapeLabel } from './config.mjs';
import { makeDataset } from './data.mjs';
import { foreignCpuMeter, machineInfo, waitQuiet } from './machine.mjs';
import { pkgVersion } from './versions.mjs';
import { allPeers, BASELINES } from './peers/index.mjs';
import { maxRelErr, referenceFor } from './reference.mjs';
import { fmtDuration, fmtErr, fmtNum } from './report/format.mjs';
import { writeJson } from './report/json.mjs';
import { markdownReport } from './report/markdown.mjs';
import { evaluateTargets } from './report/targets.mjs';
import { addRatios } from './report/model.mjs';
import { svgChart } from './report/svg.mjs';
import { consoleReport } from './report/table.mjs';
import { measureCell, median, quantile, timeOnce } from './timing.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const a = { quick: false, filters: [], out: null, rounds: null, waitQuietMin: 0 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--filter') a.filters.push(new RegExp(val(), 'i'));
    else if (k === '--out') a.out = val();
    else if (k === '--rounds') a.rounds = Number(val());
    else if (k === '--wait-quiet') a.waitQuietMin = /^\d+(\.\d+)?$/.test(argv[i + 1] ?? '') ? Number(argv[++i]) : 5;
    else if (k === '--help' || k === '-h') {
      console.log(
        'usage: node --expose-gc bench/run.mjs [--quick] [--filter REGEX]... [--out DIR] [--rounds N] [--wait-quiet [MIN]]\n' +
          'Cells are named "peer workload dtype [B,N]", e.g. "klwasm-js w2 float32 [8,32000]".',
      );
      process.exit(0);
    } else throw new Error(`unknown argument '${k}' (see --help)`);
  }
  return a;
}

function packageVersions() {
  const names = ['tinybench', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-node', 'mathjs', 'ml-distance'];
  const out = { klwasm: require('../package.json').version };
  for (const n of names) out[n] = pkgVersion(n);
  return out;
}

function methodLines(profile) {
  return [
    `Data (seeded, bench/data.mjs): x ~ N(0, ${DATA.logitSd}²) student logits; W2's teacher y = x + N(0, ${DATA.teacherSd}²) (nearly matching); W1's target logits z ~ N(0, ${DATA.logitSd}²) independent of x; all rounded to float32, and the float64 variant holds the same values in Float64Array. W1 inputs log_softmax(x), softmax(z) are computed in float64 and stored in the dtype. All inputs are made before timing.`,
    'References (bench/reference.mjs): float64 with Neumaier-compensated sums from the exact arrays the peers read; W2 termwise Σ q·φ(p/q) with u = log(p/q) from the logits.',
    `Error: scalars (W1, W2) |got − ref| / |ref|; arrays (W3, W4) max_i |got_i − ref_i| / max(|ref_i|, 1). Checked once per peer and cell, before timing, on the first call's answer; above ${TOLERANCE} the cell gets no speed.`,
    `Timing: tinybench (hrtime), ${profile.rounds} round(s) per cell with the peers interleaved round-robin (order rotated each round); per round, calls are batched K at a time so a sample lasts ≥ ${profile.minSampleUs} µs, with ≥ ${profile.minSamples} samples and ≥ ${profile.roundMs} ms after ${profile.warmupMs} ms of warm-up; per-call time = sample median / K; the cell's time is the median of the round values. Calls ≥ ${profile.slowCallMs} ms get ${profile.slowSamples} plain sample(s) per round in ${profile.slowRounds} round(s); calls ≥ ${profile.onceCallMs} ms are timed once (¹). Node runs with --expose-gc and collects garbage before each peer's samples.`,
    'Every timed call goes from the prepared JS typed arrays to an answer in JS: a number for W1/W2, a typed array for W3/W4 (tfjs: tensors made and dataSync() inside the call; onnxruntime-node: ort.Tensor wrapping and await session.run() inside the call; klwasm: { data, shape } in, Tensor .item()/.data out).',
    'Single thread for every peer (onnxruntime-node intraOpNumThreads = 1; tfjs-wasm has no threads under Node).',
  ];
}

/**
 * How busy the machine was with other work. `foreign*` is the share of all cores that other
 * processes used while the cells were timed (from /proc/stat minus this process's CPU time);
 * the 1-minute load average is kept too (this suite itself accounts for about 1 of it).
 */
function loadSummary(loads, foreign) {
  const cores = os.cpus().length;
  const max = Math.max(...loads);
  const fMed = foreign.length ? median(foreign) : null;
  return {
    start: loads[0],
    median: median(loads),
    max,
    cores,
    foreignCpuMedian: fMed,
    foreignCpuMax: foreign.length ? Math.max(...foreign) : null,
    busy: fMed != null ? fMed > 0.2 : median(loads) > 1.5 || max > Math.max(2, cores),
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const profile = { ...PROFILES[args.quick ? 'quick' : 'full'] };
  if (args.rounds) profile.rounds = args.rounds;
  const outDir = resolve(ROOT, args.out ?? (args.filters.length ? 'bench/results/tmp/filtered' : profile.out));
  const keep = (key) => args.filters.every((re) => re.test(key));
  if (args.waitQuietMin > 0) {
    console.log(`Waiting up to ${args.waitQuietMin} min for other processes to leave the CPU (--wait-quiet)…`);
    await waitQuiet({ maxMs: args.waitQuietMin * 60_000 });
  }
  const t0 = performance.now();
  if (typeof globalThis.gc !== 'function') console.warn('(run node with --expose-gc for steadier numbers)');

  console.log(`klwasm bench — profile ${profile.name}, ${profile.rounds} round(s); filters: ${args.filters.map(String).join(' ') || 'none'}`);
  const peers = allPeers(profile);
  const peerInfo = [];
  for (const p of peers) {
    let st;
    try {
      st = await p.init();
    } catch (e) {
      st = { available: false, reason: `init failed: ${e.message}` };
    }
    peerInfo.push({ id: p.id, label: p.label, family: p.family ?? null, available: st.available, reason: st.reason ?? null, versions: st.versions ?? null, method: p.method });
    console.log(`  ${st.available ? '✓' : '·'} ${p.id}${st.available ? '' : ` — ${st.reason}`}`);
  }
  const available = peers.filter((_, i) => peerInfo[i].available);

  const cells = [];
  const shapes = profile.shapes.map(shapeLabel);
  // Other processes on the machine distort every figure: track the load average as we go.
  const loads = [os.loadavg()[0]];
  const foreign = [];
  for (const shape of profile.shapes) {
    const sl = shapeLabel(shape);
    const elements = numel(shape);
    for (const dtype of profile.dtypes) {
      // Skip the data generation when the filters leave nothing for this shape and dtype.
      const wanted = WORKLOADS.filter((w) => available.some((p) => keep(`${p.id} ${w.id} ${dtype} ${sl}`)));
      if (wanted.length === 0) continue;
      const ds = makeDataset(shape, dtype);
      for (const w of wanted) {
        const entries = [];
        const cellOf = new Map();
        for (const p of available) {
          const key = `${p.id} ${w.id} ${dtype} ${sl}`;
          if (!keep(key)) continue;
          const base = { workload: w.id, dtype, shape: sl, elements, peer: p.id };
          const sup = p.supports(w.id, dtype, shape);
          if (sup !== true) {
            cells.push({ ...base, status: 'skipped', reason: sup });
            continue;
          }
          try {
            const s = await p.setup(w.id, ds);
            if (s.activate) await s.activate();
            const refKind = s.refKind ?? w.id;
            const [ms, answer] = await timeOnce(s.fn);
            if (s.afterCheck) s.afterCheck();
            const err = maxRelErr(answer, referenceFor(refKind, ds));
            const cell = { ...base, refKind, maxRelErr: err, warnError: WARN_ERROR };
            cells.push(cell);
            if (!(err <= TOLERANCE)) {
              cell.status = 'inaccurate';
              cell.reason = `max rel err ${fmtErr(err)} > ${TOLERANCE}`;
              continue;
            }
            cell.status = 'ok';
            cellOf.set(key, cell);
            entries.push({ key, fn: s.fn, isAsync: !!s.isAsync, activate: s.activate, firstCallMs: ms });
          } catch (e) {
            cells.push({ ...base, status: 'error', reason: String(e?.message ?? e).split('\n')[0] });
          }
        }
        let stats;
        const meter = foreignCpuMeter();
        try {
          stats = await measureCell(entries, profile);
        } catch (e) {
          // One peer's failure mid-timing must not lose the cell: time them one by one.
          stats = new Map();
          for (const en of entries) {
            try {
              for (const [k, v] of await measureCell([en], profile)) stats.set(k, v);
            } catch (e2) {
              const c = cellOf.get(en.key);
              c.status = 'error';
              c.reason = `timing failed: ${String(e2?.message ?? e2).split('\n')[0]}`;
            }
          }
        }
        const line = [];
        const load1 = os.loadavg()[0];
        loads.push(load1);
        const foreignCpu = meter();
        if (foreignCpu != null) foreign.push(foreignCpu);
        for (const [key, st] of stats) {
          const c = cellOf.get(key);
          const us = st.medianMs * 1000;
          Object.assign(c, {
            medianUs: us,
            melemPerS: elements / us,
            p25Us: quantile(st.samplesMs, 0.25) * 1000,
            p75Us: quantile(st.samplesMs, 0.75) * 1000,
            iqrUs: (quantile(st.samplesMs, 0.75) - quantile(st.samplesMs, 0.25)) * 1000,
            roundSpread: st.roundMs.length > 1 ? (Math.max(...st.roundMs) - Math.min(...st.roundMs)) / st.medianMs : null,
            roundsUs: st.roundMs.map((v) => v * 1000),
            samples: st.samples,
            batch: st.K,
            mode: st.mode,
            load1,
            foreignCpu,
          });
          line.push(`${c.peer} ${fmtNum(c.melemPerS)}`);
        }
        for (const c of cells.filter((c) => c.workload === w.id && c.dtype === dtype && c.shape === sl && c.status === 'inaccurate')) line.push(`${c.peer} ✗ ${fmtErr(c.maxRelErr)}`);
        console.log(`${dtype} ${w.id} ${sl} (${fmtDuration((performance.now() - t0) / 1000)}, load ${load1.toFixed(1)}${foreignCpu != null ? `, others ${Math.round(100 * foreignCpu)} % CPU` : ''}): ${line.join(' | ') || 'nothing timed'}`);
      }
    }
  }

  // With filters, only the shapes and dtypes that were run.
  const shapesRun = shapes.filter((s) => cells.some((c) => c.shape === s));
  const spreads = cells.filter((c) => c.status === 'ok' && c.roundSpread != null).map((c) => c.roundSpread);
  const results = {
    schema: 1,
    generatedAt: new Date().toISOString(),
    durationS: (performance.now() - t0) / 1000,
    profile,
    filters: args.filters.map(String),
    machine: machineInfo(),
    packages: packageVersions(),
    tolerance: TOLERANCE,
    warnError: WARN_ERROR,
    data: DATA,
    workloads: WORKLOADS,
    shapes: shapesRun,
    dtypes: profile.dtypes.filter((d) => cells.some((c) => c.dtype === d)),
    baselines: BASELINES,
    peers: peerInfo,
    method: methodLines(profile),
    load: loadSummary(loads, foreign),
    noise: spreads.length ? { entries: spreads.length, medianRoundSpread: median(spreads), p90RoundSpread: quantile(spreads, 0.9) } : null,
    cells,
  };
  addRatios(results, BASELINES);

  mkdirSync(outDir, { recursive: true });
  const files = { json: join(outDir, 'latest.json'), md: join(outDir, 'latest.md'), svg: join(outDir, 'chart.svg') };
  writeJson(files.json, results);
  writeFileSync(files.md, markdownReport(results, { chartFile: 'chart.svg' }));
  writeFileSync(files.svg, svgChart(results));

  console.log('');
  console.log(consoleReport(results));
  console.log('');
  const targets = evaluateTargets(results);
  console.log(`Targets (klwasm: ${targets.klwasm ?? 'no SIMD backend measured'}):`);
  for (const r of targets.rows) console.log(`  ${r.status === 'met' ? '✓' : r.status === 'not met' ? '✗' : '·'} ${r.target}: ${r.measured}`);
  console.log('');
  console.log(`Done in ${fmtDuration((performance.now() - t0) / 1000)}. Results written to:`);
  for (const f of Object.values(files)) console.log(`  ${relative(process.cwd(), f) || f}`);
  // onnxruntime-node and tfjs-wasm keep native handles; exit explicitly once everything is written.
  process.exit(0);
}

main().catch((e) => {
  console.error(e?.stack ?? e);
  process.exit(1);
});
