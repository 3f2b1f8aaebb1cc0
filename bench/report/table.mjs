/** The console table: per dtype and workload, peers × shapes, Melem/s with ratios. */
import { fmtErr, fmtNum, fmtRatio } from './format.mjs';
import { cellKey, indexCells, peersFor, unavailablePeers } from './model.mjs';

/** Text of one cell for the console. */
export function consoleCell(c) {
  if (!c) return '';
  switch (c.status) {
    case 'ok':
      return `${fmtNum(c.melemPerS)}${c.mode === 'once' ? '¹' : ''} ${fmtRatio(c.vsNaive)}|${fmtRatio(c.vsOrt)}${c.maxRelErr > (c.warnError ?? 1e-5) ? ' ⚠' : ''}`;
    case 'inaccurate':
      return `✗ err ${fmtErr(c.maxRelErr)}`;
    case 'skipped':
      return 'skip';
    case 'error':
      return 'ERROR';
    default:
      return c.status;
  }
}

function pad(s, w, right = false) {
  const n = [...s].length;
  return n >= w ? s : right ? ' '.repeat(w - n) + s : s + ' '.repeat(w - n);
}

/** Renders rows (arrays of strings) with the first column left-aligned and the rest right-aligned. */
export function renderGrid(rows) {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => [...(r[j] ?? '')].length)));
  return rows.map((r) => r.map((s, j) => pad(s ?? '', widths[j], j > 0)).join('  ')).join('\n');
}

export function consoleReport(results) {
  const idx = indexCells(results);
  const out = [];
  out.push('Melem/s (higher is better), then ×naive-js|×ort-node-1t in the same run; ✗ = answer off by more than ' + results.tolerance + ' (no speed); ⚠ = error above ' + results.warnError + '; ¹ = timed once; skip = see report.');
  for (const dtype of results.dtypes) {
    for (const w of results.workloads) {
      const peers = peersFor(results, w.id, dtype);
      if (peers.length === 0) continue;
      const rows = [[`${dtype} · ${w.short}`, ...results.shapes]];
      for (const p of peers) rows.push([p.label, ...results.shapes.map((s) => consoleCell(idx.get(cellKey(p.id, w.id, dtype, s))))]);
      out.push('', renderGrid(rows));
    }
  }
  if (results.load?.busy) {
    const ld = results.load;
    const share = ld.foreignCpuMedian != null ? `other processes used ${Math.round(100 * ld.foreignCpuMedian)} % of the CPU (median), ` : '';
    out.push('', `⚠ busy machine: ${share}1-min load average median ${ld.median.toFixed(1)} on ${ld.cores} cores — figures are lower and noisier than on a quiet machine.`);
  }
  const na = unavailablePeers(results);
  if (na.length) {
    out.push('');
    for (const p of na) out.push(`${p.label}: ${p.reason}`);
  }
  return out.join('\n');
}
