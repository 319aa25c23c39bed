import { init } from '../../backend/engine.js';
import { DATASET_NAMES } from '../../data/load_dataset.js';
import { loadModelFile, saveModelFile } from '../../io/model_files_node.js';
import { reduce as reduceModel } from '../../reduce/reduce.js';
import { reductionReport, reductionTable } from '../../reduce/report.js';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { testSetForModel } from '../saved_model_data.js';
import { numberFlag, parseFlags } from '../flags.js';

const HELP = `usage: slimtrain reduce --model FILE --out FILE [options]

Removes a saved model's dead units (incoming weights below xi) and unused units (outgoing weights
below xi), folding their constant outputs into the next layer, and writes the smaller model.
Prints parameters, FLOPs, file size and latency before and after, and checks on test data that
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
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags('reduce', argv, {
      model: { type: 'string' }, out: { type: 'string' }, xi: { type: 'string' }, 'allow-padding-deviation': { type: 'boolean' },
      dataset: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' },
    });
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    if (typeof v.model !== 'string' || v.model === '') throw new UsageError('slimtrain reduce: --model FILE is required');
    if (typeof v.out !== 'string' || v.out === '') throw new UsageError('slimtrain reduce: --out FILE is required');
    const engine = await init();
    const { model, manifest } = loadModelFile(engine, v.model);
    const { model: smaller, record } = reduceModel(model, {
      ...(v.xi === undefined ? {} : { xi: numberFlag('xi', v.xi, 0, { min: 0 }) }),
      allowPaddingDeviation: v['allow-padding-deviation'] === true,
    });
    const { test } = await testSetForModel(model, manifest, v, io, 1000);
    const report = reductionReport(model, smaller, record, test.x);
    saveModelFile(smaller, v.out, { ...manifest.metadata, reducedFrom: v.model, record });
    io.out(v.json ? `${JSON.stringify({ ...report, out: v.out })}\n` : `${reductionTable(report)}\nwrote ${v.out}\n`);
    smaller.dispose();
    model.dispose();
    return 0;
  },
};
