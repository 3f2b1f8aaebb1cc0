// The first two sweeps of the fused f32 row kernels (klDivLogits.ts, klDivLogitsGrad.ts), shared so
// both compute the same maxima, exponentials and sums — and therefore bit-identical losses:
//   sweep 1  maxima of x and y and whether any logit is −inf, in one pass over both rows;
//   sweep 2  exp((x − max x)/T), exp((y − max y)/T) into scratch, with their sums accumulated in
//            f32 blocks of BLOCK elements folded into f64 (see rowsum.ts for why).
// Results come back in module globals (an inline function returns one value).
import { at, expNegS, hmaxF32, hsumF64, promoteHigh } from './common';
import { exp1d, exp2d } from './math/index';
import { rowMaxF64 } from './max';
import { exp2dFinish, exp2dT, exp2dV, expf4NegFinish, expf4NegT, expf4NegV, expNegF32x4 } from './vmath';
import { expArgF32x4, expArgF64x2 } from './rowsum';
import { pointF32x4, termF32x4, uF32x4 } from './klTerm';

/** Blocked-sum block length (elements): each f32 lane adds 8 terms before the f64 fold. */
export const BLOCK = 64;

// Sweep 1 results (an inline function cannot return four values).
export let rowMx: f32 = 0;
export let rowMy: f32 = 0;
export let rowSpecial: bool = false;
/** The smallest logit of x and y (pmin: NaN skipped). */
export let rowLo: f32 = 0;

// @ts-ignore: decorator
@inline export function rowExtremaF32(x: usize, y: usize, n: i32): void {
  let k = 0;
  let mx: f32 = -Infinity;
  let my: f32 = -Infinity;
  let lo: f32 = Infinity;
  if (n >= 8) {
    let ax = f32x4.splat(-Infinity);
    let bx = ax;
    let ay = ax;
    let by = ax;
    let mn = f32x4.splat(Infinity);
    for (; k + 8 <= n; k += 8) {
      const px = at<f32>(x, k);
      const py = at<f32>(y, k);
      const x0 = v128.load(px);
      const x1 = v128.load(px, 16);
      const y0 = v128.load(py);
      const y1 = v128.load(py, 16);
      // pmax/pmin (one instruction each) skip NaN, which is fine here: a NaN logit makes the
      // sums NaN and the slice's KL NaN anyway (see max.ts).
      ax = f32x4.pmax(ax, x0);
      bx = f32x4.pmax(bx, x1);
      ay = f32x4.pmax(ay, y0);
      by = f32x4.pmax(by, y1);
      mn = f32x4.pmin(mn, f32x4.pmin(f32x4.pmin(x0, x1), f32x4.pmin(y0, y1)));
    }
    mx = hmaxF32(f32x4.pmax(ax, bx));
    my = hmaxF32(f32x4.pmax(ay, by));
    lo = min<f32>(min<f32>(f32x4.extract_lane(mn, 0), f32x4.extract_lane(mn, 1)), min<f32>(f32x4.extract_lane(mn, 2), f32x4.extract_lane(mn, 3)));
  }
  for (; k < n; k++) {
    const a = load<f32>(at<f32>(x, k));
    const b = load<f32>(at<f32>(y, k));
    mx = max<f32>(mx, a);
    my = max<f32>(my, b);
    lo = min<f32>(lo, min<f32>(a, b));
  }
  rowMx = mx;
  rowMy = my;
  rowSpecial = lo == -Infinity;
  rowLo = lo;
}

/** The exponentials of x[n − 4 .. n) at +0 and of y[n − 4 .. n) at +16 (rowTailExpsPairF32). */
const ROW_TAIL_XY: usize = memory.data(32, 16);

/**
 * rowExpsF32's tail (the 1–3 elements after its vector loop) for both rows as one vector
 * exponential each, loaded overlapping the last elements the loop did (nothing past the rows is
 * read; those lanes are ignored): two vector exponentials instead of up to six scalar ones, each
 * lane with the bits of the scalar twin (expNegS), added in order by the caller, so sums and
 * scratch are bit-identical to scalar tails (as rowsum.ts's rowTailExpsF32). Called, not inlined,
 * to keep the loop's function small.
 */
function rowTailExpsPairF32(x: usize, y: usize, n: i32, mx: f32, my: f32, sc: f32): void {
  const vsc = f32x4.splat(sc);
  for (let j: usize = 0; j < 2; j++) {
    const v = v128.load(at<f32>(j == 0 ? x : y, n - 4));
    v128.store(ROW_TAIL_XY + 16 * j, expNegF32x4(f32x4.mul(f32x4.sub(v, f32x4.splat(j == 0 ? mx : my)), vsc)));
  }
}

