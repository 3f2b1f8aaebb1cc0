/**
 * vitest setupFile: WebAssembly relaxed SIMD is on by default from Node 22 (V8 11.4+) and in
 * Chrome/Edge ≥ 114, but behind `--experimental-wasm-relaxed-simd` in Node 20 (V8 11.3, where the
 * implementation is complete). Turning the flag on here lets every shared suite run on the
 * wasm-relaxed-simd backend in CI, which uses Node 20. V8 reads wasm feature flags when it
 * validates or compiles a module, so setting it before the first init is enough; the flag is
 * process-wide, so worker threads (the pool tests) see it too.
 */
import { setFlagsFromString } from 'node:v8';

if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-relaxed-simd');
