import { type BackendName, initSync } from '../../src/index.js';

/**
 * The backends every shared suite runs on. All four must load in Node (wasm-relaxed-simd through
 * test/setup/relaxed-simd.ts on Node 20): a backend that fails to initialise fails the suite here
 * rather than being skipped silently.
 */
export const ALL_BACKENDS: readonly BackendName[] = ['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'];

/** The WASM backends (the ones with a module memory). */
export const WASM_BACKENDS = ['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar'] as const;

/** Makes `name` the active backend (idempotent). */
export function useBackend(name: BackendName): void {
  const got = initSync({ backend: name });
  if (got !== name) throw new Error(`initSync({ backend: '${name}' }) returned '${got}'`);
}