// Sweep 2 results. UNIT = `string` compiles the T = 1 variant without the multiply by 1/T (x·1 = x:
// identical results, fewer instructions; see uF32x4). PRECISE = `string` widens every vector of
// exponentials to f64 instead of summing blocks in f32: the row segments of a long row need sums
// whose errors do not vary between segments (see klDivLogitsSegment_f32).
export let rowSx: f64 = 0;
export let rowSy: f64 = 0;

// @ts-ignore: decorator
@inline export function rowExpsF32<UNIT, PRECISE = i32>(x: usize, y: usize, n: i32, mx: f32, my: f32, sc: f32, ea: usize, eb: usize): void {
  const vmx = f32x4.splat(mx);
  const vmy = f32x4.splat(my);
  const vsc = f32x4.splat(sc);
  let lx = f64x2.splat(0);
  let hx = lx;
  let ly = lx;
  let hy = lx;
  let k = 0;
  const n4 = n & ~3;
  while (k < n4) {
    const end = min<i32>(k + BLOCK, n4);
    let bx = f32x4.splat(0);
    let by = bx;
    // Software-pipelined (see rowsum.ts): the argument reductions of the next 4 elements are
    // issued before the polynomials of the current 4. Same operations, same bits as expNegF32x4.
    let cx = expArgF32x4<UNIT>(x, k, vmx, vsc);
    let cy = expArgF32x4<UNIT>(y, k, vmy, vsc);
    let vx = expf4NegV(cx);
    let vy = expf4NegV(cy);
    let tx = expf4NegT(cx, vx);
    let ty = expf4NegT(cy, vy);
    for (; k < end; k += 4) {
      let wx = vx;
      let wy = vy;
      let ux = tx;
      let uy = ty;
      if (k + 4 < end) {
        const nx = expArgF32x4<UNIT>(x, k + 4, vmx, vsc);
        const ny = expArgF32x4<UNIT>(y, k + 4, vmy, vsc);
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
      v128.store(at<f32>(ea, k), a);
      v128.store(at<f32>(eb, k), b);
      if (isReference<PRECISE>()) {
        lx = f64x2.add(lx, f64x2.promote_low_f32x4(a));
        hx = f64x2.add(hx, promoteHigh(a));
        ly = f64x2.add(ly, f64x2.promote_low_f32x4(b));
        hy = f64x2.add(hy, promoteHigh(b));
      } else {
        bx = f32x4.add(bx, a);
        by = f32x4.add(by, b);
      }
    }
    if (isReference<PRECISE>()) continue;
    lx = f64x2.add(lx, f64x2.promote_low_f32x4(bx));
    hx = f64x2.add(hx, promoteHigh(bx));
    ly = f64x2.add(ly, f64x2.promote_low_f32x4(by));
    hy = f64x2.add(hy, promoteHigh(by));
  }
  let sx = hsumF64(f64x2.add(lx, hx));
  let sy = hsumF64(f64x2.add(ly, hy));
  // A tail of 2–3 elements: its exponentials as one vector per row (see rowTailExpsPairF32).
  const vectorTail = ASC_FEATURE_SIMD && n >= 4 && n - k >= 2;
  if (vectorTail) rowTailExpsPairF32(x, y, n, mx, my, sc);
  for (; k < n; k++) {
    const a = vectorTail ? load<f32>(ROW_TAIL_XY + ((<usize>(k + 4 - n)) << 2)) : expNegS<f32>((load<f32>(at<f32>(x, k)) - mx) * sc);
    const b = vectorTail ? load<f32>(ROW_TAIL_XY + ((<usize>(k + 8 - n)) << 2)) : expNegS<f32>((load<f32>(at<f32>(y, k)) - my) * sc);
    store<f32>(at<f32>(ea, k), a);
    store<f32>(at<f32>(eb, k), b);
    sx += <f64>a;
    sy += <f64>b;
  }
  rowSx = sx;
  rowSy = sy;
}


// ---------------------------------------------------------------------------------------------
// Sweep 3's tail, shared by the loss and gradient row kernels.

/**
 * Where rowTermTailF32 leaves, for elements n − 4 … n − 1 (one f32 per lane, lane j at +4j): the
 * terms (+0), the point terms (TAIL_POINT), u (TAIL_U), p (TAIL_P) and q (TAIL_Q).
 */
export const ROW_TERM_TAIL: usize = memory.data(80, 16);
// @ts-ignore: decorator
@inline export const TAIL_POINT: usize = 16;
// @ts-ignore: decorator
@inline export const TAIL_U: usize = 32;
// @ts-ignore: decorator
@inline export const TAIL_P: usize = 48;
// @ts-ignore: decorator
@inline export const TAIL_Q: usize = 64;

/**
 * Sweep 3's tail (the 2–3 elements after the term loops of klDivLogits' rowTermsF32 and
 * klDivLogitsGrad's gradTermsF32) as one vector: u, q, p, the term and the point term of elements
 * n − 4 … n − 1 (loaded overlapping the loop's last elements; nothing past the row is read and
 * those lanes are ignored), with the scalar tail's formulas — u clamped and multiplied by 1/T as
 * uS, every −inf rule as termS / pointS, q and p as numerS — so each lane has the scalar twin's
 * bits, and the callers add them in order: the same totals, point terms and gradients as scalar
 * tails, for ~1/3 of the operations (a scalar term's series costs as much as four lanes', and
 * in the relaxed build each scalar multiply-add goes through a vector lane). RECOMPUTE (a chunk
 * of a streamed row, which has no scratch) recomputes the numerators as exp((v − m)·sc). Called,
 * not inlined, to keep the loops' functions small (see rowsum.ts, rowTailExpsF32).
 */
export function rowTermTailF32(
  x: usize, y: usize, n: i32, ea: usize, eb: usize, ix: f32, iy: f32, MY: f64, MX: f64, invT: f64, L: f64, pointScale: f32,
  recompute: bool, mx: f32, my: f32, sc: f32,
): void {
  const b = n - 4;
  const xv = v128.load(at<f32>(x, b));
  const yv = v128.load(at<f32>(y, b));
  const u = uF32x4<i32>(xv, yv, f64x2.splat(MY), f64x2.splat(MX), f64x2.splat(invT), f64x2.splat(L));
  let a: v128;
  let e: v128;
  if (recompute) {
    const vsc = f32x4.splat(sc);
    a = expNegF32x4(f32x4.mul(f32x4.sub(xv, f32x4.splat(mx)), vsc));
    e = expNegF32x4(f32x4.mul(f32x4.sub(yv, f32x4.splat(my)), vsc));
  } else {
    a = v128.load(at<f32>(ea, b));
    e = v128.load(at<f32>(eb, b));
  }
  const q = f32x4.mul(a, f32x4.splat(ix));
  const p = f32x4.mul(e, f32x4.splat(iy));
  v128.store(ROW_TERM_TAIL, termF32x4(u, p, q, yv));
  v128.store(ROW_TERM_TAIL + TAIL_POINT, pointF32x4(u, p, yv, f32x4.splat(pointScale)));
  v128.store(ROW_TERM_TAIL + TAIL_U, u);
  v128.store(ROW_TERM_TAIL + TAIL_P, p);
  v128.store(ROW_TERM_TAIL + TAIL_Q, q);
}

// ---------------------------------------------------------------------------------------------
// Precise sums for pointwise outputs.
//
// The reduced KL is insensitive to a common error δ in L = log(Σy/Σx) (it changes KL by δ·KL),
// but the pointwise 'none' terms p·u·T² see it directly: with f32 exponentials δ ≈ 1e-8…1e-7,
// which is 1e-5 relative for an element with |u| ≈ 1e-3. So when pointwise terms are written the
// sums are recomputed with f64 exponentials (assembly/math/exp64.ts, ≤ 0.8 ulp): exact to ~1e-15.

/** Σ exp((x − m)·invT) over n elements of an f32 slice (element stride `stride`), f64 exponentials. */
// @ts-ignore: decorator
@inline export function sumExpPreciseS(src: usize, n: i32, stride: i32, m: f32, invT: f64): f64 {
  let s: f64 = 0;
  const mm = <f64>m;
  for (let k = 0; k < n; k++) s += exp1d((<f64>load<f32>(at<f32>(src, k * stride)) - mm) * invT);
  return s;
}

/** Where colSumsPreciseF32x4 leaves its four sums: lanes 0–1 at +0, lanes 2–3 at +16 (f64x2). */
export const COL_PRECISE: usize = memory.data(32, 16);

/**
 * sumExpPreciseS for four adjacent f32 columns at once (src = column i, row stride W elements,
 * per-column maxima `vm` as f32x4): each lane's sum takes the same operations in the same order as
 * sumExpPreciseS (exp2d lanes are bit-identical to exp1d), so the same bits, at two exponentials
 * per f64x2 instead of one scalar call each. Results at COL_PRECISE.
 */
// @ts-ignore: decorator
@inline export function colSumsPreciseF32x4(src: usize, K: i32, W: i32, vm: v128, invT: f64): void {
  const mlo = f64x2.promote_low_f32x4(vm);
  const mhi = promoteHigh(vm);
  const vsc = f64x2.splat(invT);
  let lo = f64x2.splat(0);
  let hi = lo;
  for (let k = 0; k < K; k++) {
    const v = v128.load(at<f32>(src, k * W));
    lo = f64x2.add(lo, exp2d(f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v), mlo), vsc)));
    hi = f64x2.add(hi, exp2d(f64x2.mul(f64x2.sub(promoteHigh(v), mhi), vsc)));
  }
  v128.store(COL_PRECISE, lo);
  v128.store(COL_PRECISE, hi, 16);
}

