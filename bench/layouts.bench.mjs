#!/usr/bin/env node
// klwasm against plain JavaScript loops over many layouts, not only the suite's five [B, N]
// shapes: short and long rows, columns (a non-last dim) and slabs of a few columns, for W2
// (klDivLogits 'sum'), W3 (logSoftmax), W4 (logSumExp) and softmax (W1, elementwise, only on
// rows). The issue asks that klwasm never be slower than a JavaScript peer at any shape; this is
// where such cells show up (it found float32 klDivLogits over [20000, 1, 3] dim 1 at 0.65×, and
// slabs of 2–3 columns at 1.1–1.9×, before assembly/colTails.ts). The loops are the naive peer's
// (bench/peers/naive-js.mjs: Math.exp/Math.log, max-subtracted, float64 scalars) walking the
// reduced dim at its stride. Each cell is one tinybench run per side (not interleaved: on a
// noisy host, re-run a cell before trusting a ratio near 1).
// Usage: npm run build && node bench/layouts.bench.mjs [--backend NAME] [--dtype float32|float64]
//          [--ops w2,w3,w4,sm] [--layout "R,K,W@1;B,N@0"] [--time ms]
import { setFlagsFromString } from 'node:v8';
import { Bench } from 'tinybench';
import { makeRng } from './data.mjs';

if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-relaxed-simd');
const api = await import('../dist/esm/index.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const backend = arg('backend', 'wasm-relaxed-simd');
const dtypes = arg('dtype', 'float32,float64').split(',');
const ops = arg('ops', 'w2,w3,w4,sm').split(',');
const time = Number(arg('time', '100'));
/** Layouts as "shape@dim": rows, columns (dim 0) and slabs of a few columns (dim 1). */
const DEFAULT_LAYOUTS =
  '4096,10@-1;16384,3@-1;1024,100@-1;100000,2@-1;8,32000@-1;1000,10@0;50000,4@0;32,1000@0;' +
  '2000,10,2@1;2000,3,2@1;2000,10,3@1;2000,10,5@1;2000,10,7@1;300,100,7@1;5000,2,2@1;20000,1,3@1;64,64,64@1';
const layouts = arg('layout', DEFAULT_LAYOUTS)
  .split(';')
  .map((l) => {
    const [s, d] = l.split('@');
    return { shape: s.split(',').map(Number), dim: Number(d ?? -1) };
  });

/** (outer, size, inner) of `dim`. */
function split(shape, dim) {
  const d = dim < 0 ? dim + shape.length : dim;
  const prod = (a) => a.reduce((x, y) => x * y, 1);
  return [prod(shape.slice(0, d)), shape[d], prod(shape.slice(d + 1))];
}

// The naive peer's loops at a stride (bench/peers/naive-js.mjs for rows).
function slices(x, O, K, I, each) {
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < I; j++) {
      const b = o * K * I + j;
      let m = -Infinity;
      for (let k = 0; k < K; k++) if (x[b + k * I] > m) m = x[b + k * I];
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(x[b + k * I] - m);
      each(b, m, s, o * I + j);
    }
  }
}
const naive = {
  w4: (x, O, K, I, C) => {
    const out = new C(O * I);
    slices(x, O, K, I, (b, m, s, r) => (out[r] = m + Math.log(s)));
    return out;
  },
  w3: (x, O, K, I, C) => {
    const out = new C(x.length);
    slices(x, O, K, I, (b, m, s) => {
      const l = m + Math.log(s);
      for (let k = 0; k < K; k++) out[b + k * I] = x[b + k * I] - l;
    });
    return out;
  },
  sm: (x, O, K, I, C) => {
    const out = new C(x.length);
    slices(x, O, K, I, (b, m, s) => {
      const inv = 1 / s;
      for (let k = 0; k < K; k++) out[b + k * I] = Math.exp(x[b + k * I] - m) * inv;
    });
    return out;
  },
  w2: (x, y, O, K, I, C) => {
    const lq = naive.w3(x, O, K, I, C);
    const p = naive.sm(y, O, K, I, C);
    let s = 0;
    for (let i = 0; i < p.length; i++) if (p[i] > 0) s += p[i] * (Math.log(p[i]) - lq[i]);
    return s;
  },
};

await api.init({ backend });
console.log(`klwasm ${backend} against naive JS loops, tinybench ${time} ms per side; ratio = loops' time ÷ klwasm's`);
let slower = 0;
for (const dtype of dtypes) {
  const C = dtype === 'float64' ? Float64Array : Float32Array;
  for (const { shape, dim } of layouts) {
    const n = shape.reduce((a, b) => a * b, 1);
    const rng = makeRng(n + shape.length);
    const x = new C(n);
    const y = new C(n);
    for (let i = 0; i < n; i++) {
      x[i] = 3 * rng.normal();
      y[i] = x[i] + 0.5 * rng.normal();
    }
    const [O, K, I] = split(shape, dim);
    const X = { data: x, shape };
    const Y = { data: y, shape };
    for (const op of ops) {
      const k =
        op === 'w2' ? () => api.klDivLogits(X, Y, { dim, reduction: 'sum' }).item()
        : op === 'w3' ? () => api.logSoftmax(X, dim).data
        : op === 'w4' ? () => api.logSumExp(X, dim).data
        : () => api.softmax(X, dim).data;
      const j = op === 'w2' ? () => naive.w2(x, y, O, K, I, C) : () => naive[op](x, O, K, I, C);
      // Both sides must agree before they are timed (float32 results within float32 rounding).
      const a = k();
      const b = j();
      const bad = typeof a === 'number' ? Math.abs(a - b) > 1e-4 * Math.abs(b) + 1e-6 : a.some((v, i) => Math.abs(v - b[i]) > 1e-4 * Math.abs(b[i]) + 1e-5);
      if (bad) throw new Error(`${op} [${shape}] dim ${dim} ${dtype}: klwasm and the loops disagree`);
      const bench = new Bench({ time, warmupTime: 20 });
      bench.add('klwasm', k).add('loops', j);
      await bench.run();
      const [tk, tj] = bench.tasks.map((t) => t.result.latency?.p50 ?? t.result.median ?? t.result.mean);
      const ratio = tj / tk;
      if (ratio < 1) slower++;
      const rate = (t) => ((n / t) * 1e-3).toFixed(0).padStart(5);
      console.log(
        `${dtype} ${op.padEnd(2)} [${shape}] dim ${dim}`.padEnd(38) +
          `klwasm ${rate(tk)}  loops ${rate(tj)} Melem/s  ratio ${ratio.toFixed(2)}${ratio < 1 ? '  SLOWER' : ''}`,
      );
    }
  }
}
console.log(slower === 0 ? 'no cell slower than the loops' : `${slower} cell(s) slower than the loops`);
