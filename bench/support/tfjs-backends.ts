// TensorFlow.js in the bench's own process: the wasm backend and the plain-JS cpu backend. The wasm
// backend gets the most threads --threads asks slimtrain for (setThreadsCount, before it starts);
// tfjs-backend-wasm 4.x runs one thread under Node whatever it is asked (its
// WASM_HAS_MULTITHREAD_SUPPORT flag is false when IS_NODE), so the bench reads back what it got.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export type TfjsBackendName = 'wasm' | 'cpu';

/** What the wasm backend runs, for the report header. */
export interface TfjsSetup {
  version: string;
  wasmSimd: boolean;
  /** Threads the wasm backend runs (getThreadsCount() once it started). */
  wasmThreads: number;
  /** Threads it was asked for (setThreadsCount before it started). */
  wasmThreadsRequested: number;
  /** tfjs-backend-wasm's WASM_HAS_MULTITHREAD_SUPPORT: whether it loads its threaded build here. */
  wasmMultithreadSupport: boolean;
  /** Why the wasm backend runs fewer threads than asked; null when it runs them all. */
  wasmThreadsNote: string | null;
}

/**
 * Registers both backends and initialises the wasm one with `wasmThreads` threads (its thread
 * count is fixed once it starts).
 */
export async function setUpTfjs(wasmThreads = 1): Promise<TfjsSetup> {
  // PROD silences the "install tfjs-node" banner and skips debug-only checks; the ops are unchanged.
  tf.env().set('PROD', true);
  setThreadsCount(wasmThreads);
  await useTfjsBackend('wasm');
  await useTfjsBackend('cpu');
  await useTfjsBackend('wasm');
  const wasmSimd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const wasmMultithreadSupport = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
  const actual = getThreadsCount();
  let wasmThreadsNote: string | null = null;
  if (actual < wasmThreads) {
    const why = wasmMultithreadSupport
      ? 'its threaded build started with fewer threads'
      : `tfjs-backend-wasm ${tf.version_core} does not load its threaded build here (WASM_HAS_MULTITHREAD_SUPPORT is false${tf.env().get('IS_NODE') ? ': it is turned off under Node, tfjs issue #3830' : ''})`;
    wasmThreadsNote = `tfjs wasm: setThreadsCount(${wasmThreads}) gives ${actual} thread${actual === 1 ? '' : 's'}: ${why}; its figures are from its best setting here, ${actual} thread${actual === 1 ? '' : 's'}`;
  }
  return { version: tf.version_core, wasmSimd, wasmThreads: actual, wasmThreadsRequested: wasmThreads, wasmMultithreadSupport, wasmThreadsNote };
}

/** Makes `name` the active backend. Tensors are created after switching, so none is moved while timed. */
export async function useTfjsBackend(name: TfjsBackendName): Promise<void> {
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`TensorFlow.js could not switch to its ${name} backend`);
}

/**
 * Runs `op`, forces completion with dataSync and disposes the result: one timed call of an op.
 * Intermediates are freed by tidy.
 */
export function runTfjsOp(op: () => tf.Tensor): void {
  const out = tf.tidy(op);
  out.dataSync();
  out.dispose();
}

/** The values `op` computes, copied out of TensorFlow.js. */
export function tfjsOpValues(op: () => tf.Tensor): Float32Array {
  const out = tf.tidy(op);
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return Float32Array.from(values);
}
