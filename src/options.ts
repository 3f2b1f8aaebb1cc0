/**
 * Option-name checks. An options object is read by destructuring, so a misspelt or PyTorch-style
 * name (`log_target`, `size_average`, `reducton`) would silently fall back to the default and give
 * a wrong number; every public entry point rejects names it does not know instead, naming the
 * closest valid one.
 */

/** The first own enumerable key of `options` that is not in `allowed`, or null. */
export function unknownOptionKey(options: object, allowed: readonly string[]): string | null {
  for (const k in options) {
    if (!allowed.includes(k)) return k;
  }
  return null;
}

/** camelCase of a snake_case name (`log_target` → `logTarget`). */
function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Levenshtein (edit) distance between two option names. */
function distance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[n]!;
}

/** The valid name a caller most likely meant by `key`, or null. */
export function closestOption(key: string, allowed: readonly string[]): string | null {
  const c = camel(key);
  if (allowed.includes(c)) return c;
  const lower = key.toLowerCase().replace(/_/g, '');
  for (const a of allowed) if (a.toLowerCase() === lower) return a;
  let best: string | null = null;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = distance(key.toLowerCase(), a.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return bestD <= Math.max(1, Math.floor(key.length / 4)) ? best : null;
}

/**
 * Throws a TypeError naming the first unknown option of `options` (if any), the option the caller
 * probably meant and the valid ones. `options` must be an object (callers check that first).
 */
export function checkOptionKeys(op: string, options: object, allowed: readonly string[]): void {
  const key = unknownOptionKey(options, allowed);
  if (key === null) return;
  const near = closestOption(key, allowed);
  const hint = near !== null ? `Did you mean '${near}'? ` : '';
  throw new TypeError(`${op}: unknown option '${key}'. ${hint}Valid options: ${allowed.map((a) => `'${a}'`).join(', ')}.`);
}
