// Gradients of kl_div's pointwise terms over a 2-level strided block (rows × cols) of the
// broadcast result — the layout of klDiv.ts — as PyTorch ≥ 1.13 autograd computes them through
// the composite `xlogy(t, t) − t·x` (or `exp(t)·(t − x)`), with g the upstream gradient of the term:
//   log_target = 0:  ∂/∂x = (−g)·t
//                    ∂/∂t = g·xlogy(t ≠ 0, t) + (g·t)/t + (−g)·x
//                         = g·(log t + 1 − x) for t > 0; NaN at t = 0 (0/0), t < 0 (log) and NaN t
//   log_target = 1:  ∂/∂x = −(g·eᵗ)
//                    ∂/∂t = (g·(t − x))·eᵗ + g·eᵗ
// (evaluation order of autograd's SubBackward/MulBackward/XlogyBackward/ExpBackward).
// g comes from `gr` (rows·cols, row-major: the 'none' upstream gradient in result order) divided
// by gDiv, or is the constant gScalar when gr = 0 (reductions: upstream / numel / batch).
// Outputs gi, gt (rows·cols, row-major, either may be 0 = not wanted).
// Column strides are 0 (operand broadcast along the row) or 1; row strides any element count.
// No alignment required. The scalar twin computes the same formulas in the same order.
import { at, expS, logS } from './common';
import { expF32x4, expF64x2, logF32x4, logF64x2 } from './vmath';

// @ts-ignore: decorator
@inline function gradS<T>(x: T, t: T, g: T, logTarget: bool, gi: usize, gt: usize): void {
  if (logTarget) {
    const e = expS<T>(t);
    if (gi != 0) store<T>(gi, -(g * e));
    if (gt != 0) store<T>(gt, (g * (t - x)) * e + g * e);
  } else {
    if (gi != 0) store<T>(gi, -g * t);
    if (gt != 0) {
      const a = t == <T>0 ? <T>0 : logS<T>(t);
      store<T>(gt, (g * a + (g * t) / t) + -g * x);
    }
  }
}

// @ts-ignore: decorator
@inline function gradF32x4(x: v128, t: v128, g: v128, logTarget: bool, gi: usize, gt: usize): void {
  if (logTarget) {
    const e = expF32x4(t);
    const ge = f32x4.mul(g, e);
    if (gi != 0) v128.store(gi, f32x4.neg(ge));
    if (gt != 0) v128.store(gt, f32x4.add(f32x4.mul(f32x4.mul(g, f32x4.sub(t, x)), e), ge));
  } else {
    const ng = f32x4.neg(g);
    if (gi != 0) v128.store(gi, f32x4.mul(ng, t));
    if (gt != 0) {
      const zero = f32x4.splat(0);
      const a = v128.bitselect(zero, logF32x4(t), f32x4.eq(t, zero));
      v128.store(gt, f32x4.add(f32x4.add(f32x4.mul(g, a), f32x4.div(f32x4.mul(g, t), t)), f32x4.mul(ng, x)));
    }
  }
}

// @ts-ignore: decorator
@inline function gradF64x2(x: v128, t: v128, g: v128, logTarget: bool, gi: usize, gt: usize): void {
  if (logTarget) {
    const e = expF64x2(t);
    const ge = f64x2.mul(g, e);
    if (gi != 0) v128.store(gi, f64x2.neg(ge));
    if (gt != 0) v128.store(gt, f64x2.add(f64x2.mul(f64x2.mul(g, f64x2.sub(t, x)), e), ge));
  } else {
    const ng = f64x2.neg(g);
    if (gi != 0) v128.store(gi, f64x2.mul(ng, t));
    if (gt != 0) {
      const zero = f64x2.splat(0);
      const a = v128.bitselect(zero, logF64x2(t), f64x2.eq(t, zero));
      v128.store(gt, f64x2.add(f64x2.add(f64x2.mul(g, a), f64x2.div(f64x2.mul(g, t), t)), f64x2.mul(ng, x)));
    }
  }
}

