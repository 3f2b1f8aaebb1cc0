/**
 * The worker pool, through the built package (workers load dist/esm/pool/worker.js): results equal
 * the single-thread path (per-slice values bitwise), reductions do not depend on the thread count,
 * errors keep their types, crashed workers are replaced, close() ends everything, and 1000
 * concurrent calls all complete exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The pool needs compiled worker files, so this suite uses the build (npm test builds first).
import * as kl from '../dist/esm/index.js';
import { seeded } from './helpers/random.js';

const rand = seeded(2027);
function logits(n: number, shared = true): Float32Array {
  const a = shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 6 * (rand() + rand() - 1);
  return a;
}

kl.setWarningHandler(null);

describe.each(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'] as const)('pool on %s', (backend) => {
  let pool: kl.KlwasmPool;
  beforeAll(async () => {
    kl.initSync({ backend });
    pool = kl.createPool({ threads: 2, backend });
    expect(await pool.ready()).toEqual([backend, backend]);
  });
  afterAll(async () => {
    await pool.close();
  });

  const B = 24;
  const C = 5000;
  const x = { data: logits(B * C), shape: [B, C] };
  const y = { data: logits(B * C), shape: [B, C] };

  it('klDivLogits: every reduction bitwise equal to the single-thread path', async () => {
    for (const reduction of ['sum', 'batchmean', 'mean', 'none', 'perSlice'] as const) {
      for (const temperature of [1, 2.5]) {
        const single = kl.klDivLogits(x, y, { reduction, temperature });
        const pooled = await pool.klDivLogits(x, y, { reduction, temperature });
        expect(pooled.shape).toEqual(single.shape);
        expect(Array.from(pooled.data)).toEqual(Array.from(single.data));
      }
    }
    // Any dim, strided columns.
    const z = { data: logits(6 * 40 * 9), shape: [6, 40, 9] };
    const w = { data: logits(6 * 40 * 9), shape: [6, 40, 9] };
    expect((await pool.klDivLogits(z, w, { dim: 1, reduction: 'perSlice' })).data).toEqual(kl.klDivLogits(z, w, { dim: 1, reduction: 'perSlice' }).data);
  });

  it('short rows (taken four at a time by the SIMD kernels): bitwise equal to the single-thread path', async () => {
    // 8 tasks of ~3750 rows: the pool starts each on a multiple of 4 rows, so every worker groups
    // the same rows as one thread does (the kernels' row and tile paths differ in the last bits).
    const R = 30011;
    const s = { data: logits(R * 12), shape: [R, 12] };
    const t = { data: logits(R * 12), shape: [R, 12] };
    expect((await pool.softmax(s, -1)).data).toEqual(kl.softmax(s, -1).data);
    expect((await pool.logSumExp(s, -1)).data).toEqual(kl.logSumExp(s, -1).data);
    expect((await pool.klDivLogits(s, t, { reduction: 'perSlice', temperature: 2 })).data).toEqual(kl.klDivLogits(s, t, { reduction: 'perSlice', temperature: 2 }).data);
  });

  it('softmax, logSoftmax, logSumExp bitwise equal to the single-thread path', async () => {
    expect((await pool.softmax(x, -1)).data).toEqual(kl.softmax(x, -1).data);
    expect((await pool.logSoftmax(x, 0)).data).toEqual(kl.logSoftmax(x, 0).data);
    expect((await pool.logSumExp(x, -1)).data).toEqual(kl.logSumExp(x, -1).data);
    expect((await pool.logSumExp(x, [0, 1])).data).toEqual(kl.logSumExp(x, [0, 1]).data);
    const plain = { data: logits(B * C, false), shape: [B, C] }; // copied once into shared memory
    expect((await pool.softmax(plain, 1)).data).toEqual(kl.softmax(plain, 1).data);
  });

  it('klDiv: chunked sums do not depend on the thread count and match the single-thread path', async () => {
    const n = 300_000;
    const lq = kl.logSoftmax({ data: logits(n), shape: [60, 5000] }, -1);
    const p = kl.softmax({ data: logits(n), shape: [60, 5000] }, -1);
    const one = kl.createPool({ threads: 1, backend });
    const three = kl.createPool({ threads: 3, backend });
    try {
      const r1 = (await one.klDiv(lq, p, { reduction: 'sum' })).item();
      const r2 = (await pool.klDiv(lq, p, { reduction: 'sum' })).item();
      const r3 = (await three.klDiv(lq, p, { reduction: 'sum' })).item();
      expect(r2).toBe(r1);
      expect(r3).toBe(r1);
      const single = kl.klDiv(lq, p, { reduction: 'sum' }).item();
      expect(Math.abs(r1 - single)).toBeLessThanOrEqual(1e-6 * Math.abs(single));
      const none = await pool.klDiv(lq, p, { reduction: 'none' });
      expect(none.data).toEqual(kl.klDiv(lq, p, { reduction: 'none' }).data);
      // Broadcasting runs on the calling thread, same answer.
      const row = { data: p.data.subarray(0, 5000), shape: [5000] };
      expect((await pool.klDiv(lq, row, { reduction: 'batchmean' })).item()).toBe(kl.klDiv(lq, row, { reduction: 'batchmean' }).item());
    } finally {
      await one.close();
      await three.close();
    }
  });

  it('errors reach the caller as the same typed errors', async () => {
    await expect(pool.klDivLogits(x, y, { reduction: 'avg' as never })).rejects.toThrow(TypeError);
    await expect(pool.klDivLogits(x, { data: y.data, shape: [C, B] })).rejects.toThrow(RangeError);
    await expect(pool.softmax(x, 5)).rejects.toThrow(/Dimension out of range/);
    await expect(pool.logSumExp(x, [1, 1])).rejects.toThrow(/appears multiple times/);
    await expect(pool.klDiv(x, y, { reduction: 'sum', out: kl.softmax(x, -1) } as never)).rejects.toThrow(/not supported by the pool/);
  });

  it('1000 concurrent calls complete, none lost or duplicated', async () => {
    const inputs = Array.from({ length: 1000 }, (_, i) => ({ data: logits(3 * 17), shape: [3, 17], i }));
    const results = await Promise.all(inputs.map((a, i) => pool.klDivLogits(a, inputs[(i + 1) % 1000]!, { reduction: 'sum' })));
    expect(results).toHaveLength(1000);
    results.forEach((r, i) => expect(r.item()).toBe(kl.klDivLogits(inputs[i]!, inputs[(i + 1) % 1000]!, { reduction: 'sum' }).item()));
  });
});

describe('pool lifecycle', () => {
  it('a crashed worker is replaced and its task runs again', async () => {
    kl.initSync({ backend: 'wasm-simd' });
    const pool = kl.createPool({ threads: 2, backend: 'wasm-simd' });
    await pool.ready();
    const x = { data: logits(64 * 20000), shape: [64, 20000] };
    const y = { data: logits(64 * 20000), shape: [64, 20000] };
    const pending = pool.klDivLogits(x, y, { reduction: 'perSlice' });
    pool._killWorker(0);
    pool._killWorker(1);
    const r = await pending;
    expect(r.data).toEqual(kl.klDivLogits(x, y, { reduction: 'perSlice' }).data);
    expect(await pool.ready()).toHaveLength(2);
    expect((await pool.softmax([1, 2, 3], 0)).data[2]).toBeCloseTo(0.66524096, 6);
    await pool.close();
  });

  it('close() rejects pending and later calls clearly, and is idempotent', async () => {
    const pool = kl.createPool({ threads: 1 });
    const big = { data: logits(32 * 50000), shape: [32, 50000] };
    const pending = pool.klDivLogits(big, big);
    await pool.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(pool.softmax([1, 2], 0)).rejects.toThrow(/pool is closed/);
    await pool.close();
  });

  it('validates its options', () => {
    expect(() => kl.createPool({ threads: 0 })).toThrow(RangeError);
    expect(() => kl.createPool({ threads: 1.5 })).toThrow(/threads/);
    expect(() => kl.createPool(null as never)).toThrow(TypeError);
  });

  it('a backend that cannot load rejects the calls with the reason', async () => {
    const pool = kl.createPool({ threads: 1, backend: 'quantum' as never });
    await expect(pool.ready()).rejects.toThrow(/backend/);
    await expect(pool.softmax([1, 2], 0)).rejects.toThrow(/backend/);
    await pool.close();
  });
});
