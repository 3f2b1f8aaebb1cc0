/**
 * Seeded input data. Everything a timed closure reads is made here, before any timing.
 *
 * x ~ N(0, sd²) student logits, y = x + N(0, teacherSd²) nearly matching teacher logits (W2),
 * z ~ N(0, sd²) independent target logits (W1, as in shared/reference/peer-bench.md), all
 * rounded to float32 (the float64 variant stores the same float32-representable values in a
 * Float64Array, so both variants share their logits). W1's inputs are computed in float64 and
 * stored in the dtype: logq = log_softmax(x), p = softmax(z), q = softmax(x).
 */
import { DATA, numel } from './config.mjs';

/** xoshiro128** seeded through splitmix32: a small, fast, reproducible PRNG. */
export function makeRng(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  /** Uniform 32-bit unsigned integer. */
  const nextU32 = () => {
    const r = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r;
  };
  /** Uniform in (0, 1), 53 random bits, never 0. */
  const uniform = () => ((nextU32() >>> 5) * 67108864 + (nextU32() >>> 6) + 0.5) / 9007199254740992;
  let spare = NaN;
  /** Standard normal (Box–Muller, both values used). */
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = NaN;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const th = 2 * Math.PI * uniform();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
  return { nextU32, uniform, normal };
}

function rotl(x, k) {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Row-wise float64 log_softmax of `x` ([rows, n]) into `out` (any float array). */
export function logSoftmaxRowsF64(x, rows, n, out) {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let m = -Infinity;
    for (let i = 0; i < n; i++) if (x[o + i] > m) m = x[o + i];
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(x[o + i] - m);
    const lse = m + Math.log(s);
    for (let i = 0; i < n; i++) out[o + i] = x[o + i] - lse;
  }
  return out;
}

/** Row-wise float64 softmax of `x` ([rows, n]) into `out` (any float array). */
export function softmaxRowsF64(x, rows, n, out) {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let m = -Infinity;
    for (let i = 0; i < n; i++) if (x[o + i] > m) m = x[o + i];
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(x[o + i] - m);
    const inv = 1 / s;
    for (let i = 0; i < n; i++) out[o + i] = Math.exp(x[o + i] - m) * inv;
  }
  return out;
}

/**
 * Inputs for one shape and dtype. Deterministic: the same (shape, seed) gives the same logits in
 * both dtypes.
 * @param {number[]} shape [B, N]
 * @param {'float32'|'float64'} dtype
 */
export function makeDataset(shape, dtype, seed = DATA.seed) {
  const [B, N] = shape;
  const n = numel(shape);
  const Ctor = dtype === 'float32' ? Float32Array : Float64Array;
  // The seed mixes in the shape so every shape has its own stream.
  const rng = makeRng((seed ^ Math.imul(B, 0x27d4eb2d) ^ Math.imul(N, 0x165667b1)) >>> 0);
  const x = new Ctor(n);
  const y = new Ctor(n);
  const z = new Ctor(n);
  for (let i = 0; i < n; i++) {
    const xi = Math.fround(DATA.logitSd * rng.normal());
    x[i] = xi;
    y[i] = Math.fround(xi + DATA.teacherSd * rng.normal());
    z[i] = Math.fround(DATA.logitSd * rng.normal());
  }
  return {
    shape: [B, N],
    B,
    N,
    numel: n,
    dtype,
    x,
    y,
    /** log_softmax(x): W1's input. */
    logq: logSoftmaxRowsF64(x, B, N, new Ctor(n)),
    /** softmax(z): W1's target (independent of x). */
    p: softmaxRowsF64(z, B, N, new Ctor(n)),
    /** softmax(x): the student probabilities for peers that take probabilities. */
    q: softmaxRowsF64(x, B, N, new Ctor(n)),
  };
}
