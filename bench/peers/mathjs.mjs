/**
 * mathjs: W1 = Σ over rows of math.kldivergence(p_row, q_row) on plain Arrays of probabilities
 * (kldivergence renormalises and computes Σ p·log(p/q)); W2–W4 composed per row from
 * math.max / subtract / map(exp) / sum / log / divide (+ kldivergence for W2). mathjs computes on
 * plain JS numbers, so its float32 and float64 variants are the same computation: it runs in the
 * float32 tables only. Rows are converted to Arrays before timing.
 */
import { pkgVersion } from '../versions.mjs';

let math;

const rowsOf = (a, B, N) => Array.from({ length: B }, (_, r) => Array.from(a.subarray(r * N, (r + 1) * N)));

export function makeMathjsPeer(profile) {
  const cap = profile.elementCaps?.mathjs ?? Infinity;
  return {
    id: 'mathjs',
    label: 'mathjs',
    family: 'library',
    method:
      'mathjs: W1 = Σ_rows math.kldivergence(p_row, q_row) on plain Arrays of probabilities; W2–W4 per row from math.max/subtract/map(exp)/sum/log/divide (+ kldivergence for W2); arrays built before timing',
    async init() {
      math = await import('mathjs');
      return { available: true, versions: { mathjs: pkgVersion('mathjs') } };
    },
    supports(workload, dtype, shape) {
      if (dtype !== 'float32') return 'mathjs computes on plain JS numbers (float64) in both variants: see the float32 table';
      const n = shape[0] * shape[1];
      if (n > cap) return `> ${cap} elements (element cap for slow peers: a call takes seconds)`;
      return true;
    },
    async setup(workload, ds) {
      const { B, N } = ds;
      const exp = (v) => Math.exp(v);
      const softmaxRow = (row) => {
        const e = math.map(math.subtract(row, math.max(row)), exp);
        return math.divide(e, math.sum(e));
      };
      const lseRow = (row) => {
        const m = math.max(row);
        return m + math.log(math.sum(math.map(math.subtract(row, m), exp)));
      };
      switch (workload) {
        case 'w1': {
          const P = rowsOf(ds.p, B, N);
          const Q = rowsOf(ds.q, B, N);
          return {
            refKind: 'w1-prob',
            fn: () => {
              let s = 0;
              for (let r = 0; r < B; r++) s += math.kldivergence(P[r], Q[r]);
              return s;
            },
          };
        }
        case 'w2': {
          const X = rowsOf(ds.x, B, N);
          const Y = rowsOf(ds.y, B, N);
          return {
            fn: () => {
              let s = 0;
              for (let r = 0; r < B; r++) s += math.kldivergence(softmaxRow(Y[r]), softmaxRow(X[r]));
              return s;
            },
          };
        }
        case 'w3': {
          const X = rowsOf(ds.x, B, N);
          return {
            fn: () => {
              const out = new Float64Array(B * N);
              for (let r = 0; r < B; r++) out.set(math.subtract(X[r], lseRow(X[r])), r * N);
              return out;
            },
          };
        }
        case 'w4': {
          const X = rowsOf(ds.x, B, N);
          return {
            fn: () => {
              const out = new Float64Array(B);
              for (let r = 0; r < B; r++) out[r] = lseRow(X[r]);
              return out;
            },
          };
        }
      }
      throw new Error(`mathjs: no workload ${workload}`);
    },
  };
}
