// Fused KL(p ‖ q) per slice from logits: p = softmax(y/T), q = softmax(x/T), over the
// (outer R, size K, inner W) layout, in the termwise (Bregman) form
//     KL = Σ q_i·φ(p_i/q_i),  φ(r) = r·log r − r + 1 ≥ 0,
// which equals Σ p·log(p/q) because Σp = Σq = 1 but has a non-negative term per element whose
// rounding error is relative to the term itself (the textbook sum's error is first order in
// u = log(p/q) while KL is second order; see ../shared/reference/fused-kl-numerics.md).
//   u_i = (y_i − x_i)/T − c,  c = lse(y/T) − lse(x/T), computed in f64 (exact differences of f32
//         inputs), then rounded to T for the rest;
//   |u| < 0.5:  term = q·u²·h(u),  h(u) = Σ_{k≥2} (k−1)/k!·u^{k−2} (Taylor series of φ(e^u)/u²);
//   otherwise:  term = p·u − p + q (well conditioned away from u = 0);
//   y = −inf (p = 0): term = q (0·log 0 = 0); x = −inf with finite y (q = 0): term = +inf — both
//   decided from the logits, not from probabilities that underflowed; each term is clamped at ≥ 0
//   (NaN passes through).
// Identical slices give u ≡ 0 and therefore exactly 0. The exponentials exp((x − max)/T) are kept
// in a scratch buffer between the sum pass and the term pass (cheaper than recomputing them).
import { at, demotePair, expNegS, hsumF64, promoteHigh, sliceMaxScalar } from './common';
import { colMaxF32x4, rowMaxF32, rowMaxF64 } from './max';
import { expNegF32x4, expNegF64x2 } from './vmath';

// Series coefficients (k−1)/k!, k = 2..9 for f32 (through u⁹: < 3e-7 relative at |u| = 0.5) and
// k = 2..15 for f64 (< 3e-15).
const C2: f64 = 1.0 / 2.0;
const C3: f64 = 2.0 / 6.0;
const C4: f64 = 3.0 / 24.0;
const C5: f64 = 4.0 / 120.0;
const C6: f64 = 5.0 / 720.0;
const C7: f64 = 6.0 / 5040.0;
const C8: f64 = 7.0 / 40320.0;
const C9: f64 = 8.0 / 362880.0;
const C10: f64 = 9.0 / 3628800.0;
const C11: f64 = 10.0 / 39916800.0;
const C12: f64 = 11.0 / 479001600.0;
const C13: f64 = 12.0 / 6227020800.0;
const C14: f64 = 13.0 / 87178291200.0;
const C15: f64 = 14.0 / 1307674368000.0;
const SERIES_LIMIT: f64 = 0.5;

/** h(u) = φ(e^u)/u² by Horner, in T's precision. */
// @ts-ignore: decorator
@inline function seriesS<T>(u: T): T {
  if (sizeof<T>() == 4) {
    let h = <T>C9;
    h = h * u + <T>C8;
    h = h * u + <T>C7;
    h = h * u + <T>C6;
    h = h * u + <T>C5;
    h = h * u + <T>C4;
    h = h * u + <T>C3;
    return h * u + <T>C2;
  }
  let h = <T>C15;
  h = h * u + <T>C14;
  h = h * u + <T>C13;
  h = h * u + <T>C12;
  h = h * u + <T>C11;
  h = h * u + <T>C10;
  h = h * u + <T>C9;
  h = h * u + <T>C8;
  h = h * u + <T>C7;
  h = h * u + <T>C6;
  h = h * u + <T>C5;
  h = h * u + <T>C4;
  h = h * u + <T>C3;
  return h * u + <T>C2;
}

/**
 * One term q·φ(p/q) given u = log(p/q), p, q and the target logit y (scalar twin of the vector
 * code). p = 0 and q = 0 are decided from the logits, not from probabilities that underflowed:
 * y = −inf → q (0·log 0 = 0); u = +inf (x = −inf, y finite) → +inf.
 */
