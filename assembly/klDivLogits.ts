// Fused KL(p ‖ q) per slice from logits: p = softmax(y/T), q = softmax(x/T), over the
// (outer R, size K, inner W) layout, in the termwise (Bregman) form
//     KL = Σ q_i·φ(p_i/q_i),  φ(r) = r·log r − r + 1 ≥ 0,
// which equals Σ p·log(p/q) because Σp = Σq = 1 but has a non-negative term per element whose
// rounding error is relative to the term itself (the textbook sum's error is first order in
// u = log(p/q) while KL is second order; see ../shared/reference/fused-kl-numerics.md).
//   u_i = ((y_i − max y) − (x_i − max x))/T − L,  L = log(Σ e^{(y−max y)/T} / Σ e^{(x−max x)/T}),
//         in f64 (each logit's distance to its maximum first: huge logits neither cancel nor
//         swamp the rest), clamped below at −max of T (only where p = 0) and rounded to T for
//         the rest (klTerm.ts: uS / uF32x4);
//   |u| < 0.5:  term = q·u²·h(u),  h(u) = Σ_{k≥2} (k−1)/k!·u^{k−2} (Taylor series of φ(e^u)/u²);
//   otherwise:  term = p·u − p + q (well conditioned away from u = 0);
//   y = −inf (p = 0): term = q + p = q (0·log 0 = 0); x = −inf with finite y (q = 0): term = +inf —
//   both decided from the logits, not from probabilities that underflowed; each term is clamped
//   at ≥ 0 (NaN passes through). A target slice that is all −inf has no distribution: its p is
//   0·(1/0) = NaN, so the q + p above makes its terms, its point terms (p·0) and its KL NaN, as
//   softmax of that slice is in PyTorch.
// Identical slices give u ≡ 0 and therefore exactly 0. The exponentials exp((x − max)/T) are kept
// in a scratch buffer between the sum pass and the term pass (cheaper than recomputing them).
import { at, demotePair, expNegS, hsumF64, promoteHigh, sliceMaxScalar } from './common';
import { logRatio, pointF32x4, pointF64x2, pointS, seriesTermF32x4, termF32x4, termF64x2, termFiniteF32x4, termFiniteWithSeriesF32x4, termS, termWithSeriesF32x4, uF32x4, uF32x4Lanes, uF64x2, uS } from './klTerm';
import { BLOCK, ROW_TERM_TAIL, TAIL_POINT, rowTermTailF32, rowExpsF32, rowExtremaF32, rowLo, rowMx, rowMxD, rowMy, rowMyD, rowSpecial, rowSumsPreciseF32, rowSx, rowSy, sumExpPreciseS, colSumsPreciseF32x4, COL_PRECISE } from './klRows';
import { colMaxF32x4, colMaxF64x2 } from './max';
import { expf4NegClamp, expf4NegFinish, expf4NegT, expf4NegV, expNegF32x4, expNegF64x2 } from './vmath';
import { gradRowF64, gradTermsF64 } from './klDivLogitsGrad';
import { GROUP, KL_SHORT_ROW, TILE_BLOCK_BYTES, WIDE_GROUP, tileBlock, tileD, tileInLogits, tileOut, tileScratch, tileX, tileY } from './shortRows';
import { copyRows } from './colBlocks';
import { packGroup, packSlabs, packedSlabTotals, unpackSlabs } from './colTails';

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
  if (sizeof<T>() == 4 && dst != 0) {
    sx = sumExpPreciseS(x, K, stride, <f32>mx, invT);
    sy = sumExpPreciseS(y, K, stride, <f32>my, invT);
  }
  const MY = <f64>my;
  const MX = <f64>mx;
  const L = logRatio(sx, sy);
  const ix = <T>(1.0 / sx);
  const iy = <T>(1.0 / sy);
  rowMxD = <f64>mx;
  rowMyD = <f64>my;
  rowSx = sx;
  rowSy = sy;
  let total: f64 = 0;
  for (let k = 0; k < K; k++) {
    const xv = load<T>(at<T>(x, k * stride));
    const yv = load<T>(at<T>(y, k * stride));
    const u = uS<T>(xv, yv, MY, MX, invT, L);
    const q = load<T>(at<T>(ea, k)) * ix;
    const p = load<T>(at<T>(eb, k)) * iy;
    total += <f64>termS<T>(u, p, q, yv);
    if (dst != 0) store<T>(at<T>(dst, k * stride), pointS<T>(u, p, yv, pointScale));
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// f32 rows (W = 1): three sweeps over the row — (1) maxima and minima of x and y together,
// (2) the exponentials into scratch with their blocked sums, (3) the terms, blocked sums. The
// minima tell whether a −inf logit is present; rows without one run the term loop without the
// −inf selects (the common case).

/**
 * Sweep 3: Σ terms (and the point terms if POINTS), rows with (SPECIAL) or without −inf logits.
 * Terms accumulate in f32 blocks folded into f64, like the sums of sweep 2. The numerators of q
 * and p come from the scratch rows ea, eb, or — RECOMPUTE, the streamed term pass, which has no
 * scratch — are recomputed as exp((x − mx)·sc), exp((y − my)·sc).
 */
// @ts-ignore: decorator
@inline function rowTermsF32<SPECIAL, POINTS, UNIT, RECOMPUTE>(
  x: usize, y: usize, n: i32, ea: usize, eb: usize, ix: f32, iy: f32, MY: f64, MX: f64, invT: f64, L: f64, pointScale: f32, dst: usize,
  mx: f32, my: f32, sc: f32,
): f64 {
  const vix = f32x4.splat(ix);
  const viy = f32x4.splat(iy);
  const vMy = f64x2.splat(MY);
  const vMx = f64x2.splat(MX);
  const vinvT = f64x2.splat(invT);
  const vL = f64x2.splat(L);
  const vps = f32x4.splat(pointScale);
  const vmx = f32x4.splat(mx);
  const vmy = f32x4.splat(my);
  const vsc = f32x4.splat(sc);
  let lo = f64x2.splat(0);
  let hi = lo;
  let k = 0;
  const n4 = n & ~3;
  while (k < n4) {
    const end = min<i32>(k + BLOCK, n4);
    let acc = f32x4.splat(0);
    // Software-pipelined (see rowsum.ts): u and its series factor w of the next 4 elements are
    // issued before the rest of the current 4's terms. Same operations, same bits.
    let yv = v128.load(at<f32>(y, k));
    let u = uF32x4<UNIT, SPECIAL>(v128.load(at<f32>(x, k)), yv, vMy, vMx, vinvT, vL);
    let w = seriesTermF32x4(u);
    for (; k < end; k += 4) {
      let yn = yv;
      let un = u;
      let wn = w;
      if (k + 4 < end) {
        yn = v128.load(at<f32>(y, k + 4));
        un = uF32x4<UNIT, SPECIAL>(v128.load(at<f32>(x, k + 4)), yn, vMy, vMx, vinvT, vL);
        wn = seriesTermF32x4(un);
      }
      const a = isReference<RECOMPUTE>() ? expNegF32x4(f32x4.mul(f32x4.sub(v128.load(at<f32>(x, k)), vmx), vsc)) : v128.load(at<f32>(ea, k));
      const b = isReference<RECOMPUTE>() ? expNegF32x4(f32x4.mul(f32x4.sub(yv, vmy), vsc)) : v128.load(at<f32>(eb, k));
      const q = f32x4.mul(a, vix);
      const p = f32x4.mul(b, viy);
      const t = isReference<SPECIAL>() ? termWithSeriesF32x4(u, p, q, yv, w) : termFiniteWithSeriesF32x4(u, p, q, w);
      acc = f32x4.add(acc, t);
      if (isReference<POINTS>()) v128.store(at<f32>(dst, k), pointF32x4(u, p, yv, vps));
      yv = yn;
      u = un;
      w = wn;
    }
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(acc));
    hi = f64x2.add(hi, promoteHigh(acc));
  }
  let total = hsumF64(f64x2.add(lo, hi));
  if (n >= 4 && n - k >= 2) {
    rowTermTailF32(x, y, n, ea, eb, ix, iy, MY, MX, invT, L, pointScale, isReference<RECOMPUTE>(), mx, my, sc);
    for (; k < n; k++) {
      const o = (<usize>(k + 4 - n)) << 2;
      total += <f64>load<f32>(ROW_TERM_TAIL + o);
      if (isReference<POINTS>()) store<f32>(at<f32>(dst, k), load<f32>(ROW_TERM_TAIL + o, TAIL_POINT));
    }
  }
  for (; k < n; k++) {
    const xv = load<f32>(at<f32>(x, k));
    const yv = load<f32>(at<f32>(y, k));
    const u = uS<f32>(xv, yv, MY, MX, invT, L);
    const a = isReference<RECOMPUTE>() ? expNegS<f32>((xv - mx) * sc) : load<f32>(at<f32>(ea, k));
    const b = isReference<RECOMPUTE>() ? expNegS<f32>((yv - my) * sc) : load<f32>(at<f32>(eb, k));
    const q = a * ix;
    const p = b * iy;
    total += <f64>termS<f32>(u, p, q, yv);
    if (isReference<POINTS>()) store<f32>(at<f32>(dst, k), pointS<f32>(u, p, yv, pointScale));
  }
  return total;
}

