import type { Engine } from '../backend/engine.js';
import { ArgumentError } from '../errors.js';
import type { LossName } from '../losses/loss.js';
import type { ModelSpec, NamedWeight, Sequential } from '../model/sequential.js';
import type { LiveCut } from '../reduce/live.js';
import type { EpochLog } from '../train/fit.js';
import { decodeContainer, encodeContainer, ModelFileError, type TensorEntry } from './container.js';

/**
 * Where a fit stood when a checkpoint was taken, so that resuming continues the same run: the
 * epoch and batch to do next, the shuffle order of the current epoch, the generators' states and
 * the partial sums of the epoch's log.
 */
export interface FitCursor {
  /** The epoch and the batch within it that come next. */
  epoch: number;
  batch: number;
  epochs: number;
  batchSize: number;
  /** Training rows (after any validation split). */
  rows: number;
  /** True when `indices` is already this epoch's order (a checkpoint inside an epoch). */
  shuffled: boolean;
  indices: Int32Array;
  shuffleRandom: (number | null)[];
  augmentRandom: (number | null)[];
  lossSum: number;
  /** The part of lossSum that is the regularisers' penalty (absent in older checkpoints). */
  penaltySum?: number;
  correct: number;
  /** The epoch logs so far, so that the resumed fit returns the whole history. */
  history: EpochLog[];
  /** bestSpec: the architecture of bestWeights, when a live reduction has changed the model's since. */
  earlyStopping?: { best: number; sinceBest: number; bestWeights?: NamedWeight[]; bestSpec?: ModelSpec };
  /** The live-reduction cuts so far (absent without any). */
  reductions?: LiveCut[];
}

/** The JSON header of a checkpoint file (encodeCheckpoint): the model, optimizer chain, counters and fit position. */
export interface CheckpointManifest {
  format: 'slimtrain-checkpoint';
  version: number;
  spec: ModelSpec;
  /** The architecture the model was built with, when live reduction has reshaped it since (absent otherwise). */
  reducedFrom?: ModelSpec;
  /** The optimizer chain as JSON (null when a transform has none, e.g. a weightMask given arrays). */
  optimizer: Record<string, unknown> | null;
  /** The chain's parts by name, to check a resume compiles the same chain. */
  chain: string[];
  loss: LossName;
  training: { step: number; dropout: (number | null)[] };
  transformScalars: Record<string, number>[];
  fit: Omit<FitCursor, 'indices' | 'earlyStopping'> & { earlyStopping?: { best: number; sinceBest: number; bestWeights: boolean; bestSpec?: ModelSpec } } | null;
  tensors: TensorEntry[];
  dataBytes: number;
  metadata: Record<string, unknown>;
}

/** The checkpoint format version this package writes; decodeCheckpoint refuses newer ones. */
export const CHECKPOINT_FORMAT_VERSION = 1;

/**
 * Serialises everything a training run needs to continue bit for bit: the model spec and weights,
 * the optimizer chain (its JSON, its state regions such as Adam's moments, and each transform's
 * state such as pruning masks), the step counter (hence the schedule position), the dropout
 * generator and, when given, where the fit stood.
 */
export function encodeCheckpoint(model: Sequential, cursor: FitCursor | null = null, metadata: Record<string, unknown> = {}): Uint8Array {
  const chain = model.optimizer;
  if (!chain) throw new ArgumentError('model', 'an uncompiled model', 'a compiled model: a checkpoint holds the optimizer state too');
  const tensors: NamedWeight[] = [...model.getWeights()];
  for (const region of chain.optimizer.stateRegions()) {
    tensors.push({ name: `optimizer/${region.name}`, shape: [region.size], values: model.engine.arena.f32(region.ptr, region.size).slice() });
  }
  const transformScalars: Record<string, number>[] = [];
  chain.transforms.forEach((t, i) => {
    const scalars: Record<string, number> = {};
    for (const [key, value] of Object.entries(t.saveState?.() ?? {})) {
      if (value instanceof Float32Array) tensors.push({ name: `transform/${i}/${key}`, shape: [value.length], values: value });
      else scalars[key] = value;
    }
    transformScalars.push(scalars);
  });
  let fit: CheckpointManifest['fit'] = null;
  if (cursor) {
    if (cursor.rows >= 2 ** 24) throw new ArgumentError('training rows', cursor.rows, 'fewer than 2^24 for a checkpoint');
    const { indices, earlyStopping, ...rest } = cursor;
    tensors.push({ name: 'fit/indices', shape: [indices.length], values: Float32Array.from(indices) });
    for (const w of earlyStopping?.bestWeights ?? []) tensors.push({ ...w, name: `fit/best/${w.name}` });
    fit = {
      ...rest,
      ...(earlyStopping ? { earlyStopping: { best: earlyStopping.best, sinceBest: earlyStopping.sinceBest, bestWeights: !!earlyStopping.bestWeights, ...(earlyStopping.bestSpec ? { bestSpec: earlyStopping.bestSpec } : {}) } } : {}),
    };
  }
  const training = model.trainingState();
  return encodeContainer(
    {
      format: 'slimtrain-checkpoint',
      version: CHECKPOINT_FORMAT_VERSION,
      spec: model.toSpec(),
      ...(model.reducedFrom ? { reducedFrom: model.reducedFrom } : {}),
      optimizer: chain.toSpec() ?? null,
      chain: [...chain.transforms.map((t) => t.name), chain.optimizer.name],
      loss: model.loss,
      training: { step: training.step, dropout: training.dropout },
      transformScalars,
      fit,
      metadata,
    },
    tensors,
  );
}

