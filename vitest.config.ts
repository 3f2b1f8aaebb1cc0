import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Packs the built package and installs the tarball into a temporary project (test/package.test.ts,
    // test/browser/bundler.test.ts use it).
    globalSetup: ['test/setup/pack.ts'],
    // Node 20 needs a V8 flag for the wasm-relaxed-simd backend (see the file).
    setupFiles: ['test/setup/relaxed-simd.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
