#!/usr/bin/env node
// The `klwasm` command. The CLI is compiled with the library (npm run build) into dist/esm/cli.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// The wasm-relaxed-simd backend (fused multiply-adds) needs WebAssembly relaxed SIMD, on by default
// from Node 22; Node 20 has the complete implementation behind this V8 flag. The CLI is an
// application, so it turns the flag on for itself (the library never sets V8 flags).
if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-relaxed-simd');

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
let cli;
try {
  cli = await import('../dist/esm/cli/main.js');
} catch (e) {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('klwasm: the package is not built (dist/esm/cli/main.js is missing); run `npm run build` first.\n');
    process.exit(1);
  }
  throw e;
}
// A closed stdout (e.g. `klwasm ... | head -1`) ends the run quietly.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await cli.main(process.argv.slice(2), { version: pkg.version });
