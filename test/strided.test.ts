/**
 * gatherStrided (src/strided.ts): strided views (ndarray-style, transposes, reversals, steps) and
 * logSumExp's dim permutations are read through it. Checked against an index-by-index reference on
 * random shapes and strides, including 0-d, empty, length-1 and negative-stride dims.
 */
import { describe, expect, it } from 'vitest';
import { gatherStrided } from '../src/strided.js';
import { seeded } from './helpers/random.js';

function reference(src: ArrayLike<number>, offset: number, shape: number[], strides: number[]): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let rem = k;
    let p = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      p += (rem % shape[d]!) * strides[d]!;
      rem = Math.floor(rem / shape[d]!);
    }
    out.push(src[p]!);
  }
  return out;
}

describe('gatherStrided', () => {
  it('matches an index-by-index reference on random views', () => {
    const rand = seeded(7);
    const src = Float64Array.from({ length: 4096 }, (_, i) => i + 0.5);
    for (let t = 0; t < 400; t++) {
      const nd = Math.floor(rand() * 5);
      const shape = Array.from({ length: nd }, () => Math.floor(rand() * 5) + (rand() < 0.1 ? 0 : 1));
      const strides = shape.map(() => Math.floor(rand() * 9) - 4);
      // An offset that keeps every index inside src.
      let lo = 0;
      let hi = 0;
      shape.forEach((s, d) => {
        const e = Math.max(0, s - 1) * strides[d]!;
        if (e < 0) lo += e;
        else hi += e;
      });
      const offset = -lo + Math.floor(rand() * 10);
      expect(offset + hi).toBeLessThan(src.length);
      const want = reference(src, offset, shape, strides);
      const out = new Float32Array(want.length);
      gatherStrided(src, offset, shape, strides, out);
      expect(Array.from(out), `shape [${shape}] strides [${strides}] offset ${offset}`).toEqual(want.map((v) => Math.fround(v)));
    }
  });
});
