/**
 * Warning delivery. In its own file: vitest isolates module state per file, so the
 * once-per-process filter starts empty here.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type KlwasmWarning, klDiv, setWarningHandler, softmax } from '../src/index.js';

afterEach(() => {
  setWarningHandler(undefined);
  vi.restoreAllMocks();
});

describe('warnings', () => {
  it('by default each warning is emitted once per process through process.emitWarning', () => {
    setWarningHandler(undefined);
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const x = [[-1, -2]];
    const t = [[0.4, 0.6]];
    klDiv(x, t, { sizeAverage: false, reduce: true });
    klDiv(x, t, { sizeAverage: false, reduce: true });
    const calls = spy.mock.calls.filter((c) => String(c[0]).includes("reduction='sum'"));
    expect(calls).toHaveLength(1);
    expect(calls[0]![1]).toMatchObject({ code: 'KLWASM_LEGACY_REDUCTION', type: 'KlwasmWarning' });
  });

  it('by default each distinct message of one code is emitted once', () => {
    setWarningHandler(undefined);
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const x = [[-1, -2]];
    const t = [[0.4, 0.6]];
    for (let i = 0; i < 3; i++) {
      klDiv(x, t, { sizeAverage: true, reduce: true }); // reduction='mean'
      klDiv(x, t, { reduce: false }); // reduction='none'
    }
    const legacy = spy.mock.calls.filter((c) => (c[1] as { code?: string } | undefined)?.code === 'KLWASM_LEGACY_REDUCTION').map((c) => String(c[0]));
    expect(legacy).toHaveLength(2);
    expect(legacy[0]).toContain("reduction='mean'");
    expect(legacy[1]).toContain("reduction='none'");
  });

  it('null silences, a function receives every occurrence', () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    setWarningHandler(null);
    softmax([1, 2]);
    expect(spy).not.toHaveBeenCalled();
    const seen: KlwasmWarning[] = [];
    setWarningHandler((w) => seen.push(w));
    softmax([1, 2]);
    softmax([1, 2]);
    expect(seen.map((w) => w.code)).toEqual(['KLWASM_IMPLICIT_DIM', 'KLWASM_IMPLICIT_DIM']);
    expect(spy).not.toHaveBeenCalled();
    expect(() => setWarningHandler('loud' as never)).toThrow(TypeError);
  });
});


  it('without process.emitWarning (browsers) the default falls back to console.warn, once', () => {
    const emit = process.emitWarning;
    const warnSpy = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    (process as { emitWarning?: unknown }).emitWarning = undefined;
    try {
      klDiv([-1], [1], { reduction: 'elementwise_mean' });
      klDiv([-1], [1], { reduction: 'elementwise_mean' });
    } finally {
      process.emitWarning = emit;
    }
    expect(warnSpy).toHaveBeenCalledTimes(1);
    expect(String(warnSpy.mock.calls[0]![0])).toContain("reduction='elementwise_mean' is deprecated");
  });
