/**
 * The one place that instantiates kernel binaries (with @assemblyscript/loader, the design card's
 * choice; nothing else in klwasm depends on the loader). The facade owns the memory and passes it
 * in as `env.memory`.
 */
import { instantiate, instantiateSync } from '@assemblyscript/loader';
import { type WasmFlavor, wasmBytes } from './binaries.js';
import type { KernelExports } from './exports.js';

const modules: Partial<Record<WasmFlavor, WebAssembly.Module>> = {};

/**
 * Whether this engine can run the flavour. For SIMD this validates the real SIMD binary (as
 * as-sha256 does) rather than a feature probe, so an engine that validates the probe but not our
 * opcodes is not picked.
 */
export function canRun(flavor: WasmFlavor): boolean {
  // Validated once per flavour: validating a ~150 kB binary takes ~0.15 ms, which an idempotent
  // init() (and every 'auto' resolution) would otherwise pay each time. (Engine features do not
  // change during a run; V8 flags must be set before the first init, as the CLI and tests do.)
  return (runnable[flavor] ??= validate(flavor));
}

const runnable: Partial<Record<WasmFlavor, boolean>> = {};

function validate(flavor: WasmFlavor): boolean {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return false;
  try {
    return WebAssembly.validate(wasmBytes(flavor) as BufferSource);
  } catch {
    return false;
  }
}

function checkFlavor(exports: KernelExports, flavor: WasmFlavor): KernelExports {
  const simd = exports.simdEnabled() === 1;
  const relaxed = exports.relaxedSimdEnabled() === 1;
  if (simd !== (flavor !== 'scalar') || relaxed !== (flavor === 'relaxed')) {
    throw new Error(`klwasm: the ${flavor} binary reports simdEnabled() = ${simd}, relaxedSimdEnabled() = ${relaxed}`);
  }
  return exports;
}

/** Compiles (once per flavour) and instantiates synchronously. */
export function instantiateKernelsSync(flavor: WasmFlavor, memory: WebAssembly.Memory): KernelExports {
  const module = (modules[flavor] ??= new WebAssembly.Module(wasmBytes(flavor) as BufferSource));
  const result = instantiateSync<Record<string, unknown>>(module, { env: { memory } });
  // Hot paths call the raw instance exports: no wrappers between JS and the kernels.
  return checkFlavor(result.instance.exports as unknown as KernelExports, flavor);
}

/** Compiles (once per flavour, off the main thread where the engine can) and instantiates. */
export async function instantiateKernels(flavor: WasmFlavor, memory: WebAssembly.Memory): Promise<KernelExports> {
  const module = (modules[flavor] ??= await WebAssembly.compile(wasmBytes(flavor) as BufferSource));
  const result = await instantiate<Record<string, unknown>>(module, { env: { memory } });
  return checkFlavor(result.instance.exports as unknown as KernelExports, flavor);
}

const FILES: Record<WasmFlavor, string> = { relaxed: 'klwasm.relaxed.wasm', simd: 'klwasm.simd.wasm', scalar: 'klwasm.scalar.wasm' };

/**
 * A binary could not be loaded from `wasmBaseUrl` (network error, HTTP status, wrong content
 * type): a configuration error, so `init({ backend: 'auto' })` reports it instead of falling back
 * to a slower backend.
 */
export class WasmFetchError extends Error {
  override name = 'WasmFetchError';
}

/** Modules compiled from URLs, by URL: `init` instantiates twice (a probe, then the real memory). */
const streamed = new Map<string, Promise<WebAssembly.Module>>();

/** Fetches and compiles `url` once (streaming compilation), with clear errors for a bad response. */
function compileUrl(url: URL): Promise<WebAssembly.Module> {
  let module = streamed.get(url.href);
  if (module === undefined) {
    module = (async () => {
      let response: Response;
      try {
        response = await fetch(url);
      } catch (e) {
        // fetch rejects without naming the URL (Node: "fetch failed" for file: URLs or an
        // unreachable host; browsers: a network or CORS error).
        const why = e instanceof Error ? `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}` : String(e);
        const node = typeof process !== 'undefined' && url.protocol === 'file:' ? " Node's fetch cannot read file: URLs: omit wasmBaseUrl in Node (the binaries are embedded)." : '';
        throw new WasmFetchError(`klwasm: init({ wasmBaseUrl }) could not fetch ${url.href}: ${why}.${node} Check that wasmBaseUrl points at a served folder holding the klwasm/wasm/* files, or omit it to use the embedded binaries.`, { cause: e });
      }
      if (!response.ok) {
        throw new WasmFetchError(`klwasm: fetching ${url.href} failed with HTTP ${response.status}; check init({ wasmBaseUrl }) points at the folder holding the klwasm/wasm/* files.`);
      }
      const type = response.headers.get('content-type') ?? '';
      if (!/^application\/wasm\b/i.test(type)) {
        throw new WasmFetchError(`klwasm: ${url.href} was served as '${type}'; streaming compilation needs 'Content-Type: application/wasm'. Configure the server, or omit wasmBaseUrl to use the embedded binaries.`);
      }
      return typeof WebAssembly.compileStreaming === 'function'
        ? WebAssembly.compileStreaming(response)
        : WebAssembly.compile(await response.arrayBuffer());
    })();
    streamed.set(url.href, module);
    // A failed fetch is not cached: a later init may succeed.
    module.catch(() => streamed.delete(url.href));
  }
  return module;
}

/**
 * Streaming compilation from `<baseUrl>/klwasm.<flavor>.wasm` (browsers; needs `fetch`). The
 * module is compiled once per URL, so the probe and the real instance share one download.
 */
export async function instantiateKernelsStreaming(flavor: WasmFlavor, memory: WebAssembly.Memory, baseUrl: string | URL): Promise<KernelExports> {
  const base = String(baseUrl).endsWith('/') ? String(baseUrl) : `${String(baseUrl)}/`;
  const url = new URL(FILES[flavor], new URL(base, (globalThis as { location?: { href: string } }).location?.href));
  const result = await instantiate<Record<string, unknown>>(await compileUrl(url), { env: { memory } });
  return checkFlavor(result.instance.exports as unknown as KernelExports, flavor);
}
