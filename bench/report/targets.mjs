/**
 * The speed targets of the performance issue, judged on the cells of one run (so every ratio is
 * between figures measured side by side): the "Targets" section of the markdown report and the
 * last lines of the console output. A target whose cells were not measured (a filtered run, a
 * peer that failed to load) is reported as such, never as met.
 *
 * klwasm is judged by its best SIMD binary with typed-array inputs: wasm-relaxed-simd where it
 * was measured (what `init()` picks on engines with relaxed SIMD), else wasm-simd. Zero-copy
 * figures are shown beside it but do not decide a target.
 */
import { fmtNum } from './format.mjs';
import { cellKey, indexCells } from './model.mjs';

/** The shapes at which the throughput targets are stated. */
export const TARGET_SHAPES = ['[8,32000]', '[64,50257]'];
const SMALL_SHAPE = '[4,5]';
const KLWASM = ['klwasm-wasm-relaxed-simd', 'klwasm-wasm-simd'];
const ZERO_COPY = 'klwasm-wasm-relaxed-simd-zc';
/** Native code (not a JavaScript or WebAssembly peer). */
const NATIVE = new Set(['ort-node-1t']);
/** Peers that compute in float32 (the accuracy target compares against these). */
const FLOAT32_PEERS = ['ort-node-1t', 'tfjs-wasm', 'tfjs-cpu'];
/**
 * One rounding of a float32 result (2^-24, relative): an error difference below this between
 * klwasm and a float32 peer is the rounding of the answer itself, not a less accurate method.
 */
const F32_ROUNDING = 2 ** -24;
/**
 * The issue's absolute figures for "0.9× PyTorch 1.13 CPU, one thread" at [8,32000], float32
 * (W3 logSoftmax, W4 logSumExp). PyTorch is not a peer in this suite (no Python here), so these
 * come from the issue, which measured it on its own machine (../shared/reference/peer-bench.md).
 */
export const PYTORCH_BAR = { w3: 700, w4: 850 };

const fx = (v) => (v == null || !Number.isFinite(v) ? '—' : `${v.toFixed(2)}×`);

/**
 * Evaluates the targets. Returns { klwasm, rows: [{ target, measured, status }] } with status
 * 'met', 'not met' or 'not measured'.
 */
