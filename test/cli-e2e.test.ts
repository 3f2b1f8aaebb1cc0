/**
 * End-to-end tests of the real `klwasm` binary (node bin/klwasm.mjs) on files created here:
 * printed and written values against the library's own results and against independent float64
 * formulas, exit codes, and error messages.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { klDiv, klDivLogits, logSoftmax, logSumExp, softmax, type Tensor } from '../src/index.js';
import { parseJsonTensor } from '../src/cli/json.js';
import { parseNpy } from '../src/cli/npy.js';
import { ROOT, ensureBuilt, klwasm, rng, tempDir, writeJson, writeNpy } from './helpers/cli.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'npy');
let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = tempDir();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs klwasm in the temp dir and expects exit 0 and no stderr. */
function ok(...args: string[]): string {
  const r = klwasm(args, { cwd: dir });
  expect(r.stderr, `stderr of klwasm ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Runs klwasm expecting failure with `code`; returns stderr. */
function fails(code: number, ...args: string[]): string {
  const r = klwasm(args, { cwd: dir });
  expect(r.code, `exit code of klwasm ${args.join(' ')} (stderr: ${r.stderr})`).toBe(code);
  expect(r.stdout).toBe('');
  return r.stderr;
}

/** The printed JSON tensor (or scalar) as flat values and shape. */
function printed(stdout: string): { shape: number[]; values: number[] } {
  // Read as float64, so printed float64 values keep every digit (nested arrays alone read as float32).
  const t = parseJsonTensor(`{"data": ${stdout}, "dtype": "float64"}`);
  return { shape: t.shape, values: Array.from(t.data, Number) };
}

function readNpyFile(name: string) {
  return parseNpy(readFileSync(join(dir, name)));
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol = 0): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w)) expect(g).toBeNaN();
    else expect(Math.abs(g - w), `element ${i}: got ${g}, want ${w}`).toBeLessThanOrEqual(atol + rtol * Math.abs(w));
  }
}

/** Values equal to a library tensor's, bit for bit (printed float32 values read back through fround). */
function expectSameAs(values: number[], t: Tensor): void {
  const round = t.dtype === 'float32' ? Math.fround : (v: number) => v;
  expect(values.map(round)).toEqual(Array.from(t.data));
}

// Shared inputs.
const X = Float32Array.of(1, 2, 3, 1, 1, 1); // [2, 3]
const randomF32 = (seed: number, n: number, scale = 3) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() - 0.5) * 2 * scale);
};

describe('help and version', () => {
  it('klwasm --help lists the commands, common options and exit codes', () => {
    const out = ok('--help');
    for (const name of ['kl', 'softmax', 'log-softmax', 'logsumexp']) expect(out).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(out).toContain('--backend B');
    expect(out).toMatch(/Exit codes:\n  0  success\n  1  runtime error.*\n  2  usage error.*\n  3  input file error/);
    expect(out).not.toContain('block-rows');
    expect(ok('help')).toBe(out);
  });

  it.each(['kl', 'softmax', 'log-softmax', 'logsumexp'])('klwasm %s --help', (name) => {
    const out = ok(name, '--help');
    expect(out.startsWith(`Usage: klwasm ${name} `)).toBe(true);
    expect(out).toContain('Options:');
    expect(out).toContain('-o, --output OUT');
    expect(out).toContain('--backend B');
    expect(out).toContain('Examples:');
    expect(out).toContain('Exit codes:');
    expect(out).toContain('Streaming:');
    expect(out).not.toContain('block-rows');
    expect(ok('help', name)).toBe(out);
    // --help wins over anything else on the line, even missing or bad arguments.
    expect(ok(name, '--bogus', '-h')).toBe(out);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(ok('--version')).toBe(`${pkg.version}\n`);
  });

  it('no command: help on stderr, exit 2', () => {
    const r = klwasm([], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: klwasm <command>');
    expect(r.stderr).toContain('klwasm: no command given.');
  });
});

describe('softmax, log-softmax, logsumexp', () => {
  beforeAll(() => {
    writeNpy(dir, 'x.npy', X, [2, 3]);
    writeNpy(dir, 'x64.npy', Float64Array.from(X, (v) => v / 7), [2, 3]);
    writeJson(dir, 'x.json', [[1, 2, 3], [1, 1, 1]]);
  });

  it('softmax prints small results as JSON, matching the library and exp(x)/sum(exp(x))', () => {
    const out = ok('softmax', 'x.npy');
    expect(out).toBe('[[0.09003057, 0.24472848, 0.66524094],\n [0.33333334, 0.33333334, 0.33333334]]\n');
    const { shape, values } = printed(out);
    expect(shape).toEqual([2, 3]);
    expectSameAs(values, softmax({ data: X, shape: [2, 3] }, -1));
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expectClose(values, [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z, 1 / 3, 1 / 3, 1 / 3], 1e-7);
  });

  it('softmax reads .json input the same way', () => {
    expect(ok('softmax', 'x.json')).toBe(ok('softmax', 'x.npy'));
  });

  it('log-softmax along dim 0 to a .npy file keeps shape and dtype', () => {
    expect(ok('log-softmax', 'x64.npy', '--dim', '0', '-o', 'ls.npy')).toBe('');
    const got = readNpyFile('ls.npy');
    expect(got.shape).toEqual([2, 3]);
    expect(got.dtype).toBe('float64');
    const x = Float64Array.from(X, (v) => v / 7);
    expect(Array.from(got.data)).toEqual(Array.from(logSoftmax({ data: x, shape: [2, 3] }, 0).data));
    const hand = Array.from(x, (v, i) => {
      const other = x[(i + 3) % 6]!;
      return v - Math.log(Math.exp(v) + Math.exp(other));
    });
    expectClose(got.data, hand, 1e-15);
  });

  it('logsumexp over the last dim, over several dims, and with --keepdim', () => {
    const row = printed(ok('logsumexp', 'x.npy'));
    expect(row.shape).toEqual([2]);
    expectSameAs(row.values, logSumExp({ data: X, shape: [2, 3] }, -1));
    expectClose(row.values, [3 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), 1 + Math.log(3)], 1e-7);

    const all = ok('logsumexp', 'x.npy', '--dim', '0,1');
    expect(all).toMatch(/^[0-9.]+\n$/);
    expect(Math.fround(Number(all))).toBe(logSumExp({ data: X, shape: [2, 3] }, [0, 1]).item());
    expectClose([Number(all)], [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + 3 * Math.E)], 1e-7);

    ok('logsumexp', 'x.npy', '--dim', '-1', '--keepdim', '-o', 'lse.json');
    const kept = parseJsonTensor(readFileSync(join(dir, 'lse.json'), 'utf8'));
    expect(kept.shape).toEqual([2, 1]);
    expect(Array.from(kept.data)).toEqual(Array.from(logSumExp({ data: X, shape: [2, 3] }, -1, true).data));
  });

  it('NaN and infinities print as Python json tokens', () => {
    writeJson(dir, 'inf.json', '[[0, Infinity], [-Infinity, -Infinity], [NaN, 1]]');
    expect(ok('softmax', 'inf.json')).toBe('[[NaN, NaN],\n [NaN, NaN],\n [NaN, NaN]]\n');
    expect(ok('logsumexp', 'inf.json')).toBe('[Infinity, -Infinity, NaN]\n');
  });

  it('reads files written by NumPy (big-endian float64, format 3.0)', () => {
    const a = [0, 0.25, 0.5, 0.75, 1, -1.25];
    const want = softmax({ data: Float64Array.from(a), shape: [2, 3] }, 1);
    for (const f of ['f8_be_v1.npy', 'f8_le_v3.npy']) {
      const { values } = printed(ok('softmax', join(FIXTURES, f), '--dim', '1'));
      expectSameAs(values, want);
    }
    expect(ok('logsumexp', join(FIXTURES, 'f4_scalar.npy'))).toBe('-2.5\n');
    expect(ok('softmax', join(FIXTURES, 'f4_empty.npy'))).toBe('[]\n');
  });

  it('float64 results print with full double precision; float64 .json output keeps its dtype', () => {
    const out = printed(ok('softmax', 'x64.npy'));
    expectSameAs(out.values, softmax({ data: Float64Array.from(X, (v) => v / 7), shape: [2, 3] }, -1));
    ok('softmax', 'x64.npy', '-o', 's64.json');
    const text = readFileSync(join(dir, 's64.json'), 'utf8');
    expect(text.startsWith('{"dtype": "float64", "shape": [2, 3], "data": [')).toBe(true);
    const back = parseJsonTensor(text);
    expect(back.dtype).toBe('float64');
    expect(Array.from(back.data)).toEqual(out.values);
  });

  it('large results need -o; -o - prints them anyway', () => {
    writeNpy(dir, 'big.npy', randomF32(1, 101 * 100), [101, 100]);
    const err = fails(2, 'softmax', 'big.npy');
    expect(err).toContain('klwasm softmax: the result has 10100 elements (shape [101, 100]), too many to print');
    expect(err).toContain('-o OUT.npy');
    const all = printed(ok('softmax', 'big.npy', '-o', '-'));
    expect(all.shape).toEqual([101, 100]);
    ok('softmax', 'big.npy', '-o', 'big_out.npy');
    expect(Array.from(readNpyFile('big_out.npy').data)).toEqual(all.values.map(Math.fround));
  });
});

describe('kl', () => {
  // q = [0.25, 0.75] (as log-probabilities), p = [0.5, 0.5]: KL(p‖q) = 0.5·ln(4/3).
  const KL_HAND = 0.5 * Math.log(4 / 3);
  const logq = Float32Array.of(Math.log(0.25), Math.log(0.75));
  beforeAll(() => {
    writeNpy(dir, 'logq.npy', logq, [1, 2]);
    writeNpy(dir, 'p.npy', Float32Array.of(0.5, 0.5), [1, 2]);
    writeNpy(dir, 'logp.npy', Float32Array.of(Math.log(0.5), Math.log(0.5)), [1, 2]);
  });

  it('prints the batchmean KL by default: the library value and 0.5·ln(4/3)', () => {
    const out = ok('kl', 'logq.npy', 'p.npy');
    expect(out).toBe('0.14384104\n');
    const lib = klDiv({ data: logq, shape: [1, 2] }, { data: Float32Array.of(0.5, 0.5), shape: [1, 2] }, { reduction: 'batchmean' });
    expect(Math.fround(Number(out))).toBe(lib.item());
    expectClose([Number(out)], [KL_HAND], 1e-7);
    expect(ok('kl', 'logq.npy', 'logp.npy', '--log-target')).toBe(out);
  });

  it('-o writes a scalar result as a 0-d .npy or a bare JSON number', () => {
    expect(ok('kl', 'logq.npy', 'p.npy', '-o', 'kl.npy')).toBe('');
    const got = readNpyFile('kl.npy');
    expect(got.shape).toEqual([]);
    expect(got.data[0]).toBe(Math.fround(Number(ok('kl', 'logq.npy', 'p.npy'))));
    ok('kl', 'logq.npy', 'p.npy', '-o', 'kl.json');
    expect(readFileSync(join(dir, 'kl.json'), 'utf8')).toBe('0.14384104\n');
  });

  it('sum, mean (with PyTorch warning) and none', () => {
    const A = randomF32(2, 12, 1).map((v) => Math.log(Math.abs(v) + 0.1));
    const B = randomF32(3, 12, 1).map((v) => Math.abs(v));
    writeNpy(dir, 'ka.npy', A, [4, 3]);
    writeNpy(dir, 'kb.npy', B, [4, 3]);
    const lib = (reduction: 'sum' | 'mean' | 'none') => klDiv({ data: A, shape: [4, 3] }, { data: B, shape: [4, 3] }, { reduction });
    expect(Math.fround(Number(ok('kl', 'ka.npy', 'kb.npy', '--reduction', 'sum')))).toBe(lib('sum').item());
    let hand = 0;
    for (let i = 0; i < 12; i++) hand += B[i]! * (Math.log(B[i]!) - A[i]!);
    expectClose([Number(ok('kl', 'ka.npy', 'kb.npy', '--reduction', 'sum'))], [hand], 1e-6);

    const mean = klwasm(['kl', 'ka.npy', 'kb.npy', '--reduction', 'mean'], { cwd: dir });
    expect(mean.code).toBe(0);
    expect(Math.fround(Number(mean.stdout))).toBe(lib('mean').item());
    expect(mean.stderr).toMatch(/^klwasm: warning: reduction: 'mean' divides the total loss by both the batch size and the support size\./);

    ok('kl', 'ka.npy', 'kb.npy', '--reduction', 'none', '-o', 'terms.npy');
    const terms = readNpyFile('terms.npy');
    expect(terms.shape).toEqual([4, 3]);
    expect(Array.from(terms.data)).toEqual(Array.from(lib('none').data));
  });

  it('broadcasts shapes as F.kl_div does', () => {
    const A = randomF32(4, 12, 2);
    writeNpy(dir, 'bc_a.npy', A, [4, 3]);
    writeJson(dir, 'bc_b.json', [0.2, 0.3, 0.5]);
    const lib = klDiv({ data: A, shape: [4, 3] }, [0.2, 0.3, 0.5], { reduction: 'batchmean' });
    expect(Math.fround(Number(ok('kl', 'bc_a.npy', 'bc_b.json')))).toBe(lib.item());
  });

  it('--logits: the fused KL, against the library and a float64 softmax/KL by hand', () => {
    const s = randomF32(5, 8 * 5);
    const t = randomF32(6, 8 * 5);
    writeNpy(dir, 'student.npy', s, [8, 5]);
    writeNpy(dir, 'teacher.npy', t, [8, 5]);
    const T = 2;
    const out = ok('kl', 'student.npy', 'teacher.npy', '--logits', '--temperature', String(T));
    const lib = klDivLogits({ data: s, shape: [8, 5] }, { data: t, shape: [8, 5] }, { temperature: T });
    expect(Math.fround(Number(out))).toBe(lib.item());
    let hand = 0;
    for (let r = 0; r < 8; r++) {
      const row = (x: Float32Array) => Array.from(x.subarray(r * 5, r * 5 + 5), (v) => v / T);
      const lse = (v: number[]) => Math.log(v.reduce((acc, u) => acc + Math.exp(u), 0));
      const ls = row(s);
      const lt = row(t);
      const ss = lse(ls);
      const st = lse(lt);
      for (let k = 0; k < 5; k++) hand += Math.exp(lt[k]! - st) * (lt[k]! - st - (ls[k]! - ss));
    }
    expectClose([Number(out)], [(hand * T * T) / 8], 1e-5);
    // dim 0 and 'none'
    const d0 = ok('kl', 'student.npy', 'teacher.npy', '--logits', '--dim', '0', '--reduction', 'sum');
    expect(Math.fround(Number(d0))).toBe(klDivLogits({ data: s, shape: [8, 5] }, { data: t, shape: [8, 5] }, { dim: 0, reduction: 'sum' }).item());
    const none = printed(ok('kl', 'student.npy', 'teacher.npy', '--logits', '--reduction', 'none'));
    expectSameAs(none.values, klDivLogits({ data: s, shape: [8, 5] }, { data: t, shape: [8, 5] }, { reduction: 'none' }));
    // identical logits give exactly 0
    expect(ok('kl', 'student.npy', 'student.npy', '--logits')).toBe('0\n');
  });

  it('float64 inputs give a float64 result printed in full', () => {
    const A = Float64Array.from(randomF32(7, 6), (v) => v / 3);
    writeNpy(dir, 's64.npy', A, [2, 3]);
    writeJson(dir, 't64.json', { data: [1.5, -0.25, 0.125, 2, 0, -1], shape: [2, 3], dtype: 'float64' });
    const out = ok('kl', 's64.npy', 't64.json', '--logits');
    const lib = klDivLogits({ data: A, shape: [2, 3] }, { data: Float64Array.of(1.5, -0.25, 0.125, 2, 0, -1), shape: [2, 3] });
    expect(lib.dtype).toBe('float64');
    expect(out).toBe(`${lib.item()}\n`);
  });
});

describe('backends', () => {
  /** Nested JSON arrays printed by the CLI, flattened. */
  const values = (out: string): number[] => (JSON.parse(out) as unknown[]).flat(Infinity as 1) as number[];

  it.each(['js', 'auto', 'wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar'])('--backend %s computes the same values (float32 tolerance)', (b) => {
    const r = klwasm(['softmax', 'x.npy', '--backend', b], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const want = values(ok('softmax', 'x.npy', '--backend', 'js'));
    const got = values(r.stdout);
    expect(got).toHaveLength(want.length);
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1.3e-6 * Math.abs(want[i]!) + 1e-7));
  });

  it('an unknown backend is a usage error', () => {
    const r = klwasm(['softmax', 'x.npy', '--backend', 'gpu'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gpu');
  });

  it('--verbose names the backend', () => {
    const r = klwasm(['softmax', 'x.npy', '--backend', 'js', '-v'], { cwd: dir });
    expect(r.stderr).toContain('klwasm softmax: backend js\n');
    expect(r.stderr).toContain('klwasm softmax: x.npy: float32 [2, 3] (npy)\n');
  });
});

describe('errors and exit codes', () => {
  beforeAll(() => {
    writeNpy(dir, 'a23.npy', randomF32(8, 6), [2, 3]);
    writeNpy(dir, 'a24.npy', randomF32(9, 8), [2, 4]);
  });

  it('usage errors exit 2 with the command usage', () => {
    let err = fails(2, 'softmax', 'a23.npy', '--dimm', '1');
    expect(err).toBe(
      "klwasm softmax: unknown option '--dimm'. Did you mean '--dim'? See 'klwasm softmax --help'.\n" +
        "Usage: klwasm softmax IN [--dim D] [-o OUT] [options]\nSee 'klwasm softmax --help'.\n",
    );
    expect(fails(2, 'sofmax', 'a23.npy')).toContain("klwasm: unknown command 'sofmax'. Did you mean 'softmax'?");
    expect(fails(2, '--dim', '1')).toContain("klwasm: unknown option '--dim' (options go after the command)");
    expect(fails(2, 'softmax')).toContain('klwasm softmax: missing the input file IN.');
    expect(fails(2, 'softmax', 'a23.npy', 'a24.npy')).toContain('expected one input file, got 2');
    expect(fails(2, 'kl', 'a23.npy')).toContain('klwasm kl: expected two input files A and B, got 1: a23.npy.');
    expect(fails(2, 'softmax', 'a23.npy', '--dim', 'x')).toContain("option '--dim' must be an integer, got 'x'");
    expect(fails(2, 'kl', 'a23.npy', 'a23.npy', '--reduction', 'avg')).toContain(
      "option '--reduction' must be one of batchmean, sum, mean, none; got 'avg'.",
    );
    expect(fails(2, 'kl', 'a23.npy', 'a23.npy', '--logits', '--temperature', '0')).toContain('--temperature must be > 0 and in [2^-63, 2^63], got 0.');
    expect(fails(2, 'kl', 'a23.npy', 'a23.npy', '--logits', '--temperature', '1e-300')).toContain('--temperature must be > 0 and in [2^-63, 2^63], got 1e-300.');
    expect(fails(2, 'kl', 'a23.npy', 'a23.npy', '--temperature', '2')).toContain('--temperature only applies with --logits');
    expect(fails(2, 'kl', 'a23.npy', 'a23.npy', '--logits', '--log-target')).toContain('--log-target only applies without --logits');
    expect(fails(2, 'softmax', 'a23.npy', '--backend', 'gpu')).toContain("option '--backend' must be one of auto, wasm-relaxed-simd, wasm-simd, wasm-scalar, js; got 'gpu'.");
    err = fails(2, 'softmax', 'a23.npy', '-o', 'out.txt');
    expect(err).toContain("out.txt: cannot tell the output format from the extension '.txt'; use a .npy or .json file.");
    expect(existsSync(join(dir, 'out.txt'))).toBe(false);
    expect(fails(2, 'softmax', 'a23.txt')).toContain("a23.txt: cannot tell the input format from the extension '.txt'");
    expect(fails(2, 'softmax', 'a23.npy', '--block-rows', '0')).toContain("option '--block-rows' must be a positive integer, got '0'.");
  });

  it('--dim out of range for the input is a usage error naming the file and its shape', () => {
    expect(fails(2, 'softmax', 'a23.npy', '--dim', '2')).toContain(
      'klwasm softmax: --dim 2 is out of range for a23.npy, which has 2 dimensions (shape [2, 3]); use a dim in -2..1 (-1 is the last).',
    );
    expect(fails(2, 'logsumexp', 'a23.npy', '--dim', '1,-1')).toContain('names the same dimension twice');
    expect(fails(2, 'kl', 'a23.npy', 'a23.npy', '--logits', '--dim', '-3')).toContain('--dim -3 is out of range');
  });

  it('input file errors exit 3, naming the file', () => {
    expect(fails(3, 'softmax', 'missing.npy')).toBe('klwasm softmax: missing.npy: no such file\n');
    expect(fails(3, 'kl', 'a23.npy', 'missing.json')).toBe('klwasm kl: missing.json: no such file\n');
    expect(fails(3, 'softmax', join(FIXTURES, 'i8.npy'))).toContain(
      "i8.npy: has unsupported dtype int64 ('<i8'); klwasm reads float32 and float64 only. Convert it, e.g. np.save(path, a.astype(np.float32))",
    );
    expect(fails(3, 'softmax', join(FIXTURES, 'f4_fortran.npy'))).toContain('f4_fortran.npy: is stored in Fortran (column-major) order');
    writeJson(dir, 'bad.json', '[[1, 2], [3]]');
    expect(fails(3, 'softmax', 'bad.json')).toContain('klwasm softmax: bad.json: is a ragged nested array');
    writeJson(dir, 'notjson.json', '{oops');
    expect(fails(3, 'softmax', 'notjson.json')).toContain('notjson.json: is not valid JSON');
    writeJson(dir, 'fake.npy', 'just text');
    expect(fails(3, 'softmax', 'fake.npy')).toContain('fake.npy: is not a .npy file');
    const full = readFileSync(join(dir, 'a23.npy'));
    writeFileSync(join(dir, 'short.npy'), full.subarray(0, full.length - 4));
    expect(fails(3, 'softmax', 'short.npy')).toContain('short.npy: is truncated: shape (2, 3) float32 needs 24 data bytes but the file has 20');
    mkdirSync(join(dir, 'folder.npy'));
    mkdirSync(join(dir, 'folder.json'));
    expect(fails(3, 'softmax', 'folder.npy')).toBe('klwasm softmax: folder.npy: is a directory, not a file\n');
    expect(fails(3, 'softmax', 'folder.json')).toBe('klwasm softmax: folder.json: is a directory, not a file\n');
  });

  it('mismatched shapes exit 3 and show both shapes', () => {
    expect(fails(3, 'kl', 'a23.npy', 'a24.npy')).toContain(
      'klwasm kl: a23.npy, a24.npy: shapes do not broadcast: A has shape [2, 3] and B has shape [2, 4] (size 3 vs 4 at dimension 1 of the broadcast result).',
    );
    expect(fails(3, 'kl', 'a23.npy', 'a24.npy', '--logits')).toContain(
      'A has shape [2, 3] but B has shape [2, 4]; --logits needs student and teacher logits of the same shape',
    );
  });

  it('an unwritable output is a runtime error (exit 1) and leaves no partial file', () => {
    const err = fails(1, 'softmax', 'a23.npy', '-o', join('no', 'such', 'dir', 'out.npy'));
    expect(err).toBe(`klwasm softmax: cannot write ${join('no', 'such', 'dir', 'out.npy')}: its directory does not exist\n`);
    // The rename into place fails (a directory has the name): the temporary file is removed.
    mkdirSync(join(dir, 'taken.npy'));
    expect(fails(1, 'softmax', 'a23.npy', '-o', 'taken.npy')).toMatch(/^klwasm softmax: cannot write taken\.npy: /);
    expect(readdirSync(dir).filter((f) => f.includes('.klwasm-'))).toEqual([]);
  });

  it('-o may overwrite an input: the result is written to a temporary file and renamed', () => {
    writeNpy(dir, 'inplace.npy', X, [2, 3]);
    ok('softmax', 'inplace.npy', '-o', 'inplace.npy');
    expect(Array.from(readNpyFile('inplace.npy').data)).toEqual(Array.from(softmax({ data: X, shape: [2, 3] }, -1).data));
  });
});