// @ts-ignore: decorator
@inline function gradBlock<T>(
  x: usize, xRow: i32, xCol: i32, t: usize, tRow: i32, tCol: i32, rows: i32, cols: i32,
  logTarget: bool, gr: usize, gScalar: f64, gDiv: f64, gi: usize, gt: usize,
): void {
  const L: i32 = sizeof<T>() == 4 ? 4 : 2;
  const gs = <T>gScalar;
  const gd = <T>gDiv;
  for (let r = 0; r < rows; r++) {
    const xp = at<T>(x, r * xRow);
    const tp = at<T>(t, r * tRow);
    const o = r * cols;
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      if (sizeof<T>() == 4) {
        const xs = v128.load_splat<f32>(xp);
        const ts = v128.load_splat<f32>(tp);
        const vgs = f32x4.splat(<f32>gs);
        const vgd = f32x4.splat(<f32>gd);
        for (; k + L <= cols; k += L) {
          const xv = xCol != 0 ? v128.load(at<f32>(xp, k)) : xs;
          const tv = tCol != 0 ? v128.load(at<f32>(tp, k)) : ts;
          const g = gr != 0 ? f32x4.div(v128.load(at<f32>(gr, o + k)), vgd) : vgs;
          gradF32x4(xv, tv, g, logTarget, gi != 0 ? at<f32>(gi, o + k) : 0, gt != 0 ? at<f32>(gt, o + k) : 0);
        }
      } else {
        const xs = v128.load_splat<f64>(xp);
        const ts = v128.load_splat<f64>(tp);
        const vgs = f64x2.splat(<f64>gs);
        const vgd = f64x2.splat(<f64>gd);
        for (; k + L <= cols; k += L) {
          const xv = xCol != 0 ? v128.load(at<f64>(xp, k)) : xs;
          const tv = tCol != 0 ? v128.load(at<f64>(tp, k)) : ts;
          const g = gr != 0 ? f64x2.div(v128.load(at<f64>(gr, o + k)), vgd) : vgs;
          gradF64x2(xv, tv, g, logTarget, gi != 0 ? at<f64>(gi, o + k) : 0, gt != 0 ? at<f64>(gt, o + k) : 0);
        }
      }
    }
    for (; k < cols; k++) {
      const g = gr != 0 ? load<T>(at<T>(gr, o + k)) / gd : gs;
      gradS<T>(
        load<T>(at<T>(xp, k * xCol)), load<T>(at<T>(tp, k * tCol)), g, logTarget,
        gi != 0 ? at<T>(gi, o + k) : 0, gt != 0 ? at<T>(gt, o + k) : 0,
      );
    }
  }
}

/**
 * kl_div pointwise gradients over a rows × cols block, f32. `x`/`t`: byte pointers to element
 * (0, 0), strides in elements (xCol, tCol ∈ {0, 1}); `gr`: upstream gradient (rows·cols f32) or 0
 * for the constant `gScalar`; `gi`/`gt`: outputs (rows·cols f32) or 0.
 */
export function klDivGrad_f32(
  x: usize, xRow: i32, xCol: i32, t: usize, tRow: i32, tCol: i32, rows: i32, cols: i32,
  logTarget: i32, gr: usize, gScalar: f64, gDiv: f64, gi: usize, gt: usize,
): void {
  if (logTarget != 0) gradBlock<f32>(x, xRow, xCol, t, tRow, tCol, rows, cols, true, gr, gScalar, gDiv, gi, gt);
  else gradBlock<f32>(x, xRow, xCol, t, tRow, tCol, rows, cols, false, gr, gScalar, gDiv, gi, gt);
}

/** As klDivGrad_f32 for f64 data. */
export function klDivGrad_f64(
  x: usize, xRow: i32, xCol: i32, t: usize, tRow: i32, tCol: i32, rows: i32, cols: i32,
  logTarget: i32, gr: usize, gScalar: f64, gDiv: f64, gi: usize, gt: usize,
): void {
  if (logTarget != 0) gradBlock<f64>(x, xRow, xCol, t, tRow, tCol, rows, cols, true, gr, gScalar, gDiv, gi, gt);
  else gradBlock<f64>(x, xRow, xCol, t, tRow, tCol, rows, cols, false, gr, gScalar, gDiv, gi, gt);
}
