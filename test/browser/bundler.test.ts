/**
 * Bundler test: esbuild bundles a small app that imports klwasm (from the installed npm pack
 * tarball) with no configuration for .wasm; the bundle runs in headless Chromium and gives the
 * golden answers on wasm-relaxed-simd, wasm-simd, wasm-scalar and js, without requesting any .wasm file.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type StaticServer, startStaticServer } from '../../scripts/serve.mjs';
import { type Browser, launchChromium } from '../helpers/chromium.js';
import type { GoldenCase } from '../helpers/golden.js';
import { type Bundle, bundleApp } from './bundle.js';
import { type RunOutput, goldenSubset, gradeAll } from './golden-subset.js';

const packed = inject('packed');
const cases = goldenSubset();

let bundle: Bundle;
let server: StaticServer;
let browser: Browser;
let page: Page;
let errors: string[];

const run = async (c: readonly GoldenCase[], opts: { backend: string }): Promise<RunOutput> =>
  JSON.parse(
    await page.evaluate(([c, o]) => (window as unknown as { klwasmTest: { run: (...a: unknown[]) => Promise<string> } }).klwasmTest.run(c, o), [JSON.stringify(c), opts] as const),
  ) as RunOutput;

beforeAll(async () => {
  bundle = await bundleApp(packed.project, 'esbuild-app');
  server = await startStaticServer({ root: bundle.dir });
  browser = await launchChromium();
  ({ page, errors } = await browser.newPage());
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 20_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('esbuild bundle in Chromium', () => {
  it('bundles klwasm from node_modules into one file, with the kernels inlined', () => {
    const outputs = Object.keys(bundle.metafile.outputs);
    expect(outputs.map((o) => o.split('/').pop())).toEqual(['app.js']);
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((i) => i.includes('node_modules/klwasm/dist/esm/backend/wasm/binaries.generated.js'))).toBe(true);
    expect(inputs.some((i) => i.includes('node_modules/@assemblyscript/loader/index.js'))).toBe(true);
    expect(inputs.filter((i) => i.endsWith('.wasm') || i.includes('/cjs/') || i.includes('/cli/'))).toEqual([]);
    // Three base64 binaries (~450 kB of wasm: the SIMD kernels inline their exp/log, and the
    // software-pipelined row loops a second copy of its first stages) plus the library; ~699 kB
    // unminified when the bound was last moved (binaries 208.5 / 196.3 / 49.0 kB, after the
    // vector row tails, assembly/rowsum.ts and klDivLogits.ts). The bound catches a duplicated
    // binary (+190 kB) or library.
    const size = statSync(join(bundle.dir, 'app.js')).size;
    expect(size).toBeGreaterThan(60_000);
    expect(size).toBeLessThan(720_000);
  });

  it.each(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'])('golden subset on %s in the bundled app', async (backend) => {
    const out = await run(cases, { backend });
    expect(out.backend).toBe(backend);
    gradeAll(cases, out, `esbuild bundle ${backend}`);
  });

  it("'auto' picks wasm-relaxed-simd (Chromium ships relaxed SIMD)", async () => {
    expect((await run([], { backend: 'auto' })).backend).toBe('wasm-relaxed-simd');
  });

  it('no .wasm was requested and the page logged no errors', () => {
    expect(server.requests.map((r) => r.path).filter((p) => p !== '/favicon.ico').sort()).toEqual(['/', '/app.js']);
    expect(errors).toEqual([]);
  });
});
