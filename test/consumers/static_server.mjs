// A static file server for the consumer tests' browser pages: 127.0.0.1, a free port, no
// cross-origin isolation headers (the common case: kernels on one thread, silently).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json' };

/** Serves `dir`; resolves to { url, close() }. Requests for missing files get a 404 (and are listed in `misses`). */
export async function serveDirectory(dir) {
  const misses = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      misses.push(path);
      return res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, misses, close: () => new Promise((r) => server.close(r)) };
}