function klRowF32<PRECISE = i32>(x: usize, y: usize, n: i32, invT: f64, pointScale: f32, dst: usize, scratch: usize): f64 {
  rowExtremaF32(x, y, n);
  const mx = rowMx;
  const my = rowMy;
  const ea = scratch;
  const eb = at<f32>(scratch, n);
  const unit = invT == 1.0;
  if (unit) rowExpsF32<string, PRECISE>(x, y, n, mx, my, 1, ea, eb);
  else rowExpsF32<i32, PRECISE>(x, y, n, mx, my, <f32>invT, ea, eb);
  if (dst != 0) rowSumsPreciseF32(x, y, n, mx, my, invT);
  const MY = <f64>my;
  const MX = <f64>mx;
  const L = logRatio(rowSx, rowSy);
  const ix = <f32>(1.0 / rowSx);
  const iy = <f32>(1.0 / rowSy);
  // Compile-time variants: `string` selects the −inf-aware / point-writing code paths; the
  // common case (no −inf, no point terms) also gets a T = 1 variant. Rows where |u| could reach
  // FLT_MAX (a logit ≥ 1e37·T below the maxima: |u| ≤ (max − min)/T + |L|, |L| ≤ log n) take the
  // −inf-aware path too, whose u is clamped (klTerm.ts); elsewhere the clamps are no-ops.
  if (rowSpecial || (<f64>rowLo - <f64>max<f32>(mx, my)) * invT < -1e37) {
    return dst != 0
      ? rowTermsF32<string, string, i32, i32>(x, y, n, ea, eb, ix, iy, MY, MX, invT, L, pointScale, dst, 0, 0, 0)
      : rowTermsF32<string, i32, i32, i32>(x, y, n, ea, eb, ix, iy, MY, MX, invT, L, pointScale, dst, 0, 0, 0);
  }
  if (dst != 0) return rowTermsF32<i32, string, i32, i32>(x, y, n, ea, eb, ix, iy, MY, MX, invT, L, pointScale, dst, 0, 0, 0);
  return unit
    ? rowTermsF32<i32, i32, string, i32>(x, y, n, ea, eb, ix, iy, MY, MX, invT, L, pointScale, dst, 0, 0, 0)
    : rowTermsF32<i32, i32, i32, i32>(x, y, n, ea, eb, ix, iy, MY, MX, invT, L, pointScale, dst, 0, 0, 0);
}

