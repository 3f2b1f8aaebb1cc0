/**
 * Messages between the pool and its workers. Arrays are views on SharedArrayBuffers, so posting
 * them shares memory instead of copying it. Every task covers a contiguous range of slabs
 * (outer indices) or elements and writes only its own part of the outputs.
 */
import type { BackendChoice } from '../types.js';

export type FloatView = Float32Array | Float64Array;

export interface InitMessage {
  type: 'init';
  backend: BackendChoice;
  maxMemoryMiB?: number;
  windowKiB?: number;
}

/** softmax / log_softmax of slabs [o0, o1) of (outer, size, inner). */
export interface SliceTask {
  kind: 'slice';
  kernel: 'softmax' | 'logSoftmax';
  x: FloatView;
  out: FloatView;
  o0: number;
  o1: number;
  size: number;
  inner: number;
}

/** logsumexp of slabs [o0, o1): out holds outer·inner results. */
export interface LseTask {
  kind: 'lse';
  x: FloatView;
  out: FloatView;
  o0: number;
  o1: number;
  size: number;
  inner: number;
}

/** Fused KL of slabs [o0, o1): per-slice KLs (reductions) or pointwise terms ('none'). */
export interface KlLogitsTask {
  kind: 'klLogits';
  x: FloatView;
  y: FloatView;
  perSlice: Float64Array | null;
  pointwise: FloatView | null;
  o0: number;
  o1: number;
  size: number;
  inner: number;
  temperature: number;
  scale: number;
}

/** kl_div terms of elements [e0, e1) of same-shape operands; returns their sum. */
export interface KlFlatTask {
  kind: 'klFlat';
  x: FloatView;
  t: FloatView;
  out: FloatView | null;
  e0: number;
  e1: number;
  logTarget: boolean;
}

export type Task = SliceTask | LseTask | KlLogitsTask | KlFlatTask;

export interface TaskMessage {
  type: 'task';
  id: number;
  task: Task;
}

export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'done'; id: number; value: number }
  | { type: 'error'; id: number; name: string; message: string; stack?: string }
  | { type: 'init-error'; name: string; message: string };
