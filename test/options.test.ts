/**
 * Option names and `out` overlap. Options are read by destructuring, so a misspelt or
 * PyTorch-style name (`log_target`, `size_average`, `reducton`) used to be ignored silently and
 * the default applied — a wrong number with no error. Every entry point now throws a TypeError
 * naming the unknown option, the one the caller probably meant and the valid ones. And softmax /
 * logSoftmax with an `out` that partly overlaps the input (which gave wrong rows) are refused,
 * while exactly in place stays allowed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  KLDivLoss, Tensor, allocTensor, createPool, diagnose, init, initSync, klDiv, klDivBackward, klDivLogits, klDivLogitsWithGrad,
  klDivPerSlice, logSoftmax, setWarningHandler, softmax,
} from '../src/index.js';
import { closestOption } from '../src/options.js';
import { ALL_BACKENDS, WASM_BACKENDS, useBackend } from './helpers/backends.js';

setWarningHandler(null);
afterAll(() => {
  initSync({ backend: 'auto' });
});

const lp = { data: Float32Array.from([-1.2, -0.9, -1.3, -2, -0.2, -3, -1, -1.1, -1.4, -0.6, -2.2, -0.4]), shape: [4, 3] };
const p = { data: Float32Array.from([0.3, 0.4, 0.3, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6, 0.5, 0.25, 0.25]), shape: [4, 3] };

/** Expects fn to throw a TypeError mentioning the unknown key and, if given, the suggestion. */
function rejects(fn: () => unknown, key: string, meant: string | null): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `${key} should be refused`).toBeInstanceOf(TypeError);
  const msg = (err as Error).message;
  expect(msg).toContain(`unknown option '${key}'`);
  if (meant !== null) expect(msg).toContain(`Did you mean '${meant}'?`);
  else expect(msg).not.toContain('Did you mean');
}

describe.each(ALL_BACKENDS)('option names on %s', (backend) => {
  it('klDiv, KLDivLoss and klDivBackward refuse unknown names, small calls included', () => {
    useBackend(backend);
    rejects(() => klDiv(lp, p, { reduction: 'sum', log_target: true } as never), 'log_target', 'logTarget');
    rejects(() => klDiv(lp, p, { reducton: 'sum' } as never), 'reducton', 'reduction');
    rejects(() => klDiv(lp, p, { size_average: false } as never), 'size_average', 'sizeAverage');
    rejects(() => klDiv(lp, p, { reduction: 'batchmean', epsilon: 1e-8 } as never), 'epsilon', null);
    rejects(() => new KLDivLoss({ log_target: true } as never), 'log_target', 'logTarget');
    rejects(() => new KLDivLoss({ reduction: 'sum', out: undefined } as never), 'out', null);
    rejects(() => klDivBackward(1, lp, p, { reduction: 'sum', grad_target: false } as never), 'grad_target', 'gradTarget');
    // The valid names still work (and the small-call lane gives the general path's value).
    const sum = klDiv(lp, p, { reduction: 'sum' }).item();
    const big = klDiv({ data: new Float32Array(400).fill(-1), shape: [100, 4] }, { data: new Float32Array(400).fill(0.25), shape: [100, 4] }, { reduction: 'sum', logTarget: false, validate: false }).item();
    expect(Number.isFinite(sum) && Number.isFinite(big)).toBe(true);
  });

  it('klDivLogits, klDivLogitsWithGrad, klDivPerSlice and diagnose refuse unknown names', () => {
    useBackend(backend);
    rejects(() => klDivLogits(lp, lp, { logTarget: true } as never), 'logTarget', null);
    rejects(() => klDivLogits(lp, lp, { temprature: 2 } as never), 'temprature', 'temperature');
    rejects(() => klDivLogits(lp, lp, { T: 2 } as never), 'T', null);
    rejects(() => klDivLogitsWithGrad(lp, lp, { grad_output: 1 } as never), 'grad_output', 'gradOutput');
    rejects(() => klDivPerSlice(lp, p, { reduction: 'sum' } as never), 'reduction', null);
    rejects(() => diagnose(lp, p, { tolerence: 1e-3 } as never), 'tolerence', 'tolerance');
    expect(klDivLogits(lp, lp, { dim: -1, temperature: 2, reduction: 'sum' }).item()).toBe(0);
  });

  it('softmax and logSoftmax refuse unknown names and a non-object options', () => {
    useBackend(backend);
    rejects(() => softmax(lp, -1, { outt: null } as never), 'outt', 'out');
    rejects(() => logSoftmax(lp, -1, { keepdim: true } as never), 'keepdim', null);
    expect(() => softmax(lp, -1, 3 as never)).toThrow(TypeError);
  });
});

