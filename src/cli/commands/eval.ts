import { init } from '../../backend/engine.js';
import { DATASET_NAMES } from '../../data/load_dataset.js';
import { loadModelFile } from '../../io/model_files_node.js';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { testSetForModel } from '../saved_model_data.js';
import { numberFlag, parseFlags } from '../flags.js';

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
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags('eval', argv, { model: { type: 'string' }, dataset: { type: 'string' }, data: { type: 'string' }, 'test-limit': { type: 'string' }, json: { type: 'boolean' } });
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    if (typeof v.model !== 'string' || v.model === '') throw new UsageError('slimtrain eval: --model FILE is required');
    const engine = await init();
    const { model, manifest } = loadModelFile(engine, v.model);
    const testLimit = v['test-limit'] === undefined ? undefined : numberFlag('test-limit', v['test-limit'], 0, { integer: true, min: 1 });
    const { dataset, test } = await testSetForModel(model, manifest, v, io, testLimit);
    const result = model.evaluate(test.x, test.y);
    if (v.json) io.out(`${JSON.stringify({ test_accuracy: result.accuracy, loss: result.loss, samples: test.y.length, dataset })}\n`);
    else io.out(`${dataset}: test accuracy ${(100 * result.accuracy).toFixed(2)}%, loss ${result.loss.toFixed(4)} on ${test.y.length} samples\n`);
    model.dispose();
    return 0;
  },
};
