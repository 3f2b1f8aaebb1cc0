/**
 * Float64 references and the error measure every peer's answer is graded with.
 *
 * All sums are Neumaier-compensated; every reference reads the exact values the peers read (the
 * dataset's arrays), so rounding of the inputs is not counted as a peer's error.
 */

/** Neumaier (improved Kahan–Babuška) summation accumulator. */
export class CompensatedSum {
  s = 0;
  c = 0;
  add(v) {
    const t = this.s + v;
    this.c += Math.abs(this.s) >= Math.abs(v) ? this.s - t + v : v - t + this.s;
    this.s = t;
  }
  get value() {
    return this.s + this.c;
  }
}

/** log Σ exp(x[off .. off+n)) in float64 (max-shifted, compensated). */
export function lseRow(x, off, n) {
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (x[off + i] > m) m = x[off + i];
  if (m === -Infinity) return -Infinity;
  if (!Number.isFinite(m)) return m;
  const acc = new CompensatedSum();
  for (let i = 0; i < n; i++) acc.add(Math.exp(x[off + i] - m));
  return m + Math.log(acc.value);
}

/** W4: logsumexp over the last dim of a [B, N] array → Float64Array(B). */
export function refLogSumExp(x, B, N) {
  const out = new Float64Array(B);
  for (let r = 0; r < B; r++) out[r] = lseRow(x, r * N, N);
  return out;
}

/** W3: log_softmax over the last dim of a [B, N] array → Float64Array(B·N). */
export function refLogSoftmax(x, B, N) {
  const out = new Float64Array(B * N);
  for (let r = 0; r < B; r++) {
    const o = r * N;
    const lse = lseRow(x, o, N);
    for (let i = 0; i < N; i++) out[o + i] = x[o + i] - lse;
  }
  return out;
}

/**
 * W1: PyTorch's kl_div(input, target, reduction='sum') with log-prob input and prob target:
 * Σ target·(log target − input), a term with target = 0 counting 0.
 */
export function refKlDivSum(input, target) {
  const acc = new CompensatedSum();
  for (let i = 0; i < input.length; i++) {
    const t = target[i];
    if (t > 0) acc.add(t * (Math.log(t) - input[i]));
    else if (t !== 0 || Number.isNaN(input[i])) acc.add(NaN);
  }
  return acc.value;
}

/** W1 for peers that take two probability vectors: Σ p·log(p/q) (p = 0 terms count 0). */
export function refKlProbSum(p, q) {
  const acc = new CompensatedSum();
  for (let i = 0; i < p.length; i++) {
    const pi = p[i];
    if (pi > 0) acc.add(pi * (Math.log(pi) - Math.log(q[i])));
  }
  return acc.value;
}

/**
 * W2: Σ over rows of KL(softmax(y/T) ‖ softmax(x/T)) · T², evaluated termwise:
 * KL = Σ q·φ(p/q), φ(r) = r·log r − r + 1, as q·(u·expm1(u) − (expm1(u) − u)) with
 * u = log(p/q) = (y − x)/T − (lse(y/T) − lse(x/T)) computed from the logits. Every term is ≥ 0, so
 * tiny KLs keep their digits (the textbook Σ p(log p − log q) loses ~3e-6 relative on nearly
 * identical logits even in float64). Terms with p = 0 (y = −∞) count 0.
 */
export function refKlLogits(x, y, B, N, T = 1) {
  const acc = new CompensatedSum();
  const xs = new Float64Array(N);
  const ys = new Float64Array(N);
  for (let r = 0; r < B; r++) {
    const o = r * N;
    for (let i = 0; i < N; i++) {
      xs[i] = x[o + i] / T;
      ys[i] = y[o + i] / T;
    }
    const lx = lseRow(xs, 0, N);
    const ly = lseRow(ys, 0, N);
    const c = ly - lx;
    const row = new CompensatedSum();
    for (let i = 0; i < N; i++) {
      if (ys[i] === -Infinity) continue;
      const q = Math.exp(xs[i] - lx);
      const u = ys[i] - xs[i] - c;
      const e = Math.expm1(u);
      row.add(q * (u * e - (e - u)));
    }
    acc.add(row.value);
  }
  return acc.value * T * T;
}

/**
 * The error of `got` against `ref`: for scalars |got − ref| / |ref|; for arrays
 * max_i |got_i − ref_i| / max(|ref_i|, 1) (relative for |ref| ≥ 1, absolute below — the outputs
 * are in log space). NaN where an answer is missing, has the wrong length or is not finite where
 * the reference is.
 */
export function maxRelErr(got, ref) {
  if (typeof ref === 'number') {
    const g = typeof got === 'number' ? got : got != null && got.length === 1 ? Number(got[0]) : NaN;
    if (!Number.isFinite(g)) return Number.isFinite(ref) || !Object.is(g, ref) ? Infinity : 0;
    if (g === ref) return 0;
    return Math.abs(g - ref) / Math.abs(ref);
  }
  if (got == null || typeof got.length !== 'number' || got.length !== ref.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = Number(got[i]);
    const r = ref[i];
    if (g === r) continue;
    const e = Math.abs(g - r) / Math.max(Math.abs(r), 1);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/** Reference kinds a peer's answer can be graded against. */
export const REF_KINDS = {
  /** W1 from log-probs (the workload as stated). */
  w1: (ds) => refKlDivSum(ds.logq, ds.p),
  /** W1 from two probability vectors (mathjs, ml-distance). */
  'w1-prob': (ds) => refKlProbSum(ds.p, ds.q),
  w2: (ds) => refKlLogits(ds.x, ds.y, ds.B, ds.N, 1),
  w3: (ds) => refLogSoftmax(ds.x, ds.B, ds.N),
  w4: (ds) => refLogSumExp(ds.x, ds.B, ds.N),
};

/** Computes (once per dataset) and caches the reference of the given kind. */
export function referenceFor(kind, ds) {
  ds.refs ??= new Map();
  if (!ds.refs.has(kind)) {
    const f = REF_KINDS[kind];
    if (!f) throw new Error(`unknown reference kind '${kind}'`);
    ds.refs.set(kind, f(ds));
  }
  return ds.refs.get(kind);
}
