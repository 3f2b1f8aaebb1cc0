import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Packs the built package and installs the tarball into a temporary project (test/package.test.ts,
    // test/browser/bundler.test.ts use it).
    globalSetup: ['test/setup/pack.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
