// Σ exp(x − m) over a contiguous f32 row, the inner loop of softmax, log_softmax and logsumexp.
//
// Throughput: two f32x4 exponentials per iteration (2-way unrolling: enough independent work to
// hide latency without running out of V8's 16 vector registers), software-pipelined (the
// argument reductions of the next iteration are issued before the polynomials of this one; see
// klDiv.ts, termsLoop, for why that helps), summed in two f32x4
// accumulators within blocks of 64 elements; each block's sum is then added in f64. Each f32 lane
// adds only 8 positive terms ≤ 1 before the f64 fold, so the sum's relative error stays ~1e-7
// (PyTorch's cascade sum does the same kind of blocking), while the f64 work is amortised over
// the block instead of paid per vector (measured ~1.4× faster than widening every vector).
import { at, expNegS, hsumF64, promoteHigh } from './common';
import { exp2dClamp, exp2dFinish, exp2dT, exp2dV, expf4NegClamp, expf4NegFinish, expf4NegT, expf4NegV, expNegF32x4, expNegF64x2 } from './vmath';

const BLOCK = 64;

/**
 * The row tails of sumExpRowF32 / sumExpRowF64 (the 2–7 f32 or 2–3 f64 elements the vector loop
 * leaves) as one or two vector exponentials instead of one scalar exponential each: a scalar
 * exponential is a chain of ~15 dependent operations, and on rows of ~100 elements the tail's
 * measured ~20–30 ns per row. ROW_TAIL receives the exponentials of src[n − 8 .. n) (f32) or
 * src[n − 4 .. n) (f64); only the vectors that hold tail lanes are computed. The loads overlap
 * elements the loop already did, so nothing past the row is read; in place those elements may
 * hold outputs already, and their lanes are computed and ignored. Every lane has the bits of
 * the scalar twin (expNegS), and the scalar loop still adds the tail in order, so sums and
 * outputs are bit-identical to scalar tails.
 */
const ROW_TAIL: usize = memory.data(32, 16);

// Called, not inlined: inlined into every row kernel they slowed the loops before them (log_softmax
// [32, 1000], which has no tail, 0.95×), as extra code in the function V8 allocates registers for.
// One exponential in a loop over the (at most two) vectors keeps each binary small.
function rowTailExpsF32(src: usize, k: i32, n: i32, m: f32): void {
  const vm = f32x4.splat(m);
  for (let b = n - 4, o: usize = 16; ; b -= 4, o -= 16) {
    v128.store(ROW_TAIL + o, expNegF32x4(f32x4.sub(v128.load(at<f32>(src, b)), vm)));
    if (b <= k || o == 0) break; // at most two vectors: ROW_TAIL holds 8 f32 (callers pass tails ≤ 7)
  }
}

/** As rowTailExpsF32 for f64 rows; `scale` multiplies the argument (1 where the row is unscaled: x·1 = x, the same bits). */
function rowTailExpsF64(src: usize, k: i32, n: i32, m: f64, scale: f64): void {
  const vm = f64x2.splat(m);
  const vs = f64x2.splat(scale);
  for (let b = n - 2, o: usize = 16; ; b -= 2, o -= 16) {
    v128.store(ROW_TAIL + o, exp2dFromClamped(expArgF64x2<string>(src, b, vm, vs)));
    if (b <= k || o == 0) break; // at most two vectors: ROW_TAIL holds 4 f64 (callers pass tails ≤ 3)
  }
}

/**
 * Σ_k exp(src[k] − m) for k < n (f32 row, m the row max or any value ≥ every element), in f64.
 * If `keep`, each exp(src[k] − m) is also written to dst[k] (softmax keeps them). With `apply`
 * (softmax's streamed second pass) each exp(src[k] − m)·scale is written instead and no sum is
 * formed (the result is 0).
 */
