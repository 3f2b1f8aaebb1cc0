/**
 * A small SVG writer for the throughput chart: one panel per workload (rows) and dtype (columns),
 * grouped bars per shape, one bar per peer, log-scale Melem/s shared by all panels. Answers that
 * failed the accuracy check are marked ✗ where their bar would be. No dependencies.
 */
import { fmtNum } from './format.mjs';
import { cellKey, indexCells, peersFor } from './model.mjs';

export const PEER_COLORS = {
  'klwasm-wasm-relaxed-simd': '#880e4f',
  'klwasm-wasm-relaxed-simd-zc': '#4a0072',
  'klwasm-wasm-simd': '#c2185b',
  'klwasm-wasm-scalar': '#f06292',
  'klwasm-js': '#ff9800',
  'naive-js': '#757575',
  'ort-node-1t': '#1f77b4',
  'tfjs-wasm': '#2ca02c',
  'tfjs-cpu': '#98df8a',
  'ml-distance': '#9467bd',
  mathjs: '#8c564b',
};
const FALLBACK = ['#17becf', '#bcbd22', '#e377c2', '#7f7f7f', '#aec7e8'];

/** Escapes text for XML content and attribute values. */
export const xmlEscape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const r1 = (v) => Math.round(v * 10) / 10;

function el(name, attrs, content) {
  const a = Object.entries(attrs)
    .filter(([, v]) => v != null)
    .map(([k, v]) => ` ${k}="${xmlEscape(typeof v === 'number' ? r1(v) : v)}"`)
    .join('');
  return content == null ? `<${name}${a}/>` : `<${name}${a}>${content}</${name}>`;
}

/** Decade bounds [lo, hi] (powers of 10) covering every positive value. */
export function logBounds(values) {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length === 0) return [0.1, 1000];
  let lo = 10 ** Math.floor(Math.log10(Math.min(...pos)));
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...pos)));
  if (hi <= lo) hi = lo * 10;
  return [lo, hi];
}

/** A decade tick's label: 0.01, 0.1, 1, 10, 100, 1000, 10k, 100k. */
export function decadeLabel(v) {
  const e = Math.round(Math.log10(v));
  if (e < 0) return (10 ** e).toFixed(-e);
  if (e < 4) return String(10 ** e);
  return `${10 ** (e - 3)}k`;
}

