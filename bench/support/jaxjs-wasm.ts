// jax-js (`@jax-js/jax`) on its wasm device in a bench's process: started once, and what the
// report says about it. jax-js's wasm backend runs a pool of Web Workers over a shared memory only
// where a global `Worker` and SharedArrayBuffer both exist; Node has no global Worker, so under
// Node every jax-js kernel runs on the calling thread (one thread), like tfjs-backend-wasm here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDevice, init } from '@jax-js/jax';
import { projectRoot } from './project-root.js';

let started: Promise<void> | null = null;

/**
 * Starts jax-js's wasm device once per process and makes it the default device.
 *
 * @example
 * await startJaxjsWasm(); // np.array(...) now lives on 'wasm'
 */
export async function startJaxjsWasm(): Promise<void> {
  started ??= (async () => {
    const devices = await init('wasm');
    if (!devices.includes('wasm')) throw new Error(`jax-js could not start its wasm device (it started: ${devices.join(', ') || 'none'})`);
    defaultDevice('wasm');
  })();
  return started;
}

/** What the report says about jax-js. */
export interface JaxjsSetup {
  /** The installed @jax-js/jax version (from its package.json). */
  version: string;
  device: 'wasm';
  /** 1 where jax-js cannot start its worker pool (no global Worker, as under Node); null where it can (its pool size is the browser's hardwareConcurrency). */
  threads: number | null;
}

/**
 * Starts the wasm device and describes it.
 *
 * @example
 * const { version, threads } = await setUpJaxjs(); // '0.1.25', 1 under Node
 */
export async function setUpJaxjs(): Promise<JaxjsSetup> {
  await startJaxjsWasm();
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'node_modules', '@jax-js', 'jax', 'package.json'), 'utf8')) as { version: string };
  const pooled = typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined' && typeof SharedArrayBuffer !== 'undefined';
  return { version: pkg.version, device: 'wasm', threads: pooled ? null : 1 };
}

/** The header line about jax-js. */
export function describeJaxjs(setup: JaxjsSetup): string {
  const threads = setup.threads === null ? "its worker pool (threads: the runtime's hardwareConcurrency)" : `${setup.threads} thread (no global Worker here, so its worker pool is off)`;
  return `jax-js ${setup.version} (@jax-js/jax): wasm device, jit-compiled, on ${threads}`;
}
