// klwasm browser demo: post-processing of two models' outputs (logits) — softmax and top-k with a
// temperature, the distillation KL between the two (klDivLogits), and how long each backend takes.
import { backend, init, klDivLogits, softmax } from 'klwasm';

const $ = (id) => document.getElementById(id);
const BACKENDS = ['wasm-relaxed-simd', 'wasm-simd', 'wasm-scalar', 'js'];
/** Rows in the timing batch: the current output pair repeated, as a batch of inference results. */
const BATCH = 64;

/** The logits in use (parsed from the two text boxes: what you see is what is computed). */
let x = new Float32Array(0);
let y = new Float32Array(0);

// ---- input -------------------------------------------------------------------------------------

/** Small seeded PRNG (mulberry32) and a normal sampler, so "Generate" is reproducible. */
function rng(seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** A teacher with a few confident classes, and a student = teacher + noise. */
function generate() {
  const n = Math.max(2, Math.min(200000, Math.floor(Number($('classes').value) || 1000)));
  const noise = Math.max(0, Number($('noise').value) || 0);
  const r = rng(Number($('seed').value) || 0);
  const teacher = Array.from({ length: n }, () => 1.5 * r.normal());
  for (let p = 0; p < Math.min(6, n); p++) teacher[Math.floor(r.uniform() * n)] += 7 - p;
  const student = teacher.map((v) => 0.9 * v + noise * r.normal());
  const text = (a) => a.map((v) => v.toFixed(3)).join(', ');
  $('logitsA').value = text(student);
  $('logitsB').value = text(teacher);
  return readInputs();
}

/** Parses a JSON array (also [[...]] with one row) or numbers separated by commas / whitespace. */
function parseLogits(text, name) {
  const t = text.trim();
  let values;
  if (t.startsWith('[')) {
    try {
      values = JSON.parse(t).flat(Infinity);
    } catch (e) {
      throw new Error(`${name}: not valid JSON (${e.message})`);
    }
  } else {
    values = t.split(/[\s,;]+/).filter(Boolean).map(Number);
  }
  if (values.length < 2) throw new Error(`${name}: need at least 2 logits, got ${values.length}`);
  const bad = values.findIndex((v) => typeof v !== 'number' || Number.isNaN(v));
  if (bad >= 0) throw new Error(`${name}: entry ${bad} is not a number`);
  return Float32Array.from(values);
}

function readInputs() {
  const a = parseLogits($('logitsA').value, 'Model A');
  const b = parseLogits($('logitsB').value, 'Model B');
  if (a.length !== b.length) throw new Error(`the two outputs must have the same number of classes (A has ${a.length}, B has ${b.length})`);
  x = a;
  y = b;
  setStatus(`${x.length} classes per model.`);
}

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

// ---- results -----------------------------------------------------------------------------------

const temperature = () => 2 ** Number($('temperature').value);
const fmt = (v, digits = 4) => (v === 0 ? '0' : Math.abs(v) < 1e-3 ? v.toExponential(digits - 1) : v.toFixed(digits));

/** softmax(logits / T) with klwasm, and the k most probable classes. */
function topK(logits, T, k) {
  const scaled = Float32Array.from(logits, (v) => v / T);
  const p = softmax({ data: scaled, shape: [1, logits.length] }, -1).data;
  const order = Array.from(p.keys()).sort((i, j) => p[j] - p[i] || i - j);
  return order.slice(0, k).map((i) => ({ index: i, p: p[i], logit: logits[i] }));
}

function renderTop(table, rows, other) {
  const shared = new Set(other.map((r) => r.index));
  const max = rows[0]?.p || 1;
  table.innerHTML = '<tr><th>#</th><th>class</th><th class="num">p</th><th style="width:40%"></th><th class="num">logit</th></tr>';
  rows.forEach((r, i) => {
    const tr = table.insertRow();
    tr.dataset.class = String(r.index);
    if (shared.has(r.index)) tr.className = 'shared';
    tr.innerHTML = `<td>${i + 1}</td><td>class ${r.index}</td><td class="num">${fmt(r.p)}</td>
      <td><div class="bar" style="width:${((100 * r.p) / max).toFixed(1)}%"></div></td><td class="num">${r.logit.toFixed(3)}</td>`;
  });
}

/** KL against temperature (0.25 … 8, log scale) with the current T marked. */
function renderCurve(T) {
  const svg = $('curve');
  const W = 520, H = 150, L = 46, B = 22, pts = [];
  for (let v = -2; v <= 3.0001; v += 0.1) {
    const t = 2 ** v;
    pts.push([v, klDivLogits({ data: x, shape: [1, x.length] }, { data: y, shape: [1, y.length] }, { temperature: t }).item()]);
  }
  const maxKl = Math.max(...pts.map((p) => p[1])) || 1;
  const px = (v) => L + ((v + 2) / 5) * (W - L - 8);
  const py = (kl) => H - B - (kl / maxKl) * (H - B - 10);
  const line = pts.map(([v, kl]) => `${px(v).toFixed(1)},${py(kl).toFixed(1)}`).join(' ');
  const cur = klDivLogits({ data: x, shape: [1, x.length] }, { data: y, shape: [1, y.length] }, { temperature: T }).item();
  const ticks = [-2, -1, 0, 1, 2, 3]
    .map((v) => `<line x1="${px(v)}" x2="${px(v)}" y1="${H - B}" y2="${H - B + 4}" stroke="#999"/><text x="${px(v)}" y="${H - 6}" font-size="10" text-anchor="middle" fill="#5d6778">${2 ** v}</text>`)
    .join('');
  svg.innerHTML = `
    <line x1="${L}" x2="${W - 8}" y1="${H - B}" y2="${H - B}" stroke="#999"/>
    <line x1="${L}" x2="${L}" y1="8" y2="${H - B}" stroke="#999"/>
    ${ticks}
    <text x="${L - 4}" y="14" font-size="10" text-anchor="end" fill="#5d6778">${fmt(maxKl, 3)}</text>
    <text x="${L - 4}" y="${H - B}" font-size="10" text-anchor="end" fill="#5d6778">0</text>
    <text x="${W - 8}" y="${H - B - 6}" font-size="10" text-anchor="end" fill="#5d6778">T</text>
    <polyline points="${line}" fill="none" stroke="#2f6fdf" stroke-width="2"/>
    <circle cx="${px(Math.log2(T))}" cy="${py(cur)}" r="5" fill="#d9822b"/>`;
}

/** Everything that depends on T and k (fast: runs on every slider move, on the active backend). */
function update() {
  const T = temperature();
  $('tval').textContent = T.toFixed(2);
  const k = Math.max(1, Math.min(25, Math.floor(Number($('k').value) || 5), x.length));
  const topA = topK(x, T, k);
  const topB = topK(y, T, k);
  renderTop($('topA'), topA, topB);
  renderTop($('topB'), topB, topA);
  const kl = klDivLogits({ data: x, shape: [1, x.length] }, { data: y, shape: [1, y.length] }, { temperature: T }).item();
  const reverse = klDivLogits({ data: y, shape: [1, y.length] }, { data: x, shape: [1, x.length] }, { temperature: T }).item();
  $('kl').textContent = fmt(kl, 6);
  $('kl').dataset.value = String(kl);
  $('klnote').textContent =
    `T = ${T.toFixed(2)}; reverse KL(A ‖ B)·T² = ${fmt(reverse, 5)}. ` +
    (topA[0].index === topB[0].index ? 'Both models agree on the top class.' : `Top classes differ (${topA[0].index} vs ${topB[0].index}).`);
  renderCurve(T);
}

// ---- timing ------------------------------------------------------------------------------------

/**
 * Mean milliseconds per call over at least `minMs` of calls, after `warmMs` of warm-up calls (the
 * engine compiles WASM with a fast baseline compiler first and optimises hot functions a little
 * later; without the warm-up the first backend measured pays for that).
 */
function bench(fn, minMs = 60, warmMs = 25) {
  const w0 = performance.now();
  do fn();
  while (performance.now() - w0 < warmMs);
  let reps = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    fn();
    reps++;
    elapsed = performance.now() - t0;
  } while (elapsed < minMs && reps < 100000);
  return elapsed / reps;
}

