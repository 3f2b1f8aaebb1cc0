import type { Kernels } from '../kernels.js';
import { klDivBlock } from './klDiv.js';
import { klDivLogits } from './klDivLogits.js';
import { logSoftmax } from './logSoftmax.js';
import { logSumExp } from './logSumExp.js';
import { softmax } from './softmax.js';

/**
 * The pure-TypeScript backend: float64 arithmetic with compensated sums, results rounded once to
 * the result dtype. Always available; it is also the oracle the WASM backends are tested against.
 */
export const jsKernels: Kernels = {
  name: 'js',
  softmax,
  logSoftmax,
  logSumExp,
  klDivBlock,
  klDivLogits,
};
