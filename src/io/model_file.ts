import type { Engine } from '../backend/engine.js';
import { Sequential, type BuildOptions, type ModelSpec, type NamedWeight } from '../model/sequential.js';
import { optimizerFromSpec } from '../optim/spec.js';
import { decodeCheckpoint, restoreCheckpoint, type CheckpointManifest, type FitCursor } from './checkpoint.js';
import { decodeContainer, encodeContainer, ModelFileError, type TensorEntry } from './container.js';

/** A model file: the container (see container.ts) holding a model's spec, metadata and weights. */
export interface ModelManifest {
  format: 'slimtrain-model';
  version: number;
  spec: ModelSpec;
  tensors: TensorEntry[];
  dataBytes: number;
  /** Free-form facts about how the model was made (dataset, epochs, accuracy, ...). */
  metadata: Record<string, unknown>;
}

/**
 * The newest model file format version this package writes; decodeModel refuses newer ones.
 * Version 2 may hold sparse tensors (see src/io/sparse_tensor.ts); a file whose tensors are all
 * dense is still written as version 1, which every slimtrain reads.
 */
export const MODEL_FORMAT_VERSION = 2;


/**
 * Serialises a model's spec and weights (batch-norm statistics included), each tensor in the
 * smaller of its dense and its sparse form (see src/io/sparse_tensor.ts); decoding gives the same
 * weights bit for bit.
 *
 * @example
 * const bytes = encodeModel(model, { dataset: 'mnist' });
 * const copy = decodeModel(bytes); // { manifest, weights }
 */
export function encodeModel(model: Sequential, metadata: Record<string, unknown> = {}): Uint8Array {
  return encodeContainer({ format: 'slimtrain-model', version: 1, spec: model.toSpec(), metadata }, model.getWeights(), { sparse: { version: MODEL_FORMAT_VERSION } });
}

/** Parses and checks a model file: magic, manifest, version, every tensor's bounds and the checksum. */
export function decodeModel(bytes: Uint8Array, source = 'model file'): { manifest: ModelManifest; weights: NamedWeight[] } {
  const { manifest, tensors } = decodeContainer<ModelManifest>(bytes, 'slimtrain-model', MODEL_FORMAT_VERSION, source);
  return { manifest, weights: tensors };
}

/** Rebuilds the model a file describes, with its weights, on the given engine. */
export function modelFromBytes(engine: Engine, bytes: Uint8Array, source = 'model file', options: BuildOptions = {}): { model: Sequential; manifest: ModelManifest } {
  const { manifest, weights } = decodeModel(bytes, source);
  let model: Sequential;
  try {
    model = Sequential.build(engine, manifest.spec, options);
  } catch (e) {
    throw new ModelFileError(`${source}: its model spec does not build: ${(e as Error).message}`);
  }
  try {
    model.setWeights(weights);
  } catch (e) {
    model.dispose();
    throw new ModelFileError(`${source}: its weights do not fit its model: ${(e as Error).message}`);
  }
  return { model, manifest };
}

/** Builds and compiles the model a checkpoint holds (with its optimizer chain) and restores its state. */
export function modelFromCheckpoint(engine: Engine, bytes: Uint8Array, source = 'checkpoint'): { model: Sequential; cursor: FitCursor | null; manifest: CheckpointManifest } {
  const { manifest } = decodeCheckpoint(bytes, source);
  if (!manifest.optimizer) throw new ModelFileError(`${source}: its optimizer chain has no JSON form (a transform holding arrays): build and compile the model yourself, then restoreCheckpoint`);
  let model: Sequential;
  try {
    model = Sequential.build(engine, manifest.spec);
    model.compile({ optimizer: optimizerFromSpec(manifest.optimizer as never), loss: manifest.loss });
  } catch (e) {
    throw new ModelFileError(`${source}: its model or optimizer does not build: ${(e as Error).message}`);
  }
  try {
    const { cursor } = restoreCheckpoint(model, bytes, source);
    return { model, cursor, manifest };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
