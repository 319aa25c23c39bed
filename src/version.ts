// Set by build.mjs (and vitest.config.ts) from package.json's version.
declare const SLIMTRAIN_VERSION: string | undefined;

/**
 * The package's version, as in its package.json (`slimtrain --version` prints it).
 *
 * @example
 * import { VERSION } from 'slimtrain';
 * console.log(`slimtrain ${VERSION}`); // slimtrain 0.1.0
 */
export const VERSION: string = typeof SLIMTRAIN_VERSION === 'string' ? SLIMTRAIN_VERSION : '0.0.0-unbuilt';
