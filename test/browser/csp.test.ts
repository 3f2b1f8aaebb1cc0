/**
 * Content-Security-Policy: the bundled app (self-hosted module script only) served with
 * `script-src 'self' 'wasm-unsafe-eval'` runs every backend with no violation — the CSP that
 * docs/browser.md documents is sufficient. Under a locked-down default-src policy, streaming
 * compilation from wasmBaseUrl works too. Without 'wasm-unsafe-eval' Chromium refuses to compile
 * WebAssembly: an explicit WASM backend fails, and init() with 'auto' falls back to js.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type StaticServer, startStaticServer } from '../../scripts/serve.mjs';
import { type Browser, launchChromium } from '../helpers/chromium.js';
import { bundleApp } from './bundle.js';
import { type RunOutput, goldenSubset, gradeAll } from './golden-subset.js';

const POLICIES: Record<string, string> = {
  '/csp/': "script-src 'self' 'wasm-unsafe-eval'",
  '/csp-strict/': "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'",
  '/csp-no-wasm/': "script-src 'self'",
};

const packed = inject('packed');
const cases = goldenSubset(2);

let server: StaticServer;
let browser: Browser;
let page: Page;
let errors: string[];

interface Violation {
  directive: string;
  blocked: string;
}
type TestApi = {
  run: (...a: unknown[]) => Promise<string>;
  violations: Violation[];
  tryInit: (opts: unknown) => Promise<{ backend?: string; softmax?: number[]; error?: string }>;
};
const tryInit = (opts: object) => page.evaluate((o) => (window as unknown as { klwasmTest: TestApi }).klwasmTest.tryInit(o), opts);
const runIn = async (backend: string): Promise<RunOutput> =>
  JSON.parse(await page.evaluate(([c, b]) => (window as unknown as { klwasmTest: TestApi }).klwasmTest.run(c, { backend: b }), [JSON.stringify(cases), backend] as const)) as RunOutput;
const violations = () => page.evaluate(() => (window as unknown as { klwasmTest: TestApi }).klwasmTest.violations);

async function open(prefix: string): Promise<void> {
  await page.goto(`${server.url}${prefix}`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 20_000 });
}

beforeAll(async () => {
  const { dir } = await bundleApp(packed.project, 'csp-app');
  server = await startStaticServer({
    mounts: { ...Object.fromEntries(Object.keys(POLICIES).map((p) => [p, dir])), '/wasm/': join(packed.project, 'node_modules/klwasm/dist/wasm') },
    root: dir,
    headers: (path): Record<string, string> => {
      const prefix = Object.keys(POLICIES).find((p) => path.startsWith(p));
      return prefix ? { 'Content-Security-Policy': POLICIES[prefix]! } : {};
    },
  });
  browser = await launchChromium();
  ({ page, errors } = await browser.newPage());
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Content-Security-Policy', () => {
  it(`"${POLICIES['/csp/']}" is enough: every backend, golden values, no violation`, async () => {
    await open('/csp/');
    expect((await tryInit({})).backend).toBe('wasm-relaxed-simd');
    for (const backend of ['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js']) {
      const out = await runIn(backend);
      expect(out.backend).toBe(backend);
      gradeAll(cases, out, `CSP ${backend}`);
    }
    expect(await violations()).toEqual([]);
  });

  it(`"${POLICIES['/csp-strict/']}": streaming compilation from wasmBaseUrl works too`, async () => {
    await open('/csp-strict/');
    for (const backend of ['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar']) {
      const got = await tryInit({ backend, wasmBaseUrl: '/wasm/' });
      expect(got.error, `${backend}: ${got.error}`).toBeUndefined();
      expect(got.backend).toBe(backend);
      expect(got.softmax![2]).toBeCloseTo(0.66524094, 6);
    }
    expect(server.requests.filter((r) => r.path.endsWith('.wasm')).map((r) => `${r.path} ${r.status}`)).toEqual([
      '/wasm/klwasm.relaxed.wasm 200',
      '/wasm/klwasm.simd.wasm 200',
      '/wasm/klwasm.scalar.wasm 200',
    ]);
    expect(await violations()).toEqual([]);
  });

  it(`"${POLICIES['/csp-no-wasm/']}" (no 'wasm-unsafe-eval'): WASM is refused, 'auto' falls back to js`, async () => {
    await open('/csp-no-wasm/');
    const simd = await tryInit({ backend: 'wasm-simd' });
    expect(simd.error).toMatch(/WebAssembly/i);
    const auto = await tryInit({});
    expect(auto.backend).toBe('js');
    expect(auto.softmax![2]).toBeCloseTo(0.66524094, 6);
    const seen = await violations();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((v) => v.directive === 'script-src' && v.blocked === 'wasm-eval')).toBe(true);
  });

  it('no uncaught page errors', () => {
    // Chromium logs each refused compilation as a console error on the no-wasm page.
    expect(errors.filter((e) => !/WebAssembly|wasm-unsafe-eval|Content Security Policy/i.test(e))).toEqual([]);
  });
});
