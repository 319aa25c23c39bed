import { nodeFs, writeFileAtomic } from '../io/model_files_node.js';

/**
 * Where one sweep run keeps its latest checkpoint (the format of src/io/checkpoint.ts). The run
 * reads it when it starts and replaces it as it trains; the sweep deletes it once the run's row
 * is recorded.
 */
export interface RunCheckpointStore {
  /** The checkpoint's bytes, or null when there is none. */
  load(): Uint8Array | null;
  /** Replaces the checkpoint, atomically. */
  save(bytes: Uint8Array): void | Promise<void>;
}

/**
 * The checkpoint file of a run: DIR/<id with "/" as ",">.ckpt, e.g. "adam+l2,0.001,seed1.ckpt"
 * (method names cannot hold a comma, so distinct runs get distinct files).
 */
export function runCheckpointPath(dir: string, runId: string): string {
  return `${dir}/${runId.replaceAll('/', ',')}.ckpt`;
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
