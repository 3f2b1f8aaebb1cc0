/**
 * What a large fresh result costs on this host: allocate n float32 elements and copy a result out
 * of WASM memory into them, zero-filled (`new Float32Array`) against uninitialised
 * (`Buffer.allocUnsafeSlow`, what src/alloc.ts uses for results ≥ 1 MiB on Node). The variants
 * alternate round by round; medians and minima in ms per call.
 *
 *   node bench/alloc.bench.mjs [n …]      (default: 256000 1048576 3216448 4194304)
 */
const sizes = process.argv.slice(2).map(Number);
if (sizes.length === 0) sizes.push(256_000, 1_048_576, 64 * 50_257, 4_194_304);
const src = new Float32Array(new WebAssembly.Memory({ initial: 1024 }).buffer, 0, Math.max(...sizes));
src.fill(1.5);
const sink = [];
for (const n of sizes) {
  const from = src.subarray(0, n);
  const variants = {
    'new Float32Array + set': () => {
      const a = new Float32Array(n);
      a.set(from);
      return a;
    },
    'Buffer.allocUnsafeSlow + set': () => {
      const b = Buffer.allocUnsafeSlow(n * 4);
      const a = new Float32Array(b.buffer, b.byteOffset, n);
      a.set(from);
      return a;
    },
  };
  const ms = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < 8; r++) {
    for (const [k, f] of Object.entries(variants)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 30; i++) sink[i & 3] = f();
      ms[k].push(Number(process.hrtime.bigint() - t0) / 30 / 1e6);
    }
  }
  for (const [k, a] of Object.entries(ms)) {
    a.sort((x, y) => x - y);
    console.log(`${String(n).padStart(8)} float32  ${k.padEnd(30)} median ${a[4].toFixed(3)} ms  min ${a[0].toFixed(3)} ms`);
  }
}
