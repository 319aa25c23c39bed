import { UnsupportedError } from '../errors.js';

type NodeProcess = { getBuiltinModule?(id: string): unknown };

/**
 * A Node built-in module reached through `process.getBuiltinModule` rather than an import, so
 * that browser bundles never see a `node:` import. `what` names the caller for the error thrown
 * elsewhere (browsers, Node < 20.16).
 */
export function nodeBuiltin<T>(id: string, what: string): T {
  const get = (globalThis as { process?: NodeProcess }).process?.getBuiltinModule;
  if (!get) throw new UnsupportedError(`${what} reads files, which needs Node >= 20.16; in a browser, fetch the bytes and decode them (decodeIdx, datasetFromIdx, cifar10FromArchive)`);
  return get(id) as T;
}

/** The few file operations the dataset loaders need, in Node. */
export interface NodeFiles {
  isFile(path: string): boolean;
  isDirectory(path: string): boolean;
  read(path: string): Uint8Array;
  /** The file as a stream of chunks, without reading it all into memory first. */
  stream(path: string): Promise<ReadableStream<Uint8Array>>;
}

/** Node's file system behind the NodeFiles interface. */
export function nodeFiles(what: string): NodeFiles {
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs', what);
  const stat = (path: string) => fs.statSync(path, { throwIfNoEntry: false });
  return {
    isFile: (path) => stat(path)?.isFile() ?? false,
    isDirectory: (path) => stat(path)?.isDirectory() ?? false,
    read: (path) => {
      const buffer = fs.readFileSync(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    },
    stream: async (path) => (await fs.openAsBlob(path)).stream() as ReadableStream<Uint8Array>,
  };
}
