/**
 * The slice-max kernels (max_f32 / max_f64), called directly on WASM memory: rows and strided
 * columns, NaN-propagating like PyTorch's amax, on both builds.
 */
import { describe, expect, it } from 'vitest';
import { initSync } from '../src/index.js';
import type { KernelExports } from '../src/backend/wasm/exports.js';
import type { WasmKernels } from '../src/backend/wasm/wasmKernels.js';
import { kernels } from '../src/runtime.js';

describe.each(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar'] as const)('max kernels on %s', (name) => {
  it.each(['float32', 'float64'] as const)('%s: rows and columns, NaN-propagating', (dtype) => {
    initSync({ backend: name });
    const wk = kernels() as WasmKernels;
    const k = (wk as unknown as { k: KernelExports }).k;
    const mem = wk.mem;
    const V = dtype === 'float64' ? mem.f64() : mem.f32();
    const b = V.BYTES_PER_ELEMENT;
    const fn = dtype === 'float64' ? k.max_f64 : k.max_f32;
    const R = 3;
    const K = 37;
    const W = 5;
    const n = R * K * W;
    const src = mem.window;
    const dst = src + n * b;
    const at = src / b;
    for (let i = 0; i < n; i++) V[at + i] = Math.sin(i * 1.7) * 10;
    V[at + 2 * K * W + 3 * W + 1] = NaN; // slab 2, column 1
    V[at + 0 * K * W + 5 * W + 4] = Infinity; // slab 0, column 4
    fn(src, dst, R, K, W);
    for (let r = 0; r < R; r++) {
      for (let i = 0; i < W; i++) {
        let m = -Infinity;
        for (let kk = 0; kk < K; kk++) {
          const v = V[at + (r * K + kk) * W + i]!;
          m = Number.isNaN(v) || Number.isNaN(m) ? NaN : Math.max(m, v);
        }
        expect(V[dst / b + r * W + i], `slab ${r} column ${i}`).toBe(m);
      }
    }
    // Rows (W = 1), with a NaN in the middle of a long row.
    V[at + 40] = NaN;
    fn(src, dst, 2, 100, 1);
    expect(V[dst / b]).toBeNaN();
    let m1 = -Infinity;
    for (let i = 100; i < 200; i++) m1 = Math.max(m1, V[at + i]!);
    expect(V[dst / b + 1]).toBe(m1);
  });
});
