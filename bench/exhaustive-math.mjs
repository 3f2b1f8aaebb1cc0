// Exhaustive accuracy sweep of the f32 primitives over every f32 bit pattern of their domain
// (expf4: all 2^32; expf4Neg: sign bit set, 2^31; logf4: all 2^32, graded on x > 0), run on the
// real SIMD wasm, with the scalar twin compared bit for bit (NaN outputs by NaN-ness for exp).
// The f64 functions cannot be swept; `exp2d`/`log2d` run a large seeded random sample instead
// (default 2·10^7 inputs: random bit patterns and dense ranges) against the double-double
// reference. Not part of CI (several minutes on the project machine):
//
//   node bench/exhaustive-math.mjs [expf4|expf4Neg|logf4|exp2d|log2d ...] [--n=SAMPLES] [--relaxed]
//
// --relaxed sweeps the relaxed-SIMD build instead (`--enable relaxed-simd`: fused multiply-adds,
// assembly/math/relaxed.ts); on Node 20 it turns on V8's --experimental-wasm-relaxed-simd itself.
// Its figures hold for the machine it runs on (relaxed_madd is fused only where the CPU has FMA).
import { setFlagsFromString } from 'node:v8';
import { compileEntry, instantiate } from '../test/helpers/asbuild.mjs';
import { ulpErrF32, ulpErrF64 } from '../test/helpers/ulp.mjs';

const CHUNK = 1 << 20;
const relaxed = process.argv.includes('--relaxed');
if (relaxed) setFlagsFromString('--experimental-wasm-relaxed-simd');
const mod = instantiate(
  await compileEntry('assembly/test/math-entry.ts', { simd: true, extraArgs: relaxed ? ['--enable', 'relaxed-simd'] : [] }),
  256,
);
console.log(`build: ${relaxed ? 'relaxed SIMD (fused multiply-add)' : 'SIMD'}`);
const base = (mod.exports.heapBase() + 63) & ~63;
const src = base;
const dstV = src + CHUNK * 4;
const dstS = dstV + CHUNK * 4;
const inU = new Uint32Array(mod.memory.buffer, src, CHUNK);
const inF = new Float32Array(mod.memory.buffer, src, CHUNK);
const outV = new Float32Array(mod.memory.buffer, dstV, CHUNK);
const outVU = new Uint32Array(mod.memory.buffer, dstV, CHUNK);
const outSU = new Uint32Array(mod.memory.buffer, dstS, CHUNK);

const FNS = {
  expf4: { vec: 'expf4Batch', twin: 'expf1Batch', from: 0, to: 2 ** 32, ref: Math.exp, nanFree: true },
  expf4Neg: { vec: 'expf4NegBatch', twin: 'expf1NegBatch', from: 2 ** 31, to: 2 ** 32, ref: Math.exp, nanFree: true },
  logf4: { vec: 'logf4Batch', twin: 'logf1Batch', from: 0, to: 2 ** 32, ref: (x) => (x > 0 ? Math.log(x) : NaN), nanFree: false },
};

