/** Number formatting shared by the console, markdown and SVG writers. */

/** 3 significant digits, no exponent for the usual range (0.001 … 99 999). */
export function fmtNum(v) {
  if (v == null || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return Math.round(v).toString();
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a >= 0.001) return v.toPrecision(2).replace(/0+$/, '').replace(/\.$/, '');
  return v.toExponential(1);
}

/** An error as 1–2 significant digits in exponent form: 0, 3e-8, 2.7e-3, ∞. */
export function fmtErr(e) {
  if (e == null || Number.isNaN(e)) return 'NaN';
  if (e === Infinity) return '∞';
  if (e === 0) return '0';
  const [m, x] = e.toExponential(1).split('e');
  const mant = m.endsWith('.0') ? m.slice(0, -2) : m;
  return `${mant}e${x}`;
}

/** A ratio: 2 significant digits below 10, whole numbers above. */
export function fmtRatio(r) {
  if (r == null || !Number.isFinite(r)) return '—';
  if (r >= 10) return `${r.toFixed(0)}×`;
  if (r >= 1) return `${r.toFixed(1)}×`;
  return `${r.toPrecision(2)}×`;
}

/** Microseconds with 3 significant digits. */
export function fmtUs(us) {
  if (us == null || !Number.isFinite(us)) return '—';
  return fmtNum(us);
}

/** Seconds or minutes for a duration in s. */
export function fmtDuration(s) {
  return s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`;
}