export function svgChart(results, { dtypes = results.dtypes, title } = {}) {
  const idx = indexCells(results);
  const peerIds = results.peers.filter((p) => p.available && results.cells.some((c) => c.peer === p.id)).map((p) => p.id);
  const color = (id) => PEER_COLORS[id] ?? FALLBACK[peerIds.indexOf(id) % FALLBACK.length];
  const okValues = results.cells.filter((c) => c.status === 'ok' && dtypes.includes(c.dtype)).map((c) => c.melemPerS);
  const [lo, hi] = logBounds(okValues);
  const decades = Math.round(Math.log10(hi / lo));

  const panelW = 560;
  const panelH = 250;
  const plotL = 56;
  const plotR = 12;
  const plotT = 26;
  const plotB = 34;
  const gapX = 24;
  const gapY = 18;
  const legendH = 24 + 20 * Math.ceil(peerIds.length / 5);
  const top = 40 + legendH;
  const rows = results.workloads;
  const W = 20 + dtypes.length * panelW + (dtypes.length - 1) * gapX + 20;
  const H = top + rows.length * panelH + (rows.length - 1) * gapY + 40;
  const parts = [];
  parts.push(el('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' }));
  const head = title ?? `klwasm benchmark: throughput (Melem/s, log scale, higher is better) — ${results.machine.cpuModel}, ${results.machine.cores} cores, Node ${results.machine.node}`;
  parts.push(el('text', { x: 20, y: 24, 'font-size': 15, 'font-weight': 'bold' }, xmlEscape(head)));

  // Legend
  peerIds.forEach((id, i) => {
    const lx = 20 + (i % 5) * 220;
    const ly = 44 + Math.floor(i / 5) * 20;
    parts.push(el('rect', { x: lx, y: ly - 10, width: 12, height: 12, fill: color(id) }));
    parts.push(el('text', { x: lx + 17, y: ly, 'font-size': 12 }, xmlEscape(results.peers.find((p) => p.id === id)?.label ?? id)));
  });
  const missing = results.peers.filter((p) => !p.available).map((p) => p.label);
  const note = `✗ = answer off by more than ${results.tolerance} (no speed). Measured ${results.generatedAt}.${missing.length ? ` Not available in this build: ${missing.join(', ')}.` : ''}`;
  parts.push(el('text', { x: 20, y: 44 + Math.ceil(peerIds.length / 5) * 20, 'font-size': 11, fill: '#555' }, xmlEscape(note)));

  rows.forEach((w, ri) => {
    dtypes.forEach((dtype, ci) => {
      const px = 20 + ci * (panelW + gapX);
      const py = top + ri * (panelH + gapY);
      const x0 = px + plotL;
      const x1 = px + panelW - plotR;
      const y0 = py + panelH - plotB;
      const y1 = py + plotT;
      const yOf = (v) => y0 - ((Math.log10(v) - Math.log10(lo)) / decades) * (y0 - y1);
      const g = [];
      g.push(el('rect', { x: px, y: py, width: panelW, height: panelH, fill: '#fafafa', stroke: '#dddddd' }));
      g.push(el('text', { x: px + 8, y: py + 17, 'font-size': 13, 'font-weight': 'bold' }, xmlEscape(`${w.short} · ${dtype}`)));
      for (let d = 0; d <= decades; d++) {
        const v = lo * 10 ** d;
        const y = yOf(v);
        g.push(el('line', { x1: x0, y1: y, x2: x1, y2: y, stroke: '#e0e0e0' }));
        g.push(el('text', { x: x0 - 5, y: y + 4, 'font-size': 10, 'text-anchor': 'end', fill: '#555' }, xmlEscape(decadeLabel(v))));
      }
      g.push(el('line', { x1: x0, y1: y0, x2: x1, y2: y0, stroke: '#999999' }));
      const peers = peersFor(results, w.id, dtype).filter((p) => peerIds.includes(p.id));
      const groupW = (x1 - x0) / results.shapes.length;
      const barW = peers.length ? Math.min(14, (groupW - 10) / peers.length) : 0;
      results.shapes.forEach((s, si) => {
        const gx = x0 + si * groupW + (groupW - barW * peers.length) / 2;
        g.push(el('text', { x: x0 + (si + 0.5) * groupW, y: y0 + 14, 'font-size': 10, 'text-anchor': 'middle' }, xmlEscape(s)));
        peers.forEach((p, pi) => {
          const c = idx.get(cellKey(p.id, w.id, dtype, s));
          const bx = gx + pi * barW;
          if (c?.status === 'ok' && c.melemPerS > 0) {
            const y = Math.min(y0, yOf(Math.max(c.melemPerS, lo)));
            g.push(
              el('rect', { x: bx, y, width: Math.max(barW - 1, 1), height: y0 - y, fill: color(p.id) }, el('title', {}, xmlEscape(`${p.label} ${w.id} ${dtype} ${s}: ${fmtNum(c.melemPerS)} Melem/s`))),
            );
          } else if (c?.status === 'inaccurate') {
            g.push(el('text', { x: bx + barW / 2, y: y0 - 3, 'font-size': 10, 'text-anchor': 'middle', fill: '#d32f2f', 'font-weight': 'bold' }, '✗'));
          }
        });
      });
      g.push(el('text', { x: px + 12, y: py + panelH / 2, 'font-size': 10, fill: '#555', transform: `rotate(-90 ${r1(px + 12)} ${r1(py + panelH / 2)})`, 'text-anchor': 'middle' }, 'Melem/s'));
      parts.push(el('g', {}, g.join('')));
    });
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}