function tile(row) {
  const out = new Float32Array(row.length * BATCH);
  for (let r = 0; r < BATCH; r++) out.set(row, r * row.length);
  return { data: out, shape: [BATCH, row.length] };
}

const ms = (v) => (v === 0 ? '–' : v >= 1 ? `${v.toFixed(2)} ms` : `${(v * 1000).toFixed(v >= 0.01 ? 0 : 1)} µs`);

async function runTimings() {
  const body = $('times').tBodies[0];
  body.innerHTML = '';
  $('timingShape').textContent = `(batch [${BATCH}, ${x.length}])`;
  const X = tile(x);
  const Y = tile(y);
  const T = temperature();
  const results = [];
  // init is idempotent (an init that matches the active backend is kept), so start from js to
  // time every WASM backend's real load (compile, instantiate, memory).
  await init({ backend: 'js' });
  for (const name of BACKENDS) {
    const tr = body.insertRow();
    tr.dataset.backend = name;
    const t0 = performance.now();
    try {
      await init({ backend: name });
    } catch (e) {
      tr.innerHTML = `<td>${name}</td><td colspan="4" class="muted">not available here: ${e.message}</td>`;
      continue;
    }
    const initMs = performance.now() - t0;
    const softmaxMs = bench(() => softmax(X, -1));
    const klMs = bench(() => klDivLogits(X, Y, { temperature: T }));
    const kl = klDivLogits(X, Y, { temperature: T }).item();
    results.push({ tr, klMs, softmaxMs });
    Object.assign(tr.dataset, { init: initMs, softmax: softmaxMs, kl: klMs, value: kl });
    tr.innerHTML = `<td>${name}</td><td class="num">${ms(initMs)}</td><td class="num">${ms(softmaxMs)}</td>
      <td class="num">${ms(klMs)}</td><td class="num">${fmt(kl, 6)}</td>`;
    await new Promise((r) => setTimeout(r, 0)); // let the row paint
  }
  for (const [col, key] of [[2, 'softmaxMs'], [3, 'klMs']]) {
    const best = results.reduce((a, b) => (b[key] < a[key] ? b : a), results[0]);
    best?.tr.cells[col].classList.add('best');
  }
  // Back to the best backend for the interactive part.
  await init();
}