/** Parses and checks a checkpoint (the same checks as a model file). */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): { manifest: CheckpointManifest; tensors: NamedWeight[] } {
  return decodeContainer<CheckpointManifest>(bytes, 'slimtrain-checkpoint', CHECKPOINT_FORMAT_VERSION, source);
}

/**
 * Puts a checkpoint's state into a compiled model: weights, optimizer state, transform state,
 * step and dropout generator. The model must have the checkpoint's spec, or be the architecture a
 * live reduction started from (it then takes the checkpoint's reduced architecture), and be
 * compiled with the same chain (same transforms and optimizer, in order). Returns where the fit
 * stood, if recorded.
 */
export function restoreCheckpoint(model: Sequential, bytes: Uint8Array, source = 'checkpoint'): { cursor: FitCursor | null; manifest: CheckpointManifest } {
  const { manifest, tensors } = decodeCheckpoint(bytes, source);
  const chain = model.optimizer;
  if (!chain) throw new ArgumentError('model', 'an uncompiled model', 'a model compiled with the chain the checkpoint was taken with');
  const same = (spec: ModelSpec | undefined) =>
    spec !== undefined && JSON.stringify(model.toSpec().layers) === JSON.stringify(spec.layers) && JSON.stringify(model.toSpec().inputShape) === JSON.stringify(spec.inputShape);
  // A checkpoint taken after live reduction cut this architecture continues on the reduced one.
  const reshape = !same(manifest.spec);
  if (reshape && !same(manifest.reducedFrom)) throw new ModelFileError(`${source}: it holds a different model (its layers or input shape differ from this model's)`);
  const names = [...chain.transforms.map((t) => t.name), chain.optimizer.name];
  if (JSON.stringify(names) !== JSON.stringify(manifest.chain)) {
    throw new ModelFileError(`${source}: it was taken with the chain [${manifest.chain.join(', ')}], this model is compiled with [${names.join(', ')}]`);
  }
  // Every state below comes from the checkpoint, so the reshaped model starts from fresh state.
  if (reshape) model.adoptArchitecture(model.derive({ ...manifest.spec, seed: model.seed }), new Map());
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const take = (name: string, length: number): Float32Array => {
    const t = byName.get(name);
    if (!t || t.values.length !== length) throw new ModelFileError(`${source}: tensor ${name} is missing or has the wrong length (expected ${length})`);
    return t.values;
  };
  model.setWeights(model.getWeights().map((w) => ({ ...w, values: take(w.name, w.values.length) })));
  for (const region of chain.optimizer.stateRegions()) model.engine.arena.f32(region.ptr, region.size).set(take(`optimizer/${region.name}`, region.size));
  chain.transforms.forEach((t, i) => {
    if (!t.loadState) return;
    const state: Record<string, Float32Array | number> = { ...(manifest.transformScalars[i] ?? {}) };
    for (const w of tensors) if (w.name.startsWith(`transform/${i}/`)) state[w.name.slice(`transform/${i}/`.length)] = w.values;
    t.loadState(state);
  });
  model.restoreTrainingState({ step: manifest.training.step, dropout: manifest.training.dropout });
  let cursor: FitCursor | null = null;
  if (manifest.fit) {
    const { earlyStopping, ...rest } = manifest.fit;
    const indices = Int32Array.from(take('fit/indices', rest.rows));
    const bestWeights = earlyStopping?.bestWeights
      ? tensors.filter((t) => t.name.startsWith('fit/best/')).map((t) => ({ ...t, name: t.name.slice('fit/best/'.length) }))
      : undefined;
    const bestSpec = earlyStopping?.bestSpec;
    cursor = {
      ...rest, indices,
      ...(earlyStopping ? { earlyStopping: { best: earlyStopping.best, sinceBest: earlyStopping.sinceBest, ...(bestWeights ? { bestWeights } : {}), ...(bestSpec ? { bestSpec } : {}) } } : {}),
    };
  }
  return { cursor, manifest };
}
