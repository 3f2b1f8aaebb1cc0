/**
 * WASM memory: zero-copy tensors, `out`, growth (views re-derived), limits, and no growth or leak
 * over 10⁵ mixed calls once warm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Tensor,
  allocTensor,
  init,
  initSync,
  memoryStats,
  diagnose,
  klDiv,
  klDivBackward,
  klDivLogits,
  klDivLogitsWithGrad,
  klDivPerSlice,
  logSoftmax,
  logSumExp,
  setWarningHandler,
  softmax,
} from '../src/index.js';
import { activeWasmMemory, kernels } from '../src/runtime.js';
import { closeMismatch } from './helpers/golden.js';
import { seeded } from './helpers/random.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

describe.each(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar'] as const)('zero-copy and memory on %s', (name) => {
  beforeAll(() => {
    initSync({ backend: name, maxMemoryMiB: 16, windowKiB: 1024 });
  });
  const rand = seeded(5);

  it('init with the same options keeps the active memory (idempotent); other options replace it', async () => {
    const t = allocTensor([8]);
    const live = memoryStats().liveTensorBytes;
    expect(live).toBeGreaterThanOrEqual(32);
    expect(initSync({ backend: name, maxMemoryMiB: 16, windowKiB: 1024 })).toBe(name);
    expect(await init({ backend: name, maxMemoryMiB: 16, windowKiB: 1024 })).toBe(name);
    expect(memoryStats().liveTensorBytes).toBe(live); // the same memory: t is still counted
    t.data.fill(2);
    expect(softmax(t, -1, { out: t }).data[0]).toBeCloseTo(1 / 8, 7); // still zero-copy in place
    t.free();
    expect(initSync({ backend: name, maxMemoryMiB: 16, windowKiB: 512 })).toBe(name);
    expect(memoryStats().windowBytes).toBe(512 * 1024); // a new window: a new memory
    initSync({ backend: name, maxMemoryMiB: 16, windowKiB: 1024 });
    expect(memoryStats().windowBytes).toBe(1024 * 1024);
  });

  it('ops on allocTensor inputs and outputs equal the copying path; in-place softmax works', () => {
    const shape = [4, 1000];
    const a = allocTensor(shape);
    const b = allocTensor(shape);
    for (let i = 0; i < 4000; i++) {
      a.data[i] = 6 * (rand() - 0.5);
      b.data[i] = a.data[i]! + 0.2 * (rand() - 0.5);
    }
    const plainA = { data: Float32Array.from(a.data), shape };
    const plainB = { data: Float32Array.from(b.data), shape };
    expect(klDivLogits(a, b, { reduction: 'sum' }).item()).toBe(klDivLogits(plainA, plainB, { reduction: 'sum' }).item());
    expect(logSumExp(a, -1).data).toEqual(logSumExp(plainA, -1).data);
    const none = allocTensor(shape);
    const ls = logSoftmax(a, -1);
    const p = softmax(b, -1);
    const r = klDiv(ls, p, { reduction: 'none', out: none });
    expect(r).toBe(none);
    expect(none.data).toEqual(klDiv(ls, p, { reduction: 'none' }).data);
    const expected = softmax(plainA, -1).data;
    const same = softmax(a, -1, { out: a });
    expect(same).toBe(a);
    expect(a.data).toEqual(expected);
    logSoftmax(b, -1, { out: b });
    expect(closeMismatch(b.data, logSoftmax(plainB, -1).data, 0, 0)).toBeNull();
    for (const t of [a, b, none]) t.free();
  });

  it('small klDivLogits calls on allocTensor inputs (kernel on the tensors themselves) equal the copying path', () => {
    const cases: [number[], number, 'float32' | 'float64'][] = [
      [[4, 5], -1, 'float32'],
      [[4, 5], 0, 'float32'],
      [[2, 3, 4], 1, 'float32'],
      [[1, 7], -1, 'float32'],
      [[4, 5], -1, 'float64'],
      [[3, 2, 5], 0, 'float64'],
    ];
    for (const [shape, dim, dtype] of cases) {
      const n = shape.reduce((p, q) => p * q, 1);
      const a = allocTensor(shape, dtype);
      const b = allocTensor(shape, dtype);
      for (let i = 0; i < n; i++) {
        a.data[i] = 6 * (rand() - 0.5);
        b.data[i] = a.data[i]! + (i % 5 === 0 ? 0 : 0.7 * (rand() - 0.5));
      }
      b.data[1] = -Infinity; // a −inf target logit: the special-row variant of the kernel
      const Ctor = dtype === 'float64' ? Float64Array : Float32Array;
      const plainA = { data: Ctor.from(a.data), shape };
      const plainB = { data: Ctor.from(b.data), shape };
      for (const reduction of ['sum', 'batchmean', 'mean', 'perSlice', 'none'] as const) {
        for (const temperature of [1, 2.5]) {
          const z = klDivLogits(a, b, { dim, reduction, temperature });
          const c = klDivLogits(plainA, plainB, { dim, reduction, temperature });
          expect(z.shape, `${dtype} ${shape} dim ${dim} ${reduction} T=${temperature}`).toEqual(c.shape);
          expect(z.data, `${dtype} ${shape} dim ${dim} ${reduction} T=${temperature}`).toEqual(c.data);
        }
      }
      for (const t of [a, b]) t.free();
    }
  });

  it('gradient, per-slice and diagnosis ops on allocTensor inputs equal the copying path', () => {
    const shape = [3, 700];
    const a = allocTensor(shape);
    const b = allocTensor(shape);
    for (let i = 0; i < 2100; i++) {
      a.data[i] = 6 * (rand() - 0.5);
      b.data[i] = a.data[i]! + 0.5 * (rand() - 0.5);
    }
    const plainA = { data: Float32Array.from(a.data), shape };
    const plainB = { data: Float32Array.from(b.data), shape };
    const z = klDivLogitsWithGrad(a, b, { gradTarget: true });
    const c = klDivLogitsWithGrad(plainA, plainB, { gradTarget: true });
    expect(z.loss.item()).toBe(c.loss.item());
    expect(z.gradInput.data).toEqual(c.gradInput.data);
    expect(z.gradTarget!.data).toEqual(c.gradTarget!.data);
    const ls = logSoftmax(a, -1, { out: a });
    const p = softmax(b, -1, { out: b });
    const lsPlain = { data: Float32Array.from(ls.data), shape };
    const pPlain = { data: Float32Array.from(p.data), shape };
    expect(klDivPerSlice(a, b).data).toEqual(klDivPerSlice(lsPlain, pPlain).data);
    expect(klDivBackward(null, a, b, { reduction: 'sum' }).gradTarget.data).toEqual(klDivBackward(null, lsPlain, pPlain, { reduction: 'sum' }).gradTarget.data);
    expect(diagnose(a, b).text).toBe(diagnose(lsPlain, pPlain).text);
    for (const t of [a, b]) t.free();
  });

  it('per-slice results larger than the window: zero-copy inputs fall back to staged column tiles', () => {
    // [1, 3, 20000] along dim 1: 20000 slices × 10 statistics × 8 bytes = 1.6 MB > the 1 MiB window.
    const a = allocTensor([1, 3, 20000]);
    a.data.fill(-Math.log(3));
    const plain = { data: Float32Array.from(a.data), shape: [1, 3, 20000] };
    const r = diagnose(a, a, { dim: 1, logTarget: true });
    expect(r.ok).toBe(true);
    expect(r.text).toBe(diagnose(plain, plain, { dim: 1, logTarget: true }).text);
    expect(klDivPerSlice(a, a, { dim: 1, logTarget: true }).data).toEqual(klDivPerSlice(plain, plain, { dim: 1, logTarget: true }).data);
    a.free();
  });

  it('kernel zero-copy branches: every array in WASM memory (klDivLogitsGrad, klDivGradBlock)', () => {
    const shape = [4, 33];
    const n = 132;
    const [x, y, G, gi, gt, gi2, gt2] = [0, 0, 0, 0, 0, 0, 0].map(() => allocTensor(shape));
    for (let i = 0; i < n; i++) {
      x!.data[i] = 4 * (rand() - 0.5);
      y!.data[i] = 4 * (rand() - 0.5);
      G!.data[i] = rand() - 0.5;
    }
    const k = kernels();
    const copy = (t: Tensor) => Float32Array.from(t.data);
    for (const gOut of [null, G!]) {
      const ps1 = new Float64Array(4);
      const ps2 = new Float64Array(4);
      const l1 = k.klDivLogitsGrad(x!.data, y!.data, 4, 33, 1, 1.3, 1.69, 1.3, gOut?.data ?? null, null, ps1, null, gi!.data, gt!.data);
      const cgi = new Float32Array(n);
      const cgt = new Float32Array(n);
      const l2 = k.klDivLogitsGrad(copy(x!), copy(y!), 4, 33, 1, 1.3, 1.69, 1.3, gOut ? copy(gOut) : null, null, ps2, null, cgi, cgt);
      expect(l1).toBe(l2);
      expect(ps1).toEqual(ps2);
      expect(gi!.data).toEqual(cgi);
      expect(gt!.data).toEqual(cgt);
    }
    k.klDivGradBlock(x!.data, 0, 33, 1, y!.data, 0, 33, 1, 4, 33, true, G!.data, 0, 1, 2, gi2!.data, 0, gt2!.data, 0);
    const cgi = new Float32Array(n);
    const cgt = new Float32Array(n);
    k.klDivGradBlock(copy(x!), 0, 33, 1, copy(y!), 0, 33, 1, 4, 33, true, copy(G!), 0, 1, 2, cgi, 0, cgt, 0);
    expect(gi2!.data).toEqual(cgi);
    expect(gt2!.data).toEqual(cgt);
    for (const t of [x, y, G, gi, gt, gi2, gt2]) t!.free();
  });

  it('views are re-derived after memory.grow and keep their values', () => {
    const mem = activeWasmMemory()!;
    const first = allocTensor([1000], 'float64');
    first.data.set(Float64Array.from({ length: 1000 }, (_, i) => i * 0.5));
    const before = mem.byteLength;
    const oldView = first.data;
    expect(first.data).toBe(oldView); // one view, handed out until the memory grows
    expect(mem.owns(oldView)).toBe(true);
    expect(mem.owns(oldView)).toBe(true); // (the second answer comes from owns' cache)
    expect(mem.owns(new Float64Array(oldView.buffer.slice(0, 16), 8, 1))).toBe(false); // a copy is not ours
    const big = allocTensor([2 * 1024 * 1024]); // 8 MiB: forces growth
    expect(mem.byteLength).toBeGreaterThan(before);
    expect(oldView.length).toBe(0); // the old view was detached by the growth…
    expect(mem.owns(oldView)).toBe(false); // …so it is no longer ours (owns' cache was forgotten)
    const newView = first.data;
    expect(newView[999]).toBe(499.5); // …the tensor's getter re-derives it
    expect(first.data).toBe(newView); // once
    expect(mem.owns(newView)).toBe(true);
    // An op on the tensor after growth reads the new view in place: the same values as a copy.
    const lse = logSumExp(first, -1).item();
    expect(lse).toBe(logSumExp(Float64Array.from(newView), -1).item());
    big.free();
    first.free();
    expect(mem.liveBytes).toBe(0);
  });

  it('small calls recognise zero-copy operands by identity (ownsRecent) and stage the others: the same bits', () => {
    const mem = activeWasmMemory()!;
    const a = allocTensor([4, 5]);
    const b = allocTensor([4, 5]);
    const c = allocTensor([4, 5]);
    for (let i = 0; i < 20; i++) {
      a.data[i] = 3 * (rand() - 0.5);
      b.data[i] = 3 * (rand() - 0.5);
    }
    const typed = new Float32Array(20);
    expect(mem.ownsRecent(typed)).toBe(false);
    const va = a.data;
    const vb = b.data; // the last two views read are recognised…
    expect(mem.ownsRecent(va) && mem.ownsRecent(vb)).toBe(true);
    c.data.fill(0); // …and a third read pushes out the oldest
    expect(mem.ownsRecent(va)).toBe(false);
    expect(mem.ownsRecent(vb)).toBe(true);
    expect(mem.owns(va)).toBe(true); // owns() still finds it (and remembers it)
    // In place (tensors), unrecognised views (stale plain { data } of a view read earlier) and
    // copies give the same bits, for each small-call path.
    const stale = { data: va, shape: [4, 5] };
    const copyA = { data: Float32Array.from(va), shape: [4, 5] };
    const copyB = { data: Float32Array.from(vb), shape: [4, 5] };
    for (const [name, f] of [
      ['logSumExp', (x: never) => logSumExp(x, -1).data],
      ['softmax', (x: never) => softmax(x, -1).data],
      ['logSoftmax', (x: never) => logSoftmax(x, -1).data],
    ] as const) {
      const want = Array.from(f(copyA as never));
      void c.data; // push a's view out of the recent pair
      void b.data;
      expect(mem.ownsRecent(va), name).toBe(false);
      expect(Array.from(f(stale as never)), name).toEqual(want);
      expect(Array.from(f(a as never)), name).toEqual(want);
    }
    const want = klDivLogits(copyA, copyB, { reduction: 'sum' }).item();
    expect(klDivLogits(a, b, { reduction: 'sum' }).item()).toBe(want);
    c.data.fill(0);
    expect(klDivLogits(stale, b, { reduction: 'sum' }).item()).toBe(want);
    for (const t of [a, b, c]) t.free();
  });

  it('views of klwasm\'s own memory (constants, scratch window) are refused as out or in-place operands; views inside a tensor work', () => {
    const mem = activeWasmMemory()!;
    const x = [[1, 2, 3, 4, 5], [0, 0, 0, 0, 1]];
    const before = logSumExp(x, -1).toArray();
    const t = allocTensor([4096]);
    const n = 1024;
    const src = { data: new Float32Array(n).map((_, i) => Math.sin(i)), shape: [1, n] };
    for (const off of [0, 16, mem.window, mem.window + 64]) {
      const view = new Float32Array(t.data.buffer, off, n);
      const out = new Tensor(view, [1, n]);
      expect(() => softmax(src, -1, { out }), `out at ${off}`).toThrow(/argument 'out' views klwasm's internal WASM memory.*allocTensor/);
      expect(() => klDiv(src, src, { reduction: 'none', out })).toThrow(/argument 'out' views klwasm's internal WASM memory/);
      // In place as an input (past the small-call size) would read the window while it is written.
      if (off !== 0) expect(() => logSoftmax(new Tensor(view, [1, n]), -1)).toThrow(/an operand views klwasm's internal WASM memory/);
    }
    // From address 0, a view long enough to reach the window is refused as well (a shorter one
    // only reads constants as data, and is staged like any array).
    const fromZero = new Float32Array(t.data.buffer, 0, (mem.window >>> 2) + 64);
    expect(() => logSoftmax(new Tensor(fromZero, [1, fromZero.length]), -1)).toThrow(/an operand views klwasm's internal WASM memory \(bytes 0–/);
    expect(() => logSumExp(new Tensor(fromZero, [fromZero.length]), 0)).toThrow(/internal WASM memory/);
    // Nothing was overwritten: the kernels' constants give the same results as before.
    expect(logSumExp(x, -1).toArray()).toEqual(before);
    // A view inside the tensor (in the zero-copy heap) is an ordinary in-place destination.
    const inner = new Tensor(new Float32Array(t.data.buffer, t.pointer + 4 * 1024, n), [1, n]);
    expect(softmax(src, -1, { out: inner })).toBe(inner);
    expect(Array.from(inner.data)).toEqual(Array.from(softmax(src, -1).data));
    expect(Array.from(t.data.subarray(1024, 2048))).toEqual(Array.from(inner.data));
    t.free();
  });

  it('limits, free and misuse give clear errors', () => {
    expect(() => allocTensor([64 * 1024 * 1024])).toThrow(/do not fit in the WASM memory.*maxMemoryMiB/);
    const t = allocTensor([3]);
    t.free();
    t.free(); // idempotent
    expect(t.isFreed).toBe(true);
    expect(() => t.data).toThrow(/freed/);
    expect(() => allocTensor([-1])).toThrow(RangeError);
    // A BigInt entry is shown as one ([2n, 3]), not as the number it looks like.
    expect(() => allocTensor([2n, 3] as never)).toThrow(/argument 'shape' is \[2n, 3\]\. Give an array of non-negative integers \(numbers, not BigInts\)/);
    expect(() => allocTensor([2], 'int32' as never)).toThrow(TypeError);
    const out = allocTensor([2, 3], 'float64');
    expect(() => softmax([[1, 2, 3], [4, 5, 6]], -1, { out })).toThrow(/float64 tensor of shape \[2, 3\], but the result is float32/);
    expect(() => softmax([[1, 2, 3]], -1, { out: [1, 2, 3] as never })).toThrow(TypeError);
    const x = allocTensor([2, 3]);
    expect(() => klDiv(x, x, { reduction: 'none', out: x })).toThrow(/overlaps/);
    expect(() => klDiv(x, x, { reduction: 'sum', out: x })).toThrow(/'none' only/);
    out.free();
    x.free();
  });

  it('10⁵ mixed calls once warm: no memory growth, no leaked allocations', () => {
    const mem = activeWasmMemory()!;
    const x = { data: Float32Array.from({ length: 40 }, () => rand() * 4), shape: [4, 10] };
    const y = { data: Float32Array.from({ length: 40 }, () => rand() * 4), shape: [4, 10] };
    const x64 = { data: Float64Array.from(x.data), shape: [10, 4] };
    const wasmX = allocTensor([4, 10]);
    wasmX.data.set(x.data);
    const run = (i: number) => {
      switch (i % 8) {
        case 0: return softmax(x, -1);
        case 1: return logSoftmax(x64, 0);
        case 2: return logSumExp(x, [0, 1]);
        case 3: return klDivLogits(x, y, { temperature: 2 });
        case 4: return klDiv(logSoftmax(x, -1), softmax(y, -1), { reduction: 'batchmean' });
        case 5: return klDivLogits(x64, x64, { dim: 0, reduction: 'none' });
        case 6: return softmax(wasmX, 1);
        default: return klDiv(x, y.data.subarray(0, 10), { reduction: 'sum', logTarget: true });
      }
    };
    for (let i = 0; i < 100; i++) run(i); // warm up
    const bytes = mem.byteLength;
    const live = mem.liveBytes;
    let check = 0;
    for (let i = 0; i < 100_000; i++) {
      const r: Tensor = run(i);
      check += r.data[0]!;
    }
    expect(Number.isFinite(check)).toBe(true);
    expect(mem.byteLength).toBe(bytes);
    expect(mem.liveBytes).toBe(live);
    wasmX.free();
  });
});

it('allocTensor needs a WASM backend', () => {
  initSync({ backend: 'js' });
  expect(() => allocTensor([2])).toThrow(/active backend is 'js'/);
});
