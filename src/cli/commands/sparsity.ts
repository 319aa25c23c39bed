import { init } from '../../backend/engine.js';
import { modelFromBytes } from '../../io/model_file.js';
import { readFileBytes } from '../../io/model_files_node.js';
import { measureSparsity } from '../../sparsity/measure.js';
import type { Command, CommandIo } from '../command.js';
import { inputFile, numberIn, parseFlags } from '../flags.js';
import { sparsityJson } from '../json_output.js';
import { sparsityTable, tensorStorage, tensorStorageTable } from '../sparsity_table.js';

const SPARSITY_FLAGS = {
  model: { ...inputFile('a model file saved by slimtrain train --save'), required: true },
  xi: numberIn({ min: 0 }),
  eps: numberIn({ min: 0 }),
  json: { type: 'boolean' as const },
};

const HELP = `usage: slimtrain sparsity --model FILE [--xi X] [--json]

Prints a saved model's group sparsity per layer: units whose incoming weights have L2 norm below
xi, element sparsity, and the spread of the group norms; and per tensor its density and how the
file stores it (dense, or sparse where that is smaller) with its bytes. Never changes the model.

  --model FILE          a model saved by slimtrain train --save
  --xi X                dead-unit threshold (default: from the gap in the log10 group norms)
  --eps X               element threshold: |w| < eps counts as zero (default 1e-13)
  --json                print one JSON object
`;

export const sparsity: Command = {
  name: 'sparsity',
  summary: "print a saved model's per-layer group sparsity",
  help: HELP,
  flags: SPARSITY_FLAGS,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags(argv, SPARSITY_FLAGS);
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    const options = { ...(v.xi === undefined ? {} : { xi: v.xi }), ...(v.eps === undefined ? {} : { eps: v.eps }) };
    const bytes = readFileBytes(v.model!, `model file ${v.model}`);
    const { model, manifest } = modelFromBytes(await init(), bytes, v.model!);
    const report = measureSparsity(model, options);
    const storage = tensorStorage(manifest, model.getWeights());
    io.out(v.json
      ? `${JSON.stringify({ ...sparsityJson(report), tensors: storage, file_bytes: bytes.length })}\n`
      : `${sparsityTable(report)}\n\n${tensorStorageTable(storage, bytes.length)}\n`);
    model.dispose();
    return 0;
  },
};
