/**
 * Streaming: the real binary with the block size forced small (`--block-rows N` or
 * `KLWASM_BLOCK_ROWS=N`) must give the same result as one block. Row-independent outputs
 * (softmax along a dim ≠ 0, per-row logsumexp, 'none' terms) are identical to the byte; reductions
 * that combine blocks agree to the last bit or two (blocks are combined in float64).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../src/cli/npy.js';
import { klDiv, klDivLogits, logSumExp } from '../src/index.js';
import { ensureBuilt, klwasm, rng, tempDir, writeNpy } from './helpers/cli.js';

const ROWS = 50;
const COLS = 7;
let dir: string;
let A: Float32Array;
let B: Float32Array;
let P: Float32Array;

function random(seed: number, n: number, scale = 4): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() - 0.5) * 2 * scale);
}

beforeAll(() => {
  ensureBuilt();
  dir = tempDir();
  A = random(11, ROWS * COLS);
  B = random(12, ROWS * COLS);
  writeNpy(dir, 'a.npy', A, [ROWS, COLS]);
  writeNpy(dir, 'b.npy', B, [ROWS, COLS]);
  writeNpy(dir, 'a3.npy', random(13, ROWS * 4 * 6), [ROWS, 4, 6]);
  writeNpy(dir, 'a64.npy', Float64Array.from(A), [ROWS, COLS]);
  writeNpy(dir, 'b64.npy', Float64Array.from(B), [ROWS, COLS]);
  // probabilities for kl_div: a row-normalised |B|, and a single distribution to broadcast
  P = Float32Array.from(B, (v) => Math.abs(v) + 0.01);
  writeNpy(dir, 'p.npy', P, [ROWS, COLS]);
  writeNpy(dir, 'p1.npy', Float32Array.of(0.1, 0.2, 0.05, 0.15, 0.3, 0.1, 0.1), [COLS]);
  writeNpy(dir, 'v.npy', random(14, 1000, 30), [1000]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs klwasm with --verbose; returns stdout and the verbose lines. */
function run(args: string[], env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const r = klwasm([...args, '--verbose'], { cwd: dir, env });
  expect(r.code, r.stderr).toBe(0);
  return { stdout: r.stdout, stderr: r.stderr };
}

function bytes(name: string): number[] {
  return Array.from(readFileSync(join(dir, name)));
}

/** Runs `args -o whole.npy` unstreamed and `args --block-rows n -o streamed.npy`; returns both arrays. */
function both(args: string[], n: number, expectBlocks: number) {
  const whole = run([...args, '-o', 'whole.npy']);
  expect(whole.stderr).toMatch(/in 1 block\(s\)|loading/);
  const streamed = run([...args, '--block-rows', String(n), '-o', 'streamed.npy']);
  expect(streamed.stderr).toContain(`in ${expectBlocks} block(s) of up to ${n} rows`);
  return { whole: parseNpy(Uint8Array.from(bytes('whole.npy'))), streamed: parseNpy(Uint8Array.from(bytes('streamed.npy'))), log: streamed.stderr };
}

function expectRelClose(got: number, want: number, rtol: number): void {
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(rtol * Math.abs(want));
}