describe('option names of init, initSync and createPool', () => {
  it('refuses unknown names', async () => {
    rejects(() => initSync({ backnd: 'js' } as never), 'backnd', 'backend');
    rejects(() => initSync({ max_memory_mib: 128 } as never), 'max_memory_mib', 'maxMemoryMiB');
    await expect(init({ windowKib: 64 } as never)).rejects.toThrow(/unknown option 'windowKib'. Did you mean 'windowKiB'\?/);
    rejects(() => createPool({ thread: 2 } as never), 'thread', 'threads');
  });

  it("a windowKiB too large for maxMemoryMiB: the message gives both limits and the fix", () => {
    expect(() => initSync({ backend: 'js', windowKiB: 200000 })).toThrow(
      "initSync: option 'windowKiB' must be at least 1 and at most half of maxMemoryMiB (64 MiB: at most 32768), got 200000. Lower windowKiB or raise maxMemoryMiB.",
    );
    expect(() => initSync({ backend: 'js', maxMemoryMiB: 16, windowKiB: 9000 })).toThrow(/\(16 MiB: at most 8192\), got 9000/);
  });

  it('closestOption: snake_case, case and small typos', () => {
    const allowed = ['reduction', 'logTarget', 'sizeAverage', 'reduce', 'out', 'validate'];
    expect(closestOption('log_target', allowed)).toBe('logTarget');
    expect(closestOption('LOGTARGET', allowed)).toBe('logTarget');
    expect(closestOption('reductoin', allowed)).toBe('reduction');
    expect(closestOption('reduce_', allowed)).toBe('reduce');
    expect(closestOption('temperature', allowed)).toBeNull();
  });
});

describe('softmax / logSoftmax with an out that partly overlaps the input', () => {
  for (const backend of ['js', ...WASM_BACKENDS] as const) {
    it(`is refused on ${backend}; exactly in place is not`, () => {
      useBackend(backend);
      const b = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
      const x = new Tensor(b.subarray(0, 6), [2, 3]);
      for (const op of [softmax, logSoftmax]) {
        expect(() => op(x, -1, { out: new Tensor(b.subarray(1, 7), [2, 3]) })).toThrow(/argument 'out' partly overlaps the input/);
        expect(() => op(x, 0, { out: new Tensor(b.subarray(2, 8), [2, 3]) })).toThrow(RangeError);
      }
      // The input untouched by the refused calls; in place through an identical view works.
      expect(Array.from(b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const want = softmax(new Tensor(b.slice(0, 6), [2, 3]), -1).data;
      softmax(x, -1, { out: new Tensor(b.subarray(0, 6), [2, 3]) });
      expect(Array.from(b.subarray(0, 6))).toEqual(Array.from(want));
      if (backend !== 'js') {
        const t = allocTensor([2, 8], 'float32');
        t.data.set([1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1]);
        const view = t.data;
        const xin = new Tensor(view.subarray(0, 6), [2, 3]);
        expect(() => logSoftmax(xin, -1, { out: new Tensor(view.subarray(3, 9), [2, 3]) })).toThrow(/partly overlaps/);
        // Disjoint views of one zero-copy tensor are fine.
        const res = logSoftmax(xin, -1, { out: new Tensor(view.subarray(8, 14), [2, 3]) });
        expect(Array.from(res.data)).toEqual(Array.from(logSoftmax(new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]), -1).data));
        t.free();
      }
    });
  }
});

describe('pool', () => {
  it('pool.softmax and pool.logSoftmax reject an out option instead of ignoring it', async () => {
    const pool = createPool({ threads: 1, backend: 'js' });
    try {
      const out = new Tensor(new Float32Array(12), [4, 3]);
      await expect(pool.softmax(lp, -1, { out })).rejects.toThrow(/option 'out' is not supported by the pool/);
      await expect(pool.logSoftmax(lp, -1, { out })).rejects.toThrow(TypeError);
      expect(Array.from(out.data).every((v) => v === 0)).toBe(true);
    } finally {
      await pool.close();
    }
  });
});

describe('init and initSync: the last call wins', () => {
  it('an initSync after a pending init wins; an op before init does not cancel it', async () => {
    initSync({ backend: 'js' });
    const p1 = init({ backend: 'wasm-scalar' });
    expect(initSync({ backend: 'wasm-simd' })).toBe('wasm-simd');
    expect(await p1).toBe('wasm-simd');
    expect(initSync({ backend: 'wasm-simd' })).toBe('wasm-simd');
    // A later init still wins over an earlier initSync.
    const p2 = init({ backend: 'wasm-scalar' });
    expect(await p2).toBe('wasm-scalar');
    // A failed initSync (bad options) does not cancel a pending init.
    const p3 = init({ backend: 'js' });
    expect(() => initSync({ backend: 'nope' as never })).toThrow(TypeError);
    expect(await p3).toBe('js');
    initSync({ backend: 'auto' });
  });
});

describe('init({ wasmBaseUrl }) in Node', () => {
  it('a fetch that fails names the option, the URL and the fix; auto falls back with a warning', async () => {
    initSync({ backend: 'js' });
    await expect(init({ backend: 'wasm-simd', wasmBaseUrl: 'file:///nonexistent/klwasm/' })).rejects.toThrow(
      /init\(\{ wasmBaseUrl \}\) could not fetch file:\/\/\/nonexistent\/klwasm\/klwasm\.simd\.wasm: .*omit wasmBaseUrl/,
    );
    // 'auto' falls back (down to js) but warns with the same message.
    const seen: { code: string; message: string }[] = [];
    setWarningHandler((w) => seen.push(w));
    try {
      expect(await init({ backend: 'auto', wasmBaseUrl: 'http://127.0.0.1:9/' })).toBe('js');
    } finally {
      setWarningHandler(null);
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((w) => w.code === 'KLWASM_WASM_FETCH' && /could not fetch http:\/\/127\.0\.0\.1:9\/klwasm\.\w+\.wasm.*Falling back/.test(w.message))).toBe(true);
    initSync({ backend: 'auto' });
  });
});
