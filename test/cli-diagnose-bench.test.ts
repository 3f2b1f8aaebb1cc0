/**
 * `klwasm diagnose` and `klwasm bench`, through the real binary on files the test writes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, klwasm, tempDir, writeNpy } from './helpers/cli.js';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = tempDir();
  const logits = Float32Array.of(2, -1, 0.5, 0.3, 1, 0.2, -0.4, 0.9);
  const lse = (o: number) => Math.log([0, 1, 2, 3].reduce((s, i) => s + Math.exp(logits[o + i]!), 0));
  writeNpy(dir, 'scores.npy', logits, [2, 4]);
  writeNpy(dir, 'logq.npy', logits.map((v, i) => v - lse(i < 4 ? 0 : 4)), [2, 4]);
  writeNpy(dir, 'p.npy', logits.map((v, i) => Math.exp(v - lse(i < 4 ? 0 : 4))), [2, 4]);
});

describe('klwasm diagnose', () => {
  it('exit 0 and a clean report for log-probabilities and probabilities', () => {
    const r = klwasm(['diagnose', 'logq.npy', 'p.npy'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/input .*log-probabilities/);
    expect(r.stdout).toMatch(/target .*probabilities/);
  });

  it('exit 4 with the one-line fix for raw scores, and for swapped arguments', () => {
    const raw = klwasm(['diagnose', 'scores.npy', 'p.npy'], { cwd: dir });
    expect(raw.code).toBe(4);
    expect(raw.stdout).toContain('fix: apply logSoftmax to input');
    const swapped = klwasm(['diagnose', 'p.npy', 'logq.npy'], { cwd: dir });
    expect(swapped.code).toBe(4);
    expect(swapped.stdout).toMatch(/swap/i);
  });

  it('--json prints the structured report', () => {
    const r = klwasm(['diagnose', 'scores.npy', 'p.npy', '--json'], { cwd: dir });
    const report = JSON.parse(r.stdout) as { ok: boolean; fix: string; problems: { code: string }[] };
    expect(report.ok).toBe(false);
    expect(report.problems[0]!.code).toBe('INPUT_NOT_LOG_PROBABILITIES');
    expect(report.fix).toBe('apply logSoftmax to input');
  });

  it('usage and input errors', () => {
    expect(klwasm(['diagnose', 'p.npy'], { cwd: dir }).code).toBe(2);
    expect(klwasm(['diagnose', 'p.npy', 'missing.npy'], { cwd: dir }).code).toBe(3);
    expect(klwasm(['diagnose', 'p.npy', 'p.npy', '--tolerance', '-1'], { cwd: dir }).code).toBe(2);
    expect(klwasm(['diagnose', '--help'], { cwd: dir }).stdout).toContain('Usage: klwasm diagnose A B');
  });
});

describe('klwasm bench', () => {
  it('--quick prints a table with every backend and writes JSON where it says', () => {
    const out = join(dir, 'bench.json');
    const r = klwasm(['bench', '--quick', '--out', out], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`results written to ${out}`);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { cells: { engine: string; workload: string; melemPerS: number }[] };
    const engines = new Set(json.cells.map((c) => c.engine));
    for (const e of ['naive-js', 'klwasm wasm-relaxed-simd', 'klwasm wasm-simd', 'klwasm wasm-scalar', 'klwasm js']) expect(engines.has(e)).toBe(true);
    expect(new Set(json.cells.map((c) => c.workload))).toEqual(new Set(['W1', 'W2', 'W3', 'W4']));
    for (const c of json.cells) expect(c.melemPerS).toBeGreaterThan(0);
  }, 120_000);
});
