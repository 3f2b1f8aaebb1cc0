/**
 * Bundles test/browser/bundle-app with esbuild inside the temporary project where the packed
 * tarball is installed (test/setup/pack.ts), so `import 'klwasm'` resolves exactly as in a user's
 * app. No loader, plugin or asset option for .wasm: the package embeds its kernels.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const HERE = fileURLToPath(new URL('./', import.meta.url));

export interface Bundle {
  /** Folder with index.html and app.js. */
  dir: string;
  metafile: Metafile;
}

export async function bundleApp(project: string, name: string): Promise<Bundle> {
  const src = join(project, name, 'src');
  const dir = join(project, name, 'dist');
  mkdirSync(src, { recursive: true });
  copyFileSync(join(HERE, 'bundle-app/app.js'), join(src, 'app.js'));
  copyFileSync(join(HERE, 'pages/golden-runner.js'), join(src, 'golden-runner.js'));
  const result = await build({
    absWorkingDir: project,
    entryPoints: [join(src, 'app.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    outdir: dir,
    metafile: true,
    logLevel: 'silent',
  });
  if (result.errors.length || result.warnings.length) throw new Error(`esbuild: ${JSON.stringify([...result.errors, ...result.warnings])}`);
  copyFileSync(join(HERE, 'bundle-app/index.html'), join(dir, 'index.html'));
  return { dir, metafile: result.metafile };
}
