import type { FloatArray } from '../../types.js';

/**
 * kl_div pointwise terms over a strided block (see `Kernels.klDivBlock`), computed in float64 from
 * the operands' values and rounded once when stored:
 * - `xlogy(t, t) - t*x` (PyTorch ≥ 1.13): 0 where t == 0 (NaN if x is ±inf or NaN there, since
 *   0·inf = NaN), NaN where t < 0 or t is NaN;
 * - `exp(t) * (t - x)` when `logTarget`.
 * The sum is Neumaier-compensated.
 */
export function klDivBlock(
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
  out: FloatArray | null,
  outOff: number,
): number {
  let s = 0;
  let c = 0;
  let o = outOff;
  // float32 operands: PyTorch (and the WASM kernels) form each product in float32, so one that
  // exceeds FLT_MAX is ±inf there (xlogy(3e38, 3e38) = inf, and inf − inf = NaN with input = inf).
  // Computed in float64 it would stay finite; f32Overflow rounds such values to ±inf, and leaves
  // every other value unrounded (float64 accuracy). The check is one comparison per product on
  // the common path (the rounding calls on every element measured the js backend's W1 1.8× slower).
  const f32 = input instanceof Float32Array;
  for (let r = 0; r < rows; r++) {
    let xi = inOff + r * inRowStride;
    let ti = tOff + r * tRowStride;
    for (let k = 0; k < cols; k++, xi += inColStride, ti += tColStride) {
      const x = input[xi]!;
      const t = target[ti]!;
      let v: number;
      if (logTarget) {
        const e = Math.exp(t);
        const d = t - x;
        v = e * d;
        if (f32 && !(Math.abs(v) < F32_OVERFLOW && e < F32_OVERFLOW && Math.abs(d) < F32_OVERFLOW)) v = f32Overflow(f32Overflow(e) * f32Overflow(d));
      } else {
        // xlogy(t, t): NaN for NaN t, 0 for t == 0, t*log(t) otherwise (NaN for t < 0).
        const a = t === 0 ? 0 : t * Math.log(t);
        const b = t * x;
        v = a - b;
        if (f32 && !(Math.abs(v) < F32_OVERFLOW && Math.abs(a) < F32_OVERFLOW && Math.abs(b) < F32_OVERFLOW)) v = f32Overflow(f32Overflow(a) - f32Overflow(b));
      }
      if (out !== null) out[o++] = v;
      const sum = s + v;
      c += Math.abs(s) >= Math.abs(v) ? s - sum + v : v - sum + s;
      s = sum;
    }
  }
  // Once the sum is ±inf or NaN the compensation term is NaN and meaningless.
  return Number.isFinite(s) ? s + c : s;
}

/** The smallest magnitude that rounds to infinity in float32: 2^128 − 2^103. */
const F32_OVERFLOW = 3.4028235677973366e38;

/** ±inf for values that round to infinity in float32, v otherwise. */
function f32Overflow(v: number): number {
  return v >= F32_OVERFLOW ? Infinity : v <= -F32_OVERFLOW ? -Infinity : v;
}

/** `Kernels.klDivWhole`: klDivBlock over two whole arrays as one run. */
export function klDivWhole(input: FloatArray, target: FloatArray, logTarget: boolean): number {
  const n = input.length;
  const c = n === 1 ? 0 : 1;
  return klDivBlock(input, 0, 0, c, target, 0, 0, c, 1, n, logTarget, null, 0);
}