/** rowSx, rowSy ← the precise sums of a contiguous f32 row pair (f64x2 exponentials). */
// @ts-ignore: decorator
@inline export function rowSumsPreciseF32(x: usize, y: usize, n: i32, mx: f32, my: f32, invT: f64): void {
  const vmx = f64x2.splat(<f64>mx);
  const vmy = f64x2.splat(<f64>my);
  const vsc = f64x2.splat(invT);
  let ax = f64x2.splat(0);
  let ay = ax;
  let k = 0;
  for (; k + 2 <= n; k += 2) {
    const xv = f64x2.promote_low_f32x4(v128.load64_zero(at<f32>(x, k)));
    const yv = f64x2.promote_low_f32x4(v128.load64_zero(at<f32>(y, k)));
    ax = f64x2.add(ax, exp2d(f64x2.mul(f64x2.sub(xv, vmx), vsc)));
    ay = f64x2.add(ay, exp2d(f64x2.mul(f64x2.sub(yv, vmy), vsc)));
  }
  let sx = hsumF64(ax);
  let sy = hsumF64(ay);
  for (; k < n; k++) {
    sx += exp1d((<f64>load<f32>(at<f32>(x, k)) - <f64>mx) * invT);
    sy += exp1d((<f64>load<f32>(at<f32>(y, k)) - <f64>my) * invT);
  }
  rowSx = sx;
  rowSy = sy;
}