// @ts-ignore: decorator
@inline function termS<T>(u: T, p: T, q: T, y: T): T {
  if (y == <T>-Infinity) return q;
  if (u == <T>Infinity) return <T>Infinity;
  const t = abs<T>(u) < <T>SERIES_LIMIT ? q * (u * u * seriesS<T>(u)) : p * u - p + q;
  return max<T>(t, <T>0);
}

/** The 'none' term p·u·scale with the same logit rules (0 where y = −inf, +inf where u = +inf). */
// @ts-ignore: decorator
@inline function pointS<T>(u: T, p: T, y: T, scale: T): T {
  if (y == <T>-Infinity) return <T>0;
  if (u == <T>Infinity) return <T>Infinity;
  return p * u * scale;
}

// @ts-ignore: decorator
@inline function seriesF32x4(u: v128): v128 {
  let h = f32x4.splat(<f32>C9);
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C8));
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C7));
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C6));
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C5));
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C4));
  h = f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C3));
  return f32x4.add(f32x4.mul(h, u), f32x4.splat(<f32>C2));
}

// @ts-ignore: decorator
@inline function termF32x4(u: v128, p: v128, q: v128, y: v128): v128 {
  const zero = f32x4.splat(0);
  const inf = f32x4.splat(Infinity);
  const small = f32x4.mul(q, f32x4.mul(f32x4.mul(u, u), seriesF32x4(u)));
  const large = f32x4.add(f32x4.sub(f32x4.mul(p, u), p), q);
  let t = v128.bitselect(small, large, f32x4.lt(f32x4.abs(u), f32x4.splat(<f32>SERIES_LIMIT)));
  t = v128.bitselect(inf, f32x4.max(t, zero), f32x4.eq(u, inf));
  return v128.bitselect(q, t, f32x4.eq(y, f32x4.neg(inf)));
}

/** Vector twin of pointS. */
// @ts-ignore: decorator
@inline function pointF32x4(u: v128, p: v128, y: v128, scale: v128): v128 {
  const inf = f32x4.splat(Infinity);
  const pt = v128.bitselect(inf, f32x4.mul(f32x4.mul(p, u), scale), f32x4.eq(u, inf));
  return v128.bitselect(f32x4.splat(0), pt, f32x4.eq(y, f32x4.neg(inf)));
}

// @ts-ignore: decorator
@inline function seriesF64x2(u: v128): v128 {
  let h = f64x2.splat(C15);
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C14));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C13));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C12));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C11));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C10));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C9));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C8));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C7));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C6));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C5));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C4));
  h = f64x2.add(f64x2.mul(h, u), f64x2.splat(C3));
  return f64x2.add(f64x2.mul(h, u), f64x2.splat(C2));
}

// @ts-ignore: decorator
@inline function termF64x2(u: v128, p: v128, q: v128, y: v128): v128 {
  const zero = f64x2.splat(0);
  const inf = f64x2.splat(Infinity);
  const small = f64x2.mul(q, f64x2.mul(f64x2.mul(u, u), seriesF64x2(u)));
  const large = f64x2.add(f64x2.sub(f64x2.mul(p, u), p), q);
  let t = v128.bitselect(small, large, f64x2.lt(f64x2.abs(u), f64x2.splat(SERIES_LIMIT)));
  t = v128.bitselect(inf, f64x2.max(t, zero), f64x2.eq(u, inf));
  return v128.bitselect(q, t, f64x2.eq(y, f64x2.neg(inf)));
}

/** Vector twin of pointS (f64). */
// @ts-ignore: decorator
@inline function pointF64x2(u: v128, p: v128, y: v128, scale: v128): v128 {
  const inf = f64x2.splat(Infinity);
  const pt = v128.bitselect(inf, f64x2.mul(f64x2.mul(p, u), scale), f64x2.eq(u, inf));
  return v128.bitselect(f64x2.splat(0), pt, f64x2.eq(y, f64x2.neg(inf)));
}

