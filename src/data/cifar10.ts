import { ArgumentError } from '../errors.js';
import { knownKeys, positiveInt } from '../validate.js';
import type { Dataset } from './dataset.js';
import { byteStream } from './byte_stream.js';
import { DataFormatError } from './data_format_error.js';
import { gunzipIfCompressed } from './gzip.js';
import { UNIT_SCALE } from './pixel_scale.js';
import { readTar } from './tar.js';

/** The class names, in label order (batches.meta.txt). */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** The files of the binary version, in the order their samples are concatenated. */
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'] as const;
export const CIFAR10_TEST_FILE = 'test_batch.bin';

/** One record: a label byte, then 1024 red, 1024 green and 1024 blue bytes (row-major 32x32). */
const RECORD = 1 + 3 * 1024;
const PIXELS = 32 * 32;
/** Records in every file of the official binary version. */
export const CIFAR10_RECORDS_PER_FILE = 10_000;

export interface Cifar10Options {
  /** Keep only the first `limit` training samples (they come from data_batch_1 first). Default 50,000. */
  limit?: number;
  /** Keep only the first `testLimit` test samples. Default 10,000. */
  testLimit?: number;
}

/**
 * Parses CIFAR-10 binary records (any number of them) into an NHWC dataset: x [n, 32, 32, 3]
 * scaled to [0, 1], y the labels. The length must be a whole number of 3073-byte records.
 *
 * @example
 * const batch = parseCifar10(bytes, 'data_batch_1.bin'); // batch.y.length === 10000
 */
export function parseCifar10(bytes: Uint8Array, source = 'CIFAR-10 data', options: { limit?: number } = {}): Dataset {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
  knownKeys('parseCifar10 options', options, ['limit']);
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new DataFormatError(`${source}: ${bytes.length} bytes: expected a positive whole number of ${RECORD}-byte records (1 label byte + 3 * 1024 pixel bytes)`);
  }
  const records = bytes.length / RECORD;
  const n = Math.min(options.limit === undefined ? records : positiveInt('limit', options.limit), records);
  checkLabels(bytes, records, source);
  const dataset = emptyCifar10(n);
  writeRecords(bytes, dataset, 0, n);
  return dataset;
}

/**
 * CIFAR-10 from its official binary archive `cifar-10-binary.tar.gz` (or the unpacked .tar),
 * streamed: decompressed and untarred in one pass without holding the archive in memory, stopping
 * as soon as the files the limits need have been read. train = data_batch_1..5 (50,000 samples),
 * test = test_batch (10,000). Works in browsers (a File is a Blob).
 *
 * @example
 * const { train, test } = await cifar10FromArchive(fileInput.files[0], { limit: 10000 });
 * train.shape; // [32, 32, 3]
 */
export async function cifar10FromArchive(
  archive: Blob | ReadableStream<Uint8Array> | Uint8Array,
  options: Cifar10Options & { source?: string } = {},
): Promise<{ train: Dataset; test: Dataset }> {
  knownKeys('cifar10FromArchive options', options, ['limit', 'testLimit', 'source']);
  const source = options.source ?? (archive instanceof Blob && 'name' in archive ? String(archive.name) : 'CIFAR-10 archive');
  const stream =
    archive instanceof Uint8Array ? byteStream(archive)
    : archive instanceof Blob ? archive.stream()
    : archive instanceof ReadableStream ? archive
    : null;
  if (!stream) throw new ArgumentError('archive', archive, 'a Blob, a ReadableStream of bytes or a Uint8Array');
  const split = new Cifar10Splits(options);
  const seen: string[] = [];
  for await (const file of readTar(await gunzipIfCompressed(stream as ReadableStream<Uint8Array>, source), {
    source,
    select: (entry) => {
      seen.push(entry.name);
      return split.wants(baseName(entry.name));
    },
  })) {
    split.add(baseName(file.name), file.data, `${source}: ${file.name}`);
    if (split.complete()) break;
  }
  const shown = seen.length > 8 ? `${seen.slice(0, 8).join(', ')}, ...` : seen.join(', ');
  return split.result(`${source} (it holds ${seen.length ? shown : 'no files'})`);
}