describe('row-independent results are identical when streamed', () => {
  it.each([
    ['softmax a.npy', 8, 7],
    ['log-softmax a.npy --dim 1', 3, 17],
    ['softmax a3.npy --dim 1', 8, 7],
    ['log-softmax a3.npy --dim -1', 1, 50],
    ['logsumexp a.npy', 8, 7],
    ['logsumexp a3.npy --dim 1,2 --keepdim', 16, 4],
    ['kl a.npy b.npy --logits --reduction none --temperature 3', 8, 7],
    ['kl a.npy p.npy --reduction none', 8, 7],
    ['kl a.npy p1.npy --reduction none', 9, 6],
  ] as const)('klwasm %s (--block-rows %i: %i blocks)', (line, n, blocks) => {
    const args = line.split(' ');
    run([...args, '-o', 'whole.npy']);
    run([...args, '--block-rows', String(n), '-o', 'streamed.npy']);
    const w = bytes('whole.npy');
    expect(w.length).toBeGreaterThan(128);
    expect(bytes('streamed.npy')).toEqual(w);
    expect(run([...args, '--block-rows', String(n), '-o', 'x.npy']).stderr).toContain(`in ${blocks} block(s)`);
  });

  it('KLWASM_BLOCK_ROWS sets the block size too, and --block-rows wins over it', () => {
    run(['softmax', 'a.npy', '-o', 'whole.npy']);
    const viaEnv = run(['softmax', 'a.npy', '-o', 'env.npy'], { KLWASM_BLOCK_ROWS: '5' });
    expect(viaEnv.stderr).toContain('streaming 50 rows in 10 block(s) of up to 5 rows');
    expect(bytes('env.npy')).toEqual(bytes('whole.npy'));
    expect(run(['softmax', 'a.npy', '-o', 'env.npy', '--block-rows', '25'], { KLWASM_BLOCK_ROWS: '5' }).stderr).toContain('in 2 block(s)');
  });

  it('JSON output streams block by block into the same text', () => {
    const whole = run(['softmax', 'a.npy', '-o', '-']).stdout;
    expect(run(['softmax', 'a.npy', '-o', '-', '--block-rows', '3']).stdout).toBe(whole);
    run(['log-softmax', 'a64.npy', '-o', 'w.json']);
    const w = readFileSync(join(dir, 'w.json'), 'utf8');
    run(['log-softmax', 'a64.npy', '-o', 'w.json', '--block-rows', '4']);
    expect(readFileSync(join(dir, 'w.json'), 'utf8')).toBe(w);
  });

  it('no progress bar when stderr is not a TTY', () => {
    const r = run(['softmax', 'a.npy', '-o', 'x.npy', '--block-rows', '1']);
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).not.toContain('\x1b[');
  });
});

describe('what cannot stream loads whole and gives the same answer', () => {
  it('softmax along dim 0 ignores the block size', () => {
    run(['softmax', 'a.npy', '--dim', '0', '-o', 'whole.npy']);
    const r = run(['softmax', 'a.npy', '--dim', '0', '--block-rows', '4', '-o', 'streamed.npy']);
    expect(r.stderr).toContain('loading a.npy whole (softmax along dim 0 of a 2-d input needs every row)');
    expect(bytes('streamed.npy')).toEqual(bytes('whole.npy'));
  });

  it('kl --logits along dim 0', () => {
    const r = run(['kl', 'a.npy', 'b.npy', '--logits', '--dim', '0', '--block-rows', '4']);
    expect(r.stderr).toContain('loading both inputs whole');
    expect(Math.fround(Number(r.stdout))).toBe(
      klDivLogits({ data: A, shape: [ROWS, COLS] }, { data: B, shape: [ROWS, COLS] }, { dim: 0 }).item(),
    );
  });
});

