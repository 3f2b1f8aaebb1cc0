import type { Kernels } from './backend/kernels.js';
import { jsKernels } from './backend/js/index.js';
import type { BackendChoice, BackendName } from './types.js';

/** Options for `init` / `initSync`. */
export interface InitOptions {
  /**
   * Which backend to use. `'auto'` (default) picks the best available: wasm-simd, then
   * wasm-scalar, then js. Naming a backend forces it, and fails if it cannot load.
   */
  backend?: BackendChoice;
}

const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm-simd', 'wasm-scalar', 'js'];

let active: Kernels | null = null;
let pending: Promise<string> | null = null;

function checkOptions(fn: string, opts: InitOptions | undefined): BackendChoice {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
    throw new TypeError(`${fn}: argument 'opts' must be an object such as { backend: 'auto' }, got ${opts === null ? 'null' : typeof opts}.`);
  }
  const choice = opts?.backend ?? 'auto';
  if (!BACKENDS.includes(choice)) {
    throw new TypeError(`${fn}: option 'backend' must be one of ${BACKENDS.map((b) => `'${b}'`).join(', ')}, got ${JSON.stringify(choice)}.`);
  }
  return choice;
}

function load(choice: BackendChoice): Kernels {
  switch (choice) {
    case 'auto':
    case 'js':
      return jsKernels;
    case 'wasm-simd':
    case 'wasm-scalar':
      throw new Error(`klwasm: the '${choice}' backend is not available in this build (the WASM engine has not landed yet). Use init({ backend: 'auto' }) or 'js'.`);
  }
}

/**
 * Loads a backend synchronously and makes it the active one; returns its name.
 * Calling it again switches backends (the previous one is released). Ops called before any init
 * run `initSync()` themselves, so calling it is optional in Node.
 *
 * @example
 * ```ts
 * import { initSync, backend } from 'klwasm';
 * initSync({ backend: 'js' });
 * backend(); // 'js'
 * ```
 */
export function initSync(opts?: InitOptions): BackendName {
  const choice = checkOptions('initSync', opts);
  active = load(choice);
  return active.name;
}

/**
 * Loads a backend (asynchronously where the platform prefers it, e.g. streaming compilation in
 * browsers) and makes it active; resolves to its name. Concurrent calls are serialised: each one
 * starts after the previous finished, so the last call wins and no instance is half-built.
 *
 * @example
 * ```ts
 * import { init, softmax } from 'klwasm';
 * await init();                       // 'wasm-simd' where supported
 * softmax([[1, 2, 3]], -1).toArray();
 * ```
 */
export function init(opts?: InitOptions): Promise<string> {
  let choice: BackendChoice;
  try {
    choice = checkOptions('init', opts);
  } catch (e) {
    return Promise.reject(e);
  }
  const previous = pending ?? Promise.resolve('');
  const next = previous
    .catch(() => '')
    .then(() => {
      active = load(choice);
      return active.name;
    });
  pending = next;
  return next;
}

/** The active backend's name, or `null` before any init. */
export function backend(): BackendName | null {
  return active?.name ?? null;
}

/** The active kernels, initialising synchronously with `'auto'` on first use. */
export function kernels(): Kernels {
  return active ?? (initSync(), active!);
}