/** The clamped exp argument (x − m)·sc of four f32 columns at byte offset of element `off`. */
// @ts-ignore: decorator
@inline function colExpArg(p: usize, off: i32, vm: v128, vsc: v128): v128 {
  return expf4NegClamp(f32x4.mul(f32x4.sub(v128.load(at<f32>(p, off)), vm), vsc));
}

// ---------------------------------------------------------------------------------------------
// f32 columns (W > 1): 4 adjacent slices per vector. Writes each slice's KL to perSlice (f64) if
// given; returns their sum. scratch: 8·K floats.

function klColsF32(
  x: usize, y: usize, K: i32, W: i32, invT: f64, pointScale: f32, dst: usize, perSlice: usize, scratch: usize, total0: f64 = 0,
): f64 {
  // total0: the caller's running sum, continued here (wide short-row tiles add their groups in
  // the order tiles of GROUP rows did, so the same bits).
  let total: f64 = total0;
  let i = 0;
  // A tail of W mod 4 columns goes first through a staged group of the last four (colTails.ts),
  // when it fits; its KLs are added after the other groups', in column order, as the scalar
  // columns' were.
  let end = W;
  let tailKl: usize = 0;
  if (W > 4 && (W & 3) != 0) {
    tailKl = klStagedTailF32(x, y, K, W, invT, pointScale, dst, perSlice, scratch);
    if (tailKl != 0) end = W & ~3;
  }
  const sc = <f32>invT;
  const vsc = f32x4.splat(sc);
  const vinvT = f64x2.splat(invT);
  const vps = f32x4.splat(pointScale);
  for (; i + 4 <= end; i += 4) {
    const xi = at<f32>(x, i);
    const yi = at<f32>(y, i);
    const vmx = colMaxF32x4(xi, K, W);
    const vmy = colMaxF32x4(yi, K, W);
    let ax0 = f64x2.splat(0);
    let ax1 = ax0;
    let ay0 = ax0;
    let ay1 = ax0;
    // Software-pipelined like rowExpsF32: the argument reductions of row k + 1 are issued before
    // the polynomials of row k. Same operations as expNegF32x4, same bits.
    let cx = colExpArg(xi, 0, vmx, vsc);
    let cy = colExpArg(yi, 0, vmy, vsc);
    let vx = expf4NegV(cx);
    let vy = expf4NegV(cy);
    let tx = expf4NegT(cx, vx);
    let ty = expf4NegT(cy, vy);
    for (let k = 0; k < K; k++) {
      let wx = vx;
      let wy = vy;
      let ux = tx;
      let uy = ty;
      if (k + 1 < K) {
        const nx = colExpArg(xi, (k + 1) * W, vmx, vsc);
        const ny = colExpArg(yi, (k + 1) * W, vmy, vsc);
        wx = expf4NegV(nx);
        wy = expf4NegV(ny);
        ux = expf4NegT(nx, wx);
        uy = expf4NegT(ny, wy);
      }
      const a = expf4NegFinish(vx, tx);
      const b = expf4NegFinish(vy, ty);
      vx = wx;
      vy = wy;
      tx = ux;
      ty = uy;
      v128.store(at<f32>(scratch, k * 8), a);
      v128.store(at<f32>(scratch, k * 8 + 4), b);
      ax0 = f64x2.add(ax0, f64x2.promote_low_f32x4(a));
      ax1 = f64x2.add(ax1, promoteHigh(a));
      ay0 = f64x2.add(ay0, f64x2.promote_low_f32x4(b));
      ay1 = f64x2.add(ay1, promoteHigh(b));
    }
    if (dst != 0) {
      // Pointwise terms: precise f64 sums per lane (see klRows.ts).
      colSumsPreciseF32x4(xi, K, W, vmx, invT);
      ax0 = v128.load(COL_PRECISE);
      ax1 = v128.load(COL_PRECISE, 16);
      colSumsPreciseF32x4(yi, K, W, vmy, invT);
      ay0 = v128.load(COL_PRECISE);
      ay1 = v128.load(COL_PRECISE, 16);
    }
    // Per-lane maxima and L = log(Σy/Σx) as f64 pairs; 1/Σx, 1/Σy.
    const vMyLo = f64x2.promote_low_f32x4(vmy);
    const vMyHi = promoteHigh(vmy);
    const vMxLo = f64x2.promote_low_f32x4(vmx);
    const vMxHi = promoteHigh(vmx);
    let vLlo = f64x2.splat(logRatio(f64x2.extract_lane(ax0, 0), f64x2.extract_lane(ay0, 0)));
    vLlo = f64x2.replace_lane(vLlo, 1, logRatio(f64x2.extract_lane(ax0, 1), f64x2.extract_lane(ay0, 1)));
    let vLhi = f64x2.splat(logRatio(f64x2.extract_lane(ax1, 0), f64x2.extract_lane(ay1, 0)));
    vLhi = f64x2.replace_lane(vLhi, 1, logRatio(f64x2.extract_lane(ax1, 1), f64x2.extract_lane(ay1, 1)));
    const one = f64x2.splat(1.0);
    const vix = demotePair(f64x2.div(one, ax0), f64x2.div(one, ax1));
    const viy = demotePair(f64x2.div(one, ay0), f64x2.div(one, ay1));
    let t0 = f64x2.splat(0);
    let t1 = t0;
    // Pipelined like rowTermsF32: u and its series factor of row k + 1 are issued ahead.
    let yv = v128.load(yi);
    let u = uF32x4Lanes(v128.load(xi), yv, vMyLo, vMyHi, vMxLo, vMxHi, vinvT, vLlo, vLhi);
    let w = seriesTermF32x4(u);
    for (let k = 0; k < K; k++) {
      let yn = yv;
      let un = u;
      let wn = w;
      if (k + 1 < K) {
        yn = v128.load(at<f32>(yi, (k + 1) * W));
        un = uF32x4Lanes(v128.load(at<f32>(xi, (k + 1) * W)), yn, vMyLo, vMyHi, vMxLo, vMxHi, vinvT, vLlo, vLhi);
        wn = seriesTermF32x4(un);
      }
      const q = f32x4.mul(v128.load(at<f32>(scratch, k * 8)), vix);
      const p = f32x4.mul(v128.load(at<f32>(scratch, k * 8 + 4)), viy);
      const t = termWithSeriesF32x4(u, p, q, yv, w);
      t0 = f64x2.add(t0, f64x2.promote_low_f32x4(t));
      t1 = f64x2.add(t1, promoteHigh(t));
      if (dst != 0) v128.store(at<f32>(dst, k * W + i), pointF32x4(u, p, yv, vps));
      yv = yn;
      u = un;
      w = wn;
    }
    if (perSlice != 0) {
      v128.store(at<f64>(perSlice, i), t0);
      v128.store(at<f64>(perSlice, i + 2), t1);
    }
    total += hsumF64(f64x2.add(t0, t1));
  }
  if (tailKl != 0) {
    for (let j = 0; j < (W & 3); j++) total += load<f64>(tailKl + <usize>j * 8);
    return total;
  }
  for (; i < W; i++) {
    const kl = klSliceScalar<f32>(at<f32>(x, i), at<f32>(y, i), K, W, invT, pointScale, dst != 0 ? at<f32>(dst, i) : 0, scratch);
    if (perSlice != 0) store<f64>(at<f64>(perSlice, i), kl);
    total += kl;
  }
  return total;
}

