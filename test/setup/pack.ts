/**
 * vitest globalSetup: packs the built package once (`npm pack`, as published) and installs the
 * tarball into a fresh temporary project, offline (its one runtime dependency,
 * @assemblyscript/loader, is in the npm cache after `npm ci`). The package, bundler and CSP tests
 * use that install through `inject('packed')`. Needs `npm run build` first (npm test's pretest).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

export interface Packed {
  /** Absolute path of klwasm-<version>.tgz. */
  tarball: string;
  /** The temporary consumer project with the tarball installed in node_modules/klwasm. */
  project: string;
  /** Files in the tarball (paths under package/ without that prefix). */
  files: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    packed: Packed;
  }
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export default function setup(project: TestProject): () => void {
  if (!existsSync(join(ROOT, 'dist/esm/index.js')) || !existsSync(join(ROOT, 'dist/wasm/klwasm.simd.wasm'))) {
    throw new Error('klwasm is not built: run `npm run build` (npm test does it) before vitest.');
  }
  const work = mkdtempSync(join(tmpdir(), 'klwasm-pack-'));
  // --ignore-scripts: the package is already built (prepack would rebuild it).
  const packOut = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const info = JSON.parse(packOut)[0] as { filename: string; files: { path: string }[] };
  const tarball = join(work, info.filename);

  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'klwasm-consumer', version: '1.0.0', private: true }, null, 2));
  try {
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-save', tarball], {
      cwd: consumer,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string };
    throw new Error(`Installing the packed tarball offline failed (is @assemblyscript/loader in the npm cache? run \`npm ci\`):\n${err.stderr ?? String(e)}`);
  }
  project.provide('packed', { tarball, project: consumer, files: info.files.map((f) => f.path) });
  return () => rmSync(work, { recursive: true, force: true });
}
