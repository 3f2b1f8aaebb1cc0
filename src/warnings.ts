/**
 * PyTorch-compatible warnings ('mean' reduction, implicit softmax dim, legacy arguments).
 *
 * By default each distinct warning is shown once per process (PyTorch 1.13 behaves the same, since
 * Python's default filter shows a warning once per code location): through `process.emitWarning`
 * in Node, `console.warn` elsewhere. `setWarningHandler` replaces that.
 */

/** A warning klwasm emits. `code` is stable (e.g. `'KLWASM_MEAN_REDUCTION'`); `message` is PyTorch's text. */
export interface KlwasmWarning {
  code: string;
  message: string;
}

/** Receives every warning (not only the first of each kind). */
export type WarningHandler = (warning: KlwasmWarning) => void;

let handler: WarningHandler | null | undefined;
/**
 * Messages already shown, by code. Two levels rather than one Set of `code + message` strings:
 * building and hashing that concatenation on every call cost ~0.8 µs per `klDiv` call with the
 * default reduction ('mean' warns on each call), where a lookup of the constant message costs
 * nanoseconds.
 */
const shown = new Map<string, Set<string>>();

/**
 * Captures or silences klwasm's warnings.
 * - a function: called for **every** warning occurrence (no once-per-process filter);
 * - `null`: silences warnings;
 * - `undefined`: restores the default (each distinct warning once per process).
 * Returns the previous handler.
 *
 * @example
 * ```ts
 * import { setWarningHandler, klDiv } from 'klwasm';
 * const seen: string[] = [];
 * setWarningHandler((w) => seen.push(w.code));
 * klDiv([-1.2, -0.4], [0.3, 0.7]);          // reduction 'mean' warns
 * setWarningHandler(undefined);               // back to the default
 * ```
 */
export function setWarningHandler(fn: WarningHandler | null | undefined): WarningHandler | null | undefined {
  if (fn !== null && fn !== undefined && typeof fn !== 'function') {
    throw new TypeError(`setWarningHandler: argument 'fn' must be a function, null (silence) or undefined (default), got ${typeof fn}.`);
  }
  const previous = handler;
  handler = fn;
  return previous;
}

/** Emits a warning through the current handler (or the once-per-process default). */
export function warn(code: string, message: string): void {
  if (handler === null) return;
  if (handler !== undefined) {
    handler({ code, message });
    return;
  }
  let seen = shown.get(code);
  if (seen === undefined) shown.set(code, (seen = new Set()));
  if (seen.has(message)) return;
  seen.add(message);
  const proc = (globalThis as { process?: { emitWarning?: (msg: string, opts: object) => void } }).process;
  if (proc && typeof proc.emitWarning === 'function') {
    proc.emitWarning(message, { type: 'KlwasmWarning', code });
  } else if (typeof console !== 'undefined') {
    console.warn(`[klwasm ${code}] ${message}`);
  }
}
