/**
 * The browser demo (examples/browser/) in headless Chromium: it loads with the unbundled ESM
 * build, shows softmax top-k and klDivLogits values that match klwasm computed here in Node, reacts
 * to the temperature slider and to pasted logits, times all three backends — and the test takes the
 * screenshot docs/browser.md shows (written to docs/demo.png with KLWASM_UPDATE_SCREENSHOT=1).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StaticServer, startStaticServer } from '../../scripts/serve.mjs';
import { initSync, klDivLogits, softmax } from '../../src/index.js';
import { type Browser, launchChromium } from '../helpers/chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let server: StaticServer;
let browser: Browser;
let page: Page;
let errors: string[];

/** The same parsing as the page: what the text boxes hold is what it computes on. */
function parse(text: string): Float32Array {
  const t = text.trim();
  return Float32Array.from(t.startsWith('[') ? (JSON.parse(t) as number[]).flat(Infinity as 1) : t.split(/[\s,;]+/).filter(Boolean).map(Number));
}

async function inputs(): Promise<{ x: Float32Array; y: Float32Array; T: number; k: number }> {
  const v = await page.evaluate(() => ({
    a: (document.getElementById('logitsA') as HTMLTextAreaElement).value,
    b: (document.getElementById('logitsB') as HTMLTextAreaElement).value,
    t: (document.getElementById('temperature') as HTMLInputElement).value,
    k: (document.getElementById('k') as HTMLInputElement).value,
  }));
  return { x: parse(v.a), y: parse(v.b), T: 2 ** Number(v.t), k: Number(v.k) };
}

/** Expected top-k class indices and KL, computed in Node. */
function expected(x: Float32Array, y: Float32Array, T: number, k: number) {
  const top = (l: Float32Array) => {
    const p = softmax({ data: Float32Array.from(l, (v) => v / T), shape: [1, l.length] }, -1).data;
    return Array.from(p.keys()).sort((i, j) => p[j]! - p[i]! || i - j).slice(0, k);
  };
  const kl = klDivLogits({ data: x, shape: [1, x.length] }, { data: y, shape: [1, y.length] }, { temperature: T }).item();
  return { topA: top(x), topB: top(y), kl };
}

async function shown() {
  return page.evaluate(() => ({
    topA: Array.from(document.querySelectorAll<HTMLElement>('#topA tr[data-class]'), (r) => Number(r.dataset.class)),
    topB: Array.from(document.querySelectorAll<HTMLElement>('#topB tr[data-class]'), (r) => Number(r.dataset.class)),
    kl: Number(document.getElementById('kl')!.dataset.value),
    klText: document.getElementById('kl')!.textContent,
    tval: document.getElementById('tval')!.textContent,
  }));
}

const ready = () => page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });

beforeAll(async () => {
  initSync({ backend: 'wasm-simd' });
  server = await startStaticServer({ root: ROOT });
  browser = await launchChromium();
  ({ page, errors } = await browser.newPage());
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(`${server.url}/examples/browser/`);
  await ready();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('browser demo (examples/browser)', () => {
  it('starts on wasm-relaxed-simd with 1000 generated classes; top-k and KL match klwasm in Node', async () => {
    expect(await page.getAttribute('#engine', 'data-backend')).toBe('wasm-relaxed-simd');
    const { x, y, T, k } = await inputs();
    expect(x.length).toBe(1000);
    expect(T).toBe(1);
    const want = expected(x, y, T, k);
    const got = await shown();
    expect(got.topA).toEqual(want.topA);
    expect(got.topB).toEqual(want.topB);
    expect(got.kl).toBeGreaterThan(0);
    expect(Math.abs(got.kl - want.kl)).toBeLessThanOrEqual(1e-6 * want.kl);
  });

  it('times wasm-relaxed-simd, wasm-simd, wasm-scalar and js, which agree on the KL', async () => {
    const rows = await page.$$eval('#times tbody tr', (trs) => trs.map((tr) => ({ ...(tr as HTMLElement).dataset })));
    expect(rows.map((r) => r.backend)).toEqual(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js']);
    const { x, y, T } = await inputs();
    const kl = expected(x, y, T, 1).kl;
    for (const r of rows) {
      // js has nothing to compile: its init may take 0 ms at the timer's resolution.
      expect(Number(r.init), `${r.backend} init`).toBeGreaterThanOrEqual(r.backend === 'js' ? 0 : 1e-3);
      for (const key of ['softmax', 'kl']) expect(Number(r[key]), `${r.backend} ${key}`).toBeGreaterThan(0);
      expect(Math.abs(Number(r.value) - kl), r.backend).toBeLessThanOrEqual(1e-5 * kl);
    }
  });

  it('takes the screenshot (test-results/demo.png; docs/demo.png with KLWASM_UPDATE_SCREENSHOT=1)', async () => {
    const png = await page.screenshot({ fullPage: true });
    // A real PNG of the full page width.
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1200);
    expect(png.length).toBeGreaterThan(50_000);
    mkdirSync(`${ROOT}test-results`, { recursive: true });
    writeFileSync(`${ROOT}test-results/demo.png`, png);
    if (process.env.KLWASM_UPDATE_SCREENSHOT === '1') writeFileSync(`${ROOT}docs/demo.png`, png);
  });

  it('the temperature slider updates top-k and KL (T = 4)', async () => {
    await page.fill('#temperature', '2');
    const { x, y, T, k } = await inputs();
    expect(T).toBe(4);
    const got = await shown();
    expect(got.tval).toBe('4.00');
    const want = expected(x, y, T, k);
    expect(got.topA).toEqual(want.topA);
    expect(Math.abs(got.kl - want.kl)).toBeLessThanOrEqual(1e-6 * want.kl);
  });

  it('pasted logits: identical outputs give exactly 0; mismatched lengths and bad numbers are reported', async () => {
    await page.fill('#logitsA', '[2.5, -1, 0.25, 4]');
    await page.fill('#logitsB', '2.5, -1, 0.25, 4');
    await page.click('#apply');
    await ready();
    const got = await shown();
    expect(got.kl).toBe(0);
    expect(got.klText).toBe('0');
    expect(got.topA).toEqual([3, 0, 2, 1]);

    await page.fill('#logitsB', '1, 2, 3');
    await page.click('#apply');
    expect(await page.textContent('#status')).toContain('same number of classes (A has 4, B has 3)');
    await page.fill('#logitsB', '1, 2, x, 4');
    await page.click('#apply');
    expect(await page.textContent('#status')).toContain('Model B: entry 2 is not a number');
  });

  it('"Generate logits" with another size and seed', async () => {
    await page.fill('#classes', '50');
    await page.fill('#seed', '3');
    await page.click('#generate');
    await ready();
    const { x, y, T, k } = await inputs();
    expect(x.length).toBe(50);
    const want = expected(x, y, T, k);
    const got = await shown();
    expect(got.topB).toEqual(want.topB);
    expect(Math.abs(got.kl - want.kl)).toBeLessThanOrEqual(1e-6 * want.kl);
  });

  it('no console errors or uncaught exceptions', () => {
    expect(errors).toEqual([]);
  });
});
