import { init } from '../../backend/engine.js';
import { DATASET_NAMES } from '../../data/load_dataset.js';
import { loadModelFile } from '../../io/model_files_node.js';
import type { Command, CommandIo } from '../command.js';
import { SAVED_MODEL_FLAGS, testSetForModel } from '../saved_model_data.js';
import { integerIn, parseFlags } from '../flags.js';

const PREDICT_FLAGS = { ...SAVED_MODEL_FLAGS, count: integerIn(1, 10_000, 'the largest test set; checked again against the dataset'), json: { type: 'boolean' as const } };

const HELP = `usage: slimtrain predict --model FILE [options]

Prints a saved model's predictions (class and probability) for test samples of a dataset.

  --model FILE          a model saved by slimtrain train --save
  --dataset D           ${DATASET_NAMES.join(', ')} (default: the dataset it was trained on, else mnist)
  --data DIR            folder with the dataset files (default $SLIMTRAIN_DATA)
  --count N             how many test samples, from the first (default 10)
  --json                print JSON: one object per sample
`;

export const predict: Command = {
  name: 'predict',
  summary: 'print a saved model’s predictions for test samples',
  help: HELP,
  flags: PREDICT_FLAGS,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags(argv, PREDICT_FLAGS);
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    const count = v.count ?? 10;
    const engine = await init();
    const { model, manifest } = loadModelFile(engine, v.model!);
    const { test } = await testSetForModel(model, manifest, v, io, { flag: 'count', value: count });
    const logits = model.predict(test.x);
    const k = model.outputSize;
    const rows = [];
    for (let i = 0; i < test.y.length; i++) {
      const row = logits.subarray(i * k, (i + 1) * k);
      const max = Math.max(...row);
      const exp = Array.from(row, (z) => Math.exp(z - max));
      const sum = exp.reduce((a, b) => a + b, 0);
      const predicted = exp.indexOf(Math.max(...exp));
      rows.push({ index: i, predicted, probability: exp[predicted] / sum, label: test.y[i] });
    }
    if (v.json) io.out(`${JSON.stringify(rows)}\n`);
    else for (const r of rows) io.out(`#${r.index}: predicted ${r.predicted} (p = ${r.probability.toFixed(3)}), label ${r.label}${r.predicted === r.label ? '' : '  <- wrong'}\n`);
    model.dispose();
    return 0;
  },
};
