import type { Dataset } from '../data/dataset.js';
import { DATASET_NAMES, DATASET_SIZES, loadDataset, type DatasetName } from '../data/load_dataset.js';
import { standardizeChannels, type ChannelStatistics } from '../data/normalize.js';
import type { ModelManifest } from '../io/model_file.js';
import type { Sequential } from '../model/sequential.js';
import { UsageError, type CommandIo } from './command.js';
import { inputFile, inputFolder, oneOf } from './flags.js';

/** The flags of every command that reads a saved model and scores it on a test split. */
export const SAVED_MODEL_FLAGS = {
  model: { ...inputFile('a model file saved by slimtrain train --save'), required: true },
  dataset: oneOf(DATASET_NAMES),
  data: inputFolder(),
};

/**
 * The test split a saved model is scored on: `--dataset` or the dataset it was trained on (its
 * manifest says), standardised with the training statistics it was saved with, checked to fit
 * the model's input. `testLimit` (from the flag it names, if any) is checked against the split's size
 * before the data loads, and against what loaded.
 */
export async function testSetForModel(
  model: Sequential, manifest: ModelManifest, flags: { dataset?: DatasetName; data?: string }, io: CommandIo, testLimit?: { value: number; flag?: string },
): Promise<{ dataset: DatasetName; test: Dataset }> {
  const trainedOn = manifest.metadata.dataset as string | undefined;
  const dataset = flags.dataset ?? (DATASET_NAMES.includes(trainedOn as DatasetName) ? (trainedOn as DatasetName) : 'mnist');
  const tooMany = (available: number) => {
    if (testLimit?.flag && testLimit.value > available) throw new UsageError(`--${testLimit.flag} = "${testLimit.value}": expected at most the ${available} test samples of ${dataset}`);
  };
  tooMany(DATASET_SIZES[dataset].test);
  const { test } = await loadDataset(dataset, { dir: flags.data ?? io.env.SLIMTRAIN_DATA, limit: 1, testLimit: testLimit?.value });
  tooMany(test.y.length);
  if (test.x.length / test.y.length !== model.inputSize) {
    throw new UsageError(`--dataset = "${dataset}": its samples have ${test.x.length / test.y.length} values but the model takes ${model.inputSize} ([${model.inputShape}])`);
  }
  const standardization = manifest.metadata.standardization as ChannelStatistics | undefined;
  if (standardization) standardizeChannels(test, standardization);
  return { dataset, test };
}
