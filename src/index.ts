/**
 * klwasm — KL divergence, log-sum-exp, softmax and log_softmax with PyTorch 1.13 semantics.
 *
 * Public API: ops take any `TensorLike` and return `Tensor`s; `init`/`initSync` pick a backend
 * (ops called before init initialise synchronously with 'auto').
 */
export { Tensor, type NestedNumbers } from './tensor.js';
export type { TensorLike, NestedArray } from './tensorlike.js';
export type { Dtype, FloatArray, Reduction, BackendName, BackendChoice } from './types.js';
export { init, initSync, backend, memoryStats, type InitOptions, type MemoryStats } from './runtime.js';
export { allocTensor, WasmTensor } from './zeroCopy.js';
export type { OutOptions } from './ops/out.js';
export { setWarningHandler, type WarningHandler, type KlwasmWarning } from './warnings.js';
export { klDiv, type KlDivOptions } from './ops/klDiv.js';
export { klDivBackward, type KlDivBackwardOptions, type KlDivGradients } from './ops/klDivBackward.js';
export { KLDivLoss } from './ops/loss.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { logSumExp } from './ops/logSumExp.js';
export { klDivLogits, type KlDivLogitsOptions } from './ops/klDivLogits.js';
export {
  klDivLogitsWithGrad,
  type KlDivLogitsReduction,
  type KlDivLogitsWithGradOptions,
  type KlDivLogitsWithGradResult,
} from './ops/klDivLogitsGrad.js';
export { klDivPerSlice, type KlDivPerSliceOptions } from './ops/klDivPerSlice.js';
export {
  diagnose,
  KLDivInputError,
  type ArgumentReport,
  type DiagnoseOptions,
  type DiagnoseProblem,
  type DiagnoseReport,
  type DistributionKind,
  type EntryCount,
  type ValidateOption,
  type WorstSlice,
} from './ops/diagnose.js';
