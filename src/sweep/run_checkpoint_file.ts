import type { CheckpointStore } from '../experiment/run_experiment.js';
import { nodeFs, writeFileAtomic } from '../io/model_files_node.js';

/** Where one sweep run keeps its latest checkpoint: the sweep deletes it once the run's row is recorded. */
export type RunCheckpointStore = CheckpointStore;

/**
 * The checkpoint file of a run: DIR/<id with "/" as ",">.ckpt, e.g. "adam+l2,0.001,seed1.ckpt"
 * (method names cannot hold a comma, so distinct runs get distinct files).
 */
export function runCheckpointPath(dir: string, runId: string): string {
  return `${dir}/${runFileStem(runId)}.ckpt`;
}

/** A run id as the start of a file name: its '/' as ',' (adam+l2/0.001/seed1 -> adam+l2,0.001,seed1). */
export function runFileStem(runId: string): string {
  return runId.replaceAll('/', ',');
}

/** A RunCheckpointStore on a file, written with writeFileAtomic so a kill never leaves it torn. Node only. */
export function runCheckpointFile(path: string): RunCheckpointStore & { remove(): void } {
  const fs = nodeFs('runCheckpointFile');
  return {
    load: () => (fs.existsSync(path) ? new Uint8Array(fs.readFileSync(path)) : null),
    save: (bytes) => writeFileAtomic(path, bytes),
    remove: () => fs.rmSync(path, { force: true }),
  };
}