/**
 * klColsF32's tail (W > 4, W mod 4 ≠ 0): the last four columns of x and y staged in the tile block
 * as K × 4 slabs, one vector group there, and the tail's point terms and per-slice KLs written
 * back. Returns the address of the tail's KLs (W mod 4 f64, left in the block), or 0 — having done
 * nothing — when the staged slabs do not fit the block.
 */
function klStagedTailF32(
  x: usize, y: usize, K: i32, W: i32, invT: f64, pointScale: f32, dst: usize, perSlice: usize, scratch: usize,
): usize {
  const arrays: usize = dst != 0 ? 3 : 2;
  const bytes = <usize>K * 16;
  if (bytes * arrays + 32 > TILE_BLOCK_BYTES) return 0;
  const tail = W & 3;
  const xb = tileBlock();
  const yb = xb + bytes;
  const db = dst != 0 ? yb + bytes : 0;
  const ps = xb + bytes * arrays;
  const stride = <usize>W * 4;
  const first = <usize>(W - 4) * 4;
  copyRows(x + first, stride, xb, 16, K, 16);
  copyRows(y + first, stride, yb, 16, K, 16);
  klColsF32(xb, yb, K, 4, invT, pointScale, db, ps, scratch);
  const skip = <usize>(4 - tail);
  if (dst != 0) copyRows(db + skip * 4, 16, dst + <usize>(W - tail) * 4, stride, K, <usize>tail * 4);
  if (perSlice != 0) memory.copy(perSlice + <usize>(W - tail) * 8, ps + skip * 8, <usize>tail * 8);
  return ps + skip * 8;
}

