/**
 * Real headless Chromium for the browser tests: Debian's `chromium` package (installed by
 * `.ci/run` with apt-get), driven by playwright-core. Playwright never downloads a browser here.
 * A missing Chromium FAILS the tests with instructions — they never skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

/** Flags for a closed network: no background traffic, no first-run UI, no GPU. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium binary: $KLWASM_CHROMIUM, else `chromium` (Debian) or `chromium-browser` on PATH. */
export function findChromium(): string {
  const fromEnv = process.env.KLWASM_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`KLWASM_CHROMIUM=${fromEnv} does not exist.`);
    return fromEnv;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (path) return path;
    } catch {
      // not on PATH
    }
  }
  throw new Error(
    'Chromium is not installed, and the browser tests need it (they never skip). ' +
      'Install it with `apt-get install -y chromium` (Debian; .ci/run does this), ' +
      'or set KLWASM_CHROMIUM to a Chrome/Chromium binary. Do not use `npx playwright install`.',
  );
}

export interface Browser {
  context: BrowserContext;
  /** A fresh page that records console errors and uncaught page errors in `errors`. */
  newPage(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh, empty user-data dir (removed on close). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  const userDataDir = mkdtempSync(join(tmpdir(), 'klwasm-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      return { page, errors };
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
