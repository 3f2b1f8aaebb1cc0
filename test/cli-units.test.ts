/** Units of the CLI: argument parsing, JSON tensors, number formatting, the progress bar. */
import { describe, expect, it } from 'vitest';
import { choiceOption, intOption, numberOption, parseArgs, suggest, type OptionSpec } from '../src/cli/args.js';
import { CliError } from '../src/cli/errors.js';
import { JsonTensorWriter, parseJsonTensor } from '../src/cli/json.js';
import { formatNumber } from '../src/cli/numbers.js';
import { ProgressBar } from '../src/cli/progress.js';

const SPECS: OptionSpec[] = [
  { name: 'dim', kind: 'value', valueName: 'D', description: '' },
  { name: 'keepdim', kind: 'flag', description: '' },
  { name: 'output', short: 'o', kind: 'value', description: '' },
  { name: 'block-rows', kind: 'value', description: '', hidden: true },
];

function usageErr(fn: () => unknown): CliError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(2);
    return e as CliError;
  }
  throw new Error('expected a usage error');
}

describe('argument parsing', () => {
  it('long, --name=value, short, attached short values, flags and positionals', () => {
    const a = parseArgs(['x.npy', '--dim', '1', '--keepdim', '-o', 'out.npy', 'y.npy'], SPECS, 'klwasm t');
    expect(a.positionals).toEqual(['x.npy', 'y.npy']);
    expect(a.values.get('dim')).toBe('1');
    expect(a.values.get('output')).toBe('out.npy');
    expect(a.flags.has('keepdim')).toBe(true);
    const b = parseArgs(['--dim=-2', '-oout.json'], SPECS, 'klwasm t');
    expect(b.values.get('dim')).toBe('-2');
    expect(b.values.get('output')).toBe('out.json');
  });

  it('takes negative numbers as option values, and - as a value', () => {
    const a = parseArgs(['--dim', '-1', '-o', '-'], SPECS, 'klwasm t');
    expect(a.values.get('dim')).toBe('-1');
    expect(a.values.get('output')).toBe('-');
  });

  it('treats everything after -- as positionals', () => {
    const a = parseArgs(['--', '--dim', '-x.npy'], SPECS, 'klwasm t');
    expect(a.positionals).toEqual(['--dim', '-x.npy']);
    expect(a.values.size).toBe(0);
  });

  it('rejects unknown options with a suggestion, but never suggests hidden ones', () => {
    expect(usageErr(() => parseArgs(['--dimm', '1'], SPECS, 'klwasm t')).message).toBe(
      "klwasm t: unknown option '--dimm'. Did you mean '--dim'? See 'klwasm t --help'.",
    );
    expect(usageErr(() => parseArgs(['--block-row', '1'], SPECS, 'klwasm t')).message).not.toContain('block-rows');
    expect(usageErr(() => parseArgs(['-x'], SPECS, 'klwasm t')).message).toContain("unknown option '-x'");
  });

  it('rejects a missing value and a value given to a flag', () => {
    expect(usageErr(() => parseArgs(['--dim'], SPECS, 'klwasm t')).message).toContain("option '--dim' needs a value (D)");
    expect(usageErr(() => parseArgs(['--dim', '--keepdim'], SPECS, 'klwasm t')).message).toContain('needs a value');
    expect(usageErr(() => parseArgs(['--keepdim=yes'], SPECS, 'klwasm t')).message).toContain('takes no value');
  });

  it('rejects a value option given twice with different values (last-one-wins dropped a --dim silently)', () => {
    expect(usageErr(() => parseArgs(['--dim', '0', '--dim', '1'], SPECS, 'klwasm t')).message).toBe("klwasm t: option '--dim' is given twice ('0', then '1'); give it once.");
    // An option that takes lists names the list form; the same value twice loses nothing.
    const listSpecs: OptionSpec[] = SPECS.map((s) => (s.name === 'dim' ? { ...s, list: true } : s));
    expect(usageErr(() => parseArgs(['--dim', '0', '--dim=1'], listSpecs, 'klwasm t')).message).toBe(
      "klwasm t: option '--dim' is given twice ('0', then '1'); give it once (for both, a list: --dim 0,1).",
    );
    expect(parseArgs(['--dim', '1', '--dim', '1'], SPECS, 'klwasm t').values.get('dim')).toBe('1');
    // The same number written twice differently is the same value (no list hint naming it twice).
    expect(Number(parseArgs(['--dim', '1', '--dim', '01'], SPECS, 'klwasm t').values.get('dim'))).toBe(1);
    expect(usageErr(() => parseArgs(['-oa.npy', '--output=b.npy'], SPECS, 'klwasm t')).message).toBe(
      "klwasm t: option '--output' is given twice ('a.npy', then 'b.npy'); give it once.",
    );
    // Flags may repeat (nothing is lost).
    expect(parseArgs(['--keepdim', '--keepdim'], SPECS, 'klwasm t').flags.has('keepdim')).toBe(true);
  });

  it('typed option values', () => {
    const a = parseArgs(['--dim', '2.5'], SPECS, 'klwasm t');
    expect(usageErr(() => intOption(a, 'dim', 'klwasm t', -1)).message).toContain("'--dim' must be an integer, got '2.5'");
    expect(numberOption(a, 'dim', 'klwasm t', 1)).toBe(2.5);
    expect(intOption(parseArgs([], SPECS, 'w'), 'dim', 'w', -1)).toBe(-1);
    expect(usageErr(() => numberOption(parseArgs(['--dim', 'abc'], SPECS, 'w'), 'dim', 'w', 1)).message).toContain('finite number');
    const c = parseArgs(['--dim', 'summ'], SPECS, 'w');
    expect(usageErr(() => choiceOption(c, 'dim', 'w', ['sum', 'mean'], 'sum')).message).toContain("Did you mean 'sum'?");
    expect(suggest('lgosumexp', ['kl', 'logsumexp'])).toBe('logsumexp');
    expect(suggest('xyz', ['kl', 'logsumexp'])).toBeNull();
  });
});

