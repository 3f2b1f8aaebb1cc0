/**
 * Double-double ("DD", ~106-bit) reference implementations of exp and log for grading the f64
 * kernels. A DD value is the unevaluated sum hi + lo with |lo| ≤ ulp(hi)/2. Algorithms:
 * Dekker/Knuth error-free transformations (TwoSum, Veltkamp split + TwoProd, no FMA needed),
 * exp by Cody–Waite reduction against a triple-double ln2, a Taylor series for expm1 on
 * r·2^-8 and eight exact-form doublings `e ← 2e + e²` (keeps relative accuracy of expm1), and
 * log by one Newton step on exp from `Math.log`, which doubles its ~53 correct bits.
 * Relative error of both is far below 2^-100 in the ranges used (self-checked in the test
 * file against mpmath-computed constants).
 */

import { pow2 } from './ulp.mjs';

// ln2 = L1 + L2 + L3 (triple-double, from mpmath at 80 digits).
const L1 = 0.6931471805599453;
const L2 = 2.3190468138462996e-17;
const L3 = 5.707708438416212e-34;

const SPLIT = 134217729; // 2^27 + 1

export interface DD {
  hi: number;
  lo: number;
}

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return { hi: s, lo: (a - (s - bb)) + (b - bb) };
}

function fastTwoSum(a: number, b: number): DD {
  const s = a + b;
  return { hi: s, lo: b - (s - a) };
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return { hi: p, lo: ((ah * bh - p) + ah * bl + al * bh) + al * bl };
}

/** Accurate DD addition (error ~2^-104 relative to the result for non-cancelling cases). */
export function add(a: DD, b: DD): DD {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  let r = fastTwoSum(s.hi, s.lo + t.hi);
  r = fastTwoSum(r.hi, r.lo + t.lo);
  return r;
}

export function mul(a: DD, b: DD): DD {
  const p = twoProd(a.hi, b.hi);
  return fastTwoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

function mulD(a: DD, b: number): DD {
  const p = twoProd(a.hi, b);
  return fastTwoSum(p.hi, p.lo + a.lo * b);
}

function divD(a: DD, d: number): DD {
  const q1 = a.hi / d;
  const p = twoProd(q1, d);
  const e = ((a.hi - p.hi) - p.lo + a.lo) / d;
  return fastTwoSum(q1, e);
}

function scale(a: DD, k: number): DD {
  return { hi: a.hi * k, lo: a.lo * k };
}

/** expm1(r) for a DD |r| ≲ 0.36, relative accuracy ~2^-100. */
export function expm1Small(r: DD): DD {
  const rr = scale(r, 1 / 256); // exact
  // Taylor: rr + rr²/2! + … + rr^14/14! (|rr| < 1.5e-3, so the tail is < 1e-45).
  let term = rr;
  let sum = rr;
  for (let k = 2; k <= 14; k++) {
    term = divD(mul(term, rr), k);
    sum = add(sum, term);
  }
  // e^(2y) − 1 = 2(e^y − 1) + (e^y − 1)², eight times.
  for (let i = 0; i < 8; i++) sum = add(scale(sum, 2), mul(sum, sum));
  return sum;
}

/**
 * e^x = (hi + lo)·2^n as {hi, lo, n} with hi + lo ∈ [0.7, 1.42], so results that are subnormal
 * or overflow in f64 are still represented exactly enough. x must be finite.
 */
export function expDD(x: number): { hi: number; lo: number; n: number } {
  const n = Math.round(x / L1);
  // r = x − n·ln2, with n·ln2 exact as a sum of TwoProds.
  const p1 = twoProd(n, L1);
  const p2 = twoProd(n, L2);
  let r = add({ hi: x, lo: 0 }, { hi: -p1.hi, lo: -p1.lo });
  r = add(r, { hi: -p2.hi, lo: -p2.lo });
  r = add(r, { hi: -n * L3, lo: 0 });
  const e = add({ hi: 1, lo: 0 }, expm1Small(r));
  return { hi: e.hi, lo: e.lo, n };
}


/** log(x) for finite x > 0 (subnormals included) as a DD. */
export function logDD(x: number): DD {
  const y0 = Math.log(x);
  // Newton step on exp: y1 = y0 + (x·e^(−y0) − 1). Write −y0 = n·ln2 + r, so
  // x·e^(−y0) = m·e^r with m = x·2^n exact (m ≈ e^(−r) ∈ [0.7, 1.42], so m − 1 is exact).
  const n = Math.round(-y0 / L1);
  const p1 = twoProd(n, L1);
  const p2 = twoProd(n, L2);
  let r = add({ hi: -y0, lo: 0 }, { hi: -p1.hi, lo: -p1.lo });
  r = add(r, { hi: -p2.hi, lo: -p2.lo });
  r = add(r, { hi: -n * L3, lo: 0 });
  const h = Math.trunc(n / 2);
  const m = x * pow2(h) * pow2(n - h); // exact: the result is normal
  const em = expm1Small(r);
  const t = add({ hi: m - 1, lo: 0 }, mulD(em, m)); // m·e^r − 1 = (m − 1) + m·expm1(r)
  return add({ hi: y0, lo: 0 }, t);
}
