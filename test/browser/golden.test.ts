/**
 * Real headless Chromium (Debian's package, driven by playwright-core): the unbundled ESM build
 * (dist/esm, served from a localhost static server with an import map for @assemblyscript/loader)
 * runs a golden PyTorch subset inside the page on wasm-relaxed-simd, wasm-simd, wasm-scalar and js; the values are
 * graded here. Also init({ wasmBaseUrl }) streaming compilation from the served dist/wasm/.
 */
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StaticServer, startStaticServer } from '../../scripts/serve.mjs';
import { type Browser, launchChromium } from '../helpers/chromium.js';
import type { GoldenCase } from '../helpers/golden.js';
import { type RunOutput, goldenSubset, gradeAll } from './golden-subset.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const cases = goldenSubset();

let server: StaticServer;
let browser: Browser;
let page: Page;
let errors: string[];

interface WasmCalls {
  compileStreaming: string[];
  compileBytes: number;
}

const run = async (c: readonly GoldenCase[], opts: { backend: string; wasmBaseUrl?: string }): Promise<RunOutput> =>
  JSON.parse(
    await page.evaluate(([c, o]) => (window as unknown as { klwasmTest: { run: (...a: unknown[]) => Promise<string> } }).klwasmTest.run(c, o), [JSON.stringify(c), opts] as const),
  ) as RunOutput;
const wasmCalls = (): Promise<WasmCalls> => page.evaluate(() => (window as unknown as { wasmCalls: WasmCalls }).wasmCalls);
const served = (path: string) => server.requests.filter((r) => r.path === path);

