import type { Engine } from '../backend/engine.js';
import { SlimtrainError } from '../errors.js';
import type { Sequential } from '../model/sequential.js';
import { encodeModel, modelFromBytes, type ModelManifest } from './model_file.js';

type Fs = typeof import('node:fs');

/**
 * node:fs, reached without an import so that bundles stay browser-safe.
 * @internal (its type names node:fs: stripped from the declarations, which must not need @types/node)
 */
export function nodeFs(what: string): Fs {
  const get = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule;
  if (!get) throw new SlimtrainError(`${what} works on files, which needs Node >= 20.16; in a browser use the functions on bytes (encodeModel / decodeModel, exportTfjsModel / importTfjsModel)`);
  return get('node:fs') as Fs;
}

/**
 * Writes bytes to `path` so that a crash never leaves a torn file: a temporary file beside it is
 * written and fsynced, then renamed over the target (atomic on POSIX), then the folder is fsynced.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const fs = nodeFs('writeFileAtomic');
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, path);
  const slash = path.lastIndexOf('/');
  try {
    const dir = fs.openSync(slash > 0 ? path.slice(0, slash) : '.', 'r');
    fs.fsyncSync(dir);
    fs.closeSync(dir);
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is still atomic.
  }
}

/**
 * Saves a model to a file, atomically. Node only.
 *
 * @example
 * saveModelFile(model, 'mnist.slim', { dataset: 'mnist', testAccuracy: 0.98 });
 */
export function saveModelFile(model: Sequential, path: string, metadata: Record<string, unknown> = {}): void {
  writeFileAtomic(path, encodeModel(model, metadata));
}

/** Loads a model file on an engine. Node only. */
export function loadModelFile(engine: Engine, path: string): { model: Sequential; manifest: ModelManifest } {
  const fs = nodeFs('loadModelFile');
  if (!fs.existsSync(path)) throw new SlimtrainError(`model file ${path} does not exist`);
  return modelFromBytes(engine, new Uint8Array(fs.readFileSync(path)), path);
}
