// The trainer's worker script (dist/worker.js for Node worker threads, dist/browser/worker.js for
// Web Workers): it serves TrainerClient requests on the channel to the thread that started it.
import { serveTrainer } from './server.js';

type Port = { postMessage(m: unknown, t?: readonly unknown[]): void; on(event: 'message', h: (m: unknown) => void): void };
const threads = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.('node:worker_threads') as
  | { parentPort: Port | null }
  | undefined;

if (threads?.parentPort) {
  const port = threads.parentPort;
  serveTrainer({ post: (m, t) => port.postMessage(m, t), listen: (h) => port.on('message', h) });
} else {
  const scope = globalThis as unknown as { postMessage(m: unknown, t?: unknown[]): void; addEventListener(type: 'message', h: (e: MessageEvent) => void): void };
  serveTrainer({ post: (m, t) => scope.postMessage(m, t ?? []), listen: (h) => scope.addEventListener('message', (e) => h(e.data)) });
}
