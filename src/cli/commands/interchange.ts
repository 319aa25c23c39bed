import { init } from '../../backend/engine.js';
import { loadModelFile, saveModelFile, writeFileAtomic } from '../../io/model_files_node.js';
import { exportOnnxModel } from '../../io/onnx.js';
import { loadTfjsModelFiles, saveTfjsModelFiles } from '../../io/tfjs_files_node.js';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { choiceFlag, parseFlags } from '../flags.js';

const EXPORT_HELP = `usage: slimtrain export --model FILE --format tfjs|onnx --out PATH

Writes a saved slimtrain model (trained or reduced) in another format:
  --format tfjs   TensorFlow.js layers format: PATH/model.json and PATH/weights.bin
                  (load with tf.loadLayersModel('.../model.json'))
  --format onnx   ONNX, opset 13, to the file PATH (input "input" NHWC, output "logits")
Layers: dense, conv2d, maxPool2d, avgPool2d, flatten, batchNorm, dropout, relu, tanh, sigmoid,
leakyRelu and elu to both (TensorFlow.js: elu with alpha 1 only). Outputs are logits.
`;

const IMPORT_HELP = `usage: slimtrain import --format tfjs --model model.json --out FILE

Reads a TensorFlow.js layers model (a Sequential of Dense, Conv2D, MaxPooling2D, AveragePooling2D,
Flatten, BatchNormalization, Dropout, Activation, ReLU, ELU, LeakyReLU), its weight files beside
model.json, and writes it as a slimtrain model file (a last softmax is dropped: slimtrain models
output logits). Then train, sparsity and reduce work on it.
`;

function required(v: Record<string, string | boolean | undefined>, flag: string, command: string): string {
  if (typeof v[flag] !== 'string' || v[flag] === '') throw new UsageError(`slimtrain ${command}: --${flag} is required`);
  return v[flag] as string;
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a saved model in TensorFlow.js layers format or ONNX',
  help: EXPORT_HELP,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags('export', argv, { model: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } });
    if (v.help) {
      io.out(EXPORT_HELP);
      return 0;
    }
    const path = required(v, 'model', 'export');
    const format = choiceFlag('format', required(v, 'format', 'export'), 'tfjs', ['tfjs', 'onnx'] as const);
    const out = required(v, 'out', 'export');
    const engine = await init();
    const { model } = loadModelFile(engine, path);
    if (format === 'tfjs') {
      saveTfjsModelFiles(model, out);
      io.out(`wrote ${out}/model.json and ${out}/weights.bin (${model.parameterCount} parameters)\n`);
    } else {
      const bytes = exportOnnxModel(model);
      writeFileAtomic(out, bytes);
      io.out(`wrote ${out} (ONNX opset 13, ${bytes.length} bytes, ${model.parameterCount} parameters)\n`);
    }
    model.dispose();
    return 0;
  },
};

export const importCommand: Command = {
  name: 'import',
  summary: 'read a TensorFlow.js layers model into a slimtrain model file',
  help: IMPORT_HELP,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags('import', argv, { model: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } });
    if (v.help) {
      io.out(IMPORT_HELP);
      return 0;
    }
    choiceFlag('format', required(v, 'format', 'import'), 'tfjs', ['tfjs'] as const);
    const path = required(v, 'model', 'import');
    const out = required(v, 'out', 'import');
    const engine = await init();
    const { model, notes } = loadTfjsModelFiles(engine, path);
    for (const note of notes) io.err(`note: ${note}\n`);
    saveModelFile(model, out, { importedFrom: path });
    io.out(`wrote ${out}\n${model.summary()}\n`);
    model.dispose();
    return 0;
  },
};
