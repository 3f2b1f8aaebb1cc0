/**
 * A pool of workers (Node worker_threads, or module Web Workers in browsers), each with its own
 * WASM instance, for services that want every core. Async methods mirror the ops; arguments are
 * validated on the calling thread with the ops' own code (same errors and warnings), then the
 * slices are split across workers. Inputs backed by SharedArrayBuffer are used without copies
 * (others are copied once into shared memory); results live in SharedArrayBuffers.
 *
 * Determinism: per-slice values are computed by the same kernels on the same slices as the
 * single-thread path, so they are bitwise identical; reductions combine per-slice (klDivLogits)
 * or fixed-size-chunk (klDiv) partial sums in index order, so the answer does not depend on the
 * number of threads (klDivLogits reductions are bitwise equal to the single-thread path too).
 */
import { ROW_GROUP } from '../backend/kernels.js';
import { CompensatedSum } from '../compensated.js';
import { type KlDivOptions, finishKlDiv, planKlDiv, runKlDiv } from '../ops/klDiv.js';
import { type KlDivLogitsOptions, finishKlDivLogits, planKlDivLogits } from '../ops/klDivLogits.js';
import { planLogSumExp } from '../ops/logSumExp.js';
import type { OutOptions } from '../ops/out.js';
import { finishSliceOp, planSliceOp } from '../ops/softmax.js';
import { Tensor } from '../tensor.js';
import type { TensorLike } from '../tensorlike.js';
import { type BackendChoice, type FloatArray, arrayFor } from '../types.js';
import type { Task, WorkerReply } from './protocol.js';
import { workerUrl } from './workerUrl.js';
import { checkOptionKeys } from '../options.js';

/** Options of `createPool`. */
export interface PoolOptions {
  /** Number of workers (default: the number of logical cores, `os.availableParallelism()`). */
  threads?: number;
  /** Backend of every worker (default 'auto'). */
  backend?: BackendChoice;
  /** WASM memory cap per worker, MiB (default 64). */
  maxMemoryMiB?: number;
  /** Streaming window per worker, KiB. */
  windowKiB?: number;
}

/** Elements per klDiv chunk: fixed, so reductions do not depend on the thread count. */
const KL_CHUNK = 1 << 16;
/** Minimum elements per slab task (smaller calls run as one task). */
const MIN_TASK = 1 << 15;

interface Pending {
  task: Task;
  resolve: (v: number) => void;
  reject: (e: Error) => void;
  attempts: number;
}

interface WorkerLike {
  post(msg: unknown): void;
  terminate(): void;
  /** Keep the process alive while this worker has work (Node); no-op in browsers. */
  ref(active: boolean): void;
}

interface Slot {
  worker: WorkerLike;
  ready: boolean;
  busy: Pending | null;
  id: number;
}

function defaultThreads(): number {
  const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:os') as
    | { availableParallelism?: () => number; cpus(): unknown[] }
    | undefined;
  if (os) return os.availableParallelism?.() ?? os.cpus().length;
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
}

/** Rebuilds an error from a worker with its original class. */
function reviveError(name: string, message: string): Error {
  const Ctor = name === 'TypeError' ? TypeError : name === 'RangeError' ? RangeError : Error;
  const e = new Ctor(message);
  if (Ctor === Error && name !== 'Error') e.name = name;
  return e;
}

/** `a` itself if it is backed by shared memory, else a copy in a new SharedArrayBuffer. */
function shared<A extends FloatArray>(a: A): A {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (b: SharedArrayBuffer, o: number, n: number) => A;
  const copy = new Ctor(new SharedArrayBuffer(a.byteLength), 0, a.length);
  copy.set(a);
  return copy;
}

function sharedArray(dtype: 'float32' | 'float64', n: number): FloatArray {
  const Ctor = arrayFor(dtype) as unknown as new (b: SharedArrayBuffer) => FloatArray;
  return new Ctor(new SharedArrayBuffer(n * (dtype === 'float64' ? 8 : 4)));
}

/**
 * Splits [0, n) into at most `parts` contiguous, nearly equal ranges that start on multiples of
 * `align` (the kernels' short-row group, so every worker groups the same rows as one thread would;
 * empty ranges are dropped).
 */
