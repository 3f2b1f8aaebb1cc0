/** The markdown report (bench/results/latest.md) from a results object. */
import { fmtDuration, fmtErr, fmtNum, fmtRatio, fmtUs } from './format.mjs';
import { cellKey, erroredCells, inaccurateCells, indexCells, peersFor, skippedCells, unavailablePeers } from './model.mjs';
import { evaluateTargets } from './targets.mjs';

/** Escapes text for a markdown table cell. */
export const mdEscape = (s) => String(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(header, rows) {
  const lines = [`| ${header.map(mdEscape).join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map(mdEscape).join(' | ')} |`);
  return lines.join('\n');
}

function throughputCell(c, results) {
  if (!c) return '';
  switch (c.status) {
    case 'ok': {
      const warn = c.maxRelErr > results.warnError ? ' ⚠' : '';
      return `${fmtNum(c.melemPerS)}${c.mode === 'once' ? '¹' : ''} · ${fmtErr(c.maxRelErr)}${warn}`;
    }
    case 'inaccurate':
      return `✗ err ${fmtErr(c.maxRelErr)}`;
    case 'skipped':
      return '—';
    case 'error':
      return 'error';
    default:
      return c.status;
  }
}

const ratioCell = (c) => (c?.status === 'ok' ? `${fmtRatio(c.vsNaive)} / ${fmtRatio(c.vsOrt)}` : c ? '—' : '');

function latencyCell(c) {
  if (c?.status !== 'ok') return c ? '—' : '';
  const spread = c.medianUs > 0 && Number.isFinite(c.iqrUs) ? ` ±${Math.round((50 * c.iqrUs) / c.medianUs)}%` : '';
  return `${fmtUs(c.medianUs)}${spread}`;
}

/**
 * A short description of a set of cells: "w2, w3, w4 × float32, float64 × every shape" when the
 * set is a full product, else the cells one by one.
 */
export function describeCells(cells, results) {
  const uniq = (k) => [...new Set(cells.map((c) => c[k]))];
  const ws = uniq('workload');
  const ds = uniq('dtype');
  const ss = uniq('shape');
  const n = `${cells.length} cell${cells.length > 1 ? 's' : ''}`;
  if (ws.length * ds.length * ss.length === cells.length && cells.length > 1) {
    const shapes = ss.length === results.shapes.length ? 'every shape' : ss.join(', ');
    const dtypes = ds.length === results.dtypes.length && ds.length > 1 ? 'both dtypes' : ds.join(', ');
    return `${n}: ${ws.join(', ')} × ${dtypes} × ${shapes}`;
  }
  return `${n}: ${cells.map((c) => `${c.workload} ${c.dtype} ${c.shape}`).join(', ')}`;
}

export function markdownReport(results, { chartFile = 'chart.svg' } = {}) {
  const idx = indexCells(results);
  const m = results.machine;
  const L = [];
  L.push('# klwasm benchmark: peers side by side');
  L.push('');
  L.push(
    `Measured ${results.generatedAt} by \`${results.profile.name === 'quick' ? 'npm run bench:quick' : 'npm run bench'}\`${results.filters?.length ? ` with --filter ${results.filters.join(' ')}` : ''} (profile \`${results.profile.name}\`, ${results.profile.rounds} round(s), whole run ${fmtDuration(results.durationS)}), klwasm commit \`${m.gitCommit ?? '?'}\`${m.gitDirty ? ' (with uncommitted changes)' : ''}.`,
  );
  L.push('');
  L.push(
    `**Machine**: ${m.cpuModel}, ${m.cores} cores${m.hypervisor ? ` (${m.hypervisor} guest)` : ''}, SIMD flags ${m.simdFlags.join(', ') || 'unknown'}, ${m.memoryGiB} GiB; ${m.os}; Node ${m.node} (V8 ${m.v8}).`,
  );
  L.push('');
  if (results.load) {
    const ld = results.load;
    L.push(
      `**Load**: ${ld.foreignCpuMedian != null ? `other processes used ${Math.round(100 * ld.foreignCpuMedian)} % of the ${ld.cores} cores while cells were timed (median; max ${Math.round(100 * ld.foreignCpuMax)} %); ` : ''}1-min load average start ${ld.start.toFixed(1)}, median ${ld.median.toFixed(1)}, max ${ld.max.toFixed(1)} (the suite itself accounts for about 1).` +
        (ld.busy ? ' ⚠ **Other processes competed for the CPU during this run**: absolute figures are lower and noisier than on a quiet machine; ratios between peers in the same cell, measured interleaved, are the more reliable numbers.' : ''),
    );
    L.push('');
  }
  L.push(`**Packages**: ${Object.entries(results.packages).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  L.push('');
  L.push(
    `**Cells**: \`Melem/s · max rel err\` (one element = one position of the [B, N] input; W1/W2 read two arrays per element). ✗ = answer off by more than ${results.tolerance} from the float64 reference: speed withheld. ⚠ = error above ${results.warnError}. ¹ = one timed call (slow entry). — = skipped (reasons below). Ratios are throughput ratios to naive JS and to onnxruntime-node (1 thread) measured in the same run, same dtype and shape. Latency: median µs per call ± half the interquartile range of the per-call samples.`,
  );
  L.push('');
  if (chartFile) {
    L.push(`![Throughput per shape and peer, log scale](${chartFile})`);
    L.push('');
  }
  const targets = evaluateTargets(results);
  L.push(`## Targets of the performance issue, judged on this run (klwasm: ${targets.klwasm ?? 'no SIMD backend measured'}, typed arrays)`);
  L.push('');
  L.push(table(['target', 'measured', 'status'], targets.rows.map((r) => [r.target, r.measured, r.status === 'met' ? '✓ met' : r.status])));
  L.push('');
  const na = unavailablePeers(results);
  if (na.length) {
    L.push('**Not measured**:');
    L.push('');
    for (const p of na) L.push(`- ${p.label} — ${p.reason}`);
    L.push('');
  }
  for (const dtype of results.dtypes) {
    L.push(`## ${dtype}`);
    L.push('');
    for (const w of results.workloads) {
      const peers = peersFor(results, w.id, dtype);
      if (peers.length === 0) continue;
      L.push(`### ${w.title} (${dtype})`);
      L.push('');
      L.push(w.describe);
      L.push('');
      const cell = (p, s) => idx.get(cellKey(p.id, w.id, dtype, s));
      L.push('Throughput, Melem/s · max rel err:');
      L.push('');
      L.push(table(['peer', ...results.shapes], peers.map((p) => [p.label, ...results.shapes.map((s) => throughputCell(cell(p, s), results))])));
      L.push('');
      L.push('Ratio to naive JS / to onnxruntime-node 1t:');
      L.push('');
      L.push(table(['peer', ...results.shapes], peers.map((p) => [p.label, ...results.shapes.map((s) => ratioCell(cell(p, s)))])));
      L.push('');
      L.push('Latency, µs per call:');
      L.push('');
      L.push(table(['peer', ...results.shapes], peers.map((p) => [p.label, ...results.shapes.map((s) => latencyCell(cell(p, s)))])));
      L.push('');
    }
  }
  L.push('## Accuracy failures (speed withheld)');
  L.push('');
  const bad = inaccurateCells(results);
  if (bad.length === 0) L.push(`None: every answer was within ${results.tolerance} of the float64 reference.`);
  for (const c of bad) L.push(`- **${c.peer}** ${c.workload} ${c.dtype} ${c.shape}: max rel err ${fmtErr(c.maxRelErr)} (> ${results.tolerance})`);
  L.push('');
  const errs = erroredCells(results);
  if (errs.length) {
    L.push('## Errors');
    L.push('');
    for (const c of errs) L.push(`- **${c.peer}** ${c.workload} ${c.dtype} ${c.shape}: ${c.reason}`);
    L.push('');
  }
  L.push('## Skipped');
  L.push('');
  const groups = new Map();
  for (const c of skippedCells(results)) {
    const k = `${c.peer}: ${c.reason}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(c);
  }
  if (groups.size === 0) L.push('Nothing.');
  for (const [k, where] of groups) L.push(`- ${k} (${describeCells(where, results)})`);
  for (const p of na) L.push(`- ${p.label}: ${p.reason}`);
  L.push('');
  L.push('## Peers');
  L.push('');
  for (const p of results.peers) {
    const v = p.versions ? ` \`${JSON.stringify(p.versions)}\`` : '';
    L.push(`- **${p.label}** (\`${p.id}\`) — ${p.available ? 'measured' : 'not available'}. ${p.method}${v}`);
  }
  L.push('');
  L.push('## Method');
  L.push('');
  for (const line of results.method) L.push(`- ${line}`);
  L.push('');
  if (results.noise) {
    L.push('## Noise');
    L.push('');
    L.push(
      `Round-to-round spread (max − min) / median over ${results.noise.entries} multi-round entries: median ${Math.round(100 * results.noise.medianRoundSpread)} %, 90th percentile ${Math.round(100 * results.noise.p90RoundSpread)} %. Differences below ~1.5× between peers measured at different moments are not meaningful on a shared 2-vCPU guest; re-run before deciding anything close.`,
    );
    L.push('');
  }
  L.push('Reproduce: `npm install` (with `ONNXRUNTIME_NODE_INSTALL=skip`), then `npm run bench` (full, writes bench/results/) or `npm run bench:quick` (≤ 60 s, writes bench/results/tmp/quick/).');
  L.push('');
  return L.join('\n');
}