/**
 * The train and test splits, filled in from batch files as they arrive, in any order: each file is
 * checked and written straight into its place in the output, then dropped.
 */
export class Cifar10Splits {
  readonly train: Dataset;
  readonly test: Dataset;
  private readonly missing: Set<string>;

  constructor(options: Cifar10Options = {}) {
    const limit = Math.min(options.limit === undefined ? 50_000 : positiveInt('limit', options.limit), 50_000);
    const testLimit = Math.min(options.testLimit === undefined ? 10_000 : positiveInt('testLimit', options.testLimit), 10_000);
    this.train = emptyCifar10(limit);
    this.test = emptyCifar10(testLimit);
    const trainFiles = Math.ceil(limit / CIFAR10_RECORDS_PER_FILE);
    this.missing = new Set([...CIFAR10_TRAIN_FILES.slice(0, trainFiles), CIFAR10_TEST_FILE]);
  }

  /** The file names still needed, in order. */
  get needed(): string[] {
    return [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].filter((f) => this.missing.has(f));
  }

  wants(fileName: string): boolean {
    return this.missing.has(fileName);
  }

  complete(): boolean {
    return this.missing.size === 0;
  }

  /** Checks one batch file (exactly 10,000 records, labels < 10) and writes the samples the limits keep. */
  add(fileName: string, bytes: Uint8Array, source: string): void {
    if (!this.missing.delete(fileName)) return;
    const expected = CIFAR10_RECORDS_PER_FILE * RECORD;
    if (bytes.length !== expected) {
      throw new DataFormatError(
        `${source}: ${bytes.length} bytes: expected ${CIFAR10_RECORDS_PER_FILE} records of ${RECORD} bytes = ${expected}${bytes.length < expected ? ' (truncated?)' : ''}`,
      );
    }
    const isTest = fileName === CIFAR10_TEST_FILE;
    const dataset = isTest ? this.test : this.train;
    const first = isTest ? 0 : (CIFAR10_TRAIN_FILES as readonly string[]).indexOf(fileName) * CIFAR10_RECORDS_PER_FILE;
    checkLabels(bytes, CIFAR10_RECORDS_PER_FILE, source);
    writeRecords(bytes, dataset, first, Math.min(CIFAR10_RECORDS_PER_FILE, dataset.y.length - first));
  }

  /** The datasets, or a DataFormatError naming the files `where` lacks. */
  result(where: string): { train: Dataset; test: Dataset } {
    if (!this.complete()) throw new DataFormatError(`CIFAR-10: ${this.needed.join(', ')} not found in ${where}`);
    return { train: this.train, test: this.test };
  }
}

function emptyCifar10(n: number): Dataset {
  return { x: new Float32Array(n * PIXELS * 3), y: new Uint8Array(n), shape: [32, 32, 3], classes: 10 };
}

function checkLabels(bytes: Uint8Array, records: number, source: string): void {
  for (let r = 0; r < records; r++) {
    const label = bytes[r * RECORD];
    if (label >= 10) throw new DataFormatError(`${source}: record ${r} has label ${label}: expected a class in [0, 10) (not CIFAR-10 binary data?)`);
  }
}

/** Records [0, count) of `bytes` into samples [first, first + count): planar RGB to NHWC, /255. */
function writeRecords(bytes: Uint8Array, dataset: Dataset, first: number, count: number): void {
  const { x, y } = dataset;
  const scale = UNIT_SCALE; // a local: hot loops should not go through a module binding
  for (let r = 0; r < count; r++) {
    const base = r * RECORD;
    y[first + r] = bytes[base];
    const red = base + 1;
    const green = red + PIXELS;
    const blue = green + PIXELS;
    let out = (first + r) * PIXELS * 3;
    for (let p = 0; p < PIXELS; p++) {
      x[out++] = scale[bytes[red + p]];
      x[out++] = scale[bytes[green + p]];
      x[out++] = scale[bytes[blue + p]];
    }
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
