/**
 * naive-js: the plain loops a JS developer writes (typed arrays in and out of the input dtype,
 * Math.exp/Math.log, max-subtracted, float64 scalars). W2 is the user chain with temporaries:
 * log_softmax(x) → softmax(y) → kl_div. The baseline every ratio is taken against.
 */

function logSoftmax(x, B, N, Ctor) {
  const out = new Ctor(B * N);
  for (let r = 0; r < B; r++) {
    const o = r * N;
    let m = -Infinity;
    for (let i = 0; i < N; i++) if (x[o + i] > m) m = x[o + i];
    let s = 0;
    for (let i = 0; i < N; i++) s += Math.exp(x[o + i] - m);
    const lse = m + Math.log(s);
    for (let i = 0; i < N; i++) out[o + i] = x[o + i] - lse;
  }
  return out;
}

function softmax(x, B, N, Ctor) {
  const out = new Ctor(B * N);
  for (let r = 0; r < B; r++) {
    const o = r * N;
    let m = -Infinity;
    for (let i = 0; i < N; i++) if (x[o + i] > m) m = x[o + i];
    let s = 0;
    for (let i = 0; i < N; i++) {
      const e = Math.exp(x[o + i] - m);
      out[o + i] = e;
      s += e;
    }
    const inv = 1 / s;
    for (let i = 0; i < N; i++) out[o + i] *= inv;
  }
  return out;
}

function logSumExp(x, B, N, Ctor) {
  const out = new Ctor(B);
  for (let r = 0; r < B; r++) {
    const o = r * N;
    let m = -Infinity;
    for (let i = 0; i < N; i++) if (x[o + i] > m) m = x[o + i];
    let s = 0;
    for (let i = 0; i < N; i++) s += Math.exp(x[o + i] - m);
    out[r] = m + Math.log(s);
  }
  return out;
}

function klDivSum(input, target) {
  let s = 0;
  for (let i = 0; i < input.length; i++) {
    const t = target[i];
    if (t > 0) s += t * (Math.log(t) - input[i]);
  }
  return s;
}

export default {
  id: 'naive-js',
  label: 'naive JS loops',
  method:
    'plain for-loops over typed arrays of the input dtype, Math.exp/Math.log, max-subtracted, float64 scalars; W2 = the user chain with temporaries (logSoftmax(x), softmax(y), then kl_div sum)',
  async init() {
    return { available: true, versions: { node: process.version } };
  },
  supports() {
    return true;
  },
  async setup(workload, ds) {
    const { B, N, x, y, logq, p } = ds;
    const Ctor = ds.dtype === 'float32' ? Float32Array : Float64Array;
    switch (workload) {
      case 'w1':
        return { fn: () => klDivSum(logq, p) };
      case 'w2':
        return { fn: () => klDivSum(logSoftmax(x, B, N, Ctor), softmax(y, B, N, Ctor)) };
      case 'w3':
        return { fn: () => logSoftmax(x, B, N, Ctor) };
      case 'w4':
        return { fn: () => logSumExp(x, B, N, Ctor) };
    }
    throw new Error(`naive-js: no workload ${workload}`);
  },
};