// The double-double reference is TypeScript; load it through vitest's transformer-free path by
// compiling it on the fly with the TypeScript compiler (a devDependency).
async function loadDD() {
  const ts = await import('typescript');
  const { readFileSync, writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { ROOT } = await import('../test/helpers/asbuild.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'klwasm-dd-'));
  const src = readFileSync(join(ROOT, 'test/helpers/dd.ts'), 'utf8').replace("'./ulp.mjs'", JSON.stringify(join(ROOT, 'test/helpers/ulp.mjs')));
  const js = ts.default.transpileModule(src, { compilerOptions: { module: ts.default.ModuleKind.ESNext, target: ts.default.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(join(dir, 'dd.mjs'), js);
  return import(join(dir, 'dd.mjs'));
}

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

async function sweepF64(name, total) {
  const { expDD, logDD } = await loadDD();
  const r = rng(name === 'exp2d' ? 11 : 12);
  const u = () => (r() + 0.5) / 4294967296;
  const inD = new Float64Array(mod.memory.buffer, src, CHUNK / 2);
  const inW = new Uint32Array(mod.memory.buffer, src, CHUNK);
  const outD = new Float64Array(mod.memory.buffer, dstV, CHUNK / 2);
  const outW = new Uint32Array(mod.memory.buffer, dstV, CHUNK);
  const outT = new Uint32Array(mod.memory.buffer, dstS, CHUNK);
  const t0 = performance.now();
  let max = 0;
  let at = NaN;
  let mismatches = 0;
  let count = 0;
  while (count < total) {
    const m = CHUNK / 2;
    for (let i = 0; i < m; i++) {
      const mode = i % 4;
      if (name === 'exp2d') {
        inD[i] = mode === 0 ? 1456 * u() - 746 : mode === 1 ? 2 * u() - 1 : mode === 2 ? 38 * u() - 746 : (u() - 0.5) * 2 ** -(r() % 60);
      } else {
        if (mode === 0) {
          inW[2 * i] = r();
          inW[2 * i + 1] = r() & 0x7fefffff;
        } else inD[i] = mode === 1 ? 0.5 + 1.5 * u() : mode === 2 ? 1 + (u() - 0.5) * 2 ** -(r() % 60) : u() * 2 ** -1022;
      }
    }
    mod.exports[name + 'Batch'](src, dstV, m);
    mod.exports[name === 'exp2d' ? 'exp1dBatch' : 'log1dBatch'](src, dstS, m);
    for (let i = 0; i < m; i++) {
      if (outW[2 * i] !== outT[2 * i] || outW[2 * i + 1] !== outT[2 * i + 1]) mismatches++;
      const x = inD[i];
      let e;
      if (name === 'exp2d') {
        const v = expDD(x);
        e = ulpErrF64(outD[i], v.hi, v.lo, v.n);
      } else {
        if (!(x > 0)) continue;
        const v = logDD(x);
        e = ulpErrF64(outD[i], v.hi, v.lo, 0);
      }
      if (!(e <= max)) {
        max = e;
        at = x;
      }
    }
    count += m;
  }
  const s = ((performance.now() - t0) / 1000).toFixed(0);
  console.log(`${name}: max ${max.toFixed(4)} ulp at x=${at}, ${count} random inputs, SIMD≠twin: ${mismatches}, ${s} s`);
}

const args = process.argv.slice(2);
const nArg = args.find((a) => a.startsWith('--n='));
const names = args.filter((a) => !a.startsWith('--'));
for (const name of names.length ? names : [...Object.keys(FNS), 'exp2d', 'log2d']) {
  if (name === 'exp2d' || name === 'log2d') {
    await sweepF64(name, nArg ? Number(nArg.slice(4)) : 2e7);
    continue;
  }
  const f = FNS[name];
  const t0 = performance.now();
  let max = 0;
  let at = NaN;
  let mismatches = 0;
  let count = 0;
  for (let b = f.from; b < f.to; b += CHUNK) {
    for (let i = 0; i < CHUNK; i++) inU[i] = b + i;
    mod.exports[f.vec](src, dstV, CHUNK);
    mod.exports[f.twin](src, dstS, CHUNK);
    for (let i = 0; i < CHUNK; i++) {
      const x = inF[i];
      const y = outV[i];
      if (outVU[i] !== outSU[i] && !(f.nanFree && Number.isNaN(y))) mismatches++;
      if (name === 'logf4' && !(x > 0)) continue; // specials: checked in the test suite
      const e = ulpErrF32(y, f.ref(x));
      if (!(e <= max)) {
        max = e;
        at = x;
      }
    }
    count += CHUNK;
  }
  const s = ((performance.now() - t0) / 1000).toFixed(0);
  console.log(`${name}: max ${max.toFixed(4)} ulp at x=${at} (${Math.fround(at)}), ${count} inputs, SIMD≠twin: ${mismatches}, ${s} s`);
}
