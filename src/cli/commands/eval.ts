import { init } from '../../backend/engine.js';
import { DATASET_NAMES } from '../../data/load_dataset.js';
import { loadModelFile } from '../../io/model_files_node.js';
import type { Command, CommandIo } from '../command.js';
import { SAVED_MODEL_FLAGS, testSetForModel } from '../saved_model_data.js';
import { integerIn, parseFlags } from '../flags.js';

const EVAL_FLAGS = { ...SAVED_MODEL_FLAGS, 'test-limit': integerIn(1, 10_000, 'the largest test set; checked again against the dataset'), json: { type: 'boolean' as const } };

const HELP = `usage: slimtrain eval --model FILE [options]

Scores a saved model on a dataset's test split.

  --model FILE          a model saved by slimtrain train --save
  --dataset D           ${DATASET_NAMES.join(', ')} (default: the dataset it was trained on, else mnist)
  --data DIR            folder with the dataset files (default $SLIMTRAIN_DATA)
  --test-limit N        the first N test samples only
  --json                print one JSON object
`;

export const evaluate: Command = {
  name: 'eval',
  summary: "score a saved model on a dataset's test split",
  help: HELP,
  flags: EVAL_FLAGS,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags(argv, EVAL_FLAGS);
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    const engine = await init();
    const { model, manifest } = loadModelFile(engine, v.model!);
    const { dataset, test } = await testSetForModel(model, manifest, v, io, v['test-limit'] === undefined ? undefined : { flag: 'test-limit', value: v['test-limit'] });
    const result = model.evaluate(test.x, test.y);
    if (v.json) io.out(`${JSON.stringify({ test_accuracy: result.accuracy, loss: result.loss, samples: test.y.length, dataset })}\n`);
    else io.out(`${dataset}: test accuracy ${(100 * result.accuracy).toFixed(2)}%, loss ${result.loss.toFixed(4)} on ${test.y.length} samples\n`);
    model.dispose();
    return 0;
  },
};
