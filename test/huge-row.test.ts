/**
 * A single row far longer than the streaming window, through the built package, with WASM memory
 * capped at 64 MiB (the CI-sized version of `node scripts/huge-row.mjs --log2 30`).
 */
import { expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { runHugeRow } from '../scripts/huge-row.mjs';

it.each([
  ['wasm-relaxed-simd', 24],
  ['wasm-simd', 24],
  ['wasm-scalar', 22],
] as const)('[1, 2^k] row on %s (k = %i) stays within 64 MiB and matches the exact answers', (backend, log2) => {
  const report = runHugeRow(log2, { backend, maxMemoryMiB: 64 });
  expect(report.memory.backend).toBe(backend);
  expect(report.memory.wasmBytes).toBeLessThanOrEqual(64 * 2 ** 20);
  // runHugeRow throws on a wrong answer; check the key values here too.
  expect(Math.abs(report.logSumExp - report.expected.logSumExp)).toBeLessThan(1e-5 * Math.abs(report.expected.logSumExp));
  expect(Math.abs(report.klDivLogits - report.expected.klDivLogits)).toBeLessThan(1e-5 * report.expected.klDivLogits);
});