/**
 * Slabs of W = 2, 3 columns, or short columns with a tail (colTails.ts, packGroup), P slabs at
 * a time side by side in the tile block through klColsF32 (f64: klColsF64, short columns only). Each slab's KLs are summed as
 * klColsF32 sums one slab (groups of four as their lanes' pairwise sum, then the remaining
 * columns one by one) and that sum is added to the total, so the result has the bits of one
 * klColsF32 call per slab. Returns the sum over the R slabs.
 */
function klPacked<T>(
  x: usize, y: usize, R: i32, K: i32, W: i32, P: i32, invT: f64, pointScale: T, dst: usize, perSlice: usize, scratch: usize,
): f64 {
  const lanes = P * W;
  const bytes = <usize>(K * lanes) * sizeof<T>();
  const xb = tileBlock();
  const yb = xb + bytes;
  const db = dst != 0 ? yb + bytes : 0;
  const ps = xb + bytes * (dst != 0 ? 3 : 2);
  let total: f64 = 0;
  for (let r = 0; r < R; r += P) {
    const n = min<i32>(P, R - r);
    const o = r * K * W;
    packSlabs<T>(xb, at<T>(x, o), n, K, W, P);
    packSlabs<T>(yb, at<T>(y, o), n, K, W, P);
    if (sizeof<T>() == 4) klColsF32(xb, yb, K, lanes, invT, <f32>pointScale, db, ps, scratch);
    else klColsF64(xb, yb, K, lanes, invT, <f64>pointScale, db, ps, scratch);
    if (dst != 0) unpackSlabs<T>(db, at<T>(dst, o), n, K, W, P);
    if (perSlice != 0) memory.copy(at<f64>(perSlice, r * W), ps, <usize>(n * W) * 8);
    total = packedSlabTotals(ps, n, W, total, <i32>(16 / sizeof<T>()));
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// f64 rows (W = 1), f64x2: the loss-only variant of klDivLogitsGrad's row kernel (M = u32).

// @ts-ignore: decorator
@inline function klRowF64(x: usize, y: usize, n: i32, invT: f64, pointScale: f64, dst: usize, scratch: usize): f64 {
  return gradRowF64<u32, u8>(x, y, 0, n, invT, pointScale, 0, dst, 0, 0, scratch);
}

// ---------------------------------------------------------------------------------------------
// f64 columns (W > 1): 2 adjacent slices per f64x2 vector. scratch: 4·K f64.

function klColsF64(
  x: usize, y: usize, K: i32, W: i32, invT: f64, pointScale: f64, dst: usize, perSlice: usize, scratch: usize, total0: f64 = 0,
): f64 {
  // total0: the caller's running sum, continued here (wide short-row tiles add their groups in
  // the order tiles of GROUP rows did, so the same bits).
  let total: f64 = total0;
  let i = 0;
  const vsc = f64x2.splat(invT);
  const vps = f64x2.splat(pointScale);
  const one = f64x2.splat(1.0);
  for (; i + 2 <= W; i += 2) {
    const xi = at<f64>(x, i);
    const yi = at<f64>(y, i);
    const vmx = colMaxF64x2(xi, K, W);
    const vmy = colMaxF64x2(yi, K, W);
    let ax = f64x2.splat(0);
    let ay = ax;
    for (let k = 0; k < K; k++) {
      const a = expNegF64x2(f64x2.mul(f64x2.sub(v128.load(at<f64>(xi, k * W)), vmx), vsc));
      const b = expNegF64x2(f64x2.mul(f64x2.sub(v128.load(at<f64>(yi, k * W)), vmy), vsc));
      v128.store(at<f64>(scratch, k * 4), a);
      v128.store(at<f64>(scratch, k * 4 + 2), b);
      ax = f64x2.add(ax, a);
      ay = f64x2.add(ay, b);
    }
    // Per-lane L = log(Σy/Σx) (the maxima are vmy, vmx).
    const vMy = vmy;
    const vMx = vmx;
    let vL = f64x2.splat(logRatio(f64x2.extract_lane(ax, 0), f64x2.extract_lane(ay, 0)));
    vL = f64x2.replace_lane(vL, 1, logRatio(f64x2.extract_lane(ax, 1), f64x2.extract_lane(ay, 1)));
    const vix = f64x2.div(one, ax);
    const viy = f64x2.div(one, ay);
    let t = f64x2.splat(0);
    for (let k = 0; k < K; k++) {
      const xv = v128.load(at<f64>(xi, k * W));
      const yv = v128.load(at<f64>(yi, k * W));
      const u = uF64x2(xv, yv, vMy, vMx, vsc, vL);
      const q = f64x2.mul(v128.load(at<f64>(scratch, k * 4)), vix);
      const p = f64x2.mul(v128.load(at<f64>(scratch, k * 4 + 2)), viy);
      t = f64x2.add(t, termF64x2(u, p, q, yv));
      if (dst != 0) v128.store(at<f64>(dst, k * W + i), pointF64x2(u, p, yv, vps));
    }
    if (perSlice != 0) v128.store(at<f64>(perSlice, i), t);
    total += hsumF64(t);
  }
  for (; i < W; i++) {
    const kl = klSliceScalar<f64>(at<f64>(x, i), at<f64>(y, i), K, W, invT, pointScale, dst != 0 ? at<f64>(dst, i) : 0, scratch);
    if (perSlice != 0) store<f64>(at<f64>(perSlice, i), kl);
    total += kl;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Exported kernels.

/**
 * The slices of R slabs: short rows (W = 1, K ≤ KL_SHORT_ROW) four at a time through the column
 * kernels, other rows with the row kernel, columns with the column kernel; scalar build: slices.
 */
// @ts-ignore: decorator
@inline function klDivLogitsAll<T>(
  x: usize, y: usize, R: i32, K: i32, W: i32, invT: f64, pointScale: T, dst: usize, perSlice: usize, scratch: usize,
): f64 {
  let total: f64 = 0;
  let r = 0;
  if (ASC_FEATURE_SIMD) if (W == 1 && K <= KL_SHORT_ROW) {
    // Short rows, GROUP at a time through the column kernels (shortRows.ts). perSlice is already
    // in the tile's lane order (one f64 per row); point terms go through their own tile.
    // WIDE_GROUP rows per tile while that many remain (one column-kernel call), then GROUP.
    while (r + GROUP <= R) {
      const g = r + WIDE_GROUP <= R ? WIDE_GROUP : GROUP;
      tileInLogits<T>(x, y, r, K, g);
      const td = dst != 0 ? tileD() : 0;
      const ps = perSlice != 0 ? at<f64>(perSlice, r) : 0;
      total = sizeof<T>() == 4
        ? klColsF32(tileX(), tileY(), K, g, invT, <f32>pointScale, td, ps, tileScratch(), total)
        : klColsF64(tileX(), tileY(), K, g, invT, <f64>pointScale, td, ps, tileScratch(), total);
      if (dst != 0) tileOut<T>(tileD(), at<T>(dst, r * K), K, g);
      r += g;
    }
  }
  if (ASC_FEATURE_SIMD) if (W > 1) {
    // float64 too, for short columns only (packGroup's `f64Short`): slabs of one or a few
    // elements per column spend their time in the kernel's per-slab setup.
    const P = packGroup<T>(K, W, dst != 0 ? 3 : 2, 8, true);
    if (P > 0) return klPacked<T>(x, y, R, K, W, P, invT, pointScale, dst, perSlice, scratch);
  }
  for (; r < R; r++) {
    const o = r * K * W;
    const xr = at<T>(x, o);
    const yr = at<T>(y, o);
    const dr = dst != 0 ? at<T>(dst, o) : 0;
    const ps = perSlice != 0 ? at<f64>(perSlice, r * W) : 0;
    if (ASC_FEATURE_SIMD) {
      if (W == 1) {
        const kl = sizeof<T>() == 4
          ? klRowF32(xr, yr, K, invT, <f32>pointScale, dr, scratch)
          : klRowF64(xr, yr, K, invT, <f64>pointScale, dr, scratch);
        if (ps != 0) store<f64>(ps, kl);
        total += kl;
      } else {
        total += sizeof<T>() == 4
          ? klColsF32(xr, yr, K, W, invT, <f32>pointScale, dr, ps, scratch)
          : klColsF64(xr, yr, K, W, invT, <f64>pointScale, dr, ps, scratch);
      }
    } else {
      for (let i = 0; i < W; i++) {
        const kl = klSliceScalar<T>(at<T>(xr, i), at<T>(yr, i), K, W, invT, pointScale, dr != 0 ? at<T>(dr, i) : 0, scratch);
        if (ps != 0) store<f64>(at<f64>(ps, i), kl);
        total += kl;
      }
    }
  }
  return total;
}

/**
 * Σ over slices of KL(softmax(y/T) ‖ softmax(x/T)), f32, layout (R, K, W), K ≥ 1; invT = 1/T.
 * dst (optional, R·K·W f32): pointwise p·log(p/q)·pointScale. perSlice (optional, R·W f64): each
 * slice's KL. scratch: at least 8·K f32 (16-byte aligned not required).
 */
export function klDivLogits_f32(
  x: usize, y: usize, R: i32, K: i32, W: i32, invT: f64, pointScale: f32, dst: usize, perSlice: usize, scratch: usize,
): f64 {
  return klDivLogitsAll<f32>(x, y, R, K, W, invT, pointScale, dst, perSlice, scratch);
}

/** As klDivLogits_f32 for f64 data (scratch: at least 4·K f64). */
export function klDivLogits_f64(
  x: usize, y: usize, R: i32, K: i32, W: i32, invT: f64, pointScale: f64, dst: usize, perSlice: usize, scratch: usize,
): f64 {
  return klDivLogitsAll<f64>(x, y, R, K, W, invT, pointScale, dst, perSlice, scratch);
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
    const MY = my;
    const MX = mx;
    const L = logRatio(sx, sy);
    const ix = <T>(1.0 / sx);
    const iy = <T>(1.0 / sy);
    const mxT = <T>mx;
    const myT = <T>my;
    const sc = <T>invT;
    let total: f64 = 0;
    for (let k = 0; k < K; k++) {
      const xv = load<T>(at<T>(x, k * W + i));
      const yv = load<T>(at<T>(y, k * W + i));
      const u = uS<T>(xv, yv, MY, MX, invT, L);
      const q = expNegS<T>((xv - mxT) * sc) * ix;
      const p = expNegS<T>((yv - myT) * sc) * iy;
      total += <f64>termS<T>(u, p, q, yv);
      if (dst != 0) store<T>(at<T>(dst, k * W + i), pointS<T>(u, p, yv, pointScale));
    }
    const a = at<f64>(acc, i);
    store<f64>(a, load<f64>(a) + total);
  }
}

/** Term pass over one chunk (K × W) of a streamed slice, f32 (one long row: vectorised). */
export function klTermsChunk_f32(
  x: usize, y: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize, pointScale: f32, dst: usize, acc: usize,
): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    // One long row: the row kernel's term sweep with the exponentials recomputed (no scratch) and
    // the −inf-aware terms (a chunk cannot tell whether its row has −inf logits elsewhere).
    const mx = load<f64>(stateX);
    const my = load<f64>(stateY);
    const sx = load<f64>(stateX, 8);
    const sy = load<f64>(stateY, 8);
    const MY = my;
    const MX = mx;
    const L = logRatio(sx, sy);
    const ix = <f32>(1.0 / sx);
    const iy = <f32>(1.0 / sy);
    const total = dst != 0
      ? rowTermsF32<string, string, i32, string>(x, y, K, 0, 0, ix, iy, MY, MX, invT, L, pointScale, dst, <f32>mx, <f32>my, <f32>invT)
      : rowTermsF32<string, i32, i32, string>(x, y, K, 0, 0, ix, iy, MY, MX, invT, L, pointScale, dst, <f32>mx, <f32>my, <f32>invT);
    store<f64>(acc, load<f64>(acc) + total);
    return;
  }
  klTermsChunk<f32>(x, y, K, W, invT, stateX, stateY, pointScale, dst, acc);
}

/** Term pass over one chunk (K × W) of a streamed slice, f64 (one long row: vectorised, the f64 row kernel's term pass). */
export function klTermsChunk_f64(
  x: usize, y: usize, K: i32, W: i32, invT: f64, stateX: usize, stateY: usize, pointScale: f64, dst: usize, acc: usize,
): void {
  if (ASC_FEATURE_SIMD) if (W == 1) {
    const mx = load<f64>(stateX);
    const my = load<f64>(stateY);
    const sx = load<f64>(stateX, 8);
    const sy = load<f64>(stateY, 8);
    const kl = gradTermsF64<u32, string>(x, y, 0, K, 0, 0, 1.0 / sx, 1.0 / sy, my, mx, invT, logRatio(sx, sy), pointScale, 0, dst, 0);
    store<f64>(acc, load<f64>(acc) + kl);
    return;
  }
  klTermsChunk<f64>(x, y, K, W, invT, stateX, stateY, pointScale, dst, acc);
}

// ---------------------------------------------------------------------------------------------
// Segments: a row longer than the window, cut into contiguous segments that each fit. Each call
// returns the segment's own KL — of p and q renormalised over the segment — and writes its
// statistics [max x, max y, Σ exp((x − max x)/T), Σ exp((y − max y)/T)] (4 f64) at `stats`. The
// facade combines the segments by the chain rule of relative entropy (Cover & Thomas, Thm 2.5.3):
//   KL(p ‖ q) = Σ_c P_c·KL(p_c ‖ q_c) + KL(P ‖ Q),  P_c = Σ_{i∈c} p_i,  Q_c = Σ_{i∈c} q_i,
// both parts ≥ 0, so a row longer than the window costs two exponentials per element instead of
// the four of the streamed two-pass form. Segments whose maximum is −inf or not finite are left to
// the facade (it falls back to the two-pass form for such rows).

/** One f32 row segment of n elements (contiguous); scratch: 2·n f32; stats: 4 f64 (see above). */
export function klDivLogitsSegment_f32(x: usize, y: usize, n: i32, invT: f64, scratch: usize, stats: usize): f64 {
  let kl: f64;
  if (ASC_FEATURE_SIMD) {
    kl = klRowF32<string>(x, y, n, invT, 0, 0, scratch);
    rowMxD = <f64>rowMx;
    rowMyD = <f64>rowMy;
  } else {
    kl = klSliceScalar<f32>(x, y, n, 1, invT, 0, 0, scratch);
  }
  store<f64>(stats, rowMxD);
  store<f64>(stats, rowMyD, 8);
  store<f64>(stats, rowSx, 16);
  store<f64>(stats, rowSy, 24);
  return kl;
}

/** As klDivLogitsSegment_f32 for f64 data (scratch: 2·n f64). */
export function klDivLogitsSegment_f64(x: usize, y: usize, n: i32, invT: f64, scratch: usize, stats: usize): f64 {
  const kl = ASC_FEATURE_SIMD ? klRowF64(x, y, n, invT, 0, 0, scratch) : klSliceScalar<f64>(x, y, n, 1, invT, 0, 0, scratch);
  store<f64>(stats, rowMxD);
  store<f64>(stats, rowMyD, 8);
  store<f64>(stats, rowSx, 16);
  store<f64>(stats, rowSy, 24);
  return kl;
}
