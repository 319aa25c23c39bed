import { init } from '../../backend/engine.js';
import { DATASET_NAMES } from '../../data/load_dataset.js';
import { loadModelFile, saveModelFile } from '../../io/model_files_node.js';
import { reduce as reduceModel } from '../../reduce/reduce.js';
import { reductionReport, reductionTable } from '../../reduce/report.js';
import { reductionJson } from '../json_output.js';
import type { Command, CommandIo } from '../command.js';
import { SAVED_MODEL_FLAGS, testSetForModel } from '../saved_model_data.js';
import { numberIn, outputFile, parseFlags } from '../flags.js';

const REDUCE_FLAGS = {
  ...SAVED_MODEL_FLAGS,
  out: { ...outputFile(), required: true },
  xi: numberIn({ min: 0 }),
  'allow-padding-deviation': { type: 'boolean' as const },
  json: { type: 'boolean' as const },
};

const HELP = `usage: slimtrain reduce --model FILE --out FILE [options]

Removes a saved model's dead units (incoming weights below xi) and unused units (outgoing weights
below xi), folding their constant outputs into the next layer, and writes the smaller model, each
tensor dense or sparse (compressed columns), whichever is smaller.
Prints parameters, nonzeros, FLOPs, file size and latency before and after, and checks on test data that
the predictions are those of the original with the removed groups zeroed.

  --model FILE          a model saved by slimtrain train --save
  --out FILE            where to write the reduced model (atomically)
  --xi X                dead-unit threshold (default: from the gap in the log10 group norms)
  --allow-padding-deviation
                        also remove dead channels feeding a zero-padded convolution
  --dataset D           test data for the check: ${DATASET_NAMES.join(', ')} (default: the model's)
  --data DIR            folder with the dataset files (default $SLIMTRAIN_DATA)
  --json                print one JSON object
`;

export const reduce: Command = {
  name: 'reduce',
  summary: 'remove dead units from a saved model, write the smaller model',
  help: HELP,
  flags: REDUCE_FLAGS,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags(argv, REDUCE_FLAGS);
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    const engine = await init();
    const { model, manifest } = loadModelFile(engine, v.model!);
    const { model: smaller, record } = reduceModel(model, {
      ...(v.xi === undefined ? {} : { xi: v.xi }),
      allowPaddingDeviation: v['allow-padding-deviation'] === true,
    });
    const { test } = await testSetForModel(model, manifest, v, io, { value: 1000 });
    const report = reductionReport(model, smaller, record, test.x);
    saveModelFile(smaller, v.out!, { ...manifest.metadata, reducedFrom: v.model, record });
    io.out(v.json ? `${JSON.stringify({ ...reductionJson(report), out: v.out })}\n` : `${reductionTable(report)}\nwrote ${v.out}\n`);
    smaller.dispose();
    model.dispose();
    return 0;
  },
};
