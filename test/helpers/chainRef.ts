/**
 * Float64 reference of PyTorch's distillation chain and its autograd, written out op by op as
 * autograd evaluates it (independent of klwasm's kernels):
 *
 *   a = x / T,  ls = log_softmax(a, dim),  b = y / T,  p = softmax(b, dim)
 *   out = kl_div(ls, p, reduction) · T²
 *
 * backward, with g the upstream gradient of each kl_div term (T²·gradOutput / divisor):
 *   kl_div:       ∂ls = −p·g,  ∂p = g·(xlogy(p≠0, p) + p/p − ls)   (NaN where p = 0)
 *   log_softmax:  ∂a = ∂ls − softmax(a)·Σ_dim ∂ls
 *   softmax:      ∂b = p·(∂p − Σ_dim p·∂p)
 *   division:     ∂x = ∂a / T,  ∂y = ∂b / T
 */
export interface ChainGrad {
  /** The loss (0-d value, per-slice values, or pointwise values). */
  loss: Float64Array;
  gradInput: Float64Array;
  gradTarget: Float64Array;
  /** softmax(x/T) and softmax(y/T). */
  q: Float64Array;
  p: Float64Array;
  /** The gradient scale per element: T·(upstream gradient)/divisor. */
  scale: Float64Array;
}

/**
 * Per-element absolute tolerance for gradients computed with float32 probabilities. A float32
 * q = exp((x − max)/T)/Σ carries the rounding of its exponent's argument, a relative error of
 * ~eps32·|log q| (plus an ulp or two); likewise p; u = log(p/q) is rounded once. So
 * |error| ≲ k·eps32·|s|·(q·(1 + |log q|) + p·(1 + |log p|))·(1 + |u|).
 */
export function f32GradTolerance(ref: ChainGrad, k = 8): (i: number) => number {
  const eps = 2 ** -24;
  const w = (v: number): number => (v > 0 ? v * (1 + Math.abs(Math.log(v))) : 0);
  return (i) => {
    const q = ref.q[i]!;
    const p = ref.p[i]!;
    const u = p > 0 && q > 0 ? Math.abs(Math.log(p / q)) : 0;
    return k * eps * Math.abs(ref.scale[i]!) * (w(q) + w(p)) * (1 + u) + 1e-30;
  };
}

export type ChainReduction = 'sum' | 'batchmean' | 'mean' | 'none' | 'perSlice';

/**
 * x, y: row-major data of `shape`; `gradOutput` of the loss's shape (null = ones).
 * Computes everything in float64 with plain (uncompensated) sums, like autograd in float64.
 */
export function chainReference(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  shape: readonly number[],
  dim: number,
  T: number,
  reduction: ChainReduction,
  gradOutput: ArrayLike<number> | null,
): ChainGrad {
  const n = x.length;
  const d = dim < 0 ? dim + Math.max(shape.length, 1) : dim;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < d; i++) outer *= shape[i]!;
  for (let i = d + 1; i < shape.length; i++) inner *= shape[i]!;
  const size = shape.length === 0 ? 1 : shape[d]!;
  const ls = new Float64Array(n);
  const q = new Float64Array(n);
  const p = new Float64Array(n);
  const idx = (o: number, k: number, i: number): number => (o * size + k) * inner + i;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let ma = -Infinity;
      let mb = -Infinity;
      for (let k = 0; k < size; k++) {
        ma = Math.max(ma, x[idx(o, k, i)]! / T);
        mb = Math.max(mb, y[idx(o, k, i)]! / T);
      }
      let sa = 0;
      let sb = 0;
      for (let k = 0; k < size; k++) {
        sa += Math.exp(x[idx(o, k, i)]! / T - ma);
        sb += Math.exp(y[idx(o, k, i)]! / T - mb);
      }
      for (let k = 0; k < size; k++) {
        const j = idx(o, k, i);
        ls[j] = x[j]! / T - ma - Math.log(sa);
        q[j] = Math.exp(ls[j]!);
        p[j] = Math.exp(y[j]! / T - mb) / sb;
      }
    }
  }
  // Forward terms and the upstream gradient per term.
  const terms = new Float64Array(n);
  for (let j = 0; j < n; j++) terms[j] = (p[j] === 0 ? 0 : p[j]! * Math.log(p[j]!)) - p[j]! * ls[j]!;
  const divisor = reduction === 'mean' ? n : reduction === 'batchmean' && shape.length > 0 ? shape[0]! : 1;
  const g = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < size; k++) {
      for (let i = 0; i < inner; i++) {
        const j = idx(o, k, i);
        let up = 1;
        if (gradOutput !== null) {
          if (reduction === 'none') up = gradOutput[j]!;
          else if (reduction === 'perSlice') up = gradOutput[o * inner + i]!;
          else up = gradOutput[0]!;
        }
        g[j] = (T * T * up) / divisor;
      }
    }
  }
  let loss: Float64Array;
  if (reduction === 'none') loss = terms.map((v) => v * T * T);
  else if (reduction === 'perSlice') {
    loss = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) for (let k = 0; k < size; k++) for (let i = 0; i < inner; i++) loss[o * inner + i] += terms[idx(o, k, i)]! * T * T;
  } else loss = Float64Array.of((terms.reduce((s, v) => s + v, 0) * T * T) / divisor);

  const gradInput = new Float64Array(n);
  const gradTarget = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let sumDls = 0;
      let sumPdp = 0;
      const dls = new Float64Array(size);
      const dp = new Float64Array(size);
      for (let k = 0; k < size; k++) {
        const j = idx(o, k, i);
        dls[k] = -p[j]! * g[j]!;
        const xl = p[j] === 0 ? 0 : Math.log(p[j]!);
        dp[k] = g[j]! * (xl + p[j]! / p[j]! - ls[j]!);
        sumDls += dls[k]!;
        sumPdp += p[j]! * dp[k]!;
      }
      for (let k = 0; k < size; k++) {
        const j = idx(o, k, i);
        gradInput[j] = (dls[k]! - q[j]! * sumDls) / T;
        gradTarget[j] = (p[j]! * (dp[k]! - sumPdp)) / T;
      }
    }
  }
  return { loss, gradInput, gradTarget, q, p, scale: g.map((v) => v / T) };
}
