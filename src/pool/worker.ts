/**
 * Worker entry of the pool (Node worker_threads or a module Web Worker): its own WASM instance,
 * initialised once, running tasks on views of the caller's SharedArrayBuffers.
 */
import { initSync, kernels } from '../runtime.js';
import type { FloatView, InitMessage, Task, TaskMessage, WorkerReply } from './protocol.js';

interface Port {
  post(msg: WorkerReply): void;
  listen(fn: (msg: InitMessage | TaskMessage) => void): void;
}

function port(): Port {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as
    | { parentPort: { postMessage(m: unknown): void; on(e: 'message', fn: (m: unknown) => void): void } | null }
    | undefined;
  if (wt?.parentPort) {
    const p = wt.parentPort;
    return { post: (m) => p.postMessage(m), listen: (fn) => p.on('message', (m) => fn(m as InitMessage | TaskMessage)) };
  }
  const self = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: { data: unknown }) => void) | null };
  return { post: (m) => self.postMessage(m), listen: (fn) => (self.onmessage = (e) => fn(e.data as InitMessage | TaskMessage)) };
}

/** Runs one task; returns the sum for reductions (0 otherwise). */
function run(task: Task): number {
  const k = kernels();
  switch (task.kind) {
    case 'slice': {
      const slab = task.size * task.inner;
      const x = task.x.subarray(task.o0 * slab, task.o1 * slab);
      const out = task.out.subarray(task.o0 * slab, task.o1 * slab);
      k[task.kernel](x, out, task.o1 - task.o0, task.size, task.inner);
      return 0;
    }
    case 'lse': {
      const slab = task.size * task.inner;
      const x = task.x.subarray(task.o0 * slab, task.o1 * slab);
      const out = task.out.subarray(task.o0 * task.inner, task.o1 * task.inner);
      k.logSumExp(x, out, task.o1 - task.o0, task.size, task.inner);
      return 0;
    }
    case 'klLogits': {
      const slab = task.size * task.inner;
      const sub = (a: FloatView) => a.subarray(task.o0 * slab, task.o1 * slab);
      return k.klDivLogits(
        sub(task.x),
        sub(task.y),
        task.o1 - task.o0,
        task.size,
        task.inner,
        task.temperature,
        task.scale,
        task.perSlice === null ? null : task.perSlice.subarray(task.o0 * task.inner, task.o1 * task.inner),
        task.pointwise === null ? null : sub(task.pointwise),
      );
    }
    case 'klFlat':
      return k.klDivBlock(task.x, task.e0, 0, 1, task.t, task.e0, 0, 1, 1, task.e1 - task.e0, task.logTarget, task.out, task.e0);
  }
}

const p = port();
p.listen((msg) => {
  if (msg.type === 'init') {
    try {
      const backend = initSync({ backend: msg.backend, maxMemoryMiB: msg.maxMemoryMiB, windowKiB: msg.windowKiB });
      p.post({ type: 'ready', backend });
    } catch (e) {
      const err = e as Error;
      p.post({ type: 'init-error', name: err.name, message: err.message });
    }
    return;
  }
  try {
    p.post({ type: 'done', id: msg.id, value: run(msg.task) });
  } catch (e) {
    const err = e as Error;
    p.post({ type: 'error', id: msg.id, name: err.name, message: err.message, stack: err.stack });
  }
});
