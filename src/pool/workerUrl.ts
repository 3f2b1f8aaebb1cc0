/**
 * Where the pool's worker script is. ESM build: next to this module (import.meta.url). The
 * CommonJS build replaces this file with a `__dirname`-based twin (scripts/write-cjs-package.mjs),
 * since `import.meta` is not valid there.
 */
export function workerUrl(): URL {
  // @ts-ignore: import.meta is only valid in the ESM build; the CJS build swaps this file.
  return new URL('./worker.js', import.meta.url);
}
