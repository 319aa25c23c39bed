import type { Dataset } from '../data/dataset.js';
import { DATASET_NAMES, loadDataset, type DatasetName } from '../data/load_dataset.js';
import { standardizeChannels, type ChannelStatistics } from '../data/normalize.js';
import type { ModelManifest } from '../io/model_file.js';
import type { Sequential } from '../model/sequential.js';
import { UsageError, type CommandIo } from './command.js';
import { choiceFlag } from './flags.js';

/**
 * The test split a saved model is scored on: `--dataset` or the dataset it was trained on (its
 * manifest says), standardised with the training statistics it was saved with, checked to fit
 * the model's input.
 */
export async function testSetForModel(
  model: Sequential, manifest: ModelManifest, flags: Record<string, string | boolean | undefined>, io: CommandIo, testLimit?: number,
): Promise<{ dataset: DatasetName; test: Dataset }> {
  const trainedOn = manifest.metadata.dataset as string | undefined;
  const fallback = DATASET_NAMES.includes(trainedOn as DatasetName) ? (trainedOn as DatasetName) : 'mnist';
  const dataset = choiceFlag('dataset', flags.dataset, fallback, DATASET_NAMES);
  const { test } = await loadDataset(dataset, { dir: (flags.data as string | undefined) ?? io.env.SLIMTRAIN_DATA, limit: 1, testLimit });
  if (test.x.length / test.y.length !== model.inputSize) {
    throw new UsageError(`--dataset = ${dataset}: its samples have ${test.x.length / test.y.length} values but the model takes ${model.inputSize} ([${model.inputShape}])`);
  }
  const standardization = manifest.metadata.standardization as ChannelStatistics | undefined;
  if (standardization) standardizeChannels(test, standardization);
  return { dataset, test };
}
