// A small app that imports klwasm like any user would — bundled by esbuild with no configuration
// for the .wasm (the kernels are embedded as base64 in the package), then run in Chromium.
import * as klwasm from 'klwasm';
import { runCasesJson } from './golden-runner.js';

// Content-Security-Policy violations (the CSP tests serve this page under several policies).
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI }));

window.klwasmTest = {
  run: (casesJson, opts) => runCasesJson(klwasm, casesJson, opts),
  violations,
  /** init() and a softmax, reporting the error message if init rejects. */
  async tryInit(opts) {
    try {
      const name = await klwasm.init(opts);
      return { backend: name, softmax: Array.from(klwasm.softmax([1, 2, 3], -1).data) };
    } catch (e) {
      return { error: String(e && e.message) };
    }
  },
};
document.body.dataset.ready = 'true';
