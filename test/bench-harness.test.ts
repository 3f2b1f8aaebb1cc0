/**
 * The benchmark harness's own correctness (no timing here: speed lives in bench/ only).
 * - The float64 references every peer is graded against, checked against closed forms and
 *   against PyTorch's float64 results in the golden suite.
 * - The error measure, the seeded data, the ONNX protobuf encoder.
 * - The report writers (console, markdown, SVG, JSON) on a small fixture: well-formed output
 *   that says what the fixture holds.
 */
import { describe, expect, it } from 'vitest';
import { type GoldenCase, type GoldenTensor, decodeNumber, decodeTensor, loadGolden, readRaw } from './helpers/golden.js';

// bench/ is plain ESM JavaScript without type declarations: load it untyped.
type Any = any;
const load = (p: string): Promise<Any> => import(new URL(p, import.meta.url).href);

const ref = await load('../bench/reference.mjs');
const data = await load('../bench/data.mjs');
const proto = await load('../bench/onnx/protobuf.mjs');
const graphs = await load('../bench/onnx/graphs.mjs');
const model = await load('../bench/report/model.mjs');
const fmt = await load('../bench/report/format.mjs');
const md = await load('../bench/report/markdown.mjs');
const svg = await load('../bench/report/svg.mjs');
const table = await load('../bench/report/table.mjs');
const json = await load('../bench/report/json.mjs');
const targets = await load('../bench/report/targets.mjs');

const golden = loadGolden();
const gcase = (id: string) => {
  const c = golden.cases.find((k) => k.id === id);
  if (!c) throw new Error(`golden case ${id} missing`);
  return c;
};
const rowsOf = (shape: number[]) => {
  const N = shape[shape.length - 1]!;
  return { B: shape.reduce((a, b) => a * b, 1) / N, N };
};
const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
/** PyTorch's float64 result of a small case, as a Float64Array. */
const expectedF64 = (c: GoldenCase) => Float64Array.from((c.expected_f64 as GoldenTensor).data, decodeNumber);

describe('float64 references: closed forms', () => {
  it('logsumexp and log_softmax of small rows', () => {
    const x = [1, 2, 3, 1000, 1000, 1000];
    const lse = ref.refLogSumExp(x, 2, 3);
    expect(relDiff(lse[0], Math.log(Math.E + Math.E ** 2 + Math.E ** 3))).toBeLessThan(1e-15);
    expect(lse[1]).toBe(1000 + Math.log(3));
    const ls = ref.refLogSoftmax(x, 2, 3);
    expect(ls[5]).toBeCloseTo(-Math.log(3), 12); // 1000 − (1000 + ln 3): absolute rounding ~1e-13
    expect(Math.abs(ls[2] - (3 - lse[0]))).toBe(0);
    expect(ref.lseRow([-Infinity, -Infinity], 0, 2)).toBe(-Infinity);
  });

  it('kl_div sum from log-probs and from probabilities', () => {
    // KL([½, ½] ‖ [¼, ¾]) = ½·ln 2 + ½·ln(2/3) = ½·ln(4/3)
    const want = 0.5 * Math.log(4 / 3);
    expect(relDiff(ref.refKlDivSum([Math.log(0.25), Math.log(0.75)], [0.5, 0.5]), want)).toBeLessThan(1e-15);
    expect(relDiff(ref.refKlProbSum([0.5, 0.5], [0.25, 0.75]), want)).toBeLessThan(1e-15);
    // target 0 contributes 0 (PyTorch: 0·(log 0 − x) := 0)
    expect(ref.refKlDivSum([-1, Math.log(1)], [0, 1])).toBe(0);
  });

  it('fused KL from logits, termwise', () => {
    // x = [0, 0] → q = [½, ½]; y = [0, ln 3] → p = [¼, ¾]; KL(p ‖ q) = ¼·ln ½ + ¾·ln(3/2)
    const want = 0.25 * Math.log(0.5) + 0.75 * Math.log(1.5);
    expect(relDiff(ref.refKlLogits([0, 0], [0, Math.log(3)], 1, 2), want)).toBeLessThan(1e-14);
    // Temperature: divides logits by T and multiplies by T²
    expect(relDiff(ref.refKlLogits([0, 0], [0, 2 * Math.log(3)], 1, 2, 2), 4 * want)).toBeLessThan(1e-14);
    // Identical logits: exactly 0; shifted logits (same softmax): 0 up to rounding
    expect(ref.refKlLogits([1, 2, 3], [1, 2, 3], 1, 3)).toBe(0);
    expect(Math.abs(ref.refKlLogits([1, 2, 3], [11, 12, 13], 1, 3))).toBeLessThan(1e-15);
    // Nearly identical logits: KL ≈ ½·Var_q(δ) (second order), where the textbook form loses digits
    const N = 1000;
    const x = Float64Array.from({ length: N }, (_, i) => Math.sin(i) * 3);
    const d = Float64Array.from({ length: N }, (_, i) => 1e-4 * Math.cos(3 * i));
    const y = x.map((v, i) => v + d[i]!);
    const lx = ref.lseRow(x, 0, N);
    let mean = 0;
    for (let i = 0; i < N; i++) mean += Math.exp(x[i]! - lx) * d[i]!;
    let variance = 0;
    for (let i = 0; i < N; i++) variance += Math.exp(x[i]! - lx) * (d[i]! - mean) ** 2;
    // relative third-order term ~ |δ| = 1e-4
    expect(relDiff(ref.refKlLogits(x, y, 1, N), variance / 2)).toBeLessThan(3e-4);
    expect(ref.refKlLogits(x, y, 1, N)).toBeGreaterThan(0);
  });
});

