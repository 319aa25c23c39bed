import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The shared data folder of developer machines and CI: ../shared/data beside the project root
 * (see its README). A fresh clone does not have it, so tests that need it skip.
 */
export const sharedData = fileURLToPath(new URL('../../../shared/data', import.meta.url)).replace(/\/$/, '');

export function hasSharedFile(path: string): boolean {
  return existsSync(`${sharedData}/${path}`);
}

/** A describe title that says, when the data is absent, that and why the tests skip. */
export function titleFor(what: string, path: string): string {
  return hasSharedFile(path) ? `${what} from ${sharedData}/${path}` : `${what}: SKIPPED, ${sharedData}/${path} is absent (see ../shared/data/README.md)`;
}
