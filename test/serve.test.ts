/** scripts/serve.mjs, the static server of the demo and the browser tests. */
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type StaticServer, startStaticServer } from '../scripts/serve.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
let server: StaticServer;

/** A raw GET (no URL normalisation by the client). */
function get(path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((ok, fail) => {
    const u = new URL(server.url);
    request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers }));
    })
      .on('error', fail)
      .end();
  });
}

beforeAll(async () => {
  server = await startStaticServer({
    root: ROOT,
    mounts: { '/m/': `${ROOT}examples/browser` },
    headers: (p): Record<string, string> => (p.startsWith('/m/') ? { 'Content-Security-Policy': "script-src 'self'" } : {}),
  });
});
afterAll(() => server.close());

it('serves files with their content types (application/wasm for .wasm)', async () => {
  expect((await get('/dist/wasm/klwasm.simd.wasm')).headers['content-type']).toBe('application/wasm');
  expect((await get('/examples/browser/demo.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
  expect((await get('/examples/browser/')).headers['content-type']).toBe('text/html; charset=utf-8');
});

it('mounts folders at prefixes with per-path headers', async () => {
  const r = await get('/m/index.html');
  expect(r.status).toBe(200);
  expect(r.headers['content-security-policy']).toBe("script-src 'self'");
  expect((await get('/README.md')).headers['content-security-policy']).toBeUndefined();
});

it('redirects folders to a trailing slash; 404, 204 favicon, 403 outside the root, 400 bad escapes', async () => {
  const dir = await get('/examples/browser');
  expect([dir.status, dir.headers.location]).toEqual([301, '/examples/browser/']);
  expect((await get('/nope.txt')).status).toBe(404);
  expect((await get('/favicon.ico')).status).toBe(204);
  expect((await get('/..%2f..%2fetc%2fpasswd')).status).toBe(403);
  expect((await get('/m/..%2f..%2fpackage.json')).status).toBe(403);
  expect((await get('/%E0%A4%A')).status).toBe(400);
  expect(server.requests.at(-1)).toEqual({ method: 'GET', path: '/%E0%A4%A', status: 400 });
});