// @ts-ignore: decorator
@inline export function sumExpRowF32(src: usize, dst: usize, n: i32, m: f32, keep: bool, apply: bool = false, scale: f32 = 1): f64 {
  let s: f64 = 0;
  let k = 0;
  let vectorTail = false;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m);
    const vscale = f32x4.splat(scale);
    let lo = f64x2.splat(0);
    let hi = lo;
    const n8 = n & ~7;
    while (k < n8) {
      const end = min<i32>(k + BLOCK, n8);
      let s0 = f32x4.splat(0);
      let s1 = s0;
      // Software-pipelined: the argument reduction of the next 8 elements is issued before the
      // polynomial of the current 8. Same operations, same bits.
      let x0 = expArgF32x4<string>(src, k, vm, vm);
      let x1 = expArgF32x4<string>(src, k + 4, vm, vm);
      let v0 = expf4NegV(x0);
      let v1 = expf4NegV(x1);
      let t0 = expf4NegT(x0, v0);
      let t1 = expf4NegT(x1, v1);
      for (; k < end; k += 8) {
        let w0 = v0;
        let w1 = v1;
        let u0 = t0;
        let u1 = t1;
        if (k + 8 < end) {
          const y0 = expArgF32x4<string>(src, k + 8, vm, vm);
          const y1 = expArgF32x4<string>(src, k + 12, vm, vm);
          w0 = expf4NegV(y0);
          w1 = expf4NegV(y1);
          u0 = expf4NegT(y0, w0);
          u1 = expf4NegT(y1, w1);
        }
        const e0 = expf4NegFinish(v0, t0);
        const e1 = expf4NegFinish(v1, t1);
        if (apply) {
          const q = at<f32>(dst, k);
          v128.store(q, f32x4.mul(e0, vscale));
          v128.store(q, f32x4.mul(e1, vscale), 16);
        } else {
          if (keep) {
            const q = at<f32>(dst, k);
            v128.store(q, e0);
            v128.store(q, e1, 16);
          }
          s0 = f32x4.add(s0, e0);
          s1 = f32x4.add(s1, e1);
        }
        v0 = w0;
        v1 = w1;
        t0 = u0;
        t1 = u1;
      }
      if (apply) continue;
      const b = f32x4.add(s0, s1);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(b));
      hi = f64x2.add(hi, promoteHigh(b));
    }
    if (!apply) s = hsumF64(f64x2.add(lo, hi));
    vectorTail = n >= 8 && n - k >= 2;
  }
  if (ASC_FEATURE_SIMD && vectorTail) rowTailExpsF32(src, k, n, m);
  for (; k < n; k++) {
    const e = vectorTail ? load<f32>(ROW_TAIL + ((<usize>(k + 8 - n)) << 2)) : expNegS<f32>(load<f32>(at<f32>(src, k)) - m);
    if (apply) store<f32>(at<f32>(dst, k), e * scale);
    else {
      if (keep) store<f32>(at<f32>(dst, k), e);
      s += <f64>e;
    }
  }
  return s;
}

/**
 * Results of colSumExpF32x4 (48 bytes, 16-aligned; a v128 global would not compile in the scalar
 * build): Σ exp over lanes 0–1 at +0 and lanes 2–3 at +16 (f64x2 each), and at +32 the lanes that
 * saw a NaN (if asked for).
 */
export const COL_SUMS: usize = memory.data(48, 16);

/**
 * Σ_k exp(p[k·W] − vm) for four adjacent f32 columns (K rows at a stride of W elements; vm ≥
 * each column's elements, or masked to 0 where the caller finishes the lane itself), software-
 * pipelined like sumExpRowF32, widened to f64 per vector: results at COL_SUMS. KEEP also
 * stores each exponential at d[k·W]; NANS records the lanes that saw a NaN. The column kernels
 * of softmax, log_softmax and logsumexp share it.
 */
// @ts-ignore: decorator
@inline export function colSumExpF32x4<KEEP, NANS>(p: usize, d: usize, K: i32, W: i32, vm: v128): void {
  let lo = f64x2.splat(0);
  let hi = lo;
  let nan = f32x4.splat(0);
  if (K > 0) {
    let xv = v128.load(p);
    let c = expf4NegClamp(f32x4.sub(xv, vm));
    let v = expf4NegV(c);
    let t = expf4NegT(c, v);
    for (let k = 0; k < K; k++) {
      let xn = xv;
      let vn = v;
      let tn = t;
      if (k + 1 < K) {
        xn = v128.load(at<f32>(p, (k + 1) * W));
        const cn = expf4NegClamp(f32x4.sub(xn, vm));
        vn = expf4NegV(cn);
        tn = expf4NegT(cn, vn);
      }
      if (isReference<NANS>()) nan = v128.or(nan, f32x4.ne(xv, xv));
      const e = expf4NegFinish(v, t);
      if (isReference<KEEP>()) v128.store(at<f32>(d, k * W), e);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, promoteHigh(e));
      xv = xn;
      v = vn;
      t = tn;
    }
  }
  v128.store(COL_SUMS, lo);
  v128.store(COL_SUMS, hi, 16);
  if (isReference<NANS>()) v128.store(COL_SUMS, nan, 32);
}

