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
      try {
        const got = await api.init({ backend: backendName });
        if (got !== backendName) return { available: false, reason: `init({ backend: '${backendName}' }) gave '${got}'` };
        activate();
      } catch (e) {
        const msg = String(e?.message ?? e).replace(/^klwasm: /, '');
        return { available: false, reason: /not available/i.test(msg) ? msg : `not available in this build: ${msg}` };
      }
      return { available: true, versions: { klwasm: klwasmVersion(), backend: backendName } };
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
