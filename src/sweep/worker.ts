import { mkdirSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { init } from '../backend/engine.js';
import { SlimtrainError } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
import { loadDataset } from '../data/load_dataset.js';
import { standardizeSplits } from '../data/normalize.js';
import { readFileBytes, saveModelFile } from '../io/model_files_node.js';
import { decodeModel } from '../io/model_file.js';
import type { Sequential } from '../model/sequential.js';
import type { SweepConfig, SweepRun } from './config.js';
import { runCheckpointFile, runFileStem } from './run_checkpoint_file.js';
import { executeSweepRun, type RunProgress, type RunStartWeights, type SweepResult, type SweepRunOptions } from './run.js';

/** A run's checkpoint file and how often to write it (see SweepRunOptions.checkpoint), or null for none. */
export type RunCheckpointRequest = { path: string; everySteps: number } | null;

/** The model file a run starts from (its method's start): the source run, its final model's path, and the weightsHash its row records. */
export interface RunStartFile {
  from: string;
  path: string;
  weightsHash: string;
}

/** The files a run reads and writes besides its row: its checkpoint, the folder its final models go to (null: not saved), the model it starts from. */
export interface RunFiles {
  checkpoint: RunCheckpointRequest;
  models: string | null;
  start?: RunStartFile | null;
}

/** Parent -> worker. */
export type SweepRequest =
  | { type: 'run'; config: SweepConfig; run: SweepRun; files: RunFiles }
  /** Stop the current run at its next batch (after its checkpoint); the reply is an 'error' named StopError. */
  | { type: 'stop'; reason: string }
  | { type: 'exit' };
/** Worker -> parent. */
export type SweepReply =
  | { type: 'progress'; id: string; progress: RunProgress }
  | { type: 'note'; id: string; text: string }
  | { type: 'result'; id: string; result: SweepResult }
  | { type: 'error'; id: string; name: string; message: string; stack?: string };

/** Loads (once per process or thread) the data a sweep config names, standardised if it asks. */
export function sweepDataLoader(): (config: SweepConfig) => Promise<{ train: Dataset; test: Dataset }> {
  const cache = new Map<string, Promise<{ train: Dataset; test: Dataset }>>();
  return (config) => {
    const key = JSON.stringify([config.dataset, config.data, config.limit, config.testLimit, config.standardize]);
    let data = cache.get(key);
    if (!data) {
      data = loadDataset(config.dataset, {
        ...(config.data !== undefined ? { dir: config.data } : {}),
        ...(config.limit !== undefined ? { limit: config.limit } : {}),
        ...(config.testLimit !== undefined ? { testLimit: config.testLimit } : {}),
      }).then((d) => {
        if (config.standardize) standardizeSplits(d);
        return d;
      });
      cache.set(key, data);
    }
    return data;
  };
}

/** The run options for a run's files: the checkpoint file as its store, saving its final models, the weights it starts from. */
export function runFileOptions(run: SweepRun, { checkpoint, models, start }: RunFiles): Pick<SweepRunOptions, 'checkpoint' | 'onModels' | 'start'> {
  return {
    ...(start ? { start: readStartWeights(start) } : {}),
    ...(checkpoint ? { checkpoint: { store: runCheckpointFile(checkpoint.path), everySteps: checkpoint.everySteps } } : {}),
    ...(models ? { onModels: (model, reduced, result) => saveRunModels(models, run, model, reduced, result) } : {}),
  };
}

/** Where a run's final model file goes in a sweep's models folder ('/' in the id as ','; `.reduced` for the reduced form). */
export function runModelPath(dir: string, runId: string, reduced = false): string {
  return `${dir}/${runFileStem(runId)}${reduced ? '.reduced' : ''}.slimtrain`;
}

/** The source run's saved final model, as the weights a run starts from. */
function readStartWeights(start: RunStartFile): RunStartWeights {
  const what = `the final model of ${start.from} (${start.path}), which this run starts from,`;
  let bytes: Uint8Array;
  try {
    bytes = readFileBytes(start.path, what);
  } catch (e) {
    throw new SlimtrainError(`${(e as Error).message}: the sweep saves it with saveModels; if it was lost, delete ${start.from}'s row from the results file and run the sweep again to remake it`);
  }
  return { from: start.from, weights: decodeModel(bytes, start.path).weights, weightsHash: start.weightsHash, source: start.path };
}

function saveRunModels(dir: string, run: SweepRun, model: Sequential, reduced: Sequential, result: SweepResult): void {
  mkdirSync(dir, { recursive: true });
  const metadata = { sweepRun: run.id, configHash: result.configHash, weightsHash: result.weightsHash, epochs: result.epochs };
  saveModelFile(model, runModelPath(dir, run.id), { ...metadata, testAccuracy: result.testAccuracy });
  saveModelFile(reduced, runModelPath(dir, run.id, true), { ...metadata, testAccuracy: result.reducedAccuracy });
}

/** A run stopped on request (a signal to the sweep): its checkpoint holds where it stood. */
export class RunStoppedError extends SlimtrainError {
  override name = 'RunStoppedError';
}

/**
 * The body of a sweep worker thread: one engine on `kernelThreads` threads (the pool's share of the
 * cores), data loaded once, runs executed one at a time as the parent sends them; progress is
 * throttled to about 4 messages a second.
 */
export async function sweepWorkerMain(kernelThreads = 1): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('sweepWorkerMain runs inside a worker thread');
  const engine = await init({ threads: kernelThreads });
  const load = sweepDataLoader();
  let stopping: AbortController | null = null;
  port.on('message', async (request: SweepRequest) => {
    if (request.type === 'exit') {
      port.close();
      return;
    }
    if (request.type === 'stop') {
      stopping?.abort(new RunStoppedError(request.reason));
      return;
    }
    const { config, run, files } = request;
    const controller = new AbortController();
    stopping = controller;
    let last = 0;
    try {
      const data = await load(config);
      const result = await executeSweepRun(engine, config, run, data, (progress) => {
        const now = performance.now();
        if (now - last < 250) return;
        last = now;
        port.postMessage({ type: 'progress', id: run.id, progress } satisfies SweepReply);
      }, { ...runFileOptions(run, files), signal: controller.signal, onNote: (text) => port.postMessage({ type: 'note', id: run.id, text } satisfies SweepReply) });
      port.postMessage({ type: 'result', id: run.id, result } satisfies SweepReply);
    } catch (e) {
      const error = e as Error;
      port.postMessage({ type: 'error', id: run.id, name: error.name, message: error.message, stack: error.stack } satisfies SweepReply);
    }
  });
}
