/**
 * The peers, in report order. Each peer module exports an object with:
 *   id, label, family, method           — names and how it is driven (lands in the report)
 *   init() → { available, reason?, versions? }
 *   supports(workload, dtype, shape) → true | 'reason it is skipped'
 *   setup(workload, dataset) → { fn, isAsync?, activate?, refKind?, afterCheck? }
 * `fn` is the timed closure (its inputs prepared in setup); it returns the answer (number for
 * W1/W2, array for W3/W4), which is graded against the float64 reference `refKind` (default: the
 * workload's) before any timing. `activate` (untimed) switches a shared global backend;
 * `afterCheck` runs after the checked first call and throws if that call left something behind.
 */
import { KLWASM_BACKENDS, makeKlwasmPeer, makeKlwasmZeroCopyPeer } from './klwasm.mjs';
import naiveJs from './naive-js.mjs';
import { makeTfjsPeer } from './tfjs.mjs';
import ortNode from './onnxruntime.mjs';
import { makeMathjsPeer } from './mathjs.mjs';
import mlDistance from './ml-distance.mjs';

/** Peer ids that ratios are taken against. */
export const BASELINES = { naive: 'naive-js', ort: 'ort-node-1t' };

export function allPeers(profile) {
  return [
    ...KLWASM_BACKENDS.map((b) => makeKlwasmPeer(b)),
    makeKlwasmZeroCopyPeer('wasm-relaxed-simd'),
    naiveJs,
    ortNode,
    makeTfjsPeer('wasm'),
    makeTfjsPeer('cpu'),
    mlDistance,
    makeMathjsPeer(profile),
  ];
}
