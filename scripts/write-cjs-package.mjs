// dist/cjs holds CommonJS output inside a "type": "module" package: mark the folder as CommonJS
// so Node (and bundlers) load its .js files with require semantics.
import { writeFileSync } from 'node:fs';
writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{\n  "type": "commonjs"\n}\n');
