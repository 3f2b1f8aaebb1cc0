// ulp meters shared by test/wasm-math.test.ts and bench/exhaustive-math.mjs.

/** 2^k as a double for any integer k in [−1074, 1023]. */
export function pow2(k) {
  if (k < -1022) return 2 ** (k + 100) * 2 ** -100;
  return 2 ** k;
}

/** Binary exponent of |a| > 0 (exact, unlike Math.log2 near powers of two). */
export function exponentOf(a) {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/**
 * |y − ref| in ulps of the f32 binade of `ref` (ref: the f64 value of the exact result, so
 * near-halfway cases are not rounded against the kernel). An infinite `y` counts as ±2^128
 * unless the correctly rounded result overflows too.
 */
export function ulpErrF32(y, ref) {
  if (Number.isNaN(ref) || Number.isNaN(y)) return Number.isNaN(ref) && Number.isNaN(y) ? 0 : Infinity;
  if (!Number.isFinite(ref)) return y === ref ? 0 : Infinity;
  if (Math.abs(y) === Infinity && Math.fround(ref) === y) return 0; // correctly rounded overflow
  const yv = y === Infinity ? 2 ** 128 : y === -Infinity ? -(2 ** 128) : y;
  if (ref === 0) return yv === 0 ? 0 : Infinity;
  const e = Math.max(exponentOf(Math.abs(ref)), -126) - 23;
  return Math.abs(yv - ref) / 2 ** e;
}

/** |y − V| in ulps of the f64 binade of V = (hi + lo)·2^n (hi ≠ 0 unless V = 0). */
export function ulpErrF64(y, hi, lo, n) {
  if (Number.isNaN(y)) return Infinity;
  if (hi === 0) return y === 0 ? 0 : Infinity;
  if (Math.abs(y) === Infinity) {
    const h = Math.trunc(n / 2);
    if (hi * pow2(h) * pow2(n - h) === y) return 0; // correctly rounded overflow
  }
  let e = exponentOf(Math.abs(hi));
  if (Math.abs(hi) === 2 ** e && Math.sign(lo) === -Math.sign(hi)) e--; // V just below 2^e
  const ulpExp = Math.max(e + n, -1022) - 52;
  let ys;
  if (Math.abs(y) === Infinity) ys = Math.sign(y) * pow2(1024 - n);
  else {
    const h = Math.trunc(-n / 2);
    ys = y * pow2(h) * pow2(-n - h); // exact
  }
  return Math.abs(ys - hi - lo) / pow2(ulpExp - n);
}
