/**
 * Where the pool's worker script is. ESM build: next to this module (import.meta.url). The
 * CommonJS build replaces this file with a `__dirname`-based twin (scripts/write-cjs-package.mjs),
 * since `import.meta` is not valid there.
 */
export function workerUrl(): URL {
  // Browsers get the self-contained bundle (scripts/bundle-worker.mjs): module workers do not see
  // the page's import map. Node resolves the unbundled module's imports itself.
  const node = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
  // @ts-ignore: import.meta is only valid in the ESM build; the CJS build swaps this file.
  return new URL(node ? './worker.js' : './worker.browser.js', import.meta.url);
}
