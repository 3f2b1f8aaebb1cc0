import { RELAXED_WASM_BASE64, SCALAR_WASM_BASE64, SIMD_WASM_BASE64 } from './binaries.generated.js';

/**
 * Which kernel binary: built with `--enable simd,relaxed-simd` (fused multiply-adds), with
 * `--enable simd`, or with neither.
 */
export type WasmFlavor = 'relaxed' | 'simd' | 'scalar';

const BASE64: Record<WasmFlavor, string> = { relaxed: RELAXED_WASM_BASE64, simd: SIMD_WASM_BASE64, scalar: SCALAR_WASM_BASE64 };

/** base64 → bytes with `atob` (Node ≥ 16 and every browser), so no Buffer or fs is needed. */
function decode(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const cache: Partial<Record<WasmFlavor, Uint8Array>> = {};

/** The embedded kernel binary of a flavour (decoded once). */
export function wasmBytes(flavor: WasmFlavor): Uint8Array {
  return (cache[flavor] ??= decode(BASE64[flavor]));
}
