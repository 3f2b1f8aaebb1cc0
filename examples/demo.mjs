// klwasm demo (`npm start`): the user's three examples from the issue that started the project,
// on built-in data, next to what PyTorch 1.13 prints for the same calls.
import {
  backend,
  diagnose,
  init,
  klDiv,
  klDivLogits,
  logSoftmax,
  setWarningHandler,
  softmax,
} from 'klwasm';

const warnings = [];
setWarningHandler((w) => warnings.push(w));
const flushWarnings = () => {
  for (const w of warnings.splice(0)) console.log(`  ⚠ warning (${w.code}): ${w.message}`);
};

/** PyTorch-style repr of a 0-d tensor: tensor(0.0019). */
const torchScalar = (t) => `tensor(${t.item().toFixed(4)})`;
const fmt = (v, digits = 9) => (Number.isFinite(v) ? v.toPrecision(digits) : String(v));
const row = (arr, digits = 8) => `[${Array.from(arr, (v) => fmt(v, digits)).join(', ')}]`;
const heading = (s) => console.log(`\n${'='.repeat(78)}\n${s}\n${'='.repeat(78)}`);

console.log(`klwasm demo — backend: ${await init()}  (KL(p ‖ q) with PyTorch 1.13 semantics)`);

// ---------------------------------------------------------------------------------------------
heading("1. 'sum', 'mean' and 'batchmean' on two 4×5 score matrices");
const x = [
  [0.8, -1.2, 0.3, 2.1, -0.4],
  [-0.6, 1.5, 0.2, -1.1, 0.9],
  [1.2, 0.4, -2.0, 0.7, -0.3],
  [-1.4, -0.2, 1.8, 0.5, 0.1],
];
const y = [
  [1.1, -0.8, 0.1, 1.6, -0.9],
  [-0.2, 1.9, -0.4, -1.3, 0.6],
  [0.9, 0.8, -1.5, 0.2, -0.1],
  [-0.7, -0.6, 1.2, 1.0, 0.3],
];
const logq = logSoftmax(x, -1); // input: log-probabilities of the model
const p = softmax(y, -1); // target: probabilities
const sum = klDiv(logq, p, { reduction: 'sum' });
const mean = klDiv(logq, p, { reduction: 'mean' });
const batchmean = klDiv(logq, p, { reduction: 'batchmean' });
console.log(`klDiv(logSoftmax(x, -1), softmax(y, -1), { reduction: 'sum' })       = ${fmt(sum.item())}`);
console.log(`klDiv(logSoftmax(x, -1), softmax(y, -1), { reduction: 'mean' })      = ${fmt(mean.item())}`);
flushWarnings();
console.log(`klDiv(logSoftmax(x, -1), softmax(y, -1), { reduction: 'batchmean' }) = ${fmt(batchmean.item())}`);
console.log(`  'mean' = sum / 20 elements = ${fmt(sum.item() / 20)}: it also divides by the 5 classes, so it is NOT the KL.`);
console.log(`  'batchmean' = sum / 4 rows = ${fmt(sum.item() / 4)}: the mean KL divergence per row (what you want).`);
console.log(`  (The user saw 3.4165 and 0.1708 with their random matrices: the same ratio, 20.)`);

// ---------------------------------------------------------------------------------------------
heading('2. The seed example: near-identical rows, implicit dim, and negative terms');
const a = [
  [0, 0, 1.1, 2, 0, 10, 0],
  [0, 0, 1, 2, 0, 10, 0],
];
const b = [
  [0, 0, 1.1, 2, 0, 7, 0],
  [0, 0, 1, 2, 0, 10, 0],
];
const logA = logSoftmax(a); // no dim: PyTorch's implicit rule picks dim 1 for 2-d input, and warns
flushWarnings();
const softB = softmax(b, -1);
console.log(`logSoftmax(a)[0] = ${row(logA.toArray()[0])}`);
console.log(`softmax(b, -1) row sums: ${row(softB.toArray().map((r) => r.reduce((s, v) => s + v, 0)), 10)}`);
const torch = { mean: 0.0018913241801783442, sum: 0.026478538289666176, batchmean: 0.013239269144833088 };
const f64 = { mean: 0.0018913119351920168, sum: 0.026478367092688235, batchmean: 0.013239183546344117 };
console.log('reduction   klwasm                 PyTorch 1.13 float32 prints            float64 truth');
for (const reduction of ['mean', 'sum', 'batchmean']) {
  const r = klDiv(logA, softB, { reduction });
  console.log(
    `${reduction.padEnd(10)}  ${torchScalar(r)} ${fmt(r.item()).padEnd(12)}  ${`tensor(${torch[reduction].toFixed(4)}) .item() = ${torch[reduction]}`.padEnd(38)} ${f64[reduction]}`,
  );
}
warnings.length = 0; // the 'mean' warning was shown in example 1
const none = klDiv(logA, softB, { reduction: 'none' });
console.log(`'none' row 0 = ${row(none.toArray()[0])}`);
console.log(`'none' row 1 = ${row(none.toArray()[1])}`);
console.log(`  PyTorch prints row 0 = [0.002689058, 0.002689058, 0.008078372, 0.019869596, 0.002689058, -0.012225665, 0.002689058]`);
console.log(`  klwasm sums in float64, so it matches the float64 truth where PyTorch's float32 sum is ~6e-6 off (relative).`);
console.log(`  Why a term can be negative but the sum cannot: each term is p_i·(log p_i − log q_i); where the`);
console.log(`  model gives class i MORE mass than the target (q_i > p_i) the term is negative. Over a whole row,`);
console.log(`  Σ p·log(p/q) ≥ 0 (Gibbs' inequality) because both rows sum to 1 — the positive terms always win.`);

