import type { NamedWeight } from '../model/sequential.js';
import { startRun, withStrength, type SweepConfig, type SweepRun } from './config.js';

/**
 * Fingerprints that let rows from many machines be checked against one config: a run's config
 * hash and its final weights' hash, each the first 16 hex digits (64 bits) of a SHA-256.
 */

const HEX_DIGITS = 16;

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  // WebCrypto: the same in Node (>= 20, also in worker threads) and browsers, no import needed.
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest.subarray(0, HEX_DIGITS / 2), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** JSON with object keys sorted at every level and undefined members dropped: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Everything in a sweep config that can change one run's result, with defaults filled in: the
 * data (dataset, limit, testLimit, standardize, validationSamples, augment), the model (the method's own, if any), the run's effective epochs and the
 * batch size, xi, its method's optimizer / prune / fineTune / iterative options with "$strength"
 * substituted, the strength and the seed, and with `start` the identity of the run it starts from. Left out, because they change no result: the sweep's
 * name and description, the method's name and its other strengths, the other seeds and methods
 * (so a grid can grow without its finished rows going stale), jobs, out, data (a folder path,
 * which differs between machines), checkpointSteps and checkpointDir (resuming is bit-identical),
 * saveModels.
 */
export function sweepRunIdentity(config: SweepConfig, run: SweepRun): Record<string, unknown> {
  const declared = config.methods.find((m) => m.name === run.method);
  if (!declared) throw new Error(`sweepRunIdentity: the config has no method ${JSON.stringify(run.method)}`);
  const method = withStrength(declared, run.strength);
  const source = startRun(config, run);
  return {
    dataset: config.dataset,
    limit: config.limit ?? null,
    testLimit: config.testLimit ?? null,
    standardize: config.standardize ?? false,
    model: method.model ?? config.model,
    // Absent in older configs, and then left out of the JSON: their hashes stay what they were.
    validationSamples: config.validationSamples,
    augment: config.augment,
    epochs: method.epochs ?? config.epochs,
    batchSize: config.batchSize ?? 64,
    xi: config.xi ?? null,
    optimizer: method.optimizer,
    prune: method.prune ?? null,
    fineTune: method.fineTune ?? null,
    iterative: method.iterative ?? null,
    // Absent without live reduction, and then left out of the JSON: older hashes stay what they were.
    liveReduction: method.liveReduction,
    strength: run.strength,
    seed: run.seed,
    // Absent without a start, and then left out of the JSON: older hashes stay what they were.
    start: source ? { run: source.id, identity: sweepRunIdentity(config, source) } : undefined,
  };
}

/**
 * The config hash every row of a sweep carries: a hash of sweepRunIdentity's canonical JSON.
 *
 * @example
 * const hash = await sweepRunHash(config, sweepRuns(config)[0]); // '3f9a0c1d2e4b5a68'
 */
export function sweepRunHash(config: SweepConfig, run: SweepRun): Promise<string> {
  return sha256Hex(new TextEncoder().encode(canonicalJson(sweepRunIdentity(config, run))));
}

/** A hash of weights' float32 bytes, in the model's order: equal hashes mean bit-identical weights. */
export function weightsHash(weights: readonly NamedWeight[]): Promise<string> {
  const total = weights.reduce((n, w) => n + w.values.byteLength, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const w of weights) {
    bytes.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength), at);
    at += w.values.byteLength;
  }
  return sha256Hex(bytes);
}