// ---------------------------------------------------------------------------------------------
// f64 rows: both sweeps in one helper (f64 exponentials need no blocking). Results in
// rowMxD, rowMyD, rowSx, rowSy.

export let rowMxD: f64 = 0;
export let rowMyD: f64 = 0;

// @ts-ignore: decorator
@inline export function rowPrepF64(x: usize, y: usize, n: i32, invT: f64, ea: usize, eb: usize): void {
  const mx = rowMaxF64(x, n);
  const my = rowMaxF64(y, n);
  const vmx = f64x2.splat(mx);
  const vmy = f64x2.splat(my);
  const vsc = f64x2.splat(invT);
  let ax = f64x2.splat(0);
  let ay = ax;
  let k = 0;
  const n2 = n & ~1;
  // Software-pipelined (see rowsum.ts, sumExpRowF64): the clamps and argument reductions of the
  // next two elements of x and y are issued before the polynomials of the current two. The same
  // operations as expNegF64x2, so the same bits.
  let cx = n2 > 0 ? expArgF64x2<string>(x, 0, vmx, vsc) : vmx;
  let cy = n2 > 0 ? expArgF64x2<string>(y, 0, vmy, vsc) : vmy;
  let vx = exp2dV(cx);
  let vy = exp2dV(cy);
  let tx = exp2dT(cx, vx);
  let ty = exp2dT(cy, vy);
  for (; k < n2; k += 2) {
    let cxn = cx;
    let cyn = cy;
    let vxn = vx;
    let vyn = vy;
    let txn = tx;
    let tyn = ty;
    if (k + 2 < n2) {
      cxn = expArgF64x2<string>(x, k + 2, vmx, vsc);
      cyn = expArgF64x2<string>(y, k + 2, vmy, vsc);
      vxn = exp2dV(cxn);
      vyn = exp2dV(cyn);
      txn = exp2dT(cxn, vxn);
      tyn = exp2dT(cyn, vyn);
    }
    const a = exp2dFinish(cx, vx, tx);
    const b = exp2dFinish(cy, vy, ty);
    cx = cxn;
    cy = cyn;
    vx = vxn;
    vy = vyn;
    tx = txn;
    ty = tyn;
    v128.store(at<f64>(ea, k), a);
    v128.store(at<f64>(eb, k), b);
    ax = f64x2.add(ax, a);
    ay = f64x2.add(ay, b);
  }
  let sx = hsumF64(ax);
  let sy = hsumF64(ay);
  for (; k < n; k++) {
    const a = expNegS<f64>((load<f64>(at<f64>(x, k)) - mx) * invT);
    const b = expNegS<f64>((load<f64>(at<f64>(y, k)) - my) * invT);
    store<f64>(at<f64>(ea, k), a);
    store<f64>(at<f64>(eb, k), b);
    sx += a;
    sy += b;
  }
  rowMxD = mx;
  rowMyD = my;
  rowSx = sx;
  rowSy = sy;
}
