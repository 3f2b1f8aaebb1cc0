#!/usr/bin/env node
// A small static file server for the browser demo and the browser tests (no dependencies).
// Serves files under `root` (and optional extra folders mounted at URL prefixes) on 127.0.0.1,
// with the right Content-Type for .wasm (streaming compilation needs 'application/wasm').
//
//   node scripts/serve.mjs [--port 8080]     # serves the repository; open /examples/browser/
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Starts the server. `mounts` maps URL prefixes ('/bundle/') to folders (longest prefix wins;
 * `root` serves the rest); `headers(pathname)` adds response headers (e.g. a CSP per page).
 * Resolves to { url, requests, close }: `requests` logs every request as { method, path, status }.
 */
export async function startStaticServer({ root, mounts = {}, headers = () => ({}), port = 0, host = '127.0.0.1' } = {}) {
  const table = [...Object.entries(mounts), ['/', root]]
    .filter(([, dir]) => dir !== undefined)
    .map(([prefix, dir]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);
  const requests = [];
  const server = createServer((req, res) => {
    let path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status, body, extra = {}) => {
      requests.push({ method: req.method, path, status });
      res.writeHead(status, { 'Cache-Control': 'no-store', ...headers(path), ...extra });
      res.end(body);
    };
    try {
      path = decodeURIComponent(path);
    } catch {
      return send(400, 'bad request\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    const entry = table.find(([prefix]) => path.startsWith(prefix) || `${path}/` === prefix);
    if (!entry) return send(404, 'not found\n');
    const [prefix, dir] = entry;
    let file = resolve(join(dir, path.slice(prefix.length)));
    if (file !== dir && !file.startsWith(dir + sep)) return send(403, 'forbidden\n');
    let stat;
    try {
      stat = statSync(file);
      if (stat.isDirectory()) {
        if (!path.endsWith('/')) return send(301, '', { Location: `${path}/` });
        file = join(file, 'index.html');
        stat = statSync(file);
      }
    } catch {
      // Browsers ask for /favicon.ico on their own: answer 'no icon' rather than a logged 404.
      if (path === '/favicon.ico') return send(204, '');
      return send(404, 'not found\n');
    }
    requests.push({ method: req.method, path, status: 200 });
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': stat.size,
      'Cache-Control': 'no-store',
      ...headers(path),
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const { port: actual } = server.address();
  return {
    url: `http://${host}:${actual}`,
    requests,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 8080;
  const root = fileURLToPath(new URL('../', import.meta.url));
  const { url } = await startStaticServer({ root, port });
  console.log(`serving ${root} at ${url}/`);
  console.log(`browser demo: ${url}/examples/browser/   (Ctrl-C stops)`);
}
