import { init } from '../../backend/engine.js';
import { loadModelFile } from '../../io/model_files_node.js';
import { measureSparsity } from '../../sparsity/measure.js';
import type { Command, CommandIo } from '../command.js';
import { inputFile, numberIn, parseFlags } from '../flags.js';
import { sparsityJson } from '../json_output.js';
import { sparsityTable } from '../sparsity_table.js';

const SPARSITY_FLAGS = {
  model: { ...inputFile('a model file saved by slimtrain train --save'), required: true },
  xi: numberIn({ min: 0 }),
  eps: numberIn({ min: 0 }),
  json: { type: 'boolean' as const },
};

const HELP = `usage: slimtrain sparsity --model FILE [--xi X] [--json]

Prints a saved model's group sparsity per layer: units whose incoming weights have L2 norm below
xi, element sparsity, and the spread of the group norms. Never changes the model.

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
    const { model } = loadModelFile(await init(), v.model!);
    const report = measureSparsity(model, options);
    io.out(v.json ? `${JSON.stringify(sparsityJson(report))}\n` : `${sparsityTable(report)}\n`);
    model.dispose();
    return 0;
  },
};
