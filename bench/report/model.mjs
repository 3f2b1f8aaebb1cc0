/**
 * Helpers over a results object (the shape written to latest.json), shared by the report writers.
 * Results: { generatedAt, profile, durationS, machine, packages, tolerance, warnError, workloads,
 * shapes, dtypes, peers: [{ id, label, available, reason, versions, method }], cells: [{ workload,
 * dtype, shape, elements, peer, status: 'ok'|'inaccurate'|'skipped'|'error', reason?, maxRelErr?,
 * medianUs?, melemPerS?, vsNaive?, vsOrt?, ... }] }.
 */

export const cellKey = (peer, workload, dtype, shape) => `${peer} ${workload} ${dtype} ${shape}`;

/** Index of the cells by cellKey. */
export function indexCells(results) {
  const m = new Map();
  for (const c of results.cells) m.set(cellKey(c.peer, c.workload, c.dtype, c.shape), c);
  return m;
}

/**
 * Peers with at least one cell that is not 'skipped' for this workload and dtype, in report order
 * (a peer skipped everywhere in a table gets no row; its reason is listed with the skipped cells).
 */
export function peersFor(results, workload, dtype) {
  const seen = new Set(results.cells.filter((c) => c.workload === workload && c.dtype === dtype && c.status !== 'skipped').map((c) => c.peer));
  return results.peers.filter((p) => seen.has(p.id));
}

export const peerLabel = (results, id) => results.peers.find((p) => p.id === id)?.label ?? id;

/** Cells whose answer was off by more than the tolerance. */
export const inaccurateCells = (results) => results.cells.filter((c) => c.status === 'inaccurate');
export const skippedCells = (results) => results.cells.filter((c) => c.status === 'skipped');
export const erroredCells = (results) => results.cells.filter((c) => c.status === 'error');
export const unavailablePeers = (results) => results.peers.filter((p) => !p.available);

/**
 * Adds vsNaive / vsOrt ratios (throughput ratio to the baseline peer in the same workload, dtype
 * and shape) to every 'ok' cell. Baselines whose answers failed or were skipped give null.
 */
export function addRatios(results, baselines) {
  const idx = indexCells(results);
  for (const c of results.cells) {
    if (c.status !== 'ok') continue;
    for (const [field, id] of [
      ['vsNaive', baselines.naive],
      ['vsOrt', baselines.ort],
    ]) {
      const b = idx.get(cellKey(id, c.workload, c.dtype, c.shape));
      c[field] = b && b.status === 'ok' && b.melemPerS > 0 ? c.melemPerS / b.melemPerS : null;
    }
  }
  return results;
}