describe('JSON tensors', () => {
  it('nested arrays are float32, a bare number is 0-d', () => {
    const t = parseJsonTensor('[[1, 2.5], [0.1, -3]]');
    expect(t.shape).toEqual([2, 2]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data)).toEqual([1, 2.5, Math.fround(0.1), -3]);
    expect(parseJsonTensor('4.5')).toMatchObject({ shape: [], dtype: 'float32' });
    expect(parseJsonTensor('[[], []]').shape).toEqual([2, 0]);
  });

  it('object form: flat or nested data, shape, dtype', () => {
    const t = parseJsonTensor('{"data": [1, 2, 3, 4, 5, 6], "shape": [3, 2], "dtype": "float64"}');
    expect(t).toMatchObject({ shape: [3, 2], dtype: 'float64' });
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseJsonTensor('{"data": [[0.1, 0.2]], "dtype": "float64"}').data[0]).toBe(0.1);
    expect(parseJsonTensor('{"data": 3, "shape": []}').shape).toEqual([]);
  });

  it("reads Python json's NaN / Infinity / -Infinity tokens (not inside strings)", () => {
    const t = parseJsonTensor('{"data": [NaN, Infinity, -Infinity, 1], "dtype": "float64"}');
    expect(Array.from(t.data)).toEqual([NaN, Infinity, -Infinity, 1]);
  });

  it('rejects malformed tensors with a message saying what is wrong', () => {
    expect(() => parseJsonTensor('[[1, 2], [3]]')).toThrow(/ragged nested array: the top level\[1\] has length 1 where length 2 was expected \(shape \[2, 2\]\)/);
    expect(() => parseJsonTensor('[1, "2"]')).toThrow(/has the string "2" at the top level\[1\] where a number was expected/);
    expect(() => parseJsonTensor('[1, null]')).toThrow(/null at the top level\[1\]/);
    expect(() => parseJsonTensor('[1, 2')).toThrow(/not valid JSON/);
    expect(() => parseJsonTensor('"hello"')).toThrow(/holds the string "hello"/);
    expect(() => parseJsonTensor('{"data": [1], "dtype": "int32"}')).toThrow(/unsupported dtype "int32"/);
    expect(() => parseJsonTensor('{"data": [1, 2, 3], "shape": [2, 2]}')).toThrow(/"shape" \[2, 2\] \(4 elements\) but its "data" has shape \[3\] \(3 elements\)/);
    expect(() => parseJsonTensor('{"data": [1], "shpae": [1]}')).toThrow(/unknown key\(s\) "shpae"/);
    expect(() => parseJsonTensor('{"shape": [1]}')).toThrow(/no 'data' key/);
  });

  it('writes nested arrays block by block, one row per line', () => {
    const w = new JsonTensorWriter([2, 2, 2], 'float32', 'nested');
    const text = w.open() + w.values(Float32Array.of(1, 2, 3)) + w.values(Float32Array.of(4, 5, 6, 7, 8)) + w.close();
    expect(text).toBe('[[[1, 2],\n  [3, 4]],\n [[5, 6],\n  [7, 8]]]\n');
    expect(JSON.parse(text)).toEqual([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  });

  it('writes the object form for float64, 0-d and empty tensors', () => {
    const w = new JsonTensorWriter([2, 2], 'float64', 'object');
    const text = w.open() + w.values(Float64Array.of(0.1, NaN, -Infinity, 4)) + w.close();
    expect(text).toBe('{"dtype": "float64", "shape": [2, 2], "data": [0.1, NaN,\n -Infinity, 4]}\n');
    const back = parseJsonTensor(text);
    expect(back.shape).toEqual([2, 2]);
    expect(Array.from(back.data)).toEqual([0.1, NaN, -Infinity, 4]);
    const s = new JsonTensorWriter([], 'float32', 'nested');
    expect(s.open() + s.values(Float32Array.of(0.5)) + s.close()).toBe('0.5\n');
    const e = new JsonTensorWriter([2, 0], 'float32', 'nested');
    expect(e.open() + e.values(new Float32Array(0)) + e.close()).toBe('[[], []]\n');
    expect(() => new JsonTensorWriter([2], 'float32', 'nested').close()).toThrow(/0 of 2 values/);
  });
});

