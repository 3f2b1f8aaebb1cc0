/**
 * klwasm itself, one peer per backend. Every backend that initialises in this build is measured;
 * the others are reported as "not available in this build" with the error they gave.
 * The backend is switched with initSync({ backend }) before each peer's samples (untimed).
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// WebAssembly relaxed SIMD is on by default from Node 22 (and Chrome 114); Node 20 has the
// complete implementation behind this V8 flag. Set before any module is compiled.
if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-relaxed-simd');

export const KLWASM_BACKENDS = ['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'];

let kl;
async function loadKlwasm() {
  if (kl) return kl;
  try {
    kl = await import('../../dist/esm/index.js');
  } catch (e) {
    throw new Error(`cannot import ../dist/esm/index.js (${e.message}); run \`npm run build\` first`);
  }
  return kl;
}

function klwasmVersion() {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/**
 * A peer's init result from trying to load `backendName`: `load` resolves to null on success or to
 * the reason it loaded something else; a throw means the backend is not available in this build.
 */
async function tryBackend(backendName, load) {
  try {
    const reason = await load();
    if (reason !== null) return { available: false, reason };
  } catch (e) {
    const msg = String(e?.message ?? e).replace(/^klwasm: /, '');
    return { available: false, reason: /not available/i.test(msg) ? msg : `not available in this build: ${msg}` };
  }
  return { available: true, versions: { klwasm: klwasmVersion(), backend: backendName } };
}

/** @param {'wasm-relaxed-simd'|'wasm-simd'|'wasm-scalar'|'js'} backendName */
export function makeKlwasmPeer(backendName) {
  let api;
  const activate = () => {
    const got = api.initSync({ backend: backendName });
    if (got !== backendName) throw new Error(`initSync({ backend: '${backendName}' }) gave '${got}'`);
  };
  return {
    id: `klwasm-${backendName}`,
    label: `klwasm ${backendName}`,
    family: 'klwasm',
    method: `klwasm ${klwasmVersion()} from dist/esm, backend '${backendName}' (initSync before each peer's samples); inputs { data, shape } typed arrays; W2 = fused klDivLogits (dim -1, T = 1, 'sum'); results read as .item() / .data`,
    async init() {
      api = await loadKlwasm();
      return tryBackend(backendName, async () => {
        const got = await api.init({ backend: backendName });
        if (got !== backendName) return `init({ backend: '${backendName}' }) gave '${got}'`;
        activate();
        return null;
      });
    },
    supports() {
      return true;
    },
    async setup(workload, ds) {
      const shape = ds.shape;
      const X = { data: ds.x, shape };
      const Y = { data: ds.y, shape };
      const LQ = { data: ds.logq, shape };
      const P = { data: ds.p, shape };
      const sum = { reduction: 'sum' };
      const distill = { dim: -1, temperature: 1, reduction: 'sum' };
      const { klDiv, klDivLogits, logSoftmax, logSumExp } = api;
      switch (workload) {
        case 'w1':
          return { activate, fn: () => klDiv(LQ, P, sum).item() };
        case 'w2':
          return { activate, fn: () => klDivLogits(X, Y, distill).item() };
        case 'w3':
          return { activate, fn: () => logSoftmax(X, -1).data };
        case 'w4':
          return { activate, fn: () => logSumExp(X, -1).data };
      }
      throw new Error(`klwasm: no workload ${workload}`);
    },
  };
}

/** Memory cap for the zero-copy peer: inputs and W3's `out` live in WASM memory next to the window. */
const ZC_MAX_MEMORY_MIB = 512;

/**
 * klwasm with its zero-copy layer: inputs staged once (untimed) into `allocTensor` tensors, W3
 * writing into a reused `out` tensor — what a service that keeps its tensors in WASM memory gets.
 * A separate peer so the typed-array rows above stay the like-for-like comparison.
 * @param {'wasm-relaxed-simd'|'wasm-simd'} backendName
 */
export function makeKlwasmZeroCopyPeer(backendName) {
  let api;
  const options = { backend: backendName, maxMemoryMiB: ZC_MAX_MEMORY_MIB };
  return {
    id: `klwasm-${backendName}-zc`,
    label: `klwasm ${backendName} zero-copy`,
    family: 'klwasm',
    method: `klwasm ${klwasmVersion()} from dist/esm, backend '${backendName}' with maxMemoryMiB ${ZC_MAX_MEMORY_MIB}; inputs are allocTensor tensors filled before timing (re-staged, untimed, whenever another peer switched the backend); W3 writes into a reused allocTensor \`out\`; W1/W2/W4 as the typed-array peer`,
    async init() {
      api = await loadKlwasm();
      return tryBackend(backendName, async () => {
        const got = api.initSync(options);
        return got === backendName ? null : `initSync({ backend: '${backendName}' }) gave '${got}'`;
      });
    },
    supports() {
      return true;
    },
    async setup(workload, ds) {
      const shape = ds.shape;
      const sources = workload === 'w1' ? [ds.logq, ds.p] : workload === 'w2' ? [ds.x, ds.y] : [ds.x];
      let tensors = [];
      let out = null;
      // Whether the tensors live in the active WASM memory (a fresh allocation shares their buffer).
      // After another peer switched the backend they belong to a replaced memory, and ops would
      // copy them like any other array.
      const current = () => {
        if (tensors.length === 0) return false;
        const probe = api.allocTensor([1], ds.dtype);
        const same = probe.data.buffer === tensors[0].data.buffer;
        probe.free();
        return same;
      };
      // Untimed: switch to this backend and (re)stage the inputs if needed.
      const activate = () => {
        const got = api.initSync(options);
        if (got !== backendName) throw new Error(`initSync({ backend: '${backendName}' }) gave '${got}'`);
        if (current()) return;
        for (const t of tensors) t.free();
        out?.free();
        tensors = sources.map((src) => {
          const t = api.allocTensor(shape, ds.dtype);
          t.data.set(src);
          return t;
        });
        out = workload === 'w3' ? api.allocTensor(shape, ds.dtype) : null;
      };
      activate();
      const sum = { reduction: 'sum' };
      const distill = { dim: -1, temperature: 1, reduction: 'sum' };
      const { klDiv, klDivLogits, logSoftmax, logSumExp } = api;
      switch (workload) {
        case 'w1':
          return { activate, fn: () => klDiv(tensors[0], tensors[1], sum).item() };
        case 'w2':
          return { activate, fn: () => klDivLogits(tensors[0], tensors[1], distill).item() };
        case 'w3':
          return { activate, fn: () => logSoftmax(tensors[0], -1, { out }).data };
        case 'w4':
          return { activate, fn: () => logSumExp(tensors[0], -1).data };
      }
      throw new Error(`klwasm: no workload ${workload}`);
    },
  };
}
