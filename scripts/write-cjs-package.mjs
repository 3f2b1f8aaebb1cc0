// Post-processing of the CommonJS build:
// - dist/cjs holds CommonJS output inside a "type": "module" package: mark the folder as CommonJS
//   so Node (and bundlers) load its .js files with require semantics;
// - src/pool/workerUrl.ts uses import.meta.url, which CommonJS cannot: replace its compiled form
//   with the __dirname equivalent.
import { writeFileSync } from 'node:fs';
writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{\n  "type": "commonjs"\n}\n');
writeFileSync(
  new URL('../dist/cjs/pool/workerUrl.js', import.meta.url),
  `"use strict";
// CommonJS twin of src/pool/workerUrl.ts (written by scripts/write-cjs-package.mjs).
Object.defineProperty(exports, "__esModule", { value: true });
exports.workerUrl = workerUrl;
const node_url_1 = require("node:url");
const node_path_1 = require("node:path");
function workerUrl() {
    return (0, node_url_1.pathToFileURL)((0, node_path_1.join)(__dirname, "worker.js"));
}
`,
);
