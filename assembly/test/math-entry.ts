// Test-only entry: batch wrappers over memory for the vectorised math primitives in
// assembly/math/. Compiled by test/wasm-math.test.ts and bench/math.bench.mjs, with and without
// `--enable simd` (the tests and bench/exhaustive-math.mjs also with `--enable simd,relaxed-simd`).
// `<fn>Batch(src, dst, n)` maps the SIMD function over n elements (2-way unrolled, scalar-twin
// tail) — in the scalar build it runs the scalar twin, exactly what a kernel's non-SIMD path does —
// and `<twin>Batch` always runs the scalar twin.
import {
  expf4, expf4Neg, expf1, expf1Neg, logf4, logf1, exp2d, exp1d, log2d, log1d, xlogxf4,
} from '../math/index';

/** First free byte after the static data (the constant tables): test buffers start here. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 when compiled with SIMD, else 0. */
export function hasSimd(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** 1 when compiled with relaxed SIMD (fused multiply-adds, math/relaxed.ts), else 0. */
export function hasRelaxedSimd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

export function expf4Batch(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const a = expf4(v128.load(src + o));
      const b = expf4(v128.load(src + o, 16));
      v128.store(dst + o, a);
      v128.store(dst + o, b, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, expf4(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, expf1(load<f32>(src + o)));
  }
}

export function expf1Batch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, expf1(load<f32>(src + o)));
  }
}

export function expf4NegBatch(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const a = expf4Neg(v128.load(src + o));
      const b = expf4Neg(v128.load(src + o, 16));
      v128.store(dst + o, a);
      v128.store(dst + o, b, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, expf4Neg(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, expf1Neg(load<f32>(src + o)));
  }
}

export function expf1NegBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, expf1Neg(load<f32>(src + o)));
  }
}

export function logf4Batch(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const a = logf4(v128.load(src + o));
      const b = logf4(v128.load(src + o, 16));
      v128.store(dst + o, a);
      v128.store(dst + o, b, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, logf4(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, logf1(load<f32>(src + o)));
  }
}

/** xlogxf4 over n elements (SIMD builds only; n a multiple of 4). */
export function xlogxf4Batch(src: usize, dst: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    for (let i = 0; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, xlogxf4(v128.load(src + o)));
    }
  }
}

export function logf1Batch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, logf1(load<f32>(src + o)));
  }
}

export function exp2dBatch(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 3;
      const a = exp2d(v128.load(src + o));
      const b = exp2d(v128.load(src + o, 16));
      v128.store(dst + o, a);
      v128.store(dst + o, b, 16);
    }
    for (; i + 2 <= n; i += 2) {
      const o = <usize>i << 3;
      v128.store(dst + o, exp2d(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(dst + o, exp1d(load<f64>(src + o)));
  }
}

export function exp1dBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(dst + o, exp1d(load<f64>(src + o)));
  }
}

export function log2dBatch(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 3;
      const a = log2d(v128.load(src + o));
      const b = log2d(v128.load(src + o, 16));
      v128.store(dst + o, a);
      v128.store(dst + o, b, 16);
    }
    for (; i + 2 <= n; i += 2) {
      const o = <usize>i << 3;
      v128.store(dst + o, log2d(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(dst + o, log1d(load<f64>(src + o)));
  }
}

export function log1dBatch(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(dst + o, log1d(load<f64>(src + o)));
  }
}