describe('float64 references: against PyTorch float64 (golden suite)', () => {
  it.each(['logsumexp-0270', 'logsumexp-0278', 'logsumexp-0300'])('logsumexp %s', (id) => {
    const c = gcase(id);
    const x = decodeTensor(c.input!);
    const { B, N } = rowsOf(x.shape);
    expect(ref.maxRelErr(ref.refLogSumExp(x.data, B, N), expectedF64(c))).toBeLessThan(1e-14);
  });

  it.each(['log_softmax-0211', 'log_softmax-0216', 'log_softmax-0246'])('log_softmax %s', (id) => {
    const c = gcase(id);
    const x = decodeTensor(c.input!);
    const { B, N } = rowsOf(x.shape);
    expect(ref.maxRelErr(ref.refLogSoftmax(x.data, B, N), expectedF64(c))).toBeLessThan(1e-14);
  });

  it('log_softmax [8, 32000] (large case)', () => {
    const c = gcase('log_softmax_large-0372');
    const x = readRaw(c.input_file!, 'float32');
    const want = readRaw(c.expected_f64_file!, 'float64');
    expect(ref.maxRelErr(ref.refLogSoftmax(x, 8, 32000), want)).toBeLessThan(1e-13);
  });

  it('kl_div sum from log-probs', () => {
    const cases = golden.cases.filter(
      (c) => c.op === 'kl_div' && c.args.reduction === 'sum' && !c.args.log_target && c.input && c.target && c.expected_f64 && c.input.shape.join() === c.target.shape.join() && c.input.shape.length > 0,
    );
    expect(cases.length).toBeGreaterThan(3);
    let checked = 0;
    for (const c of cases) {
      const t = decodeTensor(c.target!).data;
      if (t.some((v) => !(v >= 0) || !Number.isFinite(v))) continue; // edge cases (negative/NaN targets) are the API's business
      const inp = decodeTensor(c.input!).data;
      if (inp.some((v) => !Number.isFinite(v))) continue;
      const want = expectedF64(c)[0]!;
      const got = ref.refKlDivSum(inp, t);
      if (want === 0) expect(got, c.id).toBe(0);
      else expect(relDiff(got, want), c.id).toBeLessThan(1e-13);
      checked++;
    }
    expect(checked).toBeGreaterThan(3);
  });

  it.each(['kl_div_logits-0318', 'kl_div_logits-0322', 'kl_div_logits-0330', 'kl_div_logits-0338', 'kl_div_logits-0354', 'kl_div_logits-0366', 'kl_div_logits-0369'])(
    'fused KL from logits %s',
    (id) => {
      const c = gcase(id);
      const x = decodeTensor(c.input!);
      const y = decodeTensor(c.target!);
      const { B, N } = rowsOf(x.shape);
      const got = ref.refKlLogits(x.data, y.data, B, N, c.args.temperature as number);
      const want = expectedF64(c)[0]!;
      if (c.exact) expect(got).toBe(0);
      // 0369 (tiny KL, nearly identical logits) is where a textbook float64 reference drifts;
      // the termwise one agrees with PyTorch's float64 to ~1e-8 there, ~1e-13 elsewhere.
      else expect(relDiff(got, want)).toBeLessThan(id.endsWith('0369') ? 1e-7 : 1e-12);
    },
  );

  it('fused KL from logits [4, 50257] per row (large case)', () => {
    const c = gcase('kl_div_logits_large-0370');
    const x = readRaw(c.input_file!, 'float32');
    const y = readRaw(c.target_file!, 'float32');
    const [B, N] = c.shape as [number, number];
    for (let r = 0; r < B; r++) {
      const got = ref.refKlLogits(x.subarray(r * N, (r + 1) * N), y.subarray(r * N, (r + 1) * N), 1, N);
      expect(relDiff(got, c.expected_f64_per_row![r]!)).toBeLessThan(1e-12);
    }
    expect(relDiff(ref.refKlLogits(x, y, B, N) / B, c.expected_f64 as number)).toBeLessThan(1e-12);
  });
});

