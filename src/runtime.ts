import type { Kernels } from './backend/kernels.js';
import { jsKernels } from './backend/js/index.js';
import type { WasmFlavor } from './backend/wasm/binaries.js';
import { warn } from './warnings.js';
import { WasmFetchError, canRun, instantiateKernels, instantiateKernelsSync, instantiateKernelsStreaming } from './backend/wasm/instantiate.js';
import { WasmMemory } from './backend/wasm/memory.js';
import { WasmKernels } from './backend/wasm/wasmKernels.js';
import type { BackendChoice, BackendName } from './types.js';
import { checkOptionKeys } from './options.js';

/** Options for `init` / `initSync`. */
export interface InitOptions {
  /**
   * Which backend to use. `'auto'` (default) picks the best available: wasm-relaxed-simd (if the
   * engine validates the relaxed-SIMD binary: Chrome/Edge ≥ 114, Node ≥ 22; Node 20 with
   * `--experimental-wasm-relaxed-simd`), then wasm-simd (if it validates the SIMD binary), then
   * wasm-scalar, then js. Naming a backend forces it, and fails with an error if it cannot load.
   */
  backend?: BackendChoice;
  /** Cap on the WASM memory in MiB (default 64). Inputs of any size are streamed within it. */
  maxMemoryMiB?: number;
  /**
   * Size of the scratch window inputs are streamed through, in KiB (default 8192, at most a quarter
   * of the cap by default). Slices longer than the window still work. `klDivLogits` reductions cut
   * such rows into segments and combine them by the chain rule of relative entropy, at the speed of
   * an in-window row. Softmax-type slices, `'none'` terms and gradients are streamed with an online
   * log-sum-exp and compute each exponential twice, so they run about half as fast as with a window
   * that holds the slice (raise `maxMemoryMiB` with it; the window may be at most half the cap).
   */
  windowKiB?: number;
  /**
   * Async `init` only: a URL of the folder holding `klwasm.relaxed.wasm` / `klwasm.simd.wasm` / `klwasm.scalar.wasm`
   * (the `klwasm/wasm/*` files) to compile with streaming compilation instead of the inlined bytes.
   */
  wasmBaseUrl?: string | URL;
}

const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'];

let active: Kernels | null = null;
/** The resolved options the active backend was loaded with (see `isActive`). */
let activeKey = '';
let pending: Promise<unknown> = Promise.resolve();
/** initSync calls so far: lets a pending init see that a later initSync has won. */
let syncCalls = 0;

interface Resolved {
  choice: BackendChoice;
  maxBytes: number;
  windowBytes: number;
  wasmBaseUrl?: string | URL;
}

function checkOptions(fn: string, opts: InitOptions | undefined): Resolved {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
    throw new TypeError(`${fn}: argument 'opts' must be an object such as { backend: 'auto' }, got ${opts === null ? 'null' : typeof opts}.`);
  }
  if (opts !== undefined) checkOptionKeys(fn, opts, ['backend', 'maxMemoryMiB', 'windowKiB', 'wasmBaseUrl']);
  const choice = opts?.backend ?? 'auto';
  if (!BACKENDS.includes(choice)) {
    throw new TypeError(`${fn}: option 'backend' must be one of ${BACKENDS.map((b) => `'${b}'`).join(', ')}, got ${JSON.stringify(choice)}.`);
  }
  const maxMiB = opts?.maxMemoryMiB ?? 64;
  if (typeof maxMiB !== 'number' || !Number.isFinite(maxMiB) || maxMiB < 1 || maxMiB > 4095) {
    throw new RangeError(`${fn}: option 'maxMemoryMiB' must be a number of MiB in [1, 4095], got ${String(maxMiB)}.`);
  }
  const maxBytes = Math.floor(maxMiB * 1024 * 1024);
  const windowKiB = opts?.windowKiB ?? Math.min(8192, Math.floor(maxBytes / 4 / 1024));
  if (typeof windowKiB !== 'number' || !Number.isFinite(windowKiB) || windowKiB < 1 || windowKiB * 1024 > maxBytes / 2) {
    throw new RangeError(
      `${fn}: option 'windowKiB' must be at least 1 and at most half of maxMemoryMiB (${maxMiB} MiB: at most ${Math.floor(maxBytes / 2 / 1024)}), got ${String(windowKiB)}. Lower windowKiB or raise maxMemoryMiB.`,
    );
  }
  return { choice, maxBytes, windowBytes: Math.floor(windowKiB * 1024), wasmBaseUrl: opts?.wasmBaseUrl };
}