// ---------------------------------------------------------------------------------------------
heading('3. Why KL comes out negative — and the fused path that cannot');
const scores = [[2.0, -1.0, 0.5, 0.3]];
const probs = softmax([[1.0, 0.2, -0.4, 0.9]], -1);
console.log(`(a) raw scores passed as input, no logSoftmax:   klDiv(scores, p, 'sum')  = ${fmt(klDiv(scores, probs, { reduction: 'sum' }).item())}`);
console.log(`    fix: klDiv(logSoftmax(scores, -1), p, 'sum')                         = ${fmt(klDiv(logSoftmax(scores, -1), probs, { reduction: 'sum' }).item())}`);
const q = softmax(scores, -1);
console.log(`(b) probabilities passed as input:                klDiv(q, p, 'sum')       = ${fmt(klDiv(q, probs, { reduction: 'sum' }).item())}`);
console.log(`    fix: pass log-probabilities: klDiv(logSoftmax(scores, -1), p)  (input = log q, target = p)`);

// (c) identical logits: the float32 chain vs the fused termwise form.
let seed = 20261127;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const N = 16;
const C = 1000;
const logits = new Float32Array(N * C).map(() => 4 * (rand() + rand() + rand() - 1.5));
const L = { data: logits, shape: [N, C] };
const rowSums = softmax(L, -1).toArray().map((r) => r.reduce((s, v) => s + v, 0));
console.log(`(c) rounding: even correctly rounded float32 softmax rows miss 1 (worst |Σp − 1| here`);
console.log(`    ${Math.max(...rowSums.map((s) => Math.abs(s - 1))).toExponential(2)}; PyTorch's float32 rows miss by up to 6e-7), and log q is rounded too,`);
console.log(`    so Σ p·(log p − log q) on identical inputs is rounding noise of either sign:`);
const chain = klDiv(logSoftmax(L, -1), softmax(L, -1), { reduction: 'sum' }).item();
console.log(`    chain on IDENTICAL logits (float32 intermediates): klDiv(logSoftmax(L), softmax(L), 'sum') = ${fmt(chain, 3)}`);
console.log(`    (PyTorch 1.13's float32 chain gives −3.1e-7 on identical [16,1000] logits: a negative "distance".)`);
const fused = klDivLogits(L, L, { reduction: 'sum' }).item();
console.log(`    klDivLogits(L, L, 'sum') = ${fused}  (${Object.is(fused, 0) ? 'exactly +0' : 'NOT zero!'})`);
const L2 = { data: logits.map((v, i) => v + (i % 7 === 0 ? 1e-4 : 0)), shape: [N, C] };
console.log(`    nearly identical logits: klDivLogits = ${fmt(klDivLogits(L2, L, { reduction: 'sum' }).item(), 6)} (≥ 0 always, tiny KL keeps its digits)`);

// ---------------------------------------------------------------------------------------------
heading('4. diagnose(): what the arguments of those negative KLs look like, and the fix');
const indent = (text) => text.split('\n').map((l) => `    ${l}`).join('\n');
console.log(`(a) diagnose(scores, p) — raw scores as input:`);
console.log(indent(diagnose(scores, probs).text));
console.log(`(b) diagnose(q, p) — probabilities as input:`);
console.log(indent(diagnose(q, probs).text));
console.log(`(c) diagnose(p, logSoftmax(scores, -1)) — the arguments swapped:`);
console.log(indent(diagnose(probs, logSoftmax(scores, -1)).text));
try {
  klDiv(q, probs, { reduction: 'sum', validate: true });
} catch (e) {
  console.log(`klDiv(q, p, { validate: true }) throws ${e.name}: ${e.message.split('. Fix:')[0]}…`);
  console.log(`  error.report.fix = '${e.report.fix}'`);
}
const ok = klDiv(logSoftmax(scores, -1), probs, { reduction: 'sum', validate: true }).item();
console.log(`klDiv(logSoftmax(scores, -1), p, { reduction: 'sum', validate: true }) = ${fmt(ok)}  (passes the check)`);

console.log(`\nbackend used: ${backend()}. See README.md for the API; npm test runs the PyTorch golden suite.`);
