/**
 * Combines the segments of one long klDivLogits row (assembly/klDivLogits.ts,
 * `klDivLogitsSegment_*`) by the chain rule of relative entropy (Cover & Thomas, *Elements of
 * Information Theory*, Thm 2.5.3): with P_c = Σ_{i∈c} p_i and Q_c = Σ_{i∈c} q_i,
 *
 *     KL(p ‖ q) = Σ_c P_c · KL(p_c ‖ q_c) + KL(P ‖ Q),
 *
 * where p_c, q_c are p and q renormalised over segment c — what the row kernel computes for a
 * segment on its own. Both parts are sums of non-negative terms, so the result is ≥ 0 like the
 * in-window kernel's. The segment-level part works in float64 from each segment's statistics
 * (m = max, s = Σ exp((v − m)/T)), in the log domain so that a segment whose mass underflows still
 * gets the finite `P·u − P + Q` term the element-level kernel gives.
 *
 * Accuracy: the segment-level u_c = log(P_c/Q_c) comes from sums of exponentials, not from exact
 * logit differences as the element-level u does, so its rounding ε (≈1e-8 for float32 data,
 * ≈1e-16 for float64) adds up to ≈ε²/2 to KL(P ‖ Q) when the distributions are equal up to
 * rounding: an absolute floor near 1e-16 (float32) and 1e-31 (float64), below which the in-window
 * kernel stays relatively accurate and this form does not (measured at T = 40 on a float32 row
 * whose true KL is 2.24e-16: in-window 2.240e-16, segments 2.394e-16). Above the floor both agree
 * with the float64 reference to the tested 5e-7 (float32) and 1e-11 (float64).
 */

/** Per segment, as the kernel writes them: [max x, max y, Σx, Σy]. */
export const SEGMENT_STATS = 4;

/**
 * KL of the whole row from `count` segments: `kl[c]` the segment's own KL, `stats` its
 * statistics (SEGMENT_STATS f64 each). Returns null when a segment's maximum is not finite (a
 * segment of only −inf or NaN logits, or +inf): the caller then uses the two-pass streamed form,
 * which applies PyTorch's rules element by element. `bound` is the operands' dtype max: the
 * segment-level u is clamped at it as the kernels clamp each element's u (a student masked near
 * −max at T < 1), so a row gives the same capped KL whether it fits the window or not.
 */
export function combineSegments(kl: Float64Array, stats: Float64Array, count: number, invT: number, bound: number): number | null {
  let mx = -Infinity;
  let my = -Infinity;
  for (let c = 0; c < count; c++) {
    const a = stats[c * SEGMENT_STATS]!;
    const b = stats[c * SEGMENT_STATS + 1]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
    if (a > mx) mx = a;
    if (b > my) my = b;
  }
  // log Σ_c exp((m_c − m)/T)·s_c for x and y.
  let sx = 0;
  let sy = 0;
  for (let c = 0; c < count; c++) {
    const o = c * SEGMENT_STATS;
    sx += Math.exp((stats[o]! - mx) * invT) * stats[o + 2]!;
    sy += Math.exp((stats[o + 1]! - my) * invT) * stats[o + 3]!;
  }
  const lsx = Math.log(sx);
  const lsy = Math.log(sy);
  let within = 0;
  let between = 0;
  for (let c = 0; c < count; c++) {
    const o = c * SEGMENT_STATS;
    const lq = (stats[o]! - mx) * invT + Math.log(stats[o + 2]!) - lsx;
    const lp = (stats[o + 1]! - my) * invT + Math.log(stats[o + 3]!) - lsy;
    const P = Math.exp(lp);
    const Q = Math.exp(lq);
    const u = Math.min(lp - lq, bound);
    // A segment whose own KL is +inf counts even where P underflowed to 0 (lp is finite here,
    // so P > 0 exactly): 0·inf would make the row NaN where the one-pass kernels give +inf.
    const k = kl[c]!;
    within += k === Infinity ? Infinity : P * k;
    // Q·φ(P/Q), φ(r) = r·log r − r + 1: Q·(u·e^u − expm1(u)) near u = 0 (no cancellation of the
    // leading terms), P·u − P + Q elsewhere (finite when Q underflows).
    const t = Math.abs(u) < 0.5 ? Q * (u * Math.exp(u) - Math.expm1(u)) : P * u - P + Q;
    between += t > 0 ? t : 0;
  }
  return within + between;
}