function ranges(n: number, parts: number, align = 1): [number, number][] {
  const k = Math.max(1, Math.min(n, parts));
  const cut = (i: number): number => (i === k ? n : Math.min(n, Math.floor((i * n) / k / align) * align));
  const out: [number, number][] = [];
  for (let i = 0; i < k; i++) {
    const a = cut(i);
    const b = cut(i + 1);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/**
 * A worker pool running klwasm's ops off the calling thread; see `createPool`.
 */
export class KlwasmPool {
  /** Number of workers. */
  readonly threads: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private closed = false;
  private initError: Error | null = null;
  private readyPromise: Promise<string[]>;
  private backends: string[] = [];
  private nextSlotId = 0;

  /** @internal Use `createPool`. */
  constructor(private readonly opts: Required<Pick<PoolOptions, 'threads' | 'backend'>> & PoolOptions) {
    this.threads = opts.threads;
    const readies: Promise<string>[] = [];
    for (let i = 0; i < this.threads; i++) readies.push(this.spawn(i));
    this.readyPromise = Promise.all(readies).then((b) => (this.backends = b));
    // A failed start is reported by the calls; do not leave an unhandled rejection behind.
    this.readyPromise.catch(() => undefined);
  }

  /** Resolves when every worker has loaded its backend, to their names (e.g. ['wasm-simd', 'wasm-simd']). */
  ready(): Promise<string[]> {
    return this.readyPromise;
  }

  /** Backend names of the workers (after `ready()`). */
  get workerBackends(): readonly string[] {
    return this.backends;
  }

  private spawn(index: number): Promise<string> {
    return new Promise<string>((resolveReady, rejectReady) => {
      const slot: Slot = { worker: null as unknown as WorkerLike, ready: false, busy: null, id: this.nextSlotId++ };
      const onMessage = (msg: WorkerReply) => {
        if (msg.type === 'ready') {
          slot.ready = true;
          slot.worker.ref(false);
          resolveReady(msg.backend);
          this.pump();
        } else if (msg.type === 'init-error') {
          const e = reviveError(msg.name, `klwasm pool: a worker could not initialise: ${msg.message}`);
          this.initError = e;
          rejectReady(e);
          this.failAll(e);
        } else {
          const job = slot.busy;
          slot.busy = null;
          slot.worker.ref(false);
          if (job) {
            if (msg.type === 'done') job.resolve(msg.value);
            else job.reject(reviveError(msg.name, msg.message));
          }
          this.pump();
        }
      };
      const onExit = (why: string) => {
        if (this.closed || this.slots[index] !== slot) return;
        // A crashed worker is replaced; its task runs again on the replacement (once).
        const job = slot.busy;
        slot.busy = null;
        slot.ready = false;
        if (job) {
          if (job.attempts >= 2) job.reject(new Error(`klwasm pool: a worker died twice on this task (${why}).`));
          else this.queue.unshift(job);
        }
        this.spawn(index).catch(() => undefined);
      };
      slot.worker = this.startWorker(onMessage, onExit);
      this.slots[index] = slot;
      slot.worker.post({ type: 'init', backend: this.opts.backend, maxMemoryMiB: this.opts.maxMemoryMiB, windowKiB: this.opts.windowKiB });
    });
  }

  private startWorker(onMessage: (m: WorkerReply) => void, onExit: (why: string) => void): WorkerLike {
    const url = workerUrl();
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const wt = proc?.getBuiltinModule?.('node:worker_threads') as
      | { Worker: new (u: URL) => { postMessage(m: unknown): void; terminate(): Promise<number>; on(e: string, f: (a: unknown) => void): void; unref(): void } }
      | undefined;
    if (wt) {
      const w = new wt.Worker(url);
      w.on('message', (m) => onMessage(m as WorkerReply));
      w.on('error', (e) => onExit(`error: ${(e as Error).message}`));
      w.on('exit', (code) => onExit(`exit code ${String(code)}`));
      // Workers keep the process alive only while they start up or run a task (see ref()).
      const ww = w as unknown as { ref(): void; unref(): void };
      return { post: (m) => w.postMessage(m), terminate: () => void w.terminate(), ref: (on) => (on ? ww.ref() : ww.unref()) };
    }
    const W = (globalThis as { Worker?: new (u: URL, o: object) => { postMessage(m: unknown): void; terminate(): void; onmessage: unknown; onerror: unknown } }).Worker;
    if (!W) throw new Error('createPool: this environment has neither node:worker_threads nor Web Workers.');
    const w = new W(url, { type: 'module' });
    w.onmessage = (e: { data: WorkerReply }) => onMessage(e.data);
    w.onerror = (e: { message?: string }) => onExit(`error: ${e.message ?? 'worker error'}`);
    return { post: (m) => w.postMessage(m), terminate: () => w.terminate(), ref: () => undefined };
  }

  private failAll(e: Error): void {
    for (const job of this.queue.splice(0)) job.reject(e);
  }

  private pump(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (!slot || !slot.ready || slot.busy) continue;
      const job = this.queue.shift();
      if (!job) return;
      job.attempts++;
      slot.busy = job;
      slot.worker.ref(true);
      slot.worker.post({ type: 'task', id: slot.id, task: job.task });
    }
  }

  /** Runs tasks; resolves to their results in task order. */
  private runTasks(tasks: Task[]): Promise<number[]> {
    if (this.closed) return Promise.reject(new Error('klwasm pool: the pool is closed; create a new one with createPool().'));
    if (this.initError) return Promise.reject(this.initError);
    return Promise.all(
      tasks.map(
        (task) =>
          new Promise<number>((resolve, reject) => {
            this.queue.push({ task, resolve, reject, attempts: 0 });
          }),
      ),
    );
  }

  private schedule(tasks: Task[]): Promise<number[]> {
    const p = this.runTasks(tasks);
    this.pump();
    return p;
  }

  private slabRanges(outer: number, slab: number): [number, number][] {
    const bySize = Math.max(1, Math.floor((outer * slab) / MIN_TASK));
    return ranges(outer, Math.min(this.threads * 4, bySize), ROW_GROUP);
  }

  private rejectOut(op: string, options: object | undefined): void {
    if (options && (options as OutOptions).out !== undefined) {
      throw new TypeError(`pool.${op}: option 'out' is not supported by the pool; results are returned in shared memory.`);
    }
  }

  /**
   * `klDivLogits` on the pool (same arguments, same result, bitwise).
   * @example
   * ```ts
   * const pool = createPool();
   * const loss = await pool.klDivLogits(student, teacher, { temperature: 2 });
   * await pool.close();
   * ```
   */
  async klDivLogits(inputLogits: TensorLike, targetLogits: TensorLike, options: KlDivLogitsOptions = {}): Promise<Tensor> {
    const plan = planKlDivLogits(inputLogits, targetLogits, options);
    const { outer, size, inner } = plan;
    const x = shared(plan.x);
    const y = shared(plan.y);
    const none = plan.reduction === 'none';
    const perSlice = none ? null : (sharedArray('float64', outer * inner) as Float64Array);
    const pointwise = none ? sharedArray(plan.dtype, x.length) : null;
    if (x.length > 0) {
      await this.schedule(
        this.slabRanges(outer, size * inner).map(([o0, o1]) => ({
          kind: 'klLogits',
          x,
          y,
          perSlice,
          pointwise,
          o0,
          o1,
          size,
          inner,
          temperature: plan.temperature,
          scale: plan.scale,
        })),
      );
    }
    return finishKlDivLogits(plan, perSlice, pointwise);
  }

  /** `softmax` on the pool (bitwise the single-thread result). */
  softmax(input: TensorLike, dim?: number | null, options?: OutOptions): Promise<Tensor> {
    return this.sliceOp('softmax', 'softmax', input, dim, options);
  }

  /** `logSoftmax` on the pool (bitwise the single-thread result). */
  logSoftmax(input: TensorLike, dim?: number | null, options?: OutOptions): Promise<Tensor> {
    return this.sliceOp('logSoftmax', 'log_softmax', input, dim, options);
  }

  private async sliceOp(
    kernel: 'softmax' | 'logSoftmax',
    torchName: string,
    input: TensorLike,
    dim: number | null | undefined,
    options: OutOptions | undefined,
  ): Promise<Tensor> {
    this.rejectOut(kernel, options);
    const plan = planSliceOp(kernel, torchName, kernel, input, dim, undefined);
    const x = shared(plan.x);
    const out = sharedArray(plan.dtype, x.length);
    if (x.length > 0) {
      await this.schedule(
        this.slabRanges(plan.outer, plan.size * plan.inner).map(([o0, o1]) => ({
          kind: 'slice',
          kernel,
          x,
          out,
          o0,
          o1,
          size: plan.size,
          inner: plan.inner,
        })),
      );
    }
    return finishSliceOp(plan, out);
  }

  /** `logSumExp` on the pool (bitwise the single-thread result). */
  async logSumExp(input: TensorLike, dim: number | readonly number[], keepdim = false): Promise<Tensor> {
    const plan = planLogSumExp(input, dim, keepdim);
    const out = sharedArray(plan.dtype, plan.outer * plan.inner);
    if (plan.size === 0) out.fill(-Infinity);
    else if (out.length > 0) {
      const x = shared(plan.x);
      await this.schedule(
        this.slabRanges(plan.outer, plan.size * plan.inner).map(([o0, o1]) => ({
          kind: 'lse',
          x,
          out,
          o0,
          o1,
          size: plan.size,
          inner: plan.inner,
        })),
      );
    }
    return new Tensor(out, plan.outShape);
  }

  /**
   * `klDiv` on the pool. Same-shape operands are split into fixed chunks whose sums are combined
   * in order (the result does not depend on the thread count); broadcasting calls run on the
   * calling thread.
   */
  async klDiv(input: TensorLike, target: TensorLike, options: KlDivOptions = {}): Promise<Tensor> {
    this.rejectOut('klDiv', options);
    const plan = planKlDiv(input, target, options);
    const b = plan.broadcast;
    const flat = b.sizes.length === 1 && b.aStrides[0] === 1 && b.bStrides[0] === 1;
    if (!flat || plan.numel < KL_CHUNK) {
      if (this.closed) throw new Error('klwasm pool: the pool is closed; create a new one with createPool().');
      return runKlDiv(plan);
    }
    const x = shared(plan.x);
    const t = shared(plan.t);
    const out = plan.kind === 'none' ? sharedArray(plan.dtype, plan.numel) : null;
    const tasks: Task[] = [];
    for (let e0 = 0; e0 < plan.numel; e0 += KL_CHUNK) {
      tasks.push({ kind: 'klFlat', x, t, out, e0, e1: Math.min(plan.numel, e0 + KL_CHUNK), logTarget: plan.logTarget });
    }
    const sums = await this.schedule(tasks);
    const acc = new CompensatedSum();
    for (const s of sums) acc.add(s);
    return finishKlDiv(plan, acc.value, out);
  }

  /**
   * Ends every worker. Pending and later calls reject with a clear error. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const e = new Error('klwasm pool: the pool was closed before this call finished.');
    this.failAll(e);
    for (const slot of this.slots) {
      if (!slot) continue;
      slot.busy?.reject(e);
      slot.busy = null;
      slot.worker.terminate();
    }
  }

  /** @internal Test hook: terminates worker `i` abruptly (it is replaced, its task re-run). */
  _killWorker(i: number): void {
    this.slots[i]?.worker.terminate();
  }
}

/**
 * Creates a pool of `threads` workers, each with its own WASM instance.
 *
 * - In Node: worker_threads. In browsers: module Web Workers; SharedArrayBuffer requires the page
 *   to be cross-origin isolated (`Cross-Origin-Opener-Policy: same-origin` and
 *   `Cross-Origin-Embedder-Policy: require-corp`), otherwise `createPool` throws.
 * - Throughput on [64, 50257] klDivLogits: see bench/pool.bench.mjs and the README.
 *
 * @example
 * ```ts
 * import { createPool } from 'klwasm';
 * const pool = createPool({ threads: 2 });
 * const kl = await pool.klDivLogits(studentLogits, teacherLogits, { temperature: 2 });
 * await pool.close();
 * ```
 */
export function createPool(options: PoolOptions = {}): KlwasmPool {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`createPool: argument 'options' must be an object such as { threads: 2 }.`);
  }
  checkOptionKeys('createPool', options, ['threads', 'backend', 'maxMemoryMiB', 'windowKiB']);
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new RangeError(`createPool: option 'threads' must be an integer in [1, 256], got ${String(threads)}.`);
  }
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error(
      'createPool: SharedArrayBuffer is not available. In browsers the page must be cross-origin isolated (COOP: same-origin, COEP: require-corp); use the single-thread ops otherwise.',
    );
  }
  return new KlwasmPool({ ...options, threads, backend: options.backend ?? 'auto' });
}

