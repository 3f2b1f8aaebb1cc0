// Compiles an AssemblyScript entry with the `assemblyscript/asc` API into a temporary directory
// and instantiates it over a caller-visible WebAssembly.Memory (`env.memory`). Shared by
// test/wasm-math.test.ts and bench/math.bench.mjs. Plain ESM so Node can import it directly.
import asc from 'assemblyscript/asc';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Compiles `entry` (path relative to the repository root) with the project's kernel flags
 * (`--runtime stub -O3 --noAssert --importMemory`), plus `--enable simd` when `simd`, plus any
 * `extraArgs` (e.g. `['--use', 'NAME=1']`). Returns the binary.
 */
export async function compileEntry(entry, { simd, extraArgs = [] }) {
  const dir = mkdtempSync(join(tmpdir(), 'klwasm-asc-'));
  try {
    // An empty config, so the project's asconfig.json (entries, targets) is not picked up.
    const config = join(dir, 'asconfig.json');
    writeFileSync(config, '{"options":{}}');
    const outFile = join(dir, 'out.wasm');
    const args = [
      join(ROOT, entry),
      '--config', config,
      '--outFile', outFile,
      '--runtime', 'stub',
      '-O3',
      '--noAssert',
      '--importMemory',
      ...(simd ? ['--enable', 'simd'] : []),
      ...extraArgs,
    ];
    let stderr = '';
    const { error } = await asc.main(args, {
      stdout: { write() {} },
      stderr: { write(s) { stderr += String(s); } },
    });
    if (error) throw new Error(`asc failed for ${entry} (simd=${simd}): ${error.message}\n${stderr}`);
    return readFileSync(outFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Instantiates `binary` with a fresh memory of `pages` 64 KiB pages. */
export function instantiate(binary, pages) {
  const memory = new WebAssembly.Memory({ initial: pages });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(binary), { env: { memory } });
  return { memory, exports: instance.exports };
}
