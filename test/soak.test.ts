/**
 * The soak script at CI size (the full run is `npm run soak`: 10^6 calls and a 2^30 row): mixed
 * calls leave the WASM memory and live tensors unchanged (and, with --expose-gc, the JS heap).
 */
import { expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { runSoak } from '../scripts/soak.mjs';

it.each(['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'] as const)('20 000 mixed calls on %s: no memory growth, no leaks', (backend) => {
  const r = runSoak({ calls: 20_000, backend });
  expect(r.after.wasmBytes).toBe(r.before.wasmBytes);
  expect(r.after.liveTensorBytes).toBe(r.before.liveTensorBytes);
  expect(r.checksumFinite).toBe(true);
});
