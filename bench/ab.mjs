/**
 * Interleaved A/B of two klwasm builds in one process: the tool behind the "A/B" figures in the
 * CHANGELOG. Whole-suite runs on this 2-vCPU VM move by 30–40 % between minutes (the host has two
 * speed levels), so a change is judged by alternating the old and new build round by round
 * (order flipped every round) and comparing medians, never by two separate bench runs.
 *
 *   git worktree add /tmp/base HEAD~1 && (cd /tmp/base && ln -s "$PWD/node_modules" . && npm run build)
 *   node bench/ab.mjs --base /tmp/base/dist/esm/index.js --workload w2 --shape 64,50257
 *
 * Options: --base PATH (required; the new build is this checkout's dist/esm), --backend NAME
 * (default wasm-simd), --workload w1|w2|w3|w4 (default all; also w2g / w2gt: klDivLogitsWithGrad
 * 'sum', without / with gradTarget; sm: softmax), --shape B,N or R,K,W (repeatable; default
 * 8,32000 and 64,50257), --dtype float32|float64, --rounds N (default 12), --dim d (the dim
 * W2–W4 reduce along, default -1; --dim 0 times columns, e.g. --shape 100000,2 --dim 0, and
 * --shape 2000,10,2 --dim 1 slabs of 2 columns),
 * --zero-copy (inputs
 * in each build's WASM memory via allocTensor, filled once, and W3 writing into an allocTensor
 * `out`: the kernels without the staging copies and the fresh result, which is how the
 * CHANGELOG's "zero-copy A/B" figures were taken). Data: the bench's own datasets
 * (bench/data.mjs). Prints Melem/s medians, the new ÷ base ratio and whether the two builds gave
 * bit-identical answers.
 */
import { setFlagsFromString } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { makeDataset } from './data.mjs';

// Relaxed SIMD is behind a flag on Node 20 (default from Node 22); set before any module compiles.
if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-relaxed-simd');

function parseArgs(argv) {
  const o = { base: null, backend: 'wasm-simd', workloads: ['w1', 'w2', 'w3', 'w4'], shapes: [], dtype: 'float32', rounds: 12, zeroCopy: false, dim: -1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--base') o.base = v();
    else if (a === '--backend') o.backend = v();
    else if (a === '--workload') o.workloads = [v()];
    else if (a === '--shape') o.shapes.push(v().split(',').map(Number));
    else if (a === '--dtype') o.dtype = v();
    else if (a === '--rounds') o.rounds = Number(v());
    else if (a === '--zero-copy') o.zeroCopy = true;
    else if (a === '--dim') o.dim = Number(v());
    else throw new Error(`unknown option ${a} (see the comment at the top of bench/ab.mjs)`);
  }
  if (!o.base) throw new Error('--base PATH (the other build\'s dist/esm/index.js) is required');
  if (o.shapes.length === 0) o.shapes = [[8, 32000], [64, 50257]];
  if (o.shapes.some((s) => s.length < 2 || s.length > 3 || s.some((d) => !Number.isSafeInteger(d) || d < 1))) throw new Error('--shape takes B,N or R,K,W');
  if (!['float32', 'float64'].includes(o.dtype)) throw new Error('--dtype is float32 or float64');
  if (!(o.rounds >= 2)) throw new Error('--rounds needs at least 2');
  const rank = Math.min(...o.shapes.map((s) => s.length));
  if (!Number.isInteger(o.dim) || o.dim < -rank || o.dim >= rank) throw new Error(`--dim is an integer in [${-rank}, ${rank - 1}] (of the shapes given)`);
  return o;
}

/** The timed call of one workload, as bench/peers/klwasm.mjs drives it (typed-array inputs). */
function call(api, workload, ds, dim) {
  const shape = ds.shape;
  switch (workload) {
    case 'w1':
      return () => api.klDiv({ data: ds.logq, shape }, { data: ds.p, shape }, { reduction: 'sum' }).item();
    case 'w2':
      return () => api.klDivLogits({ data: ds.x, shape }, { data: ds.y, shape }, { reduction: 'sum', dim }).item();
    case 'w3':
      return () => api.logSoftmax({ data: ds.x, shape }, dim).data;
    case 'w4':
      return () => api.logSumExp({ data: ds.x, shape }, dim).data;
    case 'sm':
      return () => api.softmax({ data: ds.x, shape }, dim).data;
    // Not bench workloads: the training side, klDivLogitsWithGrad 'sum' (gradInput compared),
    // and with the teacher's gradient too (gradTarget compared).
    case 'w2g':
      return () => api.klDivLogitsWithGrad({ data: ds.x, shape }, { data: ds.y, shape }, { reduction: 'sum', dim }).gradInput.data;
    case 'w2gt':
      return () => api.klDivLogitsWithGrad({ data: ds.x, shape }, { data: ds.y, shape }, { reduction: 'sum', dim, gradTarget: true }).gradTarget.data;
  }
  throw new Error(`unknown workload ${workload}`);
}