describe('streamed reductions combine block results', () => {
  const lib = (reduction: 'batchmean' | 'sum' | 'mean', T = 1) =>
    klDivLogits({ data: A, shape: [ROWS, COLS] }, { data: B, shape: [ROWS, COLS] }, { reduction, temperature: T }).item();

  it.each(['batchmean', 'sum', 'mean'] as const)('kl --logits --reduction %s (float32): within 2 ulp of one pass', (reduction) => {
    const whole = run(['kl', 'a.npy', 'b.npy', '--logits', '--temperature', '1.5', '--reduction', reduction]);
    expect(Math.fround(Number(whole.stdout))).toBe(lib(reduction, 1.5));
    const streamed = run(['kl', 'a.npy', 'b.npy', '--logits', '--temperature', '1.5', '--reduction', reduction, '--block-rows', '6']);
    expect(streamed.stderr).toContain('in 9 block(s)');
    expectRelClose(Number(streamed.stdout), lib(reduction, 1.5), 2 ** -22);
    if (reduction === 'mean') expect(streamed.stderr).toContain("klwasm: warning: reduction: 'mean' divides the total loss");
  });

  it('kl --logits on float64: agrees to 1e-14', () => {
    const want = klDivLogits({ data: Float64Array.from(A), shape: [ROWS, COLS] }, { data: Float64Array.from(B), shape: [ROWS, COLS] }).item();
    expect(Number(run(['kl', 'a64.npy', 'b64.npy', '--logits']).stdout)).toBe(want);
    expectRelClose(Number(run(['kl', 'a64.npy', 'b64.npy', '--logits', '--block-rows', '7']).stdout), want, 1e-14);
  });

  it('kl_div with a broadcast target (loaded whole) and batchmean = sum / A.shape[0]', () => {
    const p1 = Float32Array.of(0.1, 0.2, 0.05, 0.15, 0.3, 0.1, 0.1);
    const want = klDiv({ data: A, shape: [ROWS, COLS] }, { data: p1, shape: [COLS] }, { reduction: 'batchmean' }).item();
    const r = run(['kl', 'a.npy', 'p1.npy', '--block-rows', '8']);
    expect(r.stderr).toContain('streaming 50 rows in 7 block(s) of up to 8 rows (B broadcast, loaded whole)');
    expectRelClose(Number(r.stdout), want, 2 ** -22);
    // by hand: Σ_rows Σ_k p1_k (log p1_k − A_rk) / 50
    let hand = 0;
    for (let i = 0; i < ROWS * COLS; i++) hand += p1[i % COLS]! * (Math.log(p1[i % COLS]!) - A[i]!);
    expectRelClose(Number(r.stdout), hand / ROWS, 1e-6);
  });

  it('kl_div sum over a streamed target', () => {
    const want = klDiv({ data: A, shape: [ROWS, COLS] }, { data: P, shape: [ROWS, COLS] }, { reduction: 'sum' }).item();
    expectRelClose(Number(run(['kl', 'a.npy', 'p.npy', '--reduction', 'sum', '--block-rows', '11']).stdout), want, 2 ** -22);
  });

  it('logsumexp over dim 0 folds block results (2-d and a 1-d vector)', () => {
    const { whole, streamed, log } = both(['logsumexp', 'a.npy', '--dim', '0'], 8, 7);
    expect(log).toContain('partial results over dim 0 combined in float64');
    expect(Array.from(whole.data)).toEqual(Array.from(logSumExp({ data: A, shape: [ROWS, COLS] }, 0).data));
    for (let k = 0; k < COLS; k++) expectRelClose(streamed.data[k]!, whole.data[k]!, 2 ** -22);

    const v = parseNpy(Uint8Array.from(bytes('v.npy'))).data;
    const r = run(['logsumexp', 'v.npy', '--block-rows', '64']);
    expect(r.stderr).toContain('streaming 1000 rows in 16 block(s) of up to 64 rows');
    const m = Math.max(...v);
    const hand = m + Math.log(Array.from(v).reduce((s, x) => s + Math.exp(x - m), 0));
    expectRelClose(Number(r.stdout), hand, 1e-6);
    expectRelClose(Number(r.stdout), logSumExp(v, 0).item(), 2 ** -22);
  });

  it('logsumexp over all dims with --keepdim, and NaN / infinities across blocks', () => {
    const { whole, streamed } = both(['logsumexp', 'a3.npy', '--dim', '0,1,2', '--keepdim'], 9, 6);
    expect(streamed.shape).toEqual([1, 1, 1]);
    expectRelClose(streamed.data[0]!, whole.data[0]!, 2 ** -22);

    const special = Float32Array.of(-Infinity, 1, NaN, -Infinity, Infinity, -Infinity, -Infinity, -Infinity);
    writeNpy(dir, 'special.npy', special, [4, 2]); // columns: [-inf, NaN, +inf, -inf], [1, -inf, -inf, -inf]
    const whole2 = run(['logsumexp', 'special.npy', '--dim', '0']).stdout;
    expect(whole2).toBe('[NaN, 1]\n');
    expect(run(['logsumexp', 'special.npy', '--dim', '0', '--block-rows', '1']).stdout).toBe(whole2);
    writeNpy(dir, 'special2.npy', Float32Array.of(-Infinity, 1, Infinity, -Infinity, -Infinity, -Infinity), [3, 2]);
    expect(run(['logsumexp', 'special2.npy', '--dim', '0', '--block-rows', '1']).stdout).toBe(run(['logsumexp', 'special2.npy', '--dim', '0']).stdout);
    expect(run(['logsumexp', 'special2.npy', '--dim', '0', '--block-rows', '1']).stdout).toBe('[Infinity, 1]\n');
  });

  it('empty inputs still produce a result', () => {
    writeNpy(dir, 'empty.npy', new Float32Array(0), [0, 3]);
    expect(run(['logsumexp', 'empty.npy', '--dim', '0', '--block-rows', '2']).stdout).toBe('[-Infinity, -Infinity, -Infinity]\n');
    expect(run(['kl', 'empty.npy', 'empty.npy', '--logits', '--reduction', 'sum', '--block-rows', '2']).stdout).toBe('0\n');
    expect(run(['softmax', 'empty.npy', '--block-rows', '2']).stdout).toBe('[]\n');
  });
});