/** What makes two loads equivalent: backend, memory cap, window and (async) the binary's URL. */
function configKey(name: BackendName, r: Resolved): string {
  return `${name} ${r.maxBytes} ${r.windowBytes} ${r.wasmBaseUrl === undefined ? '' : String(r.wasmBaseUrl)}`;
}

/**
 * Whether the call would load exactly what is active already: then init keeps it (idempotent), so
 * code that calls `await init()` before every use does not rebuild the WASM memory each time, and
 * zero-copy tensors stay in the active memory. ('auto' resolves to its first candidate.)
 */
function isActive(r: Resolved): boolean {
  return active !== null && activeKey === configKey(candidates(r.choice)[0]!, r);
}

/** Candidate concrete backends for a choice, best first. */
function candidates(choice: BackendChoice): BackendName[] {
  if (choice !== 'auto') return [choice];
  const list: BackendName[] = [];
  if (canRun('relaxed')) list.push('wasm-relaxed-simd');
  if (canRun('simd')) list.push('wasm-simd');
  if (canRun('scalar')) list.push('wasm-scalar');
  list.push('js');
  return list;
}

const flavorOf = (name: BackendName): WasmFlavor => (name === 'wasm-relaxed-simd' ? 'relaxed' : name === 'wasm-simd' ? 'simd' : 'scalar');

function loadSync(name: BackendName, r: Resolved): Kernels {
  if (name === 'js') return jsKernels;
  const flavor = flavorOf(name);
  if (!canRun(flavor)) throw unsupported(name);
  // The memory is sized after the binary's static data, which heapBase() reports; a probe
  // instance on a one-page memory tells it (instantiation is cheap once compiled).
  const probe = instantiateKernelsSync(flavor, new WebAssembly.Memory({ initial: 1 }));
  const mem = new WasmMemory(probe.heapBase(), r);
  return new WasmKernels(name, instantiateKernelsSync(flavor, mem.memory), mem);
}

async function loadAsync(name: BackendName, r: Resolved): Promise<Kernels> {
  if (name === 'js') return jsKernels;
  const flavor = flavorOf(name);
  if (!canRun(flavor)) throw unsupported(name);
  const inst = (memory: WebAssembly.Memory) =>
    r.wasmBaseUrl !== undefined ? instantiateKernelsStreaming(flavor, memory, r.wasmBaseUrl) : instantiateKernels(flavor, memory);
  const probe = await inst(new WebAssembly.Memory({ initial: 1 }));
  const mem = new WasmMemory(probe.heapBase(), r);
  return new WasmKernels(name, await inst(mem.memory), mem);
}

function unsupported(name: BackendName): Error {
  return new Error(
    name === 'wasm-relaxed-simd'
      ? `klwasm: this JavaScript engine cannot run the '${name}' backend (no WebAssembly relaxed SIMD: it needs Chrome/Edge ≥ 114 or Node ≥ 22; Node 20 needs --experimental-wasm-relaxed-simd). Use init({ backend: 'auto' }) to fall back to 'wasm-simd'.`
      : name === 'wasm-simd'
        ? `klwasm: this JavaScript engine cannot run the '${name}' backend (no WebAssembly SIMD: e.g. Safari < 16.4). Use init({ backend: 'auto' }) to fall back to 'wasm-scalar'.`
        : `klwasm: this JavaScript engine cannot run WebAssembly ('${name}'). Use init({ backend: 'js' }).`,
  );
}

/**
 * Loads a backend synchronously and makes it the active one; returns its name.
 * Calling it again with the same resolved options keeps the active backend (idempotent); with
 * other options it replaces the active backend and its WASM memory. Ops called before any init
 * run `initSync()` themselves, so calling it is optional in Node; in browsers prefer `await init()`.
 *
 * @example
 * ```ts
 * import { initSync, backend } from 'klwasm';
 * initSync({ backend: 'wasm-scalar', maxMemoryMiB: 32 });
 * backend(); // 'wasm-scalar'
 * ```
 */