describe('error measure', () => {
  it('scalars: relative error; non-finite answers are infinitely wrong', () => {
    expect(ref.maxRelErr(1.001, 1)).toBeCloseTo(1e-3, 12);
    expect(ref.maxRelErr(2, 2)).toBe(0);
    expect(ref.maxRelErr(Float32Array.of(0.5), 0.5)).toBe(0);
    expect(ref.maxRelErr(NaN, 1)).toBe(Infinity);
    expect(ref.maxRelErr(-0.5, 0.5)).toBe(2);
  });
  it('arrays: relative above 1, absolute below; length and NaN mismatches fail', () => {
    expect(ref.maxRelErr([10.1, 0.001], [10, 0])).toBeCloseTo(0.01, 12);
    expect(ref.maxRelErr([1, 2], [1, 2, 3])).toBe(Infinity);
    expect(ref.maxRelErr([1, NaN], [1, 2])).toBe(Infinity);
    expect(ref.maxRelErr(undefined, [1])).toBe(Infinity);
  });
});

describe('seeded data', () => {
  it('is deterministic, shared between dtypes, and W1 inputs are normalised', () => {
    const a = data.makeDataset([3, 50], 'float32');
    const b = data.makeDataset([3, 50], 'float32');
    const c = data.makeDataset([3, 50], 'float64');
    expect(a.x).toEqual(b.x);
    expect(Array.from(c.x)).toEqual(Array.from(a.x));
    expect(Array.from(c.y)).toEqual(Array.from(a.y));
    expect(a.x).not.toEqual(data.makeDataset([3, 50], 'float32', 7).x);
    for (let r = 0; r < 3; r++) {
      let sp = 0;
      let sq = 0;
      for (let i = 0; i < 50; i++) {
        sp += c.p[r * 50 + i];
        sq += Math.exp(c.logq[r * 50 + i]);
      }
      expect(sp).toBeCloseTo(1, 14);
      expect(sq).toBeCloseTo(1, 14);
    }
    // logits ~ N(0, 3²), teacher within N(0, 0.5²) of the student
    const big = data.makeDataset([1, 20000], 'float64');
    let m = 0;
    let v = 0;
    let dv = 0;
    for (let i = 0; i < big.numel; i++) {
      m += big.x[i];
      v += big.x[i] ** 2;
      dv += (big.y[i] - big.x[i]) ** 2;
    }
    expect(Math.abs(m / big.numel)).toBeLessThan(0.1);
    expect(Math.sqrt(v / big.numel)).toBeGreaterThan(2.9);
    expect(Math.sqrt(v / big.numel)).toBeLessThan(3.1);
    expect(Math.sqrt(dv / big.numel)).toBeGreaterThan(0.48);
    expect(Math.sqrt(dv / big.numel)).toBeLessThan(0.52);
  });
});

