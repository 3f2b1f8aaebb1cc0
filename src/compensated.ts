/**
 * Neumaier's compensated summation (Kahan–Babuška–Neumaier): the running error of each addition
 * is kept and added back at the end, so the result is accurate to ~1 ulp independent of the
 * number of terms (while a plain sum drifts by O(n·ε)). Used to combine per-block and per-slice
 * results in a fixed order, which also makes reductions independent of how work was split.
 */
export class CompensatedSum {
  private s = 0;
  private c = 0;

  add(v: number): void {
    const t = this.s + v;
    this.c += Math.abs(this.s) >= Math.abs(v) ? this.s - t + v : v - t + this.s;
    this.s = t;
  }

  /** The compensated sum (once it is ±inf or NaN the compensation is meaningless and dropped). */
  get value(): number {
    return Number.isFinite(this.s) ? this.s + this.c : this.s;
  }
}

/** Σ values in index order, compensated. */
export function sumCompensated(values: ArrayLike<number>): number {
  const acc = new CompensatedSum();
  for (let i = 0; i < values.length; i++) acc.add(values[i]!);
  return acc.value;
}
