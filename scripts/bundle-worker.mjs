// Build step: the pool's worker as one self-contained ES module for browsers
// (dist/esm/pool/worker.browser.js). A module Web Worker does not see the page's import map, so
// the unbundled worker could not resolve its bare import of @assemblyscript/loader; bundled, it
// needs nothing but its own file. Node workers keep using dist/{esm,cjs}/pool/worker.js.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('../dist/esm/pool/worker.js', import.meta.url).pathname],
  outfile: new URL('../dist/esm/pool/worker.browser.js', import.meta.url).pathname,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