describe('ONNX protobuf encoder', () => {
  it('writes varints, negative int64 and length-delimited fields as the wire format says', () => {
    expect(Array.from(proto.varint(0))).toEqual([0]);
    expect(Array.from(proto.varint(300))).toEqual([0xac, 0x02]);
    expect(Array.from(proto.varint(-1))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(Array.from(proto.fInt(1, 8))).toEqual([0x08, 0x08]);
    expect(Array.from(proto.fString(2, 'ab'))).toEqual([0x12, 0x02, 0x61, 0x62]);
    expect(Array.from(proto.fFloat(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
  });
  it('builds a ModelProto starting with ir_version 8 and naming its ops', () => {
    const bytes: Uint8Array = graphs.buildModel('w2', 'float32');
    expect(Array.from(bytes.slice(0, 2))).toEqual([0x08, 0x08]);
    const text = new TextDecoder('latin1').decode(bytes);
    for (const op of ['LogSoftmax', 'Softmax', 'Log', 'Sub', 'Mul', 'ReduceSum']) expect(text).toContain(op);
    // opset_import (field 8) { domain "" , version 13 } closes the model
    expect(Array.from(bytes.slice(-6))).toEqual([0x42, 0x04, 0x0a, 0x00, 0x10, 0x0d]);
  });
});

/** A small results object in the shape run.mjs writes. */
function fixture(): Any {
  const shapes = ['[4,5]', '[8,32000]'];
  const peers = [
    { id: 'klwasm-wasm-simd', label: 'klwasm wasm-simd', available: false, reason: 'not available in this build', versions: null, method: 'fused' },
    { id: 'klwasm-js', label: 'klwasm js', available: true, reason: null, versions: { klwasm: '0.1.0' }, method: 'fused <js>' },
    { id: 'naive-js', label: 'naive JS loops', available: true, reason: null, versions: null, method: 'loops' },
    { id: 'ort-node-1t', label: 'onnxruntime-node 1t', available: true, reason: null, versions: null, method: 'graphs' },
    { id: 'tfjs-wasm', label: 'tfjs wasm', available: true, reason: null, versions: null, method: 'ops' },
  ];
  const ok = (peer: string, shape: string, melem: number, err = 1e-8) => ({
    workload: 'w2',
    dtype: 'float32',
    shape,
    elements: shape === '[4,5]' ? 20 : 256000,
    peer,
    status: 'ok',
    maxRelErr: err,
    medianUs: (shape === '[4,5]' ? 20 : 256000) / melem,
    melemPerS: melem,
    iqrUs: 0.1,
    roundSpread: 0.2,
    roundsUs: [1, 2],
    samples: 10,
    batch: 4,
    mode: 'fast',
  });
  const cells = [
    ok('klwasm-js', '[4,5]', 5),
    ok('klwasm-js', '[8,32000]', 250),
    ok('naive-js', '[4,5]', 10),
    ok('naive-js', '[8,32000]', 12.5),
    ok('ort-node-1t', '[4,5]', 0.5),
    ok('ort-node-1t', '[8,32000]', 200, 2e-5),
    ok('tfjs-wasm', '[4,5]', 0.2),
    { workload: 'w2', dtype: 'float32', shape: '[8,32000]', elements: 256000, peer: 'tfjs-wasm', status: 'inaccurate', maxRelErr: 2.7e-3, reason: 'max rel err 2.7e-3 > 0.001' },
    { workload: 'w2', dtype: 'float64', shape: '[4,5]', elements: 20, peer: 'tfjs-wasm', status: 'skipped', reason: 'tfjs has no float64 dtype' },
    { ...ok('klwasm-js', '[4,5]', 4), dtype: 'float64' },
    { ...ok('naive-js', '[4,5]', 8), dtype: 'float64' },
  ];
  const results = {
    generatedAt: '2026-11-27T00:00:00.000Z',
    durationS: 12.5,
    profile: { name: 'fixture', rounds: 2 },
    machine: { cpuModel: 'Test CPU <x86>', cores: 2, hypervisor: 'KVM', simdFlags: ['avx2'], memoryGiB: 24, os: 'Linux', node: 'v20', v8: '11', loadAverage: [0, 0, 0], gitCommit: 'abc1234', gitDirty: false },
    packages: { klwasm: '0.1.0', tinybench: '6.2.5' },
    tolerance: 1e-3,
    warnError: 1e-5,
    workloads: [
      { id: 'w1', title: 'W1 — kl', short: 'W1 kl', describe: 'nothing measured here' },
      { id: 'w2', title: 'W2 — distill', short: 'W2 distill', describe: 'fused | chain' },
    ],
    shapes,
    dtypes: ['float32', 'float64'],
    peers,
    method: ['seeded data', 'tinybench'],
    noise: { entries: 8, medianRoundSpread: 0.2, p90RoundSpread: 0.5 },
    load: { start: 0.5, median: 3.1, max: 5.2, cores: 2, foreignCpuMedian: 0.5, foreignCpuMax: 0.9, busy: true },
    cells,
  };
  return model.addRatios(results, { naive: 'naive-js', ort: 'ort-node-1t' });
}

/** Parses the tag structure of an XML document; returns the element names in order or throws. */
function checkXml(doc: string): string[] {
  const body = doc.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const names: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < body.length && (m = re.exec(body))) {
    pos = re.lastIndex;
    const [, close, name, , selfClose, text] = m;
    if (text !== undefined) {
      if (stack.length === 0 && text.trim()) throw new Error(`text outside the root: ${text.slice(0, 30)}`);
      if (/&(?!amp;|lt;|gt;|quot;|apos;|#\d+;)/.test(text)) throw new Error(`bad entity in ${text.slice(0, 30)}`);
      continue;
    }
    if (close) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
    } else {
      names.push(name!);
      if (!selfClose) stack.push(name!);
    }
    if (stack.length === 0 && pos < body.trimEnd().length) throw new Error('content after the root element');
  }
  if (pos < body.length) throw new Error(`unparsable at ${body.slice(pos, pos + 40)}`);
  if (stack.length) throw new Error(`unclosed <${stack.join('><')}>`);
  return names;
}

describe('report writers', () => {
  it('ratios are taken against naive JS and onnxruntime-node in the same cell', () => {
    const r = fixture();
    const c = r.cells.find((k: Any) => k.peer === 'klwasm-js' && k.shape === '[8,32000]' && k.dtype === 'float32');
    expect(c.vsNaive).toBeCloseTo(20, 12);
    expect(c.vsOrt).toBeCloseTo(1.25, 12);
    const f64 = r.cells.find((k: Any) => k.peer === 'klwasm-js' && k.dtype === 'float64');
    expect(f64.vsNaive).toBeCloseTo(0.5, 12);
    expect(f64.vsOrt).toBeNull();
  });

  it('markdown: well-formed tables with speeds, ratios, failures and skip reasons', () => {
    const text: string = md.markdownReport(fixture());
    const lines = text.split('\n');
    // Every table: header, separator, rows, all with the same number of cells.
    let tables = 0;
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.startsWith('| peer |')) continue;
      tables++;
      const cols = (l: string) => l.replace(/\\\|/g, '').split('|').length;
      expect(lines[i + 1]).toMatch(/^\|---(\|---:)+\|$/);
      expect(cols(lines[i + 1]!)).toBe(cols(lines[i]!));
      for (let j = i + 2; j < lines.length && lines[j]!.startsWith('|'); j++) expect(cols(lines[j]!), lines[j]).toBe(cols(lines[i]!));
    }
    expect(tables).toBe(6); // W2 in float32 and float64: throughput, ratio, latency (W1 has no cells)
    expect(text).not.toContain('### W1');
    expect(text).toContain('| klwasm js | 5.00 · 1e-8 | 250 · 1e-8 |');
    expect(text).toContain('| klwasm js | 0.50× / 10× | 20× / 1.3× |');
    expect(text).toContain('✗ err 2.7e-3');
    expect(text).toContain('200 · 2e-5 ⚠');
    expect(text).toContain('**tfjs-wasm** w2 float32 [8,32000]: max rel err 2.7e-3');
    expect(text).toContain('tfjs-wasm: tfjs has no float64 dtype (1 cell: w2 float64 [4,5])');
    expect(md.describeCells([{ workload: 'w2', dtype: 'float32', shape: '[4,5]' }, { workload: 'w2', dtype: 'float32', shape: '[8,32000]' }, { workload: 'w3', dtype: 'float32', shape: '[4,5]' }, { workload: 'w3', dtype: 'float32', shape: '[8,32000]' }], { shapes: ['[4,5]', '[8,32000]'], dtypes: ['float32', 'float64'] })).toBe('4 cells: w2, w3 × float32 × every shape');
    expect(text).toContain('klwasm wasm-simd — not available in this build');
    expect(text).toContain('fused | chain'); // prose is not escaped
    expect(text).toContain('![Throughput per shape and peer, log scale](chart.svg)');
    expect(text).toContain('other processes used 50 % of the 2 cores while cells were timed (median; max 90 %); 1-min load average start 0.5, median 3.1, max 5.2 (the suite itself accounts for about 1). ⚠ **Other processes competed for the CPU');
    expect(text).not.toMatch(/NaN|undefined|\[object/);
  });

  it('targets: judged on the same run, at the bar counts as met, missing cells are "not measured"', () => {
    // klwasm wasm-simd against naive JS, onnxruntime-node and tfjs-wasm, float32.
    const c = (peer: string, workload: string, shape: string, melem: number, err = 2e-8, status = 'ok') => {
      const elements = shape === '[4,5]' ? 20 : 256000;
      return { workload, dtype: 'float32', shape, elements, peer, status, maxRelErr: err, melemPerS: melem, medianUs: elements / melem };
    };
    const cells = [];
    for (const s of ['[8,32000]', '[64,50257]']) {
      // W2: exactly 1.25× ort and 20× naive at both shapes; W1: 1.3× ort at one shape only.
      cells.push(c('klwasm-wasm-simd', 'w2', s, 250, s === '[8,32000]' ? 1e-7 : 2e-8), c('naive-js', 'w2', s, 12.5), c('ort-node-1t', 'w2', s, 200));
      cells.push(c('klwasm-wasm-simd', 'w1', s, 700), c('naive-js', 'w1', s, 100), c('ort-node-1t', 'w1', s, s === '[8,32000]' ? 500 : 560));
    }
    cells.push(c('klwasm-wasm-simd', 'w3', '[8,32000]', 699.9), c('naive-js', 'w3', '[8,32000]', 50));
    cells.push(c('klwasm-wasm-simd', 'w1', '[4,5]', 40), c('naive-js', 'w1', '[4,5]', 80)); // 0.5 µs; naive faster
    // tfjs-wasm: less accurate (no effect); more accurate by less than one float32 rounding (2e-8
    // vs 1e-9: no effect); more accurate by more than that (1e-7 vs 1e-9: not met).
    cells.push(c('tfjs-wasm', 'w1', '[8,32000]', 150, 1e-3, 'inaccurate'), c('tfjs-wasm', 'w2', '[64,50257]', 50, 1e-9), c('tfjs-wasm', 'w2', '[8,32000]', 50, 1e-9));
    const results = model.addRatios({ cells }, { naive: 'naive-js', ort: 'ort-node-1t' });
    const { klwasm, rows } = targets.evaluateTargets(results);
    expect(klwasm).toBe('klwasm-wasm-simd');
    const status = (prefix: string) => {
      const r = rows.find((x: Any) => x.target.startsWith(prefix));
      expect(r, prefix).toBeDefined();
      return r;
    };
    expect(status('W2 klDivLogits ÷ onnxruntime-node').status).toBe('met');
    expect(status('W2 klDivLogits ÷ naive JS').status).toBe('met');
    expect(status('W1 klDiv ÷ onnxruntime-node').status).toBe('not met'); // 1.4× and 1.25×
    expect(status('W1 klDiv ÷ onnxruntime-node').measured).toBe('[8,32000] 1.40×, [64,50257] 1.25×');
    expect(status('W1 klDiv ÷ naive JS').status).toBe('met');
    expect(status('W3 logSoftmax').status).toBe('not met');
    expect(status('W4 logSumExp').status).toBe('not measured');
    expect(status('Small calls').status).toBe('not measured'); // W2 at [4,5] missing
    expect(status('Small calls').measured).toBe('W1 0.50 µs, W2 —');
    const slower = status('Never slower');
    expect(slower.status).toBe('not met');
    expect(slower.measured).toContain('w1 float32 [4,5] (naive-js 80.0 > 40.0 Melem/s)');
    expect(slower.measured).toMatch(/^slower in 1 of 8:/);
    const acc = status('Never less accurate');
    expect(acc.status).toBe('not met');
    expect(acc.measured).toBe('klwasm-wasm-simd w2 [8,32000]: 1.0e-7 vs ort-node-1t 2.0e-8; klwasm-wasm-simd w2 [8,32000]: 1.0e-7 vs tfjs-wasm 1.0e-9');
    // Without any klwasm SIMD cell nothing can be met.
    const none = targets.evaluateTargets(model.addRatios({ cells: cells.filter((x: Any) => !x.peer.startsWith('klwasm')) }, { naive: 'naive-js', ort: 'ort-node-1t' }));
    expect(none.klwasm).toBeNull();
    expect(none.rows.every((r: Any) => r.status === 'not measured')).toBe(true);
  });

  it('SVG: well-formed, one bar per measured cell, ✗ per failed one, log-scaled heights', () => {
    const r = fixture();
    const doc: string = svg.svgChart(r);
    const names = checkXml(doc);
    expect(names[0]).toBe('svg');
    expect(doc).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(doc).not.toMatch(/NaN|undefined|Infinity/);
    expect(doc).toContain('Test CPU &lt;x86&gt;');
    const bars = [...doc.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="[^"]+"><title>([^<]+)<\/title>/g)];
    const okCells = r.cells.filter((c: Any) => c.status === 'ok');
    expect(bars.length).toBe(okCells.length);
    expect([...doc.matchAll(/>✗</g)].length).toBe(1);
    // log scale: heights are affine in log10(value) (0.2 … 250 spans decades 0.1 … 1000)
    const h = (label: string) => Number(bars.find((b) => b[5]!.startsWith(label))![4]);
    const perDecade = h('klwasm js w2 float32 [8,32000]') - h('naive JS loops w2 float32 [8,32000]');
    expect(perDecade / Math.log10(250 / 12.5)).toBeCloseTo((h('naive JS loops w2 float32 [4,5]') - h('onnxruntime-node 1t w2 float32 [4,5]')) / Math.log10(10 / 0.5), 0);
    expect(h('klwasm js w2 float32 [8,32000]')).toBeGreaterThan(h('onnxruntime-node 1t w2 float32 [8,32000]'));
    expect(svg.logBounds([0.2, 250])).toEqual([0.1, 1000]);
    expect(['0.1', '1', '10', '100', '1000', '10k'].map((s, i) => svg.decadeLabel(10 ** (i - 1)) === s)).toEqual(Array(6).fill(true));
  });

  it('console table and JSON rounding', () => {
    const r = fixture();
    const text: string = table.consoleReport(r);
    expect(text).toContain('float32 · W2 distill');
    expect(text).toMatch(/klwasm js\s+5\.00 0\.50×\|10×\s+250 20×\|1\.3×/);
    expect(text).toContain('✗ err 2.7e-3');
    expect(text).toContain('klwasm wasm-simd: not available in this build');
    const rounded = json.roundedResults({ ...r, cells: [{ peer: 'x', melemPerS: 123.456789, maxRelErr: Infinity, roundsUs: [1.23456789] }] });
    expect(rounded.cells[0]).toEqual({ peer: 'x', melemPerS: 123.5, maxRelErr: 'Infinity', roundsUs: [1.235] });
    expect(JSON.parse(JSON.stringify(rounded)).cells[0].maxRelErr).toBe('Infinity');
  });

  it('number formats', () => {
    expect(fmt.fmtNum(1234.5)).toBe('1235');
    expect(fmt.fmtNum(12.345)).toBe('12.3');
    expect(fmt.fmtNum(0.0123)).toBe('0.012');
    expect(fmt.fmtErr(2.7e-3)).toBe('2.7e-3');
    expect(fmt.fmtErr(3e-8)).toBe('3e-8');
    expect(fmt.fmtErr(0)).toBe('0');
    expect(fmt.fmtRatio(20)).toBe('20×');
    expect(fmt.fmtRatio(1.25)).toBe('1.3×');
    expect(fmt.fmtRatio(null)).toBe('—');
  });
});

describe('bench/layouts.bench.mjs (klwasm against loops over many layouts)', () => {
  it('times every op over rows, columns and slabs, checks both sides agree first, and sums up the slower cells', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(
      process.execPath,
      [new URL('../bench/layouts.bench.mjs', import.meta.url).pathname, '--backend', 'wasm-simd', '--layout', '6,5@-1;7,3@0;4,5,2@1', '--time', '5'],
      { encoding: 'utf8' },
    );
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^klwasm wasm-simd against naive JS loops/);
    const cells = lines.slice(1, -1);
    expect(cells).toHaveLength(2 * 3 * 4); // two dtypes × three layouts × four ops
    for (const l of cells) expect(l).toMatch(/^float(32|64) (w2|w3|w4|sm) +\[[\d,]+\] dim -?\d +klwasm +\d+ +loops +\d+ Melem\/s +ratio \d+\.\d\d( +SLOWER)?$/);
    const slower = cells.filter((l) => l.endsWith('SLOWER')).length;
    expect(lines.at(-1)).toBe(slower === 0 ? 'no cell slower than the loops' : `${slower} cell(s) slower than the loops`);
  });
});

describe('bench/ab.mjs (A/B of two builds)', () => {
  it('runs a build against itself: every workload reported, identical answers, ratios near 1', async () => {
    const { execFileSync } = await import('node:child_process');
    const dist = new URL('../dist/esm/index.js', import.meta.url).pathname;
    const out = execFileSync(process.execPath, [new URL('../bench/ab.mjs', import.meta.url).pathname, '--base', dist, '--shape', '4,1000', '--rounds', '2'], {
      encoding: 'utf8',
    });
    const lines = out.trim().split('\n').slice(1);
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['w1', 'w2', 'w3', 'w4']);
    for (const l of lines) {
      expect(l).toMatch(/^w\d \[4,1000\]: base \d+, new \d+ Melem\/s, new ÷ base \d+\.\d\d \(identical answers\)$/);
    }
  });

  it('--zero-copy runs the workloads on allocTensor inputs (W3 into an allocTensor out): identical answers', async () => {
    const { execFileSync } = await import('node:child_process');
    const dist = new URL('../dist/esm/index.js', import.meta.url).pathname;
    const out = execFileSync(process.execPath, [new URL('../bench/ab.mjs', import.meta.url).pathname, '--base', dist, '--shape', '4,1000', '--rounds', '2', '--zero-copy', '--dtype', 'float64'], {
      encoding: 'utf8',
    });
    const [head, ...lines] = out.trim().split('\n');
    expect(head).toMatch(/^A\/B wasm-simd float64, zero-copy, 2 rounds/);
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['w1', 'w2', 'w3', 'w4']);
    for (const l of lines) {
      expect(l).toMatch(/^w\d \[4,1000\]: base \d+, new \d+ Melem\/s, new ÷ base \d+\.\d\d \(identical answers\)$/);
    }
  });

  it('--dim 0 times the reductions over columns (W2–W4; W1 is elementwise)', async () => {
    const { execFileSync } = await import('node:child_process');
    const dist = new URL('../dist/esm/index.js', import.meta.url).pathname;
    const out = execFileSync(process.execPath, [new URL('../bench/ab.mjs', import.meta.url).pathname, '--base', dist, '--shape', '1000,2', '--rounds', '2', '--dim', '0', '--zero-copy'], {
      encoding: 'utf8',
    });
    const [head, ...lines] = out.trim().split('\n');
    expect(head).toMatch(/^A\/B wasm-simd float32, zero-copy, dim 0, 2 rounds/);
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['w1', 'w2', 'w3', 'w4']);
    for (const l of lines) expect(l).toMatch(/^w\d \[1000,2\]: base \d+, new \d+ Melem\/s, new ÷ base \d+\.\d\d \(identical answers\)$/);
  });

  it('--shape R,K,W with --dim 1 times slabs of columns (softmax too, as `sm`)', async () => {
    const { execFileSync } = await import('node:child_process');
    const dist = new URL('../dist/esm/index.js', import.meta.url).pathname;
    const run = (workload: string) =>
      execFileSync(process.execPath, [new URL('../bench/ab.mjs', import.meta.url).pathname, '--base', dist, '--shape', '50,10,3', '--rounds', '2', '--dim', '1', '--workload', workload], {
        encoding: 'utf8',
      });
    for (const w of ['w2', 'sm']) {
      const [head, line] = run(w).trim().split('\n');
      expect(head).toMatch(/^A\/B wasm-simd float32, dim 1, 2 rounds/);
      expect(line).toMatch(new RegExp(`^${w} \\[50,10,3\\]: base \\d+, new \\d+ Melem/s, new ÷ base \\d+\\.\\d\\d \\(identical answers\\)$`));
    }
    const { spawnSync } = await import('node:child_process');
    const bad = spawnSync(process.execPath, [new URL('../bench/ab.mjs', import.meta.url).pathname, '--base', dist, '--shape', '50,10,3', '--dim', '3'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--dim is an integer in \[-3, 2\]/);
  });

  it('refuses a call without --base, naming the option', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [new URL('../bench/ab.mjs', import.meta.url).pathname], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--base PATH/);
  });
});