// ---- wiring ------------------------------------------------------------------------------------

async function refresh(fromInputs) {
  try {
    fromInputs();
  } catch (e) {
    setStatus(e.message, true);
    return;
  }
  document.body.dataset.ready = 'false';
  update();
  await runTimings();
  update();
  document.body.dataset.ready = 'true';
}

async function main() {
  const picked = await init();
  $('engine').textContent =
    picked === 'wasm-relaxed-simd'
      ? 'This browser runs WebAssembly relaxed SIMD (fused multiply-add): init() picked wasm-relaxed-simd.'
      : picked === 'wasm-simd'
        ? 'This browser runs WebAssembly SIMD without relaxed SIMD: init() picked wasm-simd.'
        : picked === 'wasm-scalar'
          ? 'No WebAssembly SIMD here: init() fell back to wasm-scalar.'
          : 'No WebAssembly here (or the page CSP lacks wasm-unsafe-eval): init() fell back to js.';
  $('engine').dataset.backend = backend();
  $('generate').addEventListener('click', () => refresh(generate));
  $('apply').addEventListener('click', () => refresh(readInputs));
  $('rerun').addEventListener('click', () => refresh(() => {}));
  $('temperature').addEventListener('input', update);
  $('k').addEventListener('input', update);
  await refresh(generate);
}

main().catch((e) => setStatus(`klwasm failed to start: ${e.message}`, true));