/** c = lse(y/T) − lse(x/T) from the maxima and sums of exp((· − max)/T); exactly 0 for equal slices. */
// @ts-ignore: decorator
@inline function lseDiff(mx: f64, my: f64, sx: f64, sy: f64, invT: f64): f64 {
  return (my - mx) * invT + (Math.log(sy) - Math.log(sx));
}

// ---------------------------------------------------------------------------------------------
// Scalar slice (any stride): scalar build, SIMD column tails, f64 column groups.
// Returns the slice's KL; writes point terms p·u·pointScale at dst (stride) if dst ≠ 0.
// `scratch` holds 2·K elements of T.

// @ts-ignore: decorator
@inline function klSliceScalar<T>(
  x: usize, y: usize, K: i32, stride: i32, invT: f64, pointScale: T, dst: usize, scratch: usize,
): f64 {
  const mx = sliceMaxScalar<T>(x, K, stride);
  const my = sliceMaxScalar<T>(y, K, stride);
  const ea = scratch;
  const eb = at<T>(scratch, K);
  const sc = <T>invT;
  let sx: f64 = 0;
  let sy: f64 = 0;
  for (let k = 0; k < K; k++) {
    const a = expNegS<T>((load<T>(at<T>(x, k * stride)) - mx) * sc);
    const b = expNegS<T>((load<T>(at<T>(y, k * stride)) - my) * sc);
    store<T>(at<T>(ea, k), a);
    store<T>(at<T>(eb, k), b);
    sx += <f64>a;
    sy += <f64>b;
  }
  const c = lseDiff(<f64>mx, <f64>my, sx, sy, invT);
  const ix = <T>(1.0 / sx);
  const iy = <T>(1.0 / sy);
  let total: f64 = 0;
  for (let k = 0; k < K; k++) {
    const xv = <f64>load<T>(at<T>(x, k * stride));
    const yv = <f64>load<T>(at<T>(y, k * stride));
    const u = <T>((yv - xv) * invT - c);
    const q = load<T>(at<T>(ea, k)) * ix;
    const p = load<T>(at<T>(eb, k)) * iy;
    total += <f64>termS<T>(u, p, q, <T>yv);
    if (dst != 0) store<T>(at<T>(dst, k * stride), pointS<T>(u, p, <T>yv, pointScale));
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// f32 rows (W = 1).

function klRowF32(x: usize, y: usize, n: i32, invT: f64, pointScale: f32, dst: usize, scratch: usize): f64 {
  const mx = rowMaxF32(x, n);
  const my = rowMaxF32(y, n);
  const ea = scratch;
  const eb = at<f32>(scratch, n);
  const sc = <f32>invT;
  let sx: f64 = 0;
  let sy: f64 = 0;
  let k = 0;
  const vmx = f32x4.splat(mx);
  const vmy = f32x4.splat(my);
  const vsc = f32x4.splat(sc);
  let ax0 = f64x2.splat(0);
  let ax1 = ax0;
  let ay0 = ax0;
  let ay1 = ax0;
  for (; k + 4 <= n; k += 4) {
    const a = expNegF32x4(f32x4.mul(f32x4.sub(v128.load(at<f32>(x, k)), vmx), vsc));
    const b = expNegF32x4(f32x4.mul(f32x4.sub(v128.load(at<f32>(y, k)), vmy), vsc));
    v128.store(at<f32>(ea, k), a);
    v128.store(at<f32>(eb, k), b);
    ax0 = f64x2.add(ax0, f64x2.promote_low_f32x4(a));
    ax1 = f64x2.add(ax1, promoteHigh(a));
    ay0 = f64x2.add(ay0, f64x2.promote_low_f32x4(b));
    ay1 = f64x2.add(ay1, promoteHigh(b));
  }
  sx = hsumF64(f64x2.add(ax0, ax1));
  sy = hsumF64(f64x2.add(ay0, ay1));
  for (; k < n; k++) {
    const a = expNegS<f32>((load<f32>(at<f32>(x, k)) - mx) * sc);
    const b = expNegS<f32>((load<f32>(at<f32>(y, k)) - my) * sc);
    store<f32>(at<f32>(ea, k), a);
    store<f32>(at<f32>(eb, k), b);
    sx += <f64>a;
    sy += <f64>b;
  }
  const c = lseDiff(<f64>mx, <f64>my, sx, sy, invT);
  const ix = <f32>(1.0 / sx);
  const iy = <f32>(1.0 / sy);
  const vix = f32x4.splat(ix);
  const viy = f32x4.splat(iy);
  const vc = f64x2.splat(c);
  const vinvT = f64x2.splat(invT);
  const vps = f32x4.splat(pointScale);
  const zero = f32x4.splat(0);
  let t0 = f64x2.splat(0);
  let t1 = t0;
  k = 0;
  for (; k + 4 <= n; k += 4) {
    const xv = v128.load(at<f32>(x, k));
    const yv = v128.load(at<f32>(y, k));
    const dlo = f64x2.sub(f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(yv), f64x2.promote_low_f32x4(xv)), vinvT), vc);
    const dhi = f64x2.sub(f64x2.mul(f64x2.sub(promoteHigh(yv), promoteHigh(xv)), vinvT), vc);
    const u = demotePair(dlo, dhi);
    const q = f32x4.mul(v128.load(at<f32>(ea, k)), vix);
    const p = f32x4.mul(v128.load(at<f32>(eb, k)), viy);
    const t = termF32x4(u, p, q, yv);
    t0 = f64x2.add(t0, f64x2.promote_low_f32x4(t));
    t1 = f64x2.add(t1, promoteHigh(t));
    if (dst != 0) v128.store(at<f32>(dst, k), pointF32x4(u, p, yv, vps));
  }
  let total = hsumF64(f64x2.add(t0, t1));
  for (; k < n; k++) {
    const xv = <f64>load<f32>(at<f32>(x, k));
    const yv = <f64>load<f32>(at<f32>(y, k));
    const u = <f32>((yv - xv) * invT - c);
    const q = load<f32>(at<f32>(ea, k)) * ix;
    const p = load<f32>(at<f32>(eb, k)) * iy;
    total += <f64>termS<f32>(u, p, q, <f32>yv);
    if (dst != 0) store<f32>(at<f32>(dst, k), pointS<f32>(u, p, <f32>yv, pointScale));
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// f32 columns (W > 1): 4 adjacent slices per vector. Writes each slice's KL to perSlice (f64) if
// given; returns their sum. scratch: 8·K floats.

function klColsF32(
  x: usize, y: usize, K: i32, W: i32, invT: f64, pointScale: f32, dst: usize, perSlice: usize, scratch: usize,
): f64 {
  let total: f64 = 0;
  let i = 0;
  const sc = <f32>invT;
  const vsc = f32x4.splat(sc);
  const vinvT = f64x2.splat(invT);
  const vps = f32x4.splat(pointScale);
  const zero = f32x4.splat(0);
  for (; i + 4 <= W; i += 4) {
    const xi = at<f32>(x, i);
    const yi = at<f32>(y, i);
    const vmx = colMaxF32x4(xi, K, W);
    const vmy = colMaxF32x4(yi, K, W);
    let ax0 = f64x2.splat(0);
    let ax1 = ax0;
    let ay0 = ax0;
    let ay1 = ax0;
    for (let k = 0; k < K; k++) {
      const a = expNegF32x4(f32x4.mul(f32x4.sub(v128.load(at<f32>(xi, k * W)), vmx), vsc));
      const b = expNegF32x4(f32x4.mul(f32x4.sub(v128.load(at<f32>(yi, k * W)), vmy), vsc));
      v128.store(at<f32>(scratch, k * 8), a);
      v128.store(at<f32>(scratch, k * 8 + 4), b);
      ax0 = f64x2.add(ax0, f64x2.promote_low_f32x4(a));
      ax1 = f64x2.add(ax1, promoteHigh(a));
      ay0 = f64x2.add(ay0, f64x2.promote_low_f32x4(b));
      ay1 = f64x2.add(ay1, promoteHigh(b));
    }
    // Per-lane c, 1/Σx, 1/Σy.
    const c0 = lseDiff(<f64>f32x4.extract_lane(vmx, 0), <f64>f32x4.extract_lane(vmy, 0), f64x2.extract_lane(ax0, 0), f64x2.extract_lane(ay0, 0), invT);
    const c1 = lseDiff(<f64>f32x4.extract_lane(vmx, 1), <f64>f32x4.extract_lane(vmy, 1), f64x2.extract_lane(ax0, 1), f64x2.extract_lane(ay0, 1), invT);
    const c2 = lseDiff(<f64>f32x4.extract_lane(vmx, 2), <f64>f32x4.extract_lane(vmy, 2), f64x2.extract_lane(ax1, 0), f64x2.extract_lane(ay1, 0), invT);
    const c3 = lseDiff(<f64>f32x4.extract_lane(vmx, 3), <f64>f32x4.extract_lane(vmy, 3), f64x2.extract_lane(ax1, 1), f64x2.extract_lane(ay1, 1), invT);
    const clo = f64x2.replace_lane(f64x2.splat(c0), 1, c1);
    const chi = f64x2.replace_lane(f64x2.splat(c2), 1, c3);
    const one = f64x2.splat(1.0);
    const vix = demotePair(f64x2.div(one, ax0), f64x2.div(one, ax1));
    const viy = demotePair(f64x2.div(one, ay0), f64x2.div(one, ay1));
    let t0 = f64x2.splat(0);
    let t1 = t0;
    for (let k = 0; k < K; k++) {
      const xv = v128.load(at<f32>(xi, k * W));
      const yv = v128.load(at<f32>(yi, k * W));
      const dlo = f64x2.sub(f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(yv), f64x2.promote_low_f32x4(xv)), vinvT), clo);
      const dhi = f64x2.sub(f64x2.mul(f64x2.sub(promoteHigh(yv), promoteHigh(xv)), vinvT), chi);
      const u = demotePair(dlo, dhi);
      const q = f32x4.mul(v128.load(at<f32>(scratch, k * 8)), vix);
      const p = f32x4.mul(v128.load(at<f32>(scratch, k * 8 + 4)), viy);
      const t = termF32x4(u, p, q, yv);
      t0 = f64x2.add(t0, f64x2.promote_low_f32x4(t));
      t1 = f64x2.add(t1, promoteHigh(t));
      if (dst != 0) v128.store(at<f32>(dst, k * W + i), pointF32x4(u, p, yv, vps));
    }
    if (perSlice != 0) {
      v128.store(at<f64>(perSlice, i), t0);
      v128.store(at<f64>(perSlice, i + 2), t1);
    }
    total += hsumF64(f64x2.add(t0, t1));
  }
  for (; i < W; i++) {
    const kl = klSliceScalar<f32>(at<f32>(x, i), at<f32>(y, i), K, W, invT, pointScale, dst != 0 ? at<f32>(dst, i) : 0, scratch);
    if (perSlice != 0) store<f64>(at<f64>(perSlice, i), kl);
    total += kl;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// f64 rows (W = 1), f64x2.

function klRowF64(x: usize, y: usize, n: i32, invT: f64, pointScale: f64, dst: usize, scratch: usize): f64 {
  const mx = rowMaxF64(x, n);
  const my = rowMaxF64(y, n);
  const ea = scratch;
  const eb = at<f64>(scratch, n);
  let sx: f64 = 0;
  let sy: f64 = 0;
  const vmx = f64x2.splat(mx);
  const vmy = f64x2.splat(my);
  const vsc = f64x2.splat(invT);
  let ax = f64x2.splat(0);
  let ay = ax;
  let k = 0;
  for (; k + 2 <= n; k += 2) {
    const a = expNegF64x2(f64x2.mul(f64x2.sub(v128.load(at<f64>(x, k)), vmx), vsc));
    const b = expNegF64x2(f64x2.mul(f64x2.sub(v128.load(at<f64>(y, k)), vmy), vsc));
    v128.store(at<f64>(ea, k), a);
    v128.store(at<f64>(eb, k), b);
    ax = f64x2.add(ax, a);
    ay = f64x2.add(ay, b);
  }
  sx = hsumF64(ax);
  sy = hsumF64(ay);
  for (; k < n; k++) {
    const a = expNegS<f64>((load<f64>(at<f64>(x, k)) - mx) * invT);
    const b = expNegS<f64>((load<f64>(at<f64>(y, k)) - my) * invT);
    store<f64>(at<f64>(ea, k), a);
    store<f64>(at<f64>(eb, k), b);
    sx += a;
    sy += b;
  }
  const c = lseDiff(mx, my, sx, sy, invT);
  const ix = 1.0 / sx;
  const iy = 1.0 / sy;
  const vix = f64x2.splat(ix);
  const viy = f64x2.splat(iy);
  const vc = f64x2.splat(c);
  const vps = f64x2.splat(pointScale);
  const zero = f64x2.splat(0);
  let tt = f64x2.splat(0);
  k = 0;
  for (; k + 2 <= n; k += 2) {
    const yv = v128.load(at<f64>(y, k));
    const u = f64x2.sub(f64x2.mul(f64x2.sub(yv, v128.load(at<f64>(x, k))), vsc), vc);
    const q = f64x2.mul(v128.load(at<f64>(ea, k)), vix);
    const p = f64x2.mul(v128.load(at<f64>(eb, k)), viy);
    tt = f64x2.add(tt, termF64x2(u, p, q, yv));
    if (dst != 0) v128.store(at<f64>(dst, k), pointF64x2(u, p, yv, vps));
  }
  let total = hsumF64(tt);
  for (; k < n; k++) {
    const yv = load<f64>(at<f64>(y, k));
    const u = (yv - load<f64>(at<f64>(x, k))) * invT - c;
    const q = load<f64>(at<f64>(ea, k)) * ix;
    const p = load<f64>(at<f64>(eb, k)) * iy;
    total += termS<f64>(u, p, q, yv);
    if (dst != 0) store<f64>(at<f64>(dst, k), pointS<f64>(u, p, yv, pointScale));
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Exported kernels.

/**
 * Σ over slices of KL(softmax(y/T) ‖ softmax(x/T)), f32, layout (R, K, W), K ≥ 1; invT = 1/T.
 * dst (optional, R·K·W f32): pointwise p·log(p/q)·pointScale. perSlice (optional, R·W f64): each
 * slice's KL. scratch: at least 8·K f32 (16-byte aligned not required).
 */
export function klDivLogits_f32(
  x: usize, y: usize, R: i32, K: i32, W: i32, invT: f64, pointScale: f32, dst: usize, perSlice: usize, scratch: usize,
): f64 {
  let total: f64 = 0;
  for (let r = 0; r < R; r++) {
    const o = r * K * W;
    const xr = at<f32>(x, o);
    const yr = at<f32>(y, o);
    const dr = dst != 0 ? at<f32>(dst, o) : 0;
    const ps = perSlice != 0 ? at<f64>(perSlice, r * W) : 0;
    if (ASC_FEATURE_SIMD) {
      if (W == 1) {
        const kl = klRowF32(xr, yr, K, invT, pointScale, dr, scratch);
        if (ps != 0) store<f64>(ps, kl);
        total += kl;
      } else {
        total += klColsF32(xr, yr, K, W, invT, pointScale, dr, ps, scratch);
      }
    } else {
      for (let i = 0; i < W; i++) {
        const kl = klSliceScalar<f32>(at<f32>(xr, i), at<f32>(yr, i), K, W, invT, pointScale, dr != 0 ? at<f32>(dr, i) : 0, scratch);
        if (ps != 0) store<f64>(at<f64>(ps, i), kl);
        total += kl;
      }
    }
  }
  return total;
}

/** As klDivLogits_f32 for f64 data (scratch: at least 2·K f64). */
export function klDivLogits_f64(
  x: usize, y: usize, R: i32, K: i32, W: i32, invT: f64, pointScale: f64, dst: usize, perSlice: usize, scratch: usize,
): f64 {
  let total: f64 = 0;
  for (let r = 0; r < R; r++) {
    const o = r * K * W;
    const xr = at<f64>(x, o);
    const yr = at<f64>(y, o);
    const dr = dst != 0 ? at<f64>(dst, o) : 0;
    const ps = perSlice != 0 ? at<f64>(perSlice, r * W) : 0;
    if (ASC_FEATURE_SIMD && W == 1) {
      // (Only reached in the SIMD build: the scalar build folds ASC_FEATURE_SIMD to false.)
      const kl = klRowF64(xr, yr, K, invT, pointScale, dr, scratch);
      if (ps != 0) store<f64>(ps, kl);
      total += kl;
    } else {
      for (let i = 0; i < W; i++) {
        const kl = klSliceScalar<f64>(at<f64>(xr, i), at<f64>(yr, i), K, W, invT, pointScale, dr != 0 ? at<f64>(dr, i) : 0, scratch);
        if (ps != 0) store<f64>(at<f64>(ps, i), kl);
        total += kl;
      }
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Streaming: the term pass for slices longer than the window, from final (m, s) states built by
// lseUpdate_* with scale = invT. Adds each column's terms to acc[i] (f64) and writes point terms.

// @ts-ignore: decorator
@inline function klTermsChunk<T>(
  x: usize, y: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize, pointScale: T, dst: usize, acc: usize,
): void {
  for (let i = 0; i < W; i++) {
    const mx = load<f64>(at<f64>(stateX, i));
    const my = load<f64>(at<f64>(stateY, i));
    const sx = load<f64>(at<f64>(stateX, W + i));
    const sy = load<f64>(at<f64>(stateY, W + i));
    const c = lseDiff(mx, my, sx, sy, invT);
    const ix = <T>(1.0 / sx);
    const iy = <T>(1.0 / sy);
    const mxT = <T>mx;
    const myT = <T>my;
    const sc = <T>invT;
    let total: f64 = 0;
    for (let k = 0; k < K; k++) {
      const xv = load<T>(at<T>(x, k * W + i));
      const yv = load<T>(at<T>(y, k * W + i));
      const u = <T>((<f64>yv - <f64>xv) * invT - c);
      const q = expNegS<T>((xv - mxT) * sc) * ix;
      const p = expNegS<T>((yv - myT) * sc) * iy;
      total += <f64>termS<T>(u, p, q, yv);
      if (dst != 0) store<T>(at<T>(dst, k * W + i), pointS<T>(u, p, yv, pointScale));
    }
    const a = at<f64>(acc, i);
    store<f64>(a, load<f64>(a) + total);
  }
}

/** Term pass over one chunk (K × W) of a streamed slice, f32. */
export function klTermsChunk_f32(
  x: usize, y: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize, pointScale: f32, dst: usize, acc: usize,
): void {
  klTermsChunk<f32>(x, y, K, W, invT, stateX, stateY, pointScale, dst, acc);
}

/** Term pass over one chunk (K × W) of a streamed slice, f64. */
export function klTermsChunk_f64(
  x: usize, y: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize, pointScale: f64, dst: usize, acc: usize,
): void {
  klTermsChunk<f64>(x, y, K, W, invT, stateX, stateY, pointScale, dst, acc);
}
