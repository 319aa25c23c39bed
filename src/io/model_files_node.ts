import type { Engine } from '../backend/engine.js';
import { SlimtrainError } from '../errors.js';
import type { Sequential } from '../model/sequential.js';
import { encodeModel, modelFromBytes, type ModelManifest } from './model_file.js';

type Fs = typeof import('node:fs');

/** node:fs, reached without an import so that bundles stay browser-safe. */
export function nodeFs(what: string): Fs {
  const get = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule;
  if (!get) throw new SlimtrainError(`${what} works on files, which needs Node >= 20.16; in a browser use the functions on bytes (encodeModel / decodeModel, exportTfjsModel / importTfjsModel)`);
  return get('node:fs') as Fs;
}

/**
 * Reads a whole file, or a SlimtrainError saying why not (missing, a folder, unreadable) in the
 * words `what` gives it ('model file m.slim'). Node only.
 */
export function readFileBytes(path: string, what: string): Uint8Array {
  const fs = nodeFs('readFileBytes');
  let stat;
  try {
    stat = fs.statSync(path);
  } catch {
    throw new SlimtrainError(`${what} does not exist`);
  }
  if (stat.isDirectory()) throw new SlimtrainError(`${what} is a folder: expected a file`);
  try {
    return new Uint8Array(fs.readFileSync(path));
  } catch (e) {
    throw new SlimtrainError(`${what} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The temporary files writeFileAtomic makes beside `path`: `NAME.tmp-PID-RANDOM`, RANDOM in base 36. */
function tempPattern(name: string): RegExp {
  return new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)-[0-9a-z]+$`);
}

/** Whether a process with this id is running (signal 0 tests for it; EPERM: it exists, someone else's). */
function processAlive(pid: number): boolean {
  const proc = (globalThis as { process?: { kill(pid: number, signal: number): void } }).process!;
  try {
    proc.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files an interrupted writeFileAtomic of `path` left behind (a crash or
 * SIGKILL between writing and renaming). Only files named exactly `NAME.tmp-PID-RANDOM` beside
 * `path` are candidates, and only those whose PID is neither this process nor a running one (a
 * live process may be writing it right now; a recycled PID keeps its file until the next save
 * after that process ends). Anything else in the folder is never touched. Returns the names removed.
 */
export function removeStaleTempFiles(path: string): string[] {
  const fs = nodeFs('removeStaleTempFiles');
  const slash = path.lastIndexOf('/');
  const dir = slash >= 0 ? path.slice(0, slash) || '/' : '.';
  const pattern = tempPattern(path.slice(slash + 1));
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  const self = (globalThis as { process?: { pid: number } }).process?.pid;
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === self || processAlive(pid)) continue;
    try {
      if (!fs.lstatSync(`${dir}/${name}`).isFile()) continue;
      fs.rmSync(`${dir}/${name}`);
      removed.push(name);
    } catch {
      // Gone already (another process cleaned it) or not ours to remove: leave it.
    }
  }
  return removed;
}

/**
 * Writes bytes to `path` so that a crash never leaves a torn file: a temporary file beside it is
 * written and fsynced, then renamed over the target (atomic on POSIX), then the folder is fsynced.
 * Temporary files of earlier saves to the same path that were interrupted are removed first
 * (removeStaleTempFiles: only our exact name pattern, only of processes that are gone).
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const fs = nodeFs('writeFileAtomic');
  removeStaleTempFiles(path);
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
  return modelFromBytes(engine, readFileBytes(path, `model file ${path}`), path);
}
