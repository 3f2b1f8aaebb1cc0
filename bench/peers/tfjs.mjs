/**
 * TensorFlow.js 4 (tfjs-core) on its pure-JS 'cpu' backend and its 'wasm' backend (the SIMD
 * binary where the runtime validates SIMD; single-threaded under Node). Ops composed as a user
 * writes them inside tf.tidy; the timed call goes from the typed arrays to a JS answer: the
 * input tensors are made from the arrays and the result is read back with dataSync().
 * tfjs has no float64 dtype, so only the float32 variant runs.
 */
import fs from 'node:fs';
import { pkgVersion } from '../versions.mjs';

let tf;
let loadedWasmBinaries = [];

async function loadTf() {
  if (tf) return tf;
  // tfjs prints a banner suggesting tfjs-node on first use; keep the bench output clean.
  const log = console.log;
  console.log = () => {};
  try {
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    await import('@tensorflow/tfjs-backend-wasm');
  } finally {
    console.log = log;
  }
  return tf;
}

/** Records which .wasm file the wasm backend reads (it uses fs.readFileSync under Node). */
function watchWasmReads() {
  const orig = fs.readFileSync;
  fs.readFileSync = function (file, ...rest) {
    if (typeof file === 'string' && file.endsWith('.wasm')) loadedWasmBinaries.push(file.split(/[\\/]/).pop());
    return orig.call(this, file, ...rest);
  };
  return () => {
    fs.readFileSync = orig;
  };
}

async function setBackend(name) {
  if (tf.getBackend() === name) return;
  const log = console.log;
  console.log = () => {};
  try {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`tf.setBackend('${name}') failed`);
    await tf.ready();
  } finally {
    console.log = log;
  }
}

/** @param {'cpu'|'wasm'} backendName */
export function makeTfjsPeer(backendName) {
  const id = `tfjs-${backendName}`;
  let info = {};
  const activate = () => setBackend(backendName);
  return {
    id,
    label: `tfjs ${backendName}`,
    family: 'framework',
    method:
      backendName === 'cpu'
        ? 'tfjs-core + tfjs-backend-cpu (pure JS kernels); ops composed inside tf.tidy from tensors made of the typed arrays, result read with dataSync() (all inside the timed call)'
        : 'tfjs-core + tfjs-backend-wasm (SIMD binary, 1 thread under Node); same composition; tensors copied into the wasm heap and results out with dataSync() inside the timed call',
    async init() {
      await loadTf();
      const unwatch = backendName === 'wasm' ? watchWasmReads() : () => {};
      // The cpu backend's first tensor prints a banner suggesting tfjs-node (console.warn): make
      // that first tensor here, quietly.
      const warn = console.warn;
      console.warn = () => {};
      try {
        await setBackend(backendName);
        tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1))).dispose();
      } catch (e) {
        return { available: false, reason: e.message };
      } finally {
        unwatch();
        console.warn = warn;
      }
      const flags = tf.env().getFlags();
      info = {
        'tfjs-core': tf.version_core,
        [`tfjs-backend-${backendName}`]: pkgVersion(`@tensorflow/tfjs-backend-${backendName}`),
      };
      if (backendName === 'wasm') {
        info.simd = flags.WASM_HAS_SIMD_SUPPORT;
        info.threads = flags.WASM_HAS_MULTITHREAD_SUPPORT;
        info.wasmBinary = loadedWasmBinaries.join(',') || 'unknown';
        if (!flags.WASM_HAS_SIMD_SUPPORT) info.note = 'SIMD not validated: the plain build runs';
      }
      return { available: true, versions: info };
    },
    supports(workload, dtype) {
      if (dtype !== 'float32') return 'tfjs has no float64 dtype';
      return true;
    },
    async setup(workload, ds) {
      const { B, N, x, y, logq, p } = ds;
      const shape = [B, N];
      const run = (build, scalar) => () => {
        const r = tf.tidy(build);
        const d = r.dataSync();
        r.dispose();
        return scalar ? d[0] : d;
      };
      const kl = (input, target) => tf.sum(tf.mul(target, tf.sub(tf.log(target), input)));
      let fn;
      switch (workload) {
        case 'w1':
          fn = run(() => kl(tf.tensor2d(logq, shape), tf.tensor2d(p, shape)), true);
          break;
        case 'w2':
          fn = run(() => kl(tf.logSoftmax(tf.tensor2d(x, shape), -1), tf.softmax(tf.tensor2d(y, shape), -1)), true);
          break;
        case 'w3':
          fn = run(() => tf.logSoftmax(tf.tensor2d(x, shape), -1), false);
          break;
        case 'w4':
          fn = run(() => tf.logSumExp(tf.tensor2d(x, shape), -1), false);
          break;
        default:
          throw new Error(`${id}: no workload ${workload}`);
      }
      // Guard against a leaking composition skewing later cells: the checked first call must
      // leave no tensor behind.
      let before = 0;
      return {
        activate: async () => {
          await activate();
          before = tf.memory().numTensors;
        },
        fn,
        afterCheck: () => {
          const leaked = tf.memory().numTensors - before;
          if (leaked !== 0) throw new Error(`${id} ${workload}: ${leaked} tensors leaked per call`);
        },
      };
    },
  };
}
