/**
 * The worker pool in real headless Chromium: a cross-origin-isolated page (COOP/COEP headers, so
 * SharedArrayBuffer exists) runs createPool over module Web Workers (the self-contained
 * dist/esm/pool/worker.browser.js) and checks the results against the single-thread path.
 */
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type StaticServer, startStaticServer } from '../../scripts/serve.mjs';
import { type Browser, launchChromium } from '../helpers/chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let server: StaticServer;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  server = await startStaticServer({
    root: ROOT,
    headers: (): Record<string, string> => ({ 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }),
  });
  browser = await launchChromium();
  ({ page, errors } = await browser.newPage());
  await page.goto(`${server.url}/test/browser/pages/pool.html`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 20_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('createPool over Web Workers: same per-slice results as the single-thread path, typed errors', async () => {
  const out = (await page.evaluate(() => (window as unknown as { poolTest: () => Promise<unknown> }).poolTest())) as {
    isolated: boolean;
    workers: string[];
    perSliceEqual: boolean;
    batchmean: [number, number];
    softmaxEqual: boolean;
    error: string;
  };
  expect(out.isolated).toBe(true);
  expect(out.workers).toEqual(['wasm-simd', 'wasm-simd']);
  expect(out.perSliceEqual).toBe(true);
  expect(out.batchmean[1]).toBe(out.batchmean[0]);
  expect(out.softmaxEqual).toBe(true);
  expect(out.error).toMatch(/^TypeError: /);
  expect(errors).toEqual([]);
});