/**
 * f64 twin of colSumExpF32x4 for two adjacent f64 columns: Σ_k exp(p[k·W] − vm) into one f64x2
 * accumulator (the order of the former plain loop, so the same bits), software-pipelined like
 * sumExpRowF64. Results at COL_SUMS: the sums at +0 and, if NANS, the lanes that saw a NaN at +32.
 * KEEP also stores each exponential at d[k·W].
 */
// @ts-ignore: decorator
@inline export function colSumExpF64x2<KEEP, NANS>(p: usize, d: usize, K: i32, W: i32, vm: v128): void {
  let acc = f64x2.splat(0);
  let nan = acc;
  if (ASC_FEATURE_RELAXED_SIMD && isReference<KEEP>()) {
    // Plain loop in the relaxed build's softmax, as in sumExpRowF64 (pipelined: 0.98× there).
    for (let k = 0; k < K; k++) {
      const xv = v128.load(at<f64>(p, k * W));
      if (isReference<NANS>()) nan = v128.or(nan, f64x2.ne(xv, xv));
      const e = expNegF64x2(f64x2.sub(xv, vm));
      v128.store(at<f64>(d, k * W), e);
      acc = f64x2.add(acc, e);
    }
  } else if (K > 0) {
    let xv = v128.load(p);
    let c = exp2dClamp(f64x2.sub(xv, vm));
    let v = exp2dV(c);
    let t = exp2dT(c, v);
    for (let k = 0; k < K; k++) {
      let xn = xv;
      let cn = c;
      let vn = v;
      let tn = t;
      if (k + 1 < K) {
        xn = v128.load(at<f64>(p, (k + 1) * W));
        cn = exp2dClamp(f64x2.sub(xn, vm));
        vn = exp2dV(cn);
        tn = exp2dT(cn, vn);
      }
      if (isReference<NANS>()) nan = v128.or(nan, f64x2.ne(xv, xv));
      const e = exp2dFinish(c, v, t);
      if (isReference<KEEP>()) v128.store(at<f64>(d, k * W), e);
      acc = f64x2.add(acc, e);
      xv = xn;
      c = cn;
      v = vn;
      t = tn;
    }
  }
  v128.store(COL_SUMS, acc);
  if (isReference<NANS>()) v128.store(COL_SUMS, nan, 32);
}

/** exp2d of an already clamped argument (its remaining stages in order: the same bits). */
// @ts-ignore: decorator
@inline function exp2dFromClamped(c: v128): v128 {
  const v = exp2dV(c);
  return exp2dFinish(c, v, exp2dT(c, v));
}

/** The clamped argument of expNegF32x4 for src[k .. k+4): src − m for UNIT = `string`, otherwise (src − m)·sc. */
// @ts-ignore: decorator
@inline export function expArgF32x4<UNIT>(src: usize, k: i32, vm: v128, vsc: v128): v128 {
  let d = f32x4.sub(v128.load(at<f32>(src, k)), vm);
  if (!isReference<UNIT>()) d = f32x4.mul(d, vsc);
  return expf4NegClamp(d);
}

/** The clamped exp2d argument (src[k .. k+2) − m)·scale for SCALED = `string`, otherwise src − m. */
// @ts-ignore: decorator
@inline export function expArgF64x2<SCALED>(src: usize, k: i32, vm: v128, vs: v128): v128 {
  let d = f64x2.sub(v128.load(at<f64>(src, k)), vm);
  if (isReference<SCALED>()) d = f64x2.mul(d, vs);
  return exp2dClamp(d);
}