beforeAll(async () => {
  server = await startStaticServer({
    root: ROOT,
    mounts: { '/wrong-type/': `${ROOT}dist/wasm` },
    // A misconfigured server: .wasm served without application/wasm.
    headers: (path): Record<string, string> => (path.startsWith('/wrong-type/') ? { 'Content-Type': 'application/octet-stream' } : {}),
  });
  browser = await launchChromium();
  ({ page, errors } = await browser.newPage());
  await page.goto(`${server.url}/test/browser/pages/golden.html`);
  await page.waitForFunction(() => 'klwasmTest' in window, undefined, { timeout: 20_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Chromium, unbundled ESM build', () => {
  it(`the subset has a few dozen cases across all ops (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(['kl_div', 'softmax', 'log_softmax', 'logsumexp', 'kl_div_logits']));
    expect(cases.some((c) => c.op === 'kl_div_logits' && c.exact)).toBe(true);
  });

  it('an op before any init initialises synchronously on the main thread, on wasm-relaxed-simd', async () => {
    // A string, so the test runner does not rewrite the dynamic import; the page's import map resolves it.
    const got = (await page.evaluate(`(async () => {
      const k = await import('klwasm');
      const before = k.backend();
      const p = Array.from(k.softmax([1, 2, 3], -1).data);
      return { before, after: k.backend(), p };
    })()`)) as { before: null; after: string; p: number[] };
    expect(got.before).toBeNull();
    expect(got.after).toBe('wasm-relaxed-simd');
    expect(got.p[2]).toBeCloseTo(0.66524094, 6);
  });

  it("init() with 'auto' picks wasm-relaxed-simd (Chromium ships WebAssembly relaxed SIMD)", async () => {
    const out = await run([], { backend: 'auto' });
    expect(out.backend).toBe('wasm-relaxed-simd');
  });

  it.each(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'])('golden subset on %s, computed in the page', async (backend) => {
    const out = await run(cases, { backend });
    expect(out.backend).toBe(backend);
    gradeAll(cases, out, `chromium ${backend}`);
  });

  it('the embedded binaries need no .wasm request', () => {
    expect(server.requests.filter((r) => r.path.endsWith('.wasm'))).toEqual([]);
  });

  it.each(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar'])('init({ wasmBaseUrl }) compiles %s by streaming from dist/wasm/, one download', async (backend) => {
    const file = `/dist/wasm/klwasm.${{ 'wasm-relaxed-simd': 'relaxed', 'wasm-simd': 'simd', 'wasm-scalar': 'scalar' }[backend]}.wasm`;
    const before = await wasmCalls();
    const out = await run(cases, { backend, wasmBaseUrl: '/dist/wasm/' });
    expect(out.backend).toBe(backend);
    gradeAll(cases, out, `chromium ${backend} (streamed)`);
    const after = await wasmCalls();
    // Probe and real instance share one fetch and one streaming compilation; no embedded bytes.
    expect(served(file)).toEqual([{ method: 'GET', path: file, status: 200 }]);
    expect(after.compileStreaming.slice(before.compileStreaming.length)).toEqual([file]);
    expect(after.compileBytes).toBe(before.compileBytes);
  });

  it('wasmBaseUrl errors name the URL and the fix (404, wrong Content-Type)', async () => {
    const message = (backend: string, wasmBaseUrl: string) =>
      page.evaluate(
        ([b, u]) =>
          (window as unknown as { klwasmTest: { run: (...a: unknown[]) => Promise<unknown> } }).klwasmTest
            .run('[]', { backend: b, wasmBaseUrl: u })
            .then(() => 'resolved', (e: Error) => e.message),
        [backend, wasmBaseUrl] as const,
      );
    expect(await message('wasm-simd', '/nowhere/')).toMatch(/klwasm: fetching http:\/\/127\.0\.0\.1:\d+\/nowhere\/klwasm\.simd\.wasm failed with HTTP 404/);
    expect(await message('wasm-scalar', '/wrong-type')).toMatch(/served as 'application\/octet-stream'; streaming compilation needs 'Content-Type: application\/wasm'/);
    // 'auto' falls back past both WASM builds to js rather than failing.
    const auto = await run([], { backend: 'auto', wasmBaseUrl: '/nowhere/' });
    expect(auto.backend).toBe('js');
  });

  it('klDivLogits rows longer than the window (chain-rule segments) match the js backend in the page', async () => {
    // [2, 25000] float32 with a 64 KiB window: each row is cut into ~4 K-element segments.
    const got = await page.evaluate(() => {
      // The page's own module instance (a dynamic import here would be rewritten by vitest).
      const k = (window as unknown as { klwasmTest: { klwasm: unknown } }).klwasmTest.klwasm as {
        initSync: (o: object) => string;
        klDivLogits: (x: object, y: object, o: object) => { data: Float32Array };
      };
      const N = 25_000;
      const x = new Float32Array(2 * N);
      const y = new Float32Array(2 * N);
      for (let i = 0; i < 2 * N; i++) {
        x[i] = 3 * Math.sin(i * 0.37);
        y[i] = x[i]! + Math.cos(i * 0.11);
      }
      const out: Record<string, number[]> = {};
      for (const b of ['js', 'wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar']) {
        const used = k.initSync(b === 'js' ? { backend: b } : { backend: b, windowKiB: 64, maxMemoryMiB: 4 });
        out[used] = Array.from(k.klDivLogits({ data: x, shape: [2, N] }, { data: y, shape: [2, N] }, { reduction: 'perSlice', temperature: 1.5 }).data);
      }
      k.initSync({ backend: 'auto' });
      return out;
    });
    expect(Object.keys(got).sort()).toEqual(['js', 'wasm-relaxed-simd', 'wasm-scalar', 'wasm-simd']);
    const want = got.js!;
    for (const b of ['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar']) {
      got[b]!.forEach((v, i) => expect(Math.abs(v - want[i]!), `${b} row ${i}`).toBeLessThanOrEqual(5e-7 * want[i]!));
    }
  });

  it('no console errors or uncaught exceptions in the page', () => {
    // The 404s above are logged by Chromium as failed resource loads; nothing else may be.
    expect(errors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e))).toEqual([]);
  });
});
