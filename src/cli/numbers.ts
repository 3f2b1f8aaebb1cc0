/**
 * Number formatting for printed and JSON output.
 *
 * - float64 values print as JavaScript's shortest round-trip form (`String(x)`);
 * - float32 values print as the shortest decimal that reads back as the same float32, as NumPy
 *   prints a `float32` (`0.1`, not `0.10000000149011612`): no digits are lost, none are invented;
 * - non-finite values print as `NaN`, `Infinity`, `-Infinity` — the tokens Python's `json` module
 *   reads and writes (strict JSON has none), and that `float()` / `np.float64()` parse;
 * - negative zero keeps its sign (`-0`).
 */
import type { Dtype } from '../types.js';

/** The printed form of `v` as a value of `dtype`. */
export function formatNumber(v: number, dtype: Dtype): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (dtype === 'float64' || Math.fround(v) !== v) return String(v);
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    // String(Number(s)) turns '1e+2' into '100' and drops trailing zeros, without changing the value.
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(Number(v.toPrecision(9))); // 9 significant digits always round-trip a float32
}