export function evaluateTargets(results) {
  const idx = indexCells(results);
  const cell = (peer, w, shape, dtype = 'float32') => {
    const c = idx.get(cellKey(peer, w, dtype, shape));
    return c?.status === 'ok' ? c : null;
  };
  const klwasm = KLWASM.find((p) => results.cells.some((c) => c.peer === p && c.status === 'ok')) ?? null;
  const rows = [];
  const add = (target, measured, status) => rows.push({ target, measured, status });

  // Ratio targets at the two large shapes: every shape must meet the bar.
  const ratio = (w, field, bar, label) => {
    const parts = [];
    let status = 'met';
    for (const s of TARGET_SHAPES) {
      const k = klwasm && cell(klwasm, w, s);
      const z = cell(ZERO_COPY, w, s);
      const r = k?.[field];
      if (r == null) status = 'not measured';
      else if (r < bar && status === 'met') status = 'not met';
      parts.push(`${s} ${fx(r)}${z?.[field] != null ? ` (zero-copy ${fx(z[field])})` : ''}`);
    }
    add(`${label} ≥ ${bar}×`, parts.join(', '), status);
  };
  ratio('w2', 'vsOrt', 1.25, 'W2 klDivLogits ÷ onnxruntime-node 1t');
  ratio('w2', 'vsNaive', 20, 'W2 klDivLogits ÷ naive JS');
  ratio('w1', 'vsOrt', 1.3, 'W1 klDiv ÷ onnxruntime-node 1t');
  ratio('w1', 'vsNaive', 7, 'W1 klDiv ÷ naive JS');

  for (const [w, name] of [
    ['w3', 'W3 logSoftmax'],
    ['w4', 'W4 logSumExp'],
  ]) {
    const s = TARGET_SHAPES[0];
    const k = klwasm && cell(klwasm, w, s);
    const z = cell(ZERO_COPY, w, s);
    const bar = PYTORCH_BAR[w];
    add(
      `${name} at ${s} ≥ ${bar} Melem/s (the issue's 0.9× PyTorch 1.13 1t; PyTorch not run here)`,
      k ? `${fmtNum(k.melemPerS)} Melem/s, ${fx(k.vsNaive)} naive JS${z ? ` (zero-copy ${fmtNum(z.melemPerS)})` : ''}` : '—',
      !k ? 'not measured' : k.melemPerS >= bar ? 'met' : 'not met',
    );
  }

  {
    const parts = [];
    let status = 'met';
    for (const [w, name] of [
      ['w1', 'W1'],
      ['w2', 'W2'],
    ]) {
      const k = klwasm && cell(klwasm, w, SMALL_SHAPE);
      if (!k) status = 'not measured';
      else if (k.medianUs > 1 && status === 'met') status = 'not met';
      parts.push(`${name} ${k ? `${k.medianUs.toFixed(2)} µs` : '—'}`);
    }
    add(`Small calls: W1 and W2 at ${SMALL_SHAPE} ≤ 1 µs per call`, parts.join(', '), status);
  }

  // Never slower than a JavaScript or WebAssembly peer, in any cell of the run.
  {
    const slower = [];
    let compared = 0;
    const groups = new Map();
    for (const c of results.cells) {
      const g = `${c.workload} ${c.dtype} ${c.shape}`;
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(c);
    }
    for (const [g, cs] of groups) {
      const ours = cs.filter((c) => KLWASM.includes(c.peer) && c.status === 'ok');
      if (ours.length === 0) continue;
      const best = Math.max(...ours.map((c) => c.melemPerS));
      for (const c of cs) {
        if (c.status !== 'ok' || c.peer.startsWith('klwasm') || NATIVE.has(c.peer)) continue;
        compared++;
        if (c.melemPerS > best) slower.push(`${g} (${c.peer} ${fmtNum(c.melemPerS)} > ${fmtNum(best)} Melem/s)`);
      }
    }
    add(
      'Never slower than any JavaScript or WebAssembly peer (every cell, both dtypes)',
      compared === 0 ? '—' : slower.length === 0 ? `faster in all ${compared} comparisons` : `slower in ${slower.length} of ${compared}: ${slower.join('; ')}`,
      compared === 0 ? 'not measured' : slower.length === 0 ? 'met' : 'not met',
    );
  }

  // Never less accurate than the float32 peers (ok or inaccurate cells: an answer is an answer).
  {
    const worse = [];
    let compared = 0;
    let maxOurs = 0;
    for (const c of results.cells) {
      if (c.dtype !== 'float32' || !KLWASM.includes(c.peer) || c.status !== 'ok') continue;
      maxOurs = Math.max(maxOurs, c.maxRelErr);
      for (const p of FLOAT32_PEERS) {
        const o = idx.get(cellKey(p, c.workload, c.dtype, c.shape));
        if (!o || (o.status !== 'ok' && o.status !== 'inaccurate') || !Number.isFinite(o.maxRelErr)) continue;
        compared++;
        if (c.maxRelErr > o.maxRelErr + F32_ROUNDING) worse.push(`${c.peer} ${c.workload} ${c.shape}: ${c.maxRelErr.toExponential(1)} vs ${p} ${o.maxRelErr.toExponential(1)}`);
      }
    }
    add(
      'Never less accurate than the float32 peers (beyond one float32 rounding, 6e-8)',
      compared === 0 ? '—' : worse.length === 0 ? `klwasm max rel err ${maxOurs.toExponential(1)}; no float32 peer more accurate in ${compared} comparisons` : worse.join('; '),
      compared === 0 ? 'not measured' : worse.length === 0 ? 'met' : 'not met',
    );
  }
  return { klwasm, rows };
}
