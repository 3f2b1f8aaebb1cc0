import type { Kernels } from '../kernels.js';
import { klDivBlock, klDivWhole } from './klDiv.js';
import { klDivGradBlock } from './klDivGrad.js';
import { klDivLogits } from './klDivLogits.js';
import { klDivLogitsGrad } from './klDivLogitsGrad.js';
import { klDivSlices } from './klDivSlices.js';
import { logSoftmax } from './logSoftmax.js';
import { logSumExp } from './logSumExp.js';
import { sliceStats } from './sliceStats.js';
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
  klDivWhole,
  klDivLogits,
  klDivGradBlock,
  klDivLogitsGrad,
  klDivSlices,
  sliceStats,
};
