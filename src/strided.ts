import type { FloatArray } from './types.js';

/**
 * Copies the strided view (`offset`, `shape`, element `strides`; any sign) of `src` into `out` in
 * row-major order. The caller has checked that the view stays inside `src`.
 */
export function gatherStrided(
  src: ArrayLike<number>,
  offset: number,
  shape: readonly number[],
  strides: readonly number[],
  out: FloatArray,
): void {
  const n = out.length;
  const idx = new Array<number>(shape.length).fill(0);
  const last = shape.length - 1;
  let p = offset;
  for (let k = 0; k < n; k++) {
    out[k] = src[p]!;
    // Odometer step over the index, moving the source position incrementally.
    for (let d = last; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) {
        p += strides[d]!;
        break;
      }
      p -= (shape[d]! - 1) * strides[d]!;
      idx[d] = 0;
    }
  }
}
