// Fused KL(p ‖ q) per slice from logits AND its gradient(s), p = softmax(y/T) (teacher),
// q = softmax(x/T) (student), over the (outer R, size K, inner W) layout.
//
// The loss is computed exactly as klDivLogits.ts does (same passes, same termwise/Bregman
// formulas from klTerm.ts, same accumulation order), so its value and accuracy are the same; the
// gradients ride on the same passes:
//
//   reduced ('sum' / 'batchmean' / 'mean' / 'perSlice'), per-slice scale s:
//     pass 1  exp((x − mₓ)/T), exp((y − m_y)/T) → scratch, their sums
//     pass 2  terms → KL;  gradInput = s·(q − p)                      (written in this pass)
//     pass 3  only if gradTarget: gradTarget = s·p·(u − KL)          (needs the slice's KL)
//   'none' with an upstream gradient G (same layout as x), s = T:
//     pass 2  terms → KL (and the point terms);  A = Σ G·p,  B = Σ G·p·(u + 1)
//     pass 3  gradInput = s·(q·A − G·p);  gradTarget = s·p·(G·(u + 1) − B)
// where u = log(p/q) = (y − x)/T − c. Derivation (per slice, L = T²·Σ p·u):
//   ∂L/∂x_j = T·(q_j − p_j);  ∂L/∂y_j = T·p_j·(u_j − KL)
// and for 'none' (L_i = T²·p_i·u_i weighted by G_i):
//   Σ_i G_i ∂L_i/∂x_j = T·(q_j·Σ G p − G_j p_j);  Σ_i G_i ∂L_i/∂y_j = T·p_j·(G_j(u_j+1) − Σ G p (u+1)).
// Where p = 0 (y = −inf, or p below the dtype's range) the teacher gradient is 0, the limit
// p → 0 (PyTorch's chain gives 0·log 0 → NaN there; and where u − KL overflows, 0·inf would be
// NaN too), and the point does not enter B. The 'none' teacher gradient is formed as
// (G·p)·(u + 1) − p·B: G·(u + 1) first overflows float32 where u is clamped at FLT_MAX (a masked
// student) while p is tiny.
//
// Contracts (every export): byte pointers into the one memory, no alignment required; x, y, G,
// dst, gx, gy share the (R, K, W) layout; perSlice and sliceScale are R·W f64 (or 0); scratch as
// klDivLogits (8·K f32 / 2·K f64). gx is required; dst, perSlice, gy, G, sliceScale are optional
// (0). The SIMD build vectorises f32 rows (W = 1), f32 column groups of 4 and f64 rows; the
// scalar build (and SIMD tails) run the scalar twin, which computes the same formulas.
import { at, demotePair, expNegS, hsumF64, promoteHigh, sliceMaxScalar } from './common';
import { colMaxF32x4, rowMaxF32, rowMaxF64 } from './max';
import { logRatio, pointF32x4, pointF64x2, pointS, seriesTermF32x4, termF32x4, termF64x2, termFiniteF32x4, termFiniteWithSeriesF32x4, termS, termWithSeriesF32x4, uF32x4, uF32x4Lanes, uF64x2, uS } from './klTerm';
import { BLOCK, ROW_TERM_TAIL, TAIL_P, TAIL_POINT, TAIL_Q, TAIL_U, rowTermTailF32, rowExpsF32, rowExtremaF32, rowMx, rowMxD, rowMy, rowMyD, rowPrepF64, rowSpecial, rowSumsPreciseF32, rowSx, rowSy, sumExpPreciseS, colSumsPreciseF32x4, COL_PRECISE } from './klRows';
import { expNegF32x4, expNegF64x2 } from './vmath';
import { GROUP, KL_SHORT_ROW, TILE_BLOCK_BYTES, WIDE_GROUP, tileBlock, tileD, tileG, tileGx, tileGy, tileIn, tileInLogits, tileOut, tileScratch, tileX, tileY } from './shortRows';
import { copyRows } from './colBlocks';
import { packGroup, packSlabs, packedSlabTotals, unpackSlabs } from './colTails';

// Compile-time variants: M = u8 (reduced) | u16 ('none' with G) | u32 (loss only: no gradient
// is written; klDivLogits.ts uses it for f64 rows); GT = u8 (no gradTarget) | u16.
// @ts-ignore: decorator
@inline function isNone<M>(): bool {
  return sizeof<M>() == 2;
}
// @ts-ignore: decorator
@inline function lossOnly<M>(): bool {
  return sizeof<M>() == 4;
}
// @ts-ignore: decorator
@inline function wantGy<GT>(): bool {
  return sizeof<GT>() == 2;
}

// ---------------------------------------------------------------------------------------------
// Scalar slice (any stride): scalar build, SIMD column tails, f64 column groups.

