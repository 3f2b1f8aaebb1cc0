import type { FloatArray } from '../../types.js';

/**
 * Gradients of the kl_div pointwise terms over a strided block (see `Kernels.klDivGradBlock`), in
 * float64 and in the evaluation order of PyTorch's autograd through the composite forward:
 * - `xlogy(t, t) − t·x`: SubBackward gives the product `t·x` the gradient −g, so ∂x = (−g)·t; t
 *   collects XlogyBackward's `g·xlogy(t≠0, t)` (self) and `g·t/t` (other) and MulBackward's
 *   `(−g)·x`, which is `g·(log t + 1 − x)` for t > 0 and NaN at t = 0 (0/0), t < 0 and NaN t;
 * - `exp(t)·(t − x)`: ∂x = −(g·eᵗ), ∂t = (g·(t − x))·eᵗ (ExpBackward) + g·eᵗ (SubBackward).
 */
export function klDivGradBlock(
  input: FloatArray,
  inOff: number,
  inRowStride: number,
  inColStride: number,
  target: FloatArray,
  tOff: number,
  tRowStride: number,
  tColStride: number,
  rows: number,
  cols: number,
  logTarget: boolean,
  gradOut: FloatArray | null,
  gOff: number,
  gScalar: number,
  gDivisor: number,
  gradInput: FloatArray | null,
  giOff: number,
  gradTarget: FloatArray | null,
  gtOff: number,
): void {
  let o = 0;
  for (let r = 0; r < rows; r++) {
    let xi = inOff + r * inRowStride;
    let ti = tOff + r * tRowStride;
    for (let k = 0; k < cols; k++, xi += inColStride, ti += tColStride, o++) {
      const x = input[xi]!;
      const t = target[ti]!;
      const g = gradOut !== null ? gradOut[gOff + o]! / gDivisor : gScalar;
      if (logTarget) {
        const e = Math.exp(t);
        if (gradInput !== null) gradInput[giOff + o] = -(g * e);
        if (gradTarget !== null) gradTarget[gtOff + o] = g * (t - x) * e + g * e;
      } else {
        if (gradInput !== null) gradInput[giOff + o] = -g * t;
        if (gradTarget !== null) {
          // xlogy(t ≠ 0, t): NaN for NaN t, 0 where t == 0, log t otherwise (NaN for t < 0).
          const a = t === 0 ? 0 : Math.log(t);
          gradTarget[gtOff + o] = g * a + (g * t) / t + -g * x;
        }
      }
    }
  }
}
