/** latest.json: the results object, numbers rounded to what the measurement supports. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const sig = (v, digits = 4) => (typeof v === 'number' && Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(digits)) : v);

/** A copy of `results` with per-cell floats rounded (timings to 4 significant digits, errors to 3). */
export function roundedResults(results) {
  return {
    ...results,
    cells: results.cells.map((c) => {
      const o = {};
      for (const [k, v] of Object.entries(c)) {
        if (k === 'maxRelErr') o[k] = v === Infinity ? 'Infinity' : Number.isNaN(v) ? 'NaN' : sig(v, 3);
        else if (k === 'roundsUs') o[k] = v.map((x) => sig(x));
        else o[k] = typeof v === 'number' ? sig(v) : v;
      }
      return o;
    }),
  };
}

export function writeJson(path, results) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(roundedResults(results), null, 1) + '\n');
}
