// Runs golden PyTorch cases through a klwasm module namespace on one backend and returns the raw
// results for the test (in Node) to grade. Plain JavaScript with no imports, so the same file runs
// in a browser page (unbundled or bundled) and in Node (ESM, or CJS through a dynamic import).
//
// Non-finite numbers and -0 are encoded as strings ('NaN', 'Infinity', '-Infinity', '-0') so they
// survive any serialisation between the page and the test.

const decodeNumber = (v) => (typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : NaN);

const encodeNumber = (v) =>
  Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : Object.is(v, -0) ? '-0' : v;

function decodeTensor(t) {
  const values = t.data.map(decodeNumber);
  return { data: t.dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), shape: t.shape, dtype: t.dtype };
}

function runOne(k, c) {
  const input = decodeTensor(c.input);
  const a = c.args;
  switch (c.op) {
    case 'kl_div':
      return k.klDiv(input, decodeTensor(c.target), {
        reduction: a.reduction,
        logTarget: a.log_target,
        sizeAverage: a.size_average,
        reduce: a.reduce,
      });
    case 'softmax':
      return k.softmax(input, a.dim ?? undefined);
    case 'log_softmax':
      return k.logSoftmax(input, a.dim ?? undefined);
    case 'logsumexp':
      return k.logSumExp(input, a.dim, a.keepdim ?? false);
    case 'kl_div_logits':
      return k.klDivLogits(input, decodeTensor(c.target), { dim: a.dim, temperature: a.temperature, reduction: a.reduction });
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

/**
 * `await init({ backend, wasmBaseUrl })`, then every case. Resolves to
 * { backend, results: [{ id, shape, dtype, data, warnings } | { id, error: { name, message } }] }.
 */
export async function runCases(k, cases, { backend = 'auto', wasmBaseUrl } = {}) {
  await k.init(wasmBaseUrl === undefined ? { backend } : { backend, wasmBaseUrl });
  const results = [];
  for (const c of cases) {
    const warnings = [];
    const previous = k.setWarningHandler((w) => warnings.push(w.message));
    try {
      const out = runOne(k, c);
      results.push({ id: c.id, shape: out.shape, dtype: out.dtype, data: Array.from(out.data, encodeNumber), warnings });
    } catch (e) {
      results.push({ id: c.id, error: { name: e?.constructor?.name ?? typeof e, message: String(e?.message ?? e) }, warnings });
    } finally {
      k.setWarningHandler(previous);
    }
  }
  return { backend: k.backend(), results };
}

/** `runCases` with the cases and the result as JSON text (much faster to pass in and out of a page). */
export async function runCasesJson(k, casesJson, opts) {
  return JSON.stringify(await runCases(k, JSON.parse(casesJson), opts));
}