/**
 * Σ_k exp((src[k] − m)·scale) for k < n over a contiguous f64 row (m ≥ every element), one f64x2
 * exponential per iteration, software-pipelined, into two alternating accumulators. SCALED =
 * `string` applies `scale` (1/T); otherwise it is not read. KEEP = `string` also writes each
 * exponential to dst[k] (softmax keeps them); otherwise `dst` is not read. APPLY = `string`
 * (softmax's streamed second pass) writes each exponential times `factor` and forms no sum
 * (the result is 0).
 */
// @ts-ignore: decorator
@inline export function sumExpRowF64<SCALED, KEEP = i32, APPLY = i32>(src: usize, n: i32, m: f64, scale: f64, dst: usize = 0, factor: f64 = 1): f64 {
  let s: f64 = 0;
  let k = 0;
  let vectorTail = false;
  if (ASC_FEATURE_SIMD) {
    const vm = f64x2.splat(m);
    const vs = f64x2.splat(scale);
    const vf = f64x2.splat(factor);
    let a0 = f64x2.splat(0);
    let a1 = a0;
    const n2 = n & ~3; // the tail of 1–3 elements: rowTailExpsF64
    if (ASC_FEATURE_RELAXED_SIMD && (isReference<KEEP>() || isReference<APPLY>())) {
      // The relaxed build's softmax keeps the plain 2-way loop: with fused multiply-adds the
      // chain is already short, and the pipelined loop with its stores measured 0.96× there
      // (1.12× in the SIMD build; the streamed pass 0.98× / 1.06×). Same operations and
      // pairing, so the same bits.
      for (; k < n2; k += 4) {
        const e0 = exp2dFromClamped(expArgF64x2<SCALED>(src, k, vm, vs));
        const e1 = exp2dFromClamped(expArgF64x2<SCALED>(src, k + 2, vm, vs));
        if (isReference<APPLY>()) {
          v128.store(at<f64>(dst, k), f64x2.mul(e0, vf));
          v128.store(at<f64>(dst, k), f64x2.mul(e1, vf), 16);
          continue;
        }
        v128.store(at<f64>(dst, k), e0);
        v128.store(at<f64>(dst, k), e1, 16);
        a0 = f64x2.add(a0, e0);
        a1 = f64x2.add(a1, e1);
      }
    } else if (n2 > 0) {
      // Software-pipelined, one vector per iteration: the clamp and argument reduction of the
      // next two elements are issued before the polynomial of the current two (see
      // sumExpRowF32). Same operations as expNegF64x2, same bits.
      let xc = expArgF64x2<SCALED>(src, k, vm, vs);
      let v = exp2dV(xc);
      let t = exp2dT(xc, v);
      for (; k < n2; k += 2) {
        let xn = xc;
        let vn = v;
        let tn = t;
        if (k + 2 < n2) {
          xn = expArgF64x2<SCALED>(src, k + 2, vm, vs);
          vn = exp2dV(xn);
          tn = exp2dT(xn, vn);
        }
        const e = exp2dFinish(xc, v, t);
        if (isReference<APPLY>()) v128.store(at<f64>(dst, k), f64x2.mul(e, vf));
        else {
          if (isReference<KEEP>()) v128.store(at<f64>(dst, k), e);
          // Alternate accumulators: the same pairing as the former 2-way unrolled loop.
          if ((k & 2) == 0) a0 = f64x2.add(a0, e);
          else a1 = f64x2.add(a1, e);
        }
        xc = xn;
        v = vn;
        t = tn;
      }
    }
    if (!isReference<APPLY>()) s = hsumF64(f64x2.add(a0, a1));
    vectorTail = n >= 4 && n - k >= 2;
  }
  if (ASC_FEATURE_SIMD && vectorTail) rowTailExpsF64(src, k, n, m, isReference<SCALED>() ? scale : 1);
  for (; k < n; k++) {
    const d = load<f64>(at<f64>(src, k)) - m;
    const e = vectorTail ? load<f64>(ROW_TAIL + ((<usize>(k + 4 - n)) << 3)) : expNegS<f64>(isReference<SCALED>() ? d * scale : d);
    if (isReference<APPLY>()) store<f64>(at<f64>(dst, k), e * factor);
    else {
      if (isReference<KEEP>()) store<f64>(at<f64>(dst, k), e);
      s += e;
    }
  }
  return s;
}
