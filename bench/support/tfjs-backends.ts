// TensorFlow.js in the bench's own process: the wasm backend on one thread (slimtrain's kernels are
// single-threaded, so this compares kernels, not thread counts) and the plain-JS cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export type TfjsBackendName = 'wasm' | 'cpu';

/** What the wasm backend runs, for the report header. */
export interface TfjsSetup {
  version: string;
  wasmSimd: boolean;
  wasmThreads: number;
}

/** Registers both backends and initialises the wasm one with a single thread. */
export async function setUpTfjs(): Promise<TfjsSetup> {
  // PROD silences the "install tfjs-node" banner and skips debug-only checks; the ops are unchanged.
  tf.env().set('PROD', true);
  setThreadsCount(1);
  await useTfjsBackend('wasm');
  await useTfjsBackend('cpu');
  await useTfjsBackend('wasm');
  const wasmSimd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  return { version: tf.version_core, wasmSimd, wasmThreads: getThreadsCount() };
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