/**
 * The same workloads on tensors in the active build's WASM memory (`allocTensor`, filled once);
 * W3 writes into an allocTensor `out`. Returns the timed call and the tensors to free.
 */
function callZeroCopy(api, workload, ds, dim) {
  const shape = ds.shape;
  const held = [];
  const wasm = (src) => {
    const t = api.allocTensor(shape, ds.dtype);
    held.push(t);
    if (src) t.data.set(src);
    return t;
  };
  const sum = { reduction: 'sum' };
  let fn;
  if (workload === 'w1') {
    const [a, b] = [wasm(ds.logq), wasm(ds.p)];
    fn = () => api.klDiv(a, b, sum).item();
  } else if (workload === 'w2') {
    const [a, b] = [wasm(ds.x), wasm(ds.y)];
    fn = () => api.klDivLogits(a, b, { ...sum, dim }).item();
  } else if (workload === 'w3') {
    const [a, out] = [wasm(ds.x), wasm(null)];
    fn = () => api.logSoftmax(a, dim, { out }).data;
  } else if (workload === 'w4') {
    const a = wasm(ds.x);
    fn = () => api.logSumExp(a, dim).data;
  } else throw new Error(`no zero-copy variant of workload ${workload}`);
  return { fn, free: () => held.forEach((t) => t.free()) };
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const same = (a, b) => (typeof a === 'number' ? Object.is(a, b) : a.length === b.length && a.every((v, i) => Object.is(v, b[i])));

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const base = await import(pathToFileURL(resolve(o.base)).href);
  const next = await import(new URL('../dist/esm/index.js', import.meta.url).href);
  console.log(`A/B ${o.backend} ${o.dtype}${o.zeroCopy ? ', zero-copy' : ''}${o.dim === -1 ? '' : `, dim ${o.dim}`}, ${o.rounds} rounds: base ${o.base} vs this checkout's dist/esm`);
  for (const shape of o.shapes) {
    // The bench's data for [rows, last dim]; the calls read it as `shape` (W1's log-probabilities
    // and probabilities are normalised along the last dim, which klDiv does not care about).
    const ds = makeDataset([shape.slice(0, -1).reduce((a, b) => a * b, 1), shape[shape.length - 1]], o.dtype);
    ds.shape = shape;
    for (const workload of o.workloads) {
      const builds = [
        { name: 'base', api: base, rates: [] },
        { name: 'new', api: next, rates: [] },
      ];
      const answers = {};
      // Enough calls per round for ~0.1 s at 300 Melem/s, at least 3.
      const reps = Math.max(3, Math.round(3e7 / ds.numel));
      for (let r = 0; r < o.rounds; r++) {
        for (const b of r % 2 ? builds : [...builds].reverse()) {
          b.api.initSync({ backend: o.backend });
          if (o.zeroCopy) b.zc ??= callZeroCopy(b.api, workload, ds, o.dim);
          const f = o.zeroCopy ? b.zc.fn : call(b.api, workload, ds, o.dim);
          const first = f(); // warm, and the answer to compare (copied: a zero-copy result is a live view)
          answers[b.name] = typeof first === 'number' ? first : first.slice();
          const t0 = performance.now();
          for (let i = 0; i < reps; i++) f();
          b.rates.push((ds.numel * reps) / (performance.now() - t0) / 1e3);
        }
      }
      for (const b of builds) b.zc?.free();
      const [mb, mn] = builds.map((b) => median(b.rates));
      const ident = same(answers.base, answers.new) ? 'identical answers' : 'answers differ';
      console.log(`${workload} [${shape}]: base ${mb.toFixed(0)}, new ${mn.toFixed(0)} Melem/s, new ÷ base ${(mn / mb).toFixed(2)} (${ident})`);
    }
  }
}

main().catch((e) => {
  console.error(`bench/ab.mjs: ${e.message}`);
  process.exit(2);
});
