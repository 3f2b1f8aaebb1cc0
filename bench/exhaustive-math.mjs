// Exhaustive accuracy sweep of the f32 primitives over every f32 bit pattern of their domain
// (expf4: all 2^32; expf4Neg: sign bit set, 2^31; logf4: all 2^32, graded on x > 0), run on the
// real SIMD wasm, with the scalar twin compared bit for bit (NaN outputs by NaN-ness for exp).
// Not part of CI (several minutes on the project machine):
//
//   node bench/exhaustive-math.mjs [expf4|expf4Neg|logf4 ...]
import { compileEntry, instantiate } from '../test/helpers/asbuild.mjs';
import { ulpErrF32 } from '../test/helpers/ulp.mjs';

const CHUNK = 1 << 20;
const mod = instantiate(await compileEntry('assembly/test/math-entry.ts', { simd: true }), 256);
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

for (const name of process.argv.length > 2 ? process.argv.slice(2) : Object.keys(FNS)) {
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
