/**
 * ml-distance: only W1 — Σ over rows of distance.kullbackLeibler(p_row, q_row) (Σ p·log(p/q)) on
 * typed-array row views of the probabilities. It has no softmax or logsumexp.
 */
import { pkgVersion } from '../versions.mjs';

let mlDistance;

export default {
  id: 'ml-distance',
  label: 'ml-distance',
  family: 'library',
  method: 'ml-distance: W1 = Σ_rows distance.kullbackLeibler(p_row, q_row) on typed-array row views of the probabilities (subarrays made before timing)',
  async init() {
    mlDistance = await import('ml-distance');
    return { available: true, versions: { 'ml-distance': pkgVersion('ml-distance') } };
  },
  supports(workload) {
    if (workload !== 'w1') return 'ml-distance has no softmax / logsumexp';
    return true;
  },
  async setup(workload, ds) {
    const { B, N } = ds;
    const kl = mlDistance.distance.kullbackLeibler;
    const P = Array.from({ length: B }, (_, r) => ds.p.subarray(r * N, (r + 1) * N));
    const Q = Array.from({ length: B }, (_, r) => ds.q.subarray(r * N, (r + 1) * N));
    return {
      refKind: 'w1-prob',
      fn: () => {
        let s = 0;
        for (let r = 0; r < B; r++) s += kl(P[r], Q[r]);
        return s;
      },
    };
  },
};
