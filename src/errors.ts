/**
 * Error construction. Every message names the operation and the argument, states what was
 * received, and says what to do, so a caller can fix the call without reading klwasm's source.
 */

/** `TypeError` for an argument of the wrong kind (integer arrays, strings, ragged arrays, ...). */
export function argTypeError(op: string, arg: string, problem: string, fix: string): TypeError {
  return new TypeError(`${op}: argument '${arg}' ${problem}. ${fix}`);
}

/** `RangeError` for an argument with an invalid value (dims out of range, shapes that do not match, ...). */
export function argRangeError(op: string, arg: string, problem: string, fix: string): RangeError {
  return new RangeError(`${op}: argument '${arg}' ${problem}. ${fix}`);
}

/** Short printable form of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // 1n printed as "1" made "must be an integer, got 1" read as a contradiction.
  if (typeof value === 'bigint') return `${value}n (a BigInt, not a number)`;
  if (Array.isArray(value)) return `an Array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as { length?: number }).length ?? value.byteLength}`;
  if (typeof value === 'function') return 'a function';
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** A shape array as given, for errors: numbers as they are, BigInts as `2n`, anything else described. */
export function shapeGivenStr(shape: ArrayLike<unknown>): string {
  return `[${Array.from(shape, (v) => (typeof v === 'number' ? String(v) : typeof v === 'bigint' ? `${v}n` : describe(v))).join(', ')}]`;
}

/** Printable shape, PyTorch style: `[2, 3]`, `[]` for 0-d. */
export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
