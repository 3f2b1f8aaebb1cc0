/**
 * What the suite measures (workloads, shapes, dtypes) and the two run profiles.
 * One element = one position of the [B, N] input; W1/W2 read two arrays per element.
 */

/** @typedef {'w1'|'w2'|'w3'|'w4'} WorkloadId */
/** @typedef {'float32'|'float64'} Dtype */

export const WORKLOADS = [
  {
    id: 'w1',
    title: "W1 — klDiv(input, target, { reduction: 'sum' }) from log-probs",
    short: 'W1 klDiv sum',
    output: 'scalar',
    describe:
      'input = log_softmax(x), target = softmax(z) with independent logits x, z ~ N(0, 3²), both precomputed (float64, stored in the dtype). ' +
      'Peers that only take probabilities (mathjs, ml-distance) get p = softmax(z), q = softmax(x) and compute Σ p·log(p/q), checked against the matching float64 reference.',
  },
  {
    id: 'w2',
    title: 'W2 — distillation KL from raw logits (klDivLogits vs each peer’s log_softmax → softmax → kl_div chain)',
    short: 'W2 distill',
    output: 'scalar',
    describe:
      'KL(softmax(y) ‖ softmax(x)) summed over rows, T = 1. klwasm calls its fused klDivLogits; every other peer runs the chain a user would write with it (temporaries included). ' +
      'Reference: termwise float64 Σ q·φ(p/q), φ(r) = r·log r − r + 1, with u = log(p/q) from the logits.',
  },
  {
    id: 'w3',
    title: 'W3 — logSoftmax(x, -1)',
    short: 'W3 logSoftmax',
    output: 'matrix',
    describe: 'Output is a new [B, N] array of the input dtype, read back into JS.',
  },
  {
    id: 'w4',
    title: 'W4 — logSumExp(x, -1)',
    short: 'W4 logSumExp',
    output: 'vector',
    describe: 'Output [B].',
  },
];

export const SHAPES = [
  [4, 5],
  [32, 1000],
  [8, 32000],
  [64, 50257],
  [1, 4194304],
];

export const DTYPES = /** @type {const} */ (['float32', 'float64']);

/** A result off by more than this (relative, see reference.mjs) gets no speed. */
export const TOLERANCE = 1e-3;
/** Results above this error (but within TOLERANCE) are flagged ⚠ in the reports. */
export const WARN_ERROR = 1e-5;

/**
 * Data: logits x ~ N(0, logitSd²); W2's teacher y = x + N(0, teacherSd²) (nearly matching);
 * W1's target logits z ~ N(0, logitSd²), independent of x.
 */
export const DATA = { seed: 20261127, logitSd: 3, teacherSd: 0.5 };

export const shapeLabel = (shape) => `[${shape.join(',')}]`;
export const numel = (shape) => shape.reduce((a, b) => a * b, 1);

/**
 * Timing profiles. Per cell (workload × dtype × shape) the peers are measured round-robin for
 * `rounds` rounds (the order rotates each round). Per round each peer gets a tinybench run whose
 * samples batch K calls so one sample lasts ≥ minSampleUs, with ≥ minSamples samples and
 * ≥ roundMs of samples after warmupMs of warm-up; the round's value is the median sample / K, and
 * the cell's value the median of the round values. A call that takes ≥ slowCallMs gets
 * slowSamples plain samples per round in only the first slowRounds rounds, and no warm-up; a call
 * that takes ≥ onceCallMs is timed once in total (marked ¹).
 */
export const PROFILES = {
  full: {
    name: 'full',
    shapes: SHAPES,
    dtypes: DTYPES,
    rounds: 5,
    roundMs: 100,
    warmupMs: 25,
    minSamples: 5,
    minSampleUs: 200,
    slowCallMs: 100,
    slowSamples: 2,
    slowRounds: 3,
    onceCallMs: 1000,
    /** Slow peers are capped by element count; the reason lands in the report. */
    elementCaps: { mathjs: 300_000 },
    out: 'bench/results',
  },
  quick: {
    name: 'quick',
    shapes: [
      [4, 5],
      [32, 1000],
      [8, 32000],
    ],
    dtypes: DTYPES,
    rounds: 1,
    roundMs: 15,
    warmupMs: 5,
    minSamples: 3,
    minSampleUs: 200,
    slowCallMs: 50,
    slowSamples: 1,
    slowRounds: 1,
    onceCallMs: 200,
    elementCaps: { mathjs: 40_000 },
    out: 'bench/results/tmp/quick',
  },
};
