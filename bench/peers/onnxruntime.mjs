/**
 * onnxruntime-node (CPU execution provider) with one intra-op thread, running small opset-13
 * graphs hand-encoded in bench/onnx (no ONNX tooling). The timed call wraps the typed arrays as
 * ort.Tensors, awaits session.run() and reads the output's data.
 */
import { createRequire } from 'node:module';
import { buildModel, MODEL_IO } from '../onnx/graphs.mjs';
import { pkgVersion } from '../versions.mjs';

const require = createRequire(import.meta.url);

export const ORT_SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

let ort;

export default {
  id: 'ort-node-1t',
  label: 'onnxruntime-node 1t',
  family: 'framework',
  method: `onnxruntime-node CPU EP, hand-encoded opset-13 graphs (W1: Log, Sub, Mul, ReduceSum; W2: LogSoftmax + Softmax + W1's graph; W3: LogSoftmax; W4: ReduceLogSumExp), session options ${JSON.stringify(ORT_SESSION_OPTIONS)}; await session.run() per call (input tensors wrap the typed arrays)`,
  sessions: new Map(),
  async init() {
    try {
      ort = require('onnxruntime-node');
    } catch (e) {
      return { available: false, reason: `cannot load onnxruntime-node: ${e.message}` };
    }
    return { available: true, versions: { 'onnxruntime-node': pkgVersion('onnxruntime-node'), ortCommon: ort.env.versions?.common } };
  },
  supports() {
    return true;
  },
  async session(workload, dtype) {
    const k = `${workload}/${dtype}`;
    if (!this.sessions.has(k)) this.sessions.set(k, await ort.InferenceSession.create(buildModel(workload, dtype), ORT_SESSION_OPTIONS));
    return this.sessions.get(k);
  },
  async setup(workload, ds) {
    const session = await this.session(workload, ds.dtype);
    const { B, N, dtype } = ds;
    const dims = [B, N];
    const io = MODEL_IO[workload];
    const arrays = workload === 'w1' ? [ds.logq, ds.p] : workload === 'w2' ? [ds.x, ds.y] : [ds.x];
    const scalar = workload === 'w1' || workload === 'w2';
    const out = io.output;
    return {
      isAsync: true,
      fn: async () => {
        const feeds = {};
        for (let i = 0; i < arrays.length; i++) feeds[io.inputs[i]] = new ort.Tensor(dtype, arrays[i], dims);
        const r = await session.run(feeds);
        const d = r[out].data;
        return scalar ? d[0] : d;
      },
    };
  },
};
