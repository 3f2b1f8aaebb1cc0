import { type BackendName, initSync } from '../../src/index.js';

/**
 * The backends every shared suite runs on. All three must load in Node: a backend that fails to
 * initialise fails the suite here rather than being skipped silently.
 */
export const ALL_BACKENDS: readonly BackendName[] = ['wasm-simd', 'wasm-scalar', 'js'];

/** Makes `name` the active backend (idempotent). */
export function useBackend(name: BackendName): void {
  const got = initSync({ backend: name });
  if (got !== name) throw new Error(`initSync({ backend: '${name}' }) returned '${got}'`);
}