describe('number formatting', () => {
  it('float32: the shortest decimal that reads back as the same float32', () => {
    expect(formatNumber(Math.fround(0.1), 'float32')).toBe('0.1');
    expect(formatNumber(Math.fround(1 / 3), 'float32')).toBe('0.33333334');
    expect(formatNumber(Math.fround(16777217), 'float32')).toBe('16777216');
    expect(formatNumber(Math.fround(1e-45), 'float32')).toBe('1e-45');
    expect(formatNumber(Math.fround(3.4028234663852886e38), 'float32')).toBe('3.4028235e+38');
    // 20 000 seeded random bit patterns (every binade, subnormals included; NaN/±inf skipped):
    // reproducible, so a failure names a value that fails again.
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    let state = 0x9e3779b9;
    let checked = 0;
    for (let i = 0; i < 20000; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bits[0] = state >>> 0;
      const v = f[0]!;
      if (!Number.isFinite(v)) continue;
      checked++;
      expect(Math.fround(Number(formatNumber(v, 'float32'))), `bits 0x${bits[0]!.toString(16)}`).toBe(v);
    }
    expect(checked).toBeGreaterThan(19000);
  });

  it('float64: JavaScript shortest round trip; non-finite and -0 spelled as Python json does', () => {
    expect(formatNumber(0.1, 'float64')).toBe('0.1');
    expect(formatNumber(Math.fround(0.1), 'float64')).toBe('0.10000000149011612');
    expect(formatNumber(NaN, 'float32')).toBe('NaN');
    expect(formatNumber(Infinity, 'float64')).toBe('Infinity');
    expect(formatNumber(-Infinity, 'float32')).toBe('-Infinity');
    expect(formatNumber(-0, 'float32')).toBe('-0');
  });
});

describe('progress bar', () => {
  function fakeStream(isTTY: boolean) {
    const writes: string[] = [];
    return { isTTY, columns: 80, writes, write: (s: string) => writes.push(s) };
  }

  it('stays silent for the first second, then draws, throttles, and erases itself', () => {
    let now = 0;
    const s = fakeStream(true);
    const bar = new ProgressBar(s, 'klwasm kl', 100, { now: () => now });
    now = 500;
    bar.update(10);
    expect(s.writes).toEqual([]);
    now = 1200;
    bar.update(50);
    expect(s.writes).toHaveLength(1);
    expect(s.writes[0]).toMatch(/^\rklwasm kl \[#+\.+\]  50% 50\/100 rows 1\.2s\x1b\[K$/);
    now = 1250;
    bar.update(60); // within the redraw interval
    expect(s.writes).toHaveLength(1);
    now = 1400;
    bar.update(100);
    expect(s.writes[1]).toContain('100% 100/100 rows');
    bar.finish();
    expect(s.writes[2]).toBe('\r\x1b[K');
  });

  it('never draws when stderr is not a TTY, or when disabled', () => {
    let now = 0;
    for (const [tty, enabled] of [
      [false, true],
      [true, false],
    ] as const) {
      const s = fakeStream(tty);
      const bar = new ProgressBar(s, 'x', 10, { now: () => now, enabled });
      now += 5000;
      bar.update(5);
      bar.finish();
      expect(s.writes).toEqual([]);
    }
  });
});
