/**
 * Runs the real `klwasm` binary (node bin/klwasm.mjs) for the CLI end-to-end tests, building the
 * package first if dist/ is missing or older than src/ (`npm test` builds in pretest already).
 */
import { execSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeNpy } from '../../src/cli/npy.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin', 'klwasm.mjs');
const MAIN = join(ROOT, 'dist', 'esm', 'cli', 'main.js');
const LOCK = join(ROOT, 'dist', '.cli-test-build.lock');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  try {
    return statSync(MAIN).mtimeMs >= newestMtime(join(ROOT, 'src'));
  } catch {
    return false;
  }
}

/** Builds dist/ unless it is up to date; test files running in parallel build only once. */
export function ensureBuilt(): void {
  if (isFresh()) return;
  mkdirSync(dirname(LOCK), { recursive: true });
  let owner = false;
  try {
    mkdirSync(LOCK);
    owner = true;
  } catch {
    // Another test file is building: wait for it (up to 5 minutes).
    const until = Date.now() + 300_000;
    while (Date.now() < until) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
      try {
        statSync(LOCK);
      } catch {
        if (isFresh()) return;
        return ensureBuilt();
      }
    }
    throw new Error(`timed out waiting for another build (remove ${LOCK} if it is stale)`);
  }
  try {
    if (owner && !isFresh()) execSync('npm run build', { cwd: ROOT, stdio: 'pipe' });
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/klwasm.mjs ...args` in `cwd`. */
export function klwasm(args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliRun {
  // The tests' own settings only: no block size, progress or debug setting leaks in from outside.
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of ['KLWASM_BLOCK_ROWS', 'KLWASM_PROGRESS', 'KLWASM_DEBUG']) delete env[k];
  Object.assign(env, opts.env);
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary directory (remove it with `rmSync(dir, { recursive: true })`). */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'klwasm-cli-'));
}

/** Writes a .npy file (little-endian) and returns its path. */
export function writeNpy(dir: string, name: string, data: Float32Array | Float64Array, shape: readonly number[]): string {
  const path = join(dir, name);
  writeFileSync(path, serializeNpy(data, shape));
  return path;
}

/** Writes a .json file and returns its path. */
export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

/** Deterministic pseudo-random numbers (mulberry32), for reproducible test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