function gradSliceScalar<T, M, GT>(
  x: usize, y: usize, G: usize, K: i32, stride: i32, invT: f64, pointScale: T, s: f64,
  dst: usize, gx: usize, gy: usize, scratch: usize,
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
  if (sizeof<T>() == 4 && (dst != 0 || isNone<M>())) {
    sx = sumExpPreciseS(x, K, stride, <f32>mx, invT);
    sy = sumExpPreciseS(y, K, stride, <f32>my, invT);
  }
  const MY = <f64>my;
  const MX = <f64>mx;
  const L = logRatio(sx, sy);
  const ix = <T>(1.0 / sx);
  const iy = <T>(1.0 / sy);
  const sT = <T>s;
  let total: f64 = 0;
  let A: f64 = 0;
  let B: f64 = 0;
  for (let k = 0; k < K; k++) {
    const xv = <f64>load<T>(at<T>(x, k * stride));
    const yv = <f64>load<T>(at<T>(y, k * stride));
    const u = uS<T>(<T>xv, <T>yv, MY, MX, invT, L);
    const q = load<T>(at<T>(ea, k)) * ix;
    const p = load<T>(at<T>(eb, k)) * iy;
    total += <f64>termS<T>(u, p, q, <T>yv);
    if (dst != 0) store<T>(at<T>(dst, k * stride), pointS<T>(u, p, <T>yv, pointScale));
    if (isNone<M>()) {
      const gp = load<T>(at<T>(G, k * stride)) * p;
      A += <f64>gp;
      if (p != <T>0) B += <f64>(gp * (u + <T>1));
    } else {
      store<T>(at<T>(gx, k * stride), sT * (q - p));
    }
  }
  if (isNone<M>() || wantGy<GT>()) {
    const kl = <T>total;
    const At = <T>A;
    const Bt = <T>B;
    for (let k = 0; k < K; k++) {
      const q = load<T>(at<T>(ea, k)) * ix;
      const p = load<T>(at<T>(eb, k)) * iy;
      let g: T = <T>0;
      if (isNone<M>()) {
        g = load<T>(at<T>(G, k * stride));
        store<T>(at<T>(gx, k * stride), sT * (q * At - g * p));
      }
      if (wantGy<GT>()) {
        const xv = <f64>load<T>(at<T>(x, k * stride));
        const yv = <f64>load<T>(at<T>(y, k * stride));
        const u = uS<T>(<T>xv, <T>yv, MY, MX, invT, L);
        let v: T;
        if (isNone<M>()) v = sT * (g * p * (u + <T>1) - p * Bt);
        else v = sT * (p * (u - kl));
        store<T>(at<T>(gy, k * stride), p == <T>0 ? p * <T>0 : v);
      }
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// f32 rows (W = 1), SIMD. Passes 1–2 are klRowF32's, instruction for instruction.

function gradRowF32<M, GT>(
  x: usize, y: usize, G: usize, n: i32, invT: f64, pointScale: f32, s: f64,
  dst: usize, gx: usize, gy: usize, scratch: usize,
): f64 {
  // Sweeps 1–2 are klDivLogits' own (klRows.ts), so the loss below is bit-identical to it.
  rowExtremaF32(x, y, n);
  const mx = rowMx;
  const my = rowMy;
  const special = rowSpecial;
  const ea = scratch;
  const eb = at<f32>(scratch, n);
  rowExpsF32<i32>(x, y, n, mx, my, <f32>invT, ea, eb);
  // Pointwise outputs see the sums' error directly: exact sums then (klRows.ts), as klDivLogits.
  if (dst != 0 || isNone<M>()) rowSumsPreciseF32(x, y, n, mx, my, invT);
  const sx = rowSx;
  const sy = rowSy;
  const MY = <f64>my;
  const MX = <f64>mx;
  const L = logRatio(sx, sy);
  const ix = <f32>(1.0 / sx);
  const iy = <f32>(1.0 / sy);
  const sT = <f32>s;
  const total = gradTermsF32<M, i32>(x, y, G, n, ea, eb, ix, iy, MY, MX, invT, L, pointScale, sT, special, dst, gx, mx, my);
  if (isNone<M>() || wantGy<GT>()) {
    gradApplyRow<f32, M, GT, i32>(x, y, G, n, ea, eb, ix, iy, MY, MX, invT, L, sT, <f32>total, <f32>gradA, <f32>gradB, gx, gy);
  }
  return total;
}

/** gradTermsF32's 'none' sums A = Σ G·p and B = Σ G·p·(u + 1) (f64), beside the KL it returns. */
let gradA: f64 = 0;
let gradB: f64 = 0;

/** q (f32x4) of elements k..k+3: from scratch ea or, RECOMPUTE, exp((x − mx)·sc) again. */
// @ts-ignore: decorator
@inline function numerF32x4<RECOMPUTE>(v: usize, e: usize, k: i32, vm: v128, vsc: v128): v128 {
  return isReference<RECOMPUTE>() ? expNegF32x4(f32x4.mul(f32x4.sub(v128.load(at<f32>(v, k)), vm), vsc)) : v128.load(at<f32>(e, k));
}

/** One numerator (scalar, T): from scratch e or, RECOMPUTE, exp((v − m)·sc) again. */
// @ts-ignore: decorator
@inline function numerS<T, RECOMPUTE>(v: usize, e: usize, k: i32, m: T, sc: T): T {
  return isReference<RECOMPUTE>() ? expNegS<T>((load<T>(at<T>(v, k)) - m) * sc) : load<T>(at<T>(e, k));
}

/**
 * Pass 2 of an f32 row of n elements (W = 1): returns Σ terms; writes the point terms (dst ≠ 0)
 * and gx = s·(q − p) (reduced), or sets gradA, gradB ('none'). The numerators of q and p come
 * from the scratch rows ea, eb, or — RECOMPUTE, a chunk of a streamed row, which has no scratch
 * — are recomputed as exp((x − mx)·sc), exp((y − my)·sc) with sc = f32(invT), the operations of
 * rowExpsF32. `special`: the row may hold −inf logits (a streamed chunk cannot tell: true).
 * Not inlined (nor gradApplyRow): one copy per variant, which gradRowF32's variants share, keeps
 * the binaries' size (a call per row or chunk costs nothing measurable).
 */
function gradTermsF32<M, RECOMPUTE>(
  x: usize, y: usize, G: usize, n: i32, ea: usize, eb: usize, ix: f32, iy: f32, MY: f64, MX: f64, invT: f64, L: f64,
  pointScale: f32, sT: f32, special: bool, dst: usize, gx: usize, mx: f32, my: f32,
): f64 {
  const vix = f32x4.splat(ix);
  const viy = f32x4.splat(iy);
  const vMy = f64x2.splat(MY);
  const vMx = f64x2.splat(MX);
  const vL = f64x2.splat(L);
  const vinvT = f64x2.splat(invT);
  const vps = f32x4.splat(pointScale);
  const vs = f32x4.splat(sT);
  const sc = <f32>invT;
  const vsc = f32x4.splat(sc);
  const vmx = f32x4.splat(mx);
  const vmy = f32x4.splat(my);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const ninf = f32x4.splat(-Infinity);
  let t0 = f64x2.splat(0);
  let t1 = t0;
  let A0 = t0;
  let A1 = t0;
  let B0 = t0;
  let B1 = t0;
  let k = 0;
  const n4 = n & ~3;
  while (k < n4) {
    // Terms in f32 blocks folded into f64, exactly as klDivLogits' rowTermsF32.
    const end = min<i32>(k + BLOCK, n4);
    let acc = f32x4.splat(0);
    // Software-pipelined as rowTermsF32: u and its series factor w of the next 4 elements are
    // issued before the rest of the current 4. Same operations, same bits.
    let yv = v128.load(at<f32>(y, k));
    let u = uF32x4<i32>(v128.load(at<f32>(x, k)), yv, vMy, vMx, vinvT, vL);
    let w = seriesTermF32x4(u);
    for (; k < end; k += 4) {
      let yn = yv;
      let un = u;
      let wn = w;
      if (k + 4 < end) {
        yn = v128.load(at<f32>(y, k + 4));
        un = uF32x4<i32>(v128.load(at<f32>(x, k + 4)), yn, vMy, vMx, vinvT, vL);
        wn = seriesTermF32x4(un);
      }
      const q = f32x4.mul(numerF32x4<RECOMPUTE>(x, ea, k, vmx, vsc), vix);
      const p = f32x4.mul(numerF32x4<RECOMPUTE>(y, eb, k, vmy, vsc), viy);
      acc = f32x4.add(acc, special ? termWithSeriesF32x4(u, p, q, yv, w) : termFiniteWithSeriesF32x4(u, p, q, w));
      if (dst != 0) v128.store(at<f32>(dst, k), pointF32x4(u, p, yv, vps));
      if (isNone<M>()) {
        const gp = f32x4.mul(v128.load(at<f32>(G, k)), p);
        A0 = f64x2.add(A0, f64x2.promote_low_f32x4(gp));
        A1 = f64x2.add(A1, promoteHigh(gp));
        const bu = v128.bitselect(zero, f32x4.mul(gp, f32x4.add(u, one)), f32x4.eq(p, zero));
        B0 = f64x2.add(B0, f64x2.promote_low_f32x4(bu));
        B1 = f64x2.add(B1, promoteHigh(bu));
      } else {
        v128.store(at<f32>(gx, k), f32x4.mul(vs, f32x4.sub(q, p)));
      }
      yv = yn;
      u = un;
      w = wn;
    }
    t0 = f64x2.add(t0, f64x2.promote_low_f32x4(acc));
    t1 = f64x2.add(t1, promoteHigh(acc));
  }
  let total = hsumF64(f64x2.add(t0, t1));
  let A = hsumF64(f64x2.add(A0, A1));
  let B = hsumF64(f64x2.add(B0, B1));
  if (n >= 4 && n - k >= 2) {
    // A tail of 2–3 elements as one vector (klRows.ts): the scalar loop below with its lanes.
    rowTermTailF32(x, y, n, ea, eb, ix, iy, MY, MX, invT, L, pointScale, isReference<RECOMPUTE>(), mx, my, sc);
    for (; k < n; k++) {
      const o = ROW_TERM_TAIL + ((<usize>(k + 4 - n)) << 2);
      const p = load<f32>(o, TAIL_P);
      total += <f64>load<f32>(o);
      if (dst != 0) store<f32>(at<f32>(dst, k), load<f32>(o, TAIL_POINT));
      if (isNone<M>()) {
        const gp = load<f32>(at<f32>(G, k)) * p;
        A += <f64>gp;
        if (p != <f32>0) B += <f64>(gp * (load<f32>(o, TAIL_U) + <f32>1));
      } else {
        store<f32>(at<f32>(gx, k), sT * (load<f32>(o, TAIL_Q) - p));
      }
    }
  }
  for (; k < n; k++) {
    const xv = <f64>load<f32>(at<f32>(x, k));
    const yv = <f64>load<f32>(at<f32>(y, k));
    const u = uS<f32>(<f32>xv, <f32>yv, MY, MX, invT, L);
    const q = numerS<f32, RECOMPUTE>(x, ea, k, mx, sc) * ix;
    const p = numerS<f32, RECOMPUTE>(y, eb, k, my, sc) * iy;
    total += <f64>termS<f32>(u, p, q, <f32>yv);
    if (dst != 0) store<f32>(at<f32>(dst, k), pointS<f32>(u, p, <f32>yv, pointScale));
    if (isNone<M>()) {
      const gp = load<f32>(at<f32>(G, k)) * p;
      A += <f64>gp;
      if (p != <f32>0) B += <f64>(gp * (u + <f32>1));
    } else {
      store<f32>(at<f32>(gx, k), sT * (q - p));
    }
  }
  gradA = A;
  gradB = B;
  return total;
}

/** Numerators (T lanes) of elements k…: numerF32x4 / numerF64x2 by T. */
// @ts-ignore: decorator
@inline function numerV<T, RECOMPUTE>(v: usize, e: usize, k: i32, vm: v128, vsc: v128): v128 {
  return sizeof<T>() == 4 ? numerF32x4<RECOMPUTE>(v, e, k, vm, vsc) : numerF64x2<RECOMPUTE>(v, e, k, vm, vsc);
}

/**
 * Pass 3 of a row (W = 1), f32 or f64, from the whole slice's KL (kl) and 'none' sums (A, B):
 * 'none': gx = s·(q·A − G·p); gy (GT) = s·p·(u − KL), or s·p·(G·(u + 1) − B) for 'none'; 0·p
 * where y = −inf. Numerators from ea, eb or, RECOMPUTE (a streamed chunk), recomputed from the
 * row's maxima MX, MY (as gradTermsF32 / gradTermsF64). Not inlined: one copy per variant.
 */
function gradApplyRow<T, M, GT, RECOMPUTE>(
  x: usize, y: usize, G: usize, n: i32, ea: usize, eb: usize, ix: T, iy: T, MY: f64, MX: f64, invT: f64, L: f64,
  s: T, kl: T, A: T, B: T, gx: usize, gy: usize,
): void {
  const f32 = sizeof<T>() == 4;
  const step = 16 / sizeof<T>();
  const vix = v128.splat<T>(ix);
  const viy = v128.splat<T>(iy);
  const vMy = f64x2.splat(MY);
  const vMx = f64x2.splat(MX);
  const vL = f64x2.splat(L);
  const vinvT = f64x2.splat(invT);
  const vs = v128.splat<T>(s);
  const sc = <T>invT;
  const mx = <T>MX;
  const my = <T>MY;
  const vsc = v128.splat<T>(sc);
  const vmx = v128.splat<T>(mx);
  const vmy = v128.splat<T>(my);
  const zero = v128.splat<T>(<T>0);
  const one = v128.splat<T>(<T>1);
  const ninf = v128.splat<T>(<T>-Infinity);
  const vkl = v128.splat<T>(kl);
  const vA = v128.splat<T>(A);
  const vB = v128.splat<T>(B);
  let k = 0;
  for (; k + step <= n; k += step) {
    const p = v128.mul<T>(numerV<T, RECOMPUTE>(y, eb, k, vmy, vsc), viy);
    let g = zero;
    if (isNone<M>()) {
      const q = v128.mul<T>(numerV<T, RECOMPUTE>(x, ea, k, vmx, vsc), vix);
      g = v128.load(at<T>(G, k));
      v128.store(at<T>(gx, k), v128.mul<T>(vs, v128.sub<T>(v128.mul<T>(q, vA), v128.mul<T>(g, p))));
    }
    if (wantGy<GT>()) {
      const xv = v128.load(at<T>(x, k));
      const yv = v128.load(at<T>(y, k));
      const u = f32 ? uF32x4<i32>(xv, yv, vMy, vMx, vinvT, vL) : uF64x2(xv, yv, vMy, vMx, vinvT, vL);
      let v: v128;
      if (isNone<M>()) v = v128.mul<T>(vs, v128.sub<T>(v128.mul<T>(v128.mul<T>(g, p), v128.add<T>(u, one)), v128.mul<T>(p, vB)));
      else v = v128.mul<T>(vs, v128.mul<T>(p, v128.sub<T>(u, vkl)));
      v128.store(at<T>(gy, k), v128.bitselect(v128.mul<T>(p, zero), v, v128.eq<T>(p, zero)));
    }
  }
  for (; k < n; k++) {
    const p = numerS<T, RECOMPUTE>(y, eb, k, my, sc) * iy;
    let g: T = <T>0;
    if (isNone<M>()) {
      const q = numerS<T, RECOMPUTE>(x, ea, k, mx, sc) * ix;
      g = load<T>(at<T>(G, k));
      store<T>(at<T>(gx, k), s * (q * A - g * p));
    }
    if (wantGy<GT>()) {
      const yv = load<T>(at<T>(y, k));
      const u = uS<T>(load<T>(at<T>(x, k)), yv, MY, MX, invT, L);
      const v = isNone<M>() ? s * (g * p * (u + <T>1) - p * B) : s * (p * (u - kl));
      store<T>(at<T>(gy, k), p == <T>0 ? p * <T>0 : v);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// f32 columns (W > 1), SIMD: 4 adjacent slices per vector (klColsF32's passes 1–2). Writes each
// slice's KL to perSlice if given; returns their sum. `ss` = per-slice scales of this row (or 0).

function gradColsF32<M, GT>(
  x: usize, y: usize, G: usize, K: i32, W: i32, invT: f64, pointScale: f32, gradScale: f64, ss: usize,
  dst: usize, perSlice: usize, gx: usize, gy: usize, scratch: usize, total0: f64 = 0,
): f64 {
  let total: f64 = total0; // the caller's running sum, continued (as klColsF32)
  let i = 0;
  // A tail of W mod 4 columns: staged first (colTails.ts), as klColsF32 does.
  let end = W;
  let tailKl: usize = 0;
  if (W > 4 && (W & 3) != 0) {
    tailKl = gradStagedTailF32<M, GT>(x, y, G, K, W, invT, pointScale, gradScale, ss, dst, perSlice, gx, gy, scratch);
    if (tailKl != 0) end = W & ~3;
  }
  const sc = <f32>invT;
  const vsc = f32x4.splat(sc);
  const vinvT = f64x2.splat(invT);
  const vps = f32x4.splat(pointScale);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const ninf = f32x4.splat(-Infinity);
  const vgs = f64x2.splat(gradScale);
  for (; i + 4 <= end; i += 4) {
    const xi = at<f32>(x, i);
    const yi = at<f32>(y, i);
    const Gi = at<f32>(G, i);
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
    if (dst != 0 || isNone<M>()) {
      // Pointwise outputs: precise f64 sums per lane, as klDivLogits' klColsF32.
      colSumsPreciseF32x4(xi, K, W, vmx, invT);
      ax0 = v128.load(COL_PRECISE);
      ax1 = v128.load(COL_PRECISE, 16);
      colSumsPreciseF32x4(yi, K, W, vmy, invT);
      ay0 = v128.load(COL_PRECISE);
      ay1 = v128.load(COL_PRECISE, 16);
    }
    const vMyLo = f64x2.promote_low_f32x4(vmy);
    const vMyHi = promoteHigh(vmy);
    const vMxLo = f64x2.promote_low_f32x4(vmx);
    const vMxHi = promoteHigh(vmx);
    let vLlo = f64x2.splat(logRatio(f64x2.extract_lane(ax0, 0), f64x2.extract_lane(ay0, 0)));
    vLlo = f64x2.replace_lane(vLlo, 1, logRatio(f64x2.extract_lane(ax0, 1), f64x2.extract_lane(ay0, 1)));
    let vLhi = f64x2.splat(logRatio(f64x2.extract_lane(ax1, 0), f64x2.extract_lane(ay1, 0)));
    vLhi = f64x2.replace_lane(vLhi, 1, logRatio(f64x2.extract_lane(ax1, 1), f64x2.extract_lane(ay1, 1)));
    const onef = f64x2.splat(1.0);
    const vix = demotePair(f64x2.div(onef, ax0), f64x2.div(onef, ax1));
    const viy = demotePair(f64x2.div(onef, ay0), f64x2.div(onef, ay1));
    // Per-lane gradient scale s = gradScale · sliceScale.
    const vs = ss != 0
      ? demotePair(f64x2.mul(vgs, v128.load(at<f64>(ss, i))), f64x2.mul(vgs, v128.load(at<f64>(ss, i + 2))))
      : f32x4.splat(<f32>gradScale);
    let t0 = f64x2.splat(0);
    let t1 = t0;
    let A0 = t0;
    let A1 = t0;
    let B0 = t0;
    let B1 = t0;
    for (let k = 0; k < K; k++) {
      const xv = v128.load(at<f32>(xi, k * W));
      const yv = v128.load(at<f32>(yi, k * W));
      const u = uF32x4Lanes(xv, yv, vMyLo, vMyHi, vMxLo, vMxHi, vinvT, vLlo, vLhi);
      const q = f32x4.mul(v128.load(at<f32>(scratch, k * 8)), vix);
      const p = f32x4.mul(v128.load(at<f32>(scratch, k * 8 + 4)), viy);
      const t = termF32x4(u, p, q, yv);
      t0 = f64x2.add(t0, f64x2.promote_low_f32x4(t));
      t1 = f64x2.add(t1, promoteHigh(t));
      if (dst != 0) v128.store(at<f32>(dst, k * W + i), pointF32x4(u, p, yv, vps));
      if (isNone<M>()) {
        const gp = f32x4.mul(v128.load(at<f32>(Gi, k * W)), p);
        A0 = f64x2.add(A0, f64x2.promote_low_f32x4(gp));
        A1 = f64x2.add(A1, promoteHigh(gp));
        const bu = v128.bitselect(zero, f32x4.mul(gp, f32x4.add(u, one)), f32x4.eq(p, zero));
        B0 = f64x2.add(B0, f64x2.promote_low_f32x4(bu));
        B1 = f64x2.add(B1, promoteHigh(bu));
      } else {
        v128.store(at<f32>(gx, k * W + i), f32x4.mul(vs, f32x4.sub(q, p)));
      }
    }
    if (perSlice != 0) {
      v128.store(at<f64>(perSlice, i), t0);
      v128.store(at<f64>(perSlice, i + 2), t1);
    }
    total += hsumF64(f64x2.add(t0, t1));
    if (isNone<M>() || wantGy<GT>()) {
      const vkl = demotePair(t0, t1);
      const vA = demotePair(A0, A1);
      const vB = demotePair(B0, B1);
      for (let k = 0; k < K; k++) {
        const q = f32x4.mul(v128.load(at<f32>(scratch, k * 8)), vix);
        const p = f32x4.mul(v128.load(at<f32>(scratch, k * 8 + 4)), viy);
        let g = zero;
        if (isNone<M>()) {
          g = v128.load(at<f32>(Gi, k * W));
          v128.store(at<f32>(gx, k * W + i), f32x4.mul(vs, f32x4.sub(f32x4.mul(q, vA), f32x4.mul(g, p))));
        }
        if (wantGy<GT>()) {
          const xv = v128.load(at<f32>(xi, k * W));
          const yv = v128.load(at<f32>(yi, k * W));
          const u = uF32x4Lanes(xv, yv, vMyLo, vMyHi, vMxLo, vMxHi, vinvT, vLlo, vLhi);
          let v: v128;
          if (isNone<M>()) v = f32x4.mul(vs, f32x4.sub(f32x4.mul(f32x4.mul(g, p), f32x4.add(u, one)), f32x4.mul(p, vB)));
          else v = f32x4.mul(vs, f32x4.mul(p, f32x4.sub(u, vkl)));
          v128.store(at<f32>(gy, k * W + i), v128.bitselect(f32x4.mul(p, zero), v, f32x4.eq(p, zero)));
        }
      }
    }
  }
  if (tailKl != 0) {
    for (let j = 0; j < (W & 3); j++) total += load<f64>(tailKl + <usize>j * 8);
    return total;
  }
  for (; i < W; i++) {
    const s = ss != 0 ? gradScale * load<f64>(at<f64>(ss, i)) : gradScale;
    const kl = gradSliceScalar<f32, M, GT>(
      at<f32>(x, i), at<f32>(y, i), at<f32>(G, i), K, W, invT, pointScale, s,
      dst != 0 ? at<f32>(dst, i) : 0, at<f32>(gx, i), at<f32>(gy, i), scratch,
    );
    if (perSlice != 0) store<f64>(at<f64>(perSlice, i), kl);
    total += kl;
  }
  return total;
}

/** K × W slabs the packed and staged gradient paths keep in the tile block: x, y, gx, and G, point terms, gy when present. */
// @ts-ignore: decorator
@inline function gradArrays<M, GT>(dst: usize): i32 {
  return 3 + (isNone<M>() ? 1 : 0) + (dst != 0 ? 1 : 0) + (wantGy<GT>() ? 1 : 0);
}

// The tile-block layout of the packed and staged gradient paths (carveGradBlocks): the x, y and
// gx slabs, then G ('none'), the point terms and gy where present (else 0), then gbEnd.
let gbX: usize = 0;
let gbY: usize = 0;
let gbGx: usize = 0;
let gbG: usize = 0;
let gbD: usize = 0;
let gbGy: usize = 0;
let gbEnd: usize = 0;

/** Lays out gradArrays slabs of `bytes` each in the tile block (see gbX … gbEnd). */
function carveGradBlocks<M, GT>(bytes: usize, dst: usize): void {
  gbX = tileBlock();
  gbY = gbX + bytes;
  gbGx = gbY + bytes;
  let next = gbGx + bytes;
  gbG = 0;
  gbD = 0;
  gbGy = 0;
  if (isNone<M>()) { gbG = next; next += bytes; }
  if (dst != 0) { gbD = next; next += bytes; }
  if (wantGy<GT>()) { gbGy = next; next += bytes; }
  gbEnd = next;
}

/**
 * gradColsF32's tail (W > 4, W mod 4 ≠ 0), as klDivLogits.ts' klStagedTailF32: the last four
 * columns of x, y (and G) staged in the tile block, one vector group there, the tail's outputs
 * written back. Returns the address of the tail's KLs (W mod 4 f64), or 0 — having done nothing —
 * when the staged slabs do not fit the block.
 */
function gradStagedTailF32<M, GT>(
  x: usize, y: usize, G: usize, K: i32, W: i32, invT: f64, pointScale: f32, gradScale: f64, ss: usize,
  dst: usize, perSlice: usize, gx: usize, gy: usize, scratch: usize,
): usize {
  const bytes = <usize>K * 16;
  if (bytes * <usize>gradArrays<M, GT>(dst) + 64 > TILE_BLOCK_BYTES) return 0;
  const tail = W & 3;
  const stride = <usize>W * 4;
  const first = <usize>(W - 4) * 4;
  carveGradBlocks<M, GT>(bytes, dst);
  const ps = gbEnd;
  const ssb = ss != 0 ? ps + 32 : 0;
  copyRows(x + first, stride, gbX, 16, K, 16);
  copyRows(y + first, stride, gbY, 16, K, 16);
  if (isNone<M>()) copyRows(G + first, stride, gbG, 16, K, 16);
  if (ss != 0) memory.copy(ssb, ss + <usize>(W - 4) * 8, 32);
  gradColsF32<M, GT>(gbX, gbY, gbG, K, 4, invT, pointScale, gradScale, ssb, gbD, ps, gbGx, gbGy, scratch);
  const skip = <usize>(4 - tail) * 4;
  const last = <usize>(W - tail) * 4;
  const tb = <usize>tail * 4;
  copyRows(gbGx + skip, 16, gx + last, stride, K, tb);
  if (dst != 0) copyRows(gbD + skip, 16, dst + last, stride, K, tb);
  if (wantGy<GT>()) copyRows(gbGy + skip, 16, gy + last, stride, K, tb);
  if (perSlice != 0) memory.copy(perSlice + <usize>(W - tail) * 8, ps + skip * 2, <usize>tail * 8);
  return ps + skip * 2;
}

/**
 * f32 slabs of W = 2, 3 columns, or short columns with a tail (colTails.ts, packGroup), P slabs at
 * a time side by side in the tile block through gradColsF32, as klDivLogits.ts' klPackedF32 (the
 * same per-slab sums, so the loss keeps klDivLogits' bits). `ss`: the R·W slice scales, or 0.
 */
function gradPackedF32<M, GT>(
  x: usize, y: usize, G: usize, R: i32, K: i32, W: i32, P: i32, invT: f64, pointScale: f32, gradScale: f64,
  ss: usize, dst: usize, perSlice: usize, gx: usize, gy: usize, scratch: usize,
): f64 {
  const lanes = P * W;
  const bytes = <usize>(K * lanes) * 4;
  carveGradBlocks<M, GT>(bytes, dst);
  const ps = gbEnd;
  const ssb = ss != 0 ? ps + <usize>lanes * 8 : 0;
  let total: f64 = 0;
  for (let r = 0; r < R; r += P) {
    const n = min<i32>(P, R - r);
    const o = r * K * W;
    packSlabs<f32>(gbX, at<f32>(x, o), n, K, W, P);
    packSlabs<f32>(gbY, at<f32>(y, o), n, K, W, P);
    if (isNone<M>()) packSlabs<f32>(gbG, at<f32>(G, o), n, K, W, P);
    if (ss != 0) {
      memory.copy(ssb, at<f64>(ss, r * W), <usize>(n * W) * 8);
      if (n < P) memory.fill(ssb + <usize>(n * W) * 8, 0, <usize>((P - n) * W) * 8);
    }
    gradColsF32<M, GT>(gbX, gbY, gbG, K, lanes, invT, pointScale, gradScale, ssb, gbD, ps, gbGx, gbGy, scratch);
    unpackSlabs<f32>(gbGx, at<f32>(gx, o), n, K, W, P);
    if (dst != 0) unpackSlabs<f32>(gbD, at<f32>(dst, o), n, K, W, P);
    if (wantGy<GT>()) unpackSlabs<f32>(gbGy, at<f32>(gy, o), n, K, W, P);
    if (perSlice != 0) memory.copy(at<f64>(perSlice, r * W), ps, <usize>(n * W) * 8);
    total = packedSlabTotals(ps, n, W, total);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// f64 rows (W = 1), f64x2. Also the loss-only f64 row kernel of klDivLogits.ts (M = u32; gx,
// gy, G may then be 0), so the two compute the same KL by construction.

export function gradRowF64<M, GT>(
  x: usize, y: usize, G: usize, n: i32, invT: f64, pointScale: f64, s: f64,
  dst: usize, gx: usize, gy: usize, scratch: usize,
): f64 {
  // Sweeps 1–2 shared with klDivLogitsWithGrad (klRows.ts).
  const ea = scratch;
  const eb = at<f64>(scratch, n);
  rowPrepF64(x, y, n, invT, ea, eb);
  const mx = rowMxD;
  const my = rowMyD;
  const L = logRatio(rowSx, rowSy);
  const ix = 1.0 / rowSx;
  const iy = 1.0 / rowSy;
  const total = gradTermsF64<M, i32>(x, y, G, n, ea, eb, ix, iy, my, mx, invT, L, pointScale, s, dst, gx);
  if (isNone<M>() || wantGy<GT>()) {
    gradApplyRow<f64, M, GT, i32>(x, y, G, n, ea, eb, ix, iy, my, mx, invT, L, s, total, gradA, gradB, gx, gy);
  }
  return total;
}

/** p or q numerators (f64x2) of elements k, k+1: from scratch e or, RECOMPUTE, exp((v − m)·invT) again. */
// @ts-ignore: decorator
@inline function numerF64x2<RECOMPUTE>(v: usize, e: usize, k: i32, vm: v128, vsc: v128): v128 {
  return isReference<RECOMPUTE>() ? expNegF64x2Call(f64x2.mul(f64x2.sub(v128.load(at<f64>(v, k)), vm), vsc)) : v128.load(at<f64>(e, k));
}

/** expNegF64x2 as a call: the streamed variants' recomputed exponentials, one copy (binary size). */
function expNegF64x2Call(a: v128): v128 {
  return expNegF64x2(a);
}


/**
 * Pass 2 of an f64 row of n elements (W = 1), as gradTermsF32 (M = u32: the loss only, for
 * klDivLogits' f64 rows): returns Σ terms; point terms if dst; gx = s·(q − p) (reduced) or the
 * 'none' sums gradA, gradB. Numerators from ea, eb or, RECOMPUTE (streamed chunks), recomputed
 * from the row's maxima mx, my. f64 terms need no −inf fast variant: termF64x2 handles both.
 */
export function gradTermsF64<M, RECOMPUTE>(
  x: usize, y: usize, G: usize, n: i32, ea: usize, eb: usize, ix: f64, iy: f64, MY: f64, MX: f64, invT: f64, L: f64,
  pointScale: f64, s: f64, dst: usize, gx: usize,
): f64 {
  const vsc = f64x2.splat(invT);
  const vix = f64x2.splat(ix);
  const viy = f64x2.splat(iy);
  const vMy = f64x2.splat(MY);
  const vMx = f64x2.splat(MX);
  const vL = f64x2.splat(L);
  const vps = f64x2.splat(pointScale);
  const vs = f64x2.splat(s);
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const ninf = f64x2.splat(-Infinity);
  let tt = f64x2.splat(0);
  let AA = tt;
  let BB = tt;
  let k = 0;
  for (; k + 2 <= n; k += 2) {
    const yv = v128.load(at<f64>(y, k));
    const u = uF64x2(v128.load(at<f64>(x, k)), yv, vMy, vMx, vsc, vL);
    const q = f64x2.mul(numerF64x2<RECOMPUTE>(x, ea, k, vMx, vsc), vix);
    const p = f64x2.mul(numerF64x2<RECOMPUTE>(y, eb, k, vMy, vsc), viy);
    tt = f64x2.add(tt, termF64x2(u, p, q, yv));
    if (dst != 0) v128.store(at<f64>(dst, k), pointF64x2(u, p, yv, vps));
    if (isNone<M>()) {
      const gp = f64x2.mul(v128.load(at<f64>(G, k)), p);
      AA = f64x2.add(AA, gp);
      BB = f64x2.add(BB, v128.bitselect(zero, f64x2.mul(gp, f64x2.add(u, one)), f64x2.eq(p, zero)));
    } else if (!lossOnly<M>()) {
      v128.store(at<f64>(gx, k), f64x2.mul(vs, f64x2.sub(q, p)));
    }
  }
  let total = hsumF64(tt);
  let A = hsumF64(AA);
  let B = hsumF64(BB);
  for (; k < n; k++) {
    const yv = load<f64>(at<f64>(y, k));
    const u = uS<f64>(load<f64>(at<f64>(x, k)), yv, MY, MX, invT, L);
    const q = numerS<f64, RECOMPUTE>(x, ea, k, MX, invT) * ix;
    const p = numerS<f64, RECOMPUTE>(y, eb, k, MY, invT) * iy;
    total += termS<f64>(u, p, q, yv);
    if (dst != 0) store<f64>(at<f64>(dst, k), pointS<f64>(u, p, yv, pointScale));
    if (isNone<M>()) {
      const gp = load<f64>(at<f64>(G, k)) * p;
      A += gp;
      if (p != 0) B += gp * (u + 1);
    } else if (!lossOnly<M>()) {
      store<f64>(at<f64>(gx, k), s * (q - p));
    }
  }
  gradA = A;
  gradB = B;
  return total;
}

// ---------------------------------------------------------------------------------------------
// Dispatch over rows of the layout.

// @ts-ignore: decorator
@inline function gradAll<T, M, GT>(
  x: usize, y: usize, G: usize, R: i32, K: i32, W: i32, invT: f64, pointScale: T, gradScale: f64,
  sliceScale: usize, dst: usize, perSlice: usize, gx: usize, gy: usize, scratch: usize,
): f64 {
  let total: f64 = 0;
  let r = 0;
  if (ASC_FEATURE_SIMD) if (W == 1 && K <= KL_SHORT_ROW) {
    // Short rows through the tiles, as klDivLogits.ts does (so the two losses stay bit-identical):
    // f32 with the column kernel, f64 lane by lane with the slice kernel (as its column path).
    while (r + GROUP <= R) {
      const g = r + WIDE_GROUP <= R ? WIDE_GROUP : GROUP;
      const o = r * K;
      tileInLogits<T>(x, y, r, K, g);
      if (isNone<M>()) tileIn<T>(tileG(), at<T>(G, o), K, g);
      const td = dst != 0 ? tileD() : 0;
      const tgy = gy != 0 ? tileGy() : 0;
      const ps = perSlice != 0 ? at<f64>(perSlice, r) : 0;
      const ss = sliceScale != 0 ? at<f64>(sliceScale, r) : 0;
      if (sizeof<T>() == 4) {
        total = gradColsF32<M, GT>(tileX(), tileY(), tileG(), K, g, invT, <f32>pointScale, gradScale, ss, td, ps, tileGx(), tgy, tileScratch(), total);
      } else {
        for (let i = 0; i < g; i++) {
          const s = ss != 0 ? gradScale * load<f64>(at<f64>(ss, i)) : gradScale;
          const kl = gradSliceScalar<T, M, GT>(
            at<T>(tileX(), i), at<T>(tileY(), i), at<T>(tileG(), i), K, g, invT, pointScale, s,
            td != 0 ? at<T>(td, i) : 0, at<T>(tileGx(), i), tgy != 0 ? at<T>(tgy, i) : 0, tileScratch(),
          );
          if (ps != 0) store<f64>(at<f64>(ps, i), kl);
          total += kl;
        }
      }
      if (dst != 0) tileOut<T>(tileD(), at<T>(dst, o), K, g);
      if (gx != 0) tileOut<T>(tileGx(), at<T>(gx, o), K, g);
      if (gy != 0) tileOut<T>(tileGy(), at<T>(gy, o), K, g);
      r += g;
    }
  }
  if (ASC_FEATURE_SIMD) if (sizeof<T>() == 4 && W > 1) {
    // Narrow slabs and short slabs with a tail, P at a time side by side (colTails.ts): x, y, gx,
    // G, point terms, gy, and per lane a KL and a slice scale.
    const P = packGroup<f32>(K, W, gradArrays<M, GT>(dst), 16);
    if (P > 0) return gradPackedF32<M, GT>(x, y, G, R, K, W, P, invT, <f32>pointScale, gradScale, sliceScale, dst, perSlice, gx, gy, scratch);
  }
  for (; r < R; r++) {
    const o = r * K * W;
    const xr = at<T>(x, o);
    const yr = at<T>(y, o);
    const Gr = at<T>(G, o);
    const dr = dst != 0 ? at<T>(dst, o) : 0;
    const gxr = at<T>(gx, o);
    const gyr = at<T>(gy, o);
    const ps = perSlice != 0 ? at<f64>(perSlice, r * W) : 0;
    const ss = sliceScale != 0 ? at<f64>(sliceScale, r * W) : 0;
    if (ASC_FEATURE_SIMD && W == 1) {
      const s = ss != 0 ? gradScale * load<f64>(ss) : gradScale;
      const kl = sizeof<T>() == 4
        ? gradRowF32<M, GT>(xr, yr, Gr, K, invT, <f32>pointScale, s, dr, gxr, gyr, scratch)
        : gradRowF64<M, GT>(xr, yr, Gr, K, invT, <f64>pointScale, s, dr, gxr, gyr, scratch);
      if (ps != 0) store<f64>(ps, kl);
      total += kl;
    } else if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
      total += gradColsF32<M, GT>(xr, yr, Gr, K, W, invT, <f32>pointScale, gradScale, ss, dr, ps, gxr, gyr, scratch);
    } else {
      for (let i = 0; i < W; i++) {
        const s = ss != 0 ? gradScale * load<f64>(at<f64>(ss, i)) : gradScale;
        const kl = gradSliceScalar<T, M, GT>(
          at<T>(xr, i), at<T>(yr, i), at<T>(Gr, i), K, W, invT, pointScale, s,
          dr != 0 ? at<T>(dr, i) : 0, at<T>(gxr, i), at<T>(gyr, i), scratch,
        );
        if (ps != 0) store<f64>(at<f64>(ps, i), kl);
        total += kl;
      }
    }
  }
  return total;
}

// @ts-ignore: decorator
@inline function gradEntry<T>(
  x: usize, y: usize, R: i32, K: i32, W: i32, invT: f64, pointScale: T, gradScale: f64,
  gradOut: usize, sliceScale: usize, dst: usize, perSlice: usize, gx: usize, gy: usize, scratch: usize,
): f64 {
  if (gradOut != 0) {
    return gy != 0
      ? gradAll<T, u16, u16>(x, y, gradOut, R, K, W, invT, pointScale, gradScale, 0, dst, perSlice, gx, gy, scratch)
      : gradAll<T, u16, u8>(x, y, gradOut, R, K, W, invT, pointScale, gradScale, 0, dst, perSlice, gx, 0, scratch);
  }
  return gy != 0
    ? gradAll<T, u8, u16>(x, y, 0, R, K, W, invT, pointScale, gradScale, sliceScale, dst, perSlice, gx, gy, scratch)
    : gradAll<T, u8, u8>(x, y, 0, R, K, W, invT, pointScale, gradScale, sliceScale, dst, perSlice, gx, 0, scratch);
}

/**
 * Σ over slices of KL(softmax(y/T) ‖ softmax(x/T)) (returned, unscaled, f64) with its gradients,
 * f32, layout (R, K, W), K ≥ 1; invT = 1/T.
 * - gradOut = 0 (reduced): gx = s·(q − p) and, if gy ≠ 0, gy = s·p·(u − KL_slice), with
 *   s = gradScale · sliceScale[slice] (sliceScale: R·W f64, or 0 for 1);
 * - gradOut ≠ 0 ('none', R·K·W f32 upstream gradient G; sliceScale ignored): gx = gradScale·(q·ΣGp − G·p),
 *   gy = gradScale·p·(G·(u+1) − ΣGp(u+1)).
 * dst (optional): pointwise p·log(p/q)·pointScale; perSlice (optional, R·W f64): each slice's KL.
 * scratch: at least 8·K f32.
 */
export function klDivLogitsGrad_f32(
  x: usize, y: usize, R: i32, K: i32, W: i32, invT: f64, pointScale: f32, gradScale: f64,
  gradOut: usize, sliceScale: usize, dst: usize, perSlice: usize, gx: usize, gy: usize, scratch: usize,
): f64 {
  return gradEntry<f32>(x, y, R, K, W, invT, pointScale, gradScale, gradOut, sliceScale, dst, perSlice, gx, gy, scratch);
}

/** As klDivLogitsGrad_f32 for f64 data (scratch: at least 2·K f64). */
export function klDivLogitsGrad_f64(
  x: usize, y: usize, R: i32, K: i32, W: i32, invT: f64, pointScale: f64, gradScale: f64,
  gradOut: usize, sliceScale: usize, dst: usize, perSlice: usize, gx: usize, gy: usize, scratch: usize,
): f64 {
  return gradEntry<f64>(x, y, R, K, W, invT, pointScale, gradScale, gradOut, sliceScale, dst, perSlice, gx, gy, scratch);
}

// ---------------------------------------------------------------------------------------------
// Streaming (slices longer than the window), scalar in both builds like klTermsChunk: after
// lseUpdate_* built the final (m, s) states with scale invT,
//   klGradTermsChunk: terms → acc[i] (KL), point terms → dst; reduced: gx = s·(q − p);
//                     'none' (G ≠ 0): accA[i] += Σ G·p, accB[i] += Σ G·p·(u + 1);
//   klGradApplyChunk (after every chunk went through klGradTermsChunk): 'none': gx; and gy if asked.
// Chunk arrays are K × W row-major (W ≤ the column group), sliceScale/acc/accA/accB W f64.

// @ts-ignore: decorator
@inline function gradTermsChunk<T>(
  x: usize, y: usize, G: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize, pointScale: T,
  gradScale: f64, sliceScale: usize, dst: usize, gx: usize, acc: usize, accA: usize, accB: usize,
): void {
  for (let i = 0; i < W; i++) {
    const mx = load<f64>(at<f64>(stateX, i));
    const my = load<f64>(at<f64>(stateY, i));
    const sx = load<f64>(at<f64>(stateX, W + i));
    const sy = load<f64>(at<f64>(stateY, W + i));
    const MY = my;
    const MX = mx;
    const L = logRatio(sx, sy);
    const ix = <T>(1.0 / sx);
    const iy = <T>(1.0 / sy);
    const mxT = <T>mx;
    const myT = <T>my;
    const sc = <T>invT;
    const s = <T>(sliceScale != 0 ? gradScale * load<f64>(at<f64>(sliceScale, i)) : gradScale);
    let total: f64 = 0;
    let A: f64 = 0;
    let B: f64 = 0;
    for (let k = 0; k < K; k++) {
      const j = k * W + i;
      const xv = load<T>(at<T>(x, j));
      const yv = load<T>(at<T>(y, j));
      const u = uS<T>(xv, yv, MY, MX, invT, L);
      const q = expNegS<T>((xv - mxT) * sc) * ix;
      const p = expNegS<T>((yv - myT) * sc) * iy;
      total += <f64>termS<T>(u, p, q, yv);
      if (dst != 0) store<T>(at<T>(dst, j), pointS<T>(u, p, yv, pointScale));
      if (G != 0) {
        const gp = load<T>(at<T>(G, j)) * p;
        A += <f64>gp;
        if (p != <T>0) B += <f64>(gp * (u + <T>1));
      } else {
        store<T>(at<T>(gx, j), s * (q - p));
      }
    }
    store<f64>(at<f64>(acc, i), load<f64>(at<f64>(acc, i)) + total);
    if (G != 0) {
      store<f64>(at<f64>(accA, i), load<f64>(at<f64>(accA, i)) + A);
      store<f64>(at<f64>(accB, i), load<f64>(at<f64>(accB, i)) + B);
    }
  }
}

// @ts-ignore: decorator
@inline function gradApplyChunk<T>(
  x: usize, y: usize, G: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize,
  gradScale: f64, sliceScale: usize, acc: usize, accA: usize, accB: usize, gx: usize, gy: usize,
): void {
  for (let i = 0; i < W; i++) {
    const mx = load<f64>(at<f64>(stateX, i));
    const my = load<f64>(at<f64>(stateY, i));
    const sx = load<f64>(at<f64>(stateX, W + i));
    const sy = load<f64>(at<f64>(stateY, W + i));
    const MY = my;
    const MX = mx;
    const L = logRatio(sx, sy);
    const ix = <T>(1.0 / sx);
    const iy = <T>(1.0 / sy);
    const mxT = <T>mx;
    const myT = <T>my;
    const sc = <T>invT;
    const s = <T>(sliceScale != 0 && G == 0 ? gradScale * load<f64>(at<f64>(sliceScale, i)) : gradScale);
    const kl = <T>load<f64>(at<f64>(acc, i));
    const At = G != 0 ? <T>load<f64>(at<f64>(accA, i)) : <T>0;
    const Bt = G != 0 ? <T>load<f64>(at<f64>(accB, i)) : <T>0;
    for (let k = 0; k < K; k++) {
      const j = k * W + i;
      const xv = load<T>(at<T>(x, j));
      const yv = load<T>(at<T>(y, j));
      const p = expNegS<T>((yv - myT) * sc) * iy;
      let g: T = <T>0;
      if (G != 0) {
        g = load<T>(at<T>(G, j));
        const q = expNegS<T>((xv - mxT) * sc) * ix;
        store<T>(at<T>(gx, j), s * (q * At - g * p));
      }
      if (gy != 0) {
        const u = uS<T>(xv, yv, MY, MX, invT, L);
        const v = G != 0 ? s * (g * p * (u + <T>1) - p * Bt) : s * (p * (u - kl));
        store<T>(at<T>(gy, j), p == <T>0 ? p * <T>0 : v);
      }
    }
  }
}

/** The final (max, Σ exp((· − max)/T)) states of a streamed row (W = 1) and L = log(Σy/Σx). */
let stMX: f64 = 0;
let stMY: f64 = 0;
let stSx: f64 = 0;
let stSy: f64 = 0;
let stL: f64 = 0;

// @ts-ignore: decorator
@inline function loadRowState(stateX: usize, stateY: usize): void {
  stMX = load<f64>(stateX);
  stMY = load<f64>(stateY);
  stSx = load<f64>(stateX, 8);
  stSy = load<f64>(stateY, 8);
  stL = logRatio(stSx, stSy);
}

/**
 * One chunk of a streamed row (W = 1; SIMD builds), pass 2: the row kernels' term pass
 * (gradTermsF32 / gradTermsF64) with the exponentials recomputed from the final states and, for
 * f32, the −inf-aware terms (a chunk cannot tell whether its row has −inf logits elsewhere).
 */
// @ts-ignore: decorator
@inline function streamRowTerms<T>(
  x: usize, y: usize, G: usize, K: i32, invT: f64, stateX: usize, stateY: usize, pointScale: T,
  gradScale: f64, sliceScale: usize, dst: usize, gx: usize, acc: usize, accA: usize, accB: usize,
): void {
  loadRowState(stateX, stateY);
  const none = G != 0;
  const s = !none && sliceScale != 0 ? gradScale * load<f64>(sliceScale) : gradScale;
  let kl: f64;
  if (sizeof<T>() == 4) {
    const ix = <f32>(1.0 / stSx);
    const iy = <f32>(1.0 / stSy);
    const ps = <f32>pointScale;
    kl = none
      ? gradTermsF32<u16, string>(x, y, G, K, 0, 0, ix, iy, stMY, stMX, invT, stL, ps, <f32>s, true, dst, gx, <f32>stMX, <f32>stMY)
      : gradTermsF32<u8, string>(x, y, G, K, 0, 0, ix, iy, stMY, stMX, invT, stL, ps, <f32>s, true, dst, gx, <f32>stMX, <f32>stMY);
  } else {
    const ps = <f64>pointScale;
    kl = none
      ? gradTermsF64<u16, string>(x, y, G, K, 0, 0, 1.0 / stSx, 1.0 / stSy, stMY, stMX, invT, stL, ps, s, dst, gx)
      : gradTermsF64<u8, string>(x, y, G, K, 0, 0, 1.0 / stSx, 1.0 / stSy, stMY, stMX, invT, stL, ps, s, dst, gx);
  }
  store<f64>(acc, load<f64>(acc) + kl);
  if (none) {
    store<f64>(accA, load<f64>(accA) + gradA);
    store<f64>(accB, load<f64>(accB) + gradB);
  }
}

/** One chunk of a streamed row (W = 1; SIMD builds), pass 3: gradApplyRow, exponentials recomputed. */
// @ts-ignore: decorator
@inline function streamRowApply<T>(
  x: usize, y: usize, G: usize, K: i32, invT: f64, stateX: usize, stateY: usize,
  gradScale: f64, sliceScale: usize, acc: usize, accA: usize, accB: usize, gx: usize, gy: usize,
): void {
  loadRowState(stateX, stateY);
  const ix = <T>(1.0 / stSx);
  const iy = <T>(1.0 / stSy);
  const kl = <T>load<f64>(acc);
  if (G != 0) {
    const A = <T>load<f64>(accA);
    const B = <T>load<f64>(accB);
    if (gy != 0) gradApplyRow<T, u16, u16, string>(x, y, G, K, 0, 0, ix, iy, stMY, stMX, invT, stL, <T>gradScale, kl, A, B, gx, gy);
    else gradApplyRow<T, u16, u8, string>(x, y, G, K, 0, 0, ix, iy, stMY, stMX, invT, stL, <T>gradScale, kl, A, B, gx, gy);
  } else if (gy != 0) {
    const s = <T>(sliceScale != 0 ? gradScale * load<f64>(sliceScale) : gradScale);
    gradApplyRow<T, u8, u16, string>(x, y, G, K, 0, 0, ix, iy, stMY, stMX, invT, stL, s, kl, <T>0, <T>0, gx, gy);
  }
}

/**
 * Term pass (with the input gradient, or the 'none' sums) over one chunk of a streamed slice, f32.
 * One long row (W = 1) in the SIMD builds: streamRowTerms (vectorised); columns: scalar.
 */
export function klGradTermsChunk_f32(
  x: usize, y: usize, G: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize, pointScale: f32,
  gradScale: f64, sliceScale: usize, dst: usize, gx: usize, acc: usize, accA: usize, accB: usize,
): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    streamRowTerms<f32>(x, y, G, K, invT, stateX, stateY, pointScale, gradScale, sliceScale, dst, gx, acc, accA, accB);
    return;
  }
  gradTermsChunk<f32>(x, y, G, K, W, invT, stateX, stateY, pointScale, gradScale, sliceScale, dst, gx, acc, accA, accB);
}

/** As klGradTermsChunk_f32 for f64 data. */
export function klGradTermsChunk_f64(
  x: usize, y: usize, G: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize, pointScale: f64,
  gradScale: f64, sliceScale: usize, dst: usize, gx: usize, acc: usize, accA: usize, accB: usize,
): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    streamRowTerms<f64>(x, y, G, K, invT, stateX, stateY, pointScale, gradScale, sliceScale, dst, gx, acc, accA, accB);
    return;
  }
  gradTermsChunk<f64>(x, y, G, K, W, invT, stateX, stateY, pointScale, gradScale, sliceScale, dst, gx, acc, accA, accB);
}

/** Gradient pass that needs the whole slice's sums ('none' gx, and gy), one chunk, f32 (W = 1: streamRowApply). */
export function klGradApplyChunk_f32(
  x: usize, y: usize, G: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize,
  gradScale: f64, sliceScale: usize, acc: usize, accA: usize, accB: usize, gx: usize, gy: usize,
): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    streamRowApply<f32>(x, y, G, K, invT, stateX, stateY, gradScale, sliceScale, acc, accA, accB, gx, gy);
    return;
  }
  gradApplyChunk<f32>(x, y, G, K, W, invT, stateX, stateY, gradScale, sliceScale, acc, accA, accB, gx, gy);
}

/** As klGradApplyChunk_f32 for f64 data. */
export function klGradApplyChunk_f64(
  x: usize, y: usize, G: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize,
  gradScale: f64, sliceScale: usize, acc: usize, accA: usize, accB: usize, gx: usize, gy: usize,
): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    streamRowApply<f64>(x, y, G, K, invT, stateX, stateY, gradScale, sliceScale, acc, accA, accB, gx, gy);
    return;
  }
  gradApplyChunk<f64>(x, y, G, K, W, invT, stateX, stateY, gradScale, sliceScale, acc, accA, accB, gx, gy);
}