export function initSync(opts?: InitOptions): BackendName {
  const name = loadActiveSync(opts);
  syncCalls++; // only a call that succeeded wins over a pending init
  return name;
}

/** initSync's work; also the implicit init of an op called before any init (not a caller's call). */
function loadActiveSync(opts?: InitOptions): BackendName {
  const r = checkOptions('initSync', opts);
  if (isActive(r)) return active!.name;
  let lastError: unknown;
  for (const name of candidates(r.choice)) {
    try {
      active = loadSync(name, r);
      activeKey = configKey(name, r);
      return active.name;
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/**
 * Loads a backend (compiling the WASM asynchronously, or by streaming compilation from
 * `wasmBaseUrl`) and makes it active; resolves to its name. Calls are serialised: each starts
 * after the previous one settled, so concurrent calls never leave a half-built instance, and the
 * last call wins — also against `initSync`: an init still waiting or compiling when `initSync` is
 * called activates nothing and resolves to the backend `initSync` made active. A call that
 * resolves to the active backend with the same options keeps it (idempotent: no new compile,
 * memory or window).
 *
 * @example
 * ```ts
 * import { init, softmax } from 'klwasm';
 * await init();                       // 'wasm-relaxed-simd' or 'wasm-simd' where supported
 * softmax([[1, 2, 3]], -1).toArray();
 * ```
 */
export function init(opts?: InitOptions): Promise<string> {
  let r: Resolved;
  try {
    r = checkOptions('init', opts);
  } catch (e) {
    return Promise.reject(e);
  }
  // An initSync called after this init (while it waits or compiles) is the later call, so it wins:
  // this call then activates nothing and resolves to the backend that initSync made active.
  const syncAtCall = syncCalls;
  const superseded = (): boolean => syncCalls !== syncAtCall && active !== null;
  const next = pending.then(async () => {
    if (superseded() || isActive(r)) return active!.name;
    let lastError: unknown;
    for (const name of candidates(r.choice)) {
      try {
        const loaded = await loadAsync(name, r);
        if (superseded()) return active!.name;
        active = loaded;
        activeKey = configKey(name, r);
        return active.name;
      } catch (e) {
        // A wrong wasmBaseUrl with 'auto' falls back (the page keeps working) but says so.
        if (e instanceof WasmFetchError && r.choice === 'auto') warn('KLWASM_WASM_FETCH', `${e.message} Falling back to the next backend.`);
        lastError = e;
      }
    }
    throw lastError;
  });
  pending = next.catch(() => undefined);
  return next;
}

/** The active backend's name, or `null` before any init. */
export function backend(): BackendName | null {
  return active?.name ?? null;
}

/** The active kernels, initialising synchronously with `'auto'` on first use. */
export function kernels(): Kernels {
  return active ?? (loadActiveSync(), active!);
}

/** The active backend's WASM memory manager, or null for the js backend. */
export function activeWasmMemory(): WasmMemory | null {
  return active instanceof WasmKernels ? active.mem : null;
}

/** WASM memory figures of the active backend (all 0 for the js backend). */
export interface MemoryStats {
  /** Active backend name (null before init). */
  backend: BackendName | null;
  /** Current size of the WASM memory in bytes. */
  wasmBytes: number;
  /** The cap (`init({ maxMemoryMiB })`) in bytes. */
  maxBytes: number;
  /** Size of the streaming window in bytes. */
  windowBytes: number;
  /** Bytes held by live `allocTensor` tensors. */
  liveTensorBytes: number;
}

/**
 * Memory figures of the active backend, for monitoring services and checking the streaming bound.
 *
 * @example
 * ```ts
 * import { memoryStats } from 'klwasm';
 * memoryStats().wasmBytes; // stays ≤ maxBytes whatever the input size
 * ```
 */
export function memoryStats(): MemoryStats {
  const mem = activeWasmMemory();
  return {
    backend: backend(),
    wasmBytes: mem?.byteLength ?? 0,
    maxBytes: mem?.maxBytes ?? 0,
    windowBytes: mem?.windowBytes ?? 0,
    liveTensorBytes: mem?.liveBytes ?? 0,
  };
}
