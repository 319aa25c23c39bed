import { init } from '../../backend/engine.js';
import { loadModelFile } from '../../io/model_files_node.js';
import { measureSparsity } from '../../sparsity/measure.js';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { numberFlag, parseFlags } from '../flags.js';
import { sparsityJson, sparsityTable } from '../sparsity_table.js';

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
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags('sparsity', argv, { model: { type: 'string' }, xi: { type: 'string' }, eps: { type: 'string' }, json: { type: 'boolean' } });
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    if (typeof v.model !== 'string' || v.model === '') throw new UsageError('slimtrain sparsity: --model FILE is required');
    const options = {
      ...(v.xi === undefined ? {} : { xi: numberFlag('xi', v.xi, 0, { min: 0 }) }),
      ...(v.eps === undefined ? {} : { eps: numberFlag('eps', v.eps, 0, { min: 0 }) }),
    };
    const { model } = loadModelFile(await init(), v.model);
    const report = measureSparsity(model, options);
    io.out(v.json ? `${JSON.stringify(sparsityJson(report))}\n` : `${sparsityTable(report)}\n`);
    model.dispose();
    return 0;
  },
};
