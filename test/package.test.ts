/**
 * The published package, as a user gets it: the tarball from `npm pack` (packed and installed
 * offline into a fresh temporary project by test/setup/pack.ts) is checked by publint and
 * @arethetypeswrong/cli, and used through `import`, `require` and the `klwasm` bin, with golden
 * values checked on every backend.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { type RunOutput, goldenSubset, gradeAll } from './browser/golden-subset.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'node_modules/.bin');
const packed = inject('packed');
const installed = join(packed.project, 'node_modules/klwasm');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const cases = goldenSubset(2);
/** Node 20 runs the relaxed-SIMD binary behind a V8 flag (on by default from Node 22). */
const NODE_FLAGS = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];

/** Runs a command, returning stdout; throws with stdout and stderr on a non-zero exit. */
function run(cmd: string, args: string[], cwd = packed.project): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    throw new Error(`${cmd} ${args.join(' ')} exited with ${err.status}\n${err.stdout}\n${err.stderr}`);
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
}

describe('npm pack tarball', () => {
  it('holds the builds, the .wasm files, the bin, sources for the source maps — and nothing else', () => {
    const files = packed.files;
    for (const f of [
      'package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin/klwasm.mjs',
      'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json',
      'dist/wasm/klwasm.relaxed.wasm', 'dist/wasm/klwasm.simd.wasm', 'dist/wasm/klwasm.scalar.wasm', 'dist/esm/cli/main.js',
    ]) {
      expect(files, f).toContain(f);
    }
    const top = new Set(files.map((f) => f.split('/')[0]));
    expect([...top].sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'bin', 'dist', 'package.json', 'src']);
    // The CommonJS build of the CLI is never loaded (the bin imports the ESM one).
    expect(files.filter((f) => f.startsWith('dist/cjs/cli/'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(installed, 'dist/cjs/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('every source map points at files that are in the package', () => {
    const maps = walk(join(installed, 'dist')).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const map of maps) {
      for (const src of (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources) {
        const abs = join(dirname(map), src);
        if (!packed.files.includes(relative(installed, abs))) missing.push(`${relative(installed, map)} → ${src}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('package.json: sideEffects false, dual exports with types per format, .wasm subpaths', () => {
    const p = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(p.sideEffects).toBe(false);
    expect(p.exports['.']).toEqual({
      import: { types: './dist/esm/index.d.ts', default: './dist/esm/index.js' },
      require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
    });
    expect(p.exports['./wasm/klwasm.relaxed.wasm']).toBe('./dist/wasm/klwasm.relaxed.wasm');
    expect(p.exports['./wasm/klwasm.simd.wasm']).toBe('./dist/wasm/klwasm.simd.wasm');
    expect(p.exports['./wasm/klwasm.scalar.wasm']).toBe('./dist/wasm/klwasm.scalar.wasm');
    expect(p.dependencies).toEqual({ '@assemblyscript/loader': expect.any(String) });
  });

  it('publint --strict finds no problems', () => {
    expect(run(join(BIN, 'publint'), ['run', '--strict', packed.tarball], ROOT)).toContain('All good!');
  });

  it('@arethetypeswrong/cli finds no problems (node10, node16 CJS and ESM, bundler)', () => {
    // The .wasm subpaths are binary assets (for import.meta.resolve / require.resolve / a bundler's
    // asset handling), not modules TypeScript can type, so they are not type entry points.
    const out = run(join(BIN, 'attw'), [packed.tarball, '--format', 'json', '--exclude-entrypoints', './wasm/klwasm.relaxed.wasm', './wasm/klwasm.simd.wasm', './wasm/klwasm.scalar.wasm'], ROOT);
    const report = JSON.parse(out) as { analysis: { problems: unknown[]; entrypoints: Record<string, unknown> } };
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints)).toEqual(['.', './package.json']);
  });
});

describe('the installed tarball in a fresh project', () => {
  // The same golden runner as the browser pages, next to the consumer's code.
  copyFileSync(join(ROOT, 'test/browser/pages/golden-runner.js'), join(packed.project, 'golden-runner.mjs'));
  writeFileSync(join(packed.project, 'cases.json'), JSON.stringify(cases));

  it('import (ESM build): golden cases on every backend, .wasm subpath exports', () => {
    writeFileSync(
      join(packed.project, 'check.mjs'),
      `import * as klwasm from 'klwasm';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCases } from './golden-runner.mjs';
const cases = JSON.parse(readFileSync('cases.json', 'utf8'));
const runs = [];
for (const backend of ['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js']) runs.push(await runCases(klwasm, cases, { backend }));
const wasm = ['relaxed', 'simd', 'scalar'].map((f) => WebAssembly.validate(readFileSync(fileURLToPath(import.meta.resolve('klwasm/wasm/klwasm.' + f + '.wasm')))));
console.log(JSON.stringify({ entry: import.meta.resolve('klwasm'), wasm, runs }));
`,
    );
    const out = JSON.parse(run('node', [...NODE_FLAGS, 'check.mjs'])) as { entry: string; wasm: boolean[]; runs: RunOutput[] };
    expect(out.entry).toMatch(/\/node_modules\/klwasm\/dist\/esm\/index\.js$/);
    expect(out.wasm).toEqual([true, true, true]);
    expect(out.runs.map((r) => r.backend)).toEqual(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js']);
    for (const r of out.runs) gradeAll(cases, r, `import, ${r.backend}`);
  });

  it('require (CommonJS build): golden cases on every backend, .wasm subpath exports, package.json', () => {
    writeFileSync(
      join(packed.project, 'check.cjs'),
      `const klwasm = require('klwasm');
const { readFileSync } = require('node:fs');
const cases = JSON.parse(readFileSync('cases.json', 'utf8'));
(async () => {
  const { runCases } = await import('./golden-runner.mjs');
  const runs = [];
  for (const backend of ['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js']) runs.push(await runCases(klwasm, cases, { backend }));
  const wasm = ['relaxed', 'simd', 'scalar'].map((f) => WebAssembly.validate(readFileSync(require.resolve('klwasm/wasm/klwasm.' + f + '.wasm'))));
  // initSync works in CommonJS too (no top-level await needed).
  const sync = klwasm.initSync({ backend: 'wasm-scalar' });
  console.log(JSON.stringify({ entry: require.resolve('klwasm'), version: require('klwasm/package.json').version, wasm, sync, runs }));
})();
`,
    );
    const out = JSON.parse(run('node', [...NODE_FLAGS, 'check.cjs'])) as { entry: string; version: string; wasm: boolean[]; sync: string; runs: RunOutput[] };
    expect(out.entry).toMatch(/\/node_modules\/klwasm\/dist\/cjs\/index\.js$/);
    expect(out.version).toBe(pkg.version);
    expect(out.wasm).toEqual([true, true, true]);
    expect(out.sync).toBe('wasm-scalar');
    expect(out.runs.map((r) => r.backend)).toEqual(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js']);
    for (const r of out.runs) gradeAll(cases, r, `require, ${r.backend}`);
  });

  it('a Tensor from the CommonJS build is accepted by the ESM build (dual-package use in one process)', () => {
    writeFileSync(
      join(packed.project, 'mixed.mjs'),
      `import { createRequire } from 'node:module';
import { softmax, Tensor } from 'klwasm';
const cjs = createRequire(import.meta.url)('klwasm');
const t = new cjs.Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
console.log(JSON.stringify({ distinct: cjs.Tensor !== Tensor, a: softmax(t, -1).toArray(), b: cjs.softmax(t, -1).toArray() }));
`,
    );
    const out = JSON.parse(run('node', ['mixed.mjs'])) as { distinct: boolean; a: number[][]; b: number[][] };
    expect(out.distinct).toBe(true);
    expect(out.a).toEqual(out.b);
    expect(out.a[0]![1]).toBeCloseTo(0.7310586, 6);
  });

  it('the klwasm bin runs from node_modules/.bin', () => {
    const bin = join(packed.project, 'node_modules/.bin/klwasm');
    expect(run(bin, ['--version']).trim()).toBe(pkg.version);
    writeFileSync(join(packed.project, 'logits.json'), '[[1, 2, 3], [0, 0, 0]]');
    expect(JSON.parse(run(bin, ['softmax', 'logits.json', '--dim', '-1']))).toEqual([
      [0.09003057, 0.24472848, 0.66524094],
      [0.33333334, 0.33333334, 0.33333334],
    ]);
    expect(Number(run(bin, ['kl', 'logits.json', 'logits.json', '--logits']))).toBe(0);
  });
});
