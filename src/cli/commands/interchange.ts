import { init } from '../../backend/engine.js';
import { loadModelFile, saveModelFile, writeFileAtomic } from '../../io/model_files_node.js';
import { exportOnnxModel } from '../../io/onnx.js';
import { loadTfjsModelFiles, saveTfjsModelFiles } from '../../io/tfjs_files_node.js';
import type { Command, CommandIo } from '../command.js';
import { inputFile, oneOf, outputFile, outputFolder, parseFlags } from '../flags.js';

const EXPORT_HELP = `usage: slimtrain export --model FILE --format tfjs|onnx --out PATH

Writes a saved slimtrain model (trained or reduced) in another format:
  --format tfjs   TensorFlow.js layers format: PATH/model.json and PATH/weights.bin
                  (load with tf.loadLayersModel('.../model.json'))
  --format onnx   ONNX, opset 13, to the file PATH (input "input" NHWC, output "logits")
Layers: dense, conv2d, maxPool2d, avgPool2d, flatten, batchNorm, dropout, relu, tanh, sigmoid,
leakyRelu and elu to both (TensorFlow.js: elu with alpha 1 only). Outputs are logits. Both formats
store every weight dense (zeros included): the sparse storage and kernels are slimtrain's own.
`;

const IMPORT_HELP = `usage: slimtrain import --format tfjs --model model.json --out FILE

Reads a TensorFlow.js layers model (a Sequential of Dense, Conv2D, MaxPooling2D, AveragePooling2D,
Flatten, BatchNormalization, Dropout, Activation, ReLU, ELU, LeakyReLU), its weight files beside
model.json, and writes it as a slimtrain model file (a last softmax is dropped: slimtrain models
output logits). Then train, sparsity and reduce work on it.
`;

const EXPORT_FLAGS = {
  model: { ...inputFile('a model file saved by slimtrain train --save'), required: true },
  format: { ...oneOf(['tfjs', 'onnx'] as const), required: true },
  // A folder for tfjs, a file for onnx: checked as a path that is not in the way; its kind below.
  out: { ...outputFolder(), required: true },
};

const IMPORT_FLAGS = {
  format: { ...oneOf(['tfjs'] as const), required: true },
  model: { ...inputFile('a TensorFlow.js model.json'), required: true },
  out: { ...outputFile(), required: true },
};

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a saved model in TensorFlow.js layers format or ONNX',
  help: EXPORT_HELP,
  flags: EXPORT_FLAGS,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags(argv, EXPORT_FLAGS);
    if (v.help) {
      io.out(EXPORT_HELP);
      return 0;
    }
    const path = v.model!;
    const format = v.format!;
    // tfjs writes into the folder --out; onnx writes the file --out, whose folder must exist.
    const out = format === 'onnx' ? outputFile().parse(v.out!, 'out') : v.out!;
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
  flags: IMPORT_FLAGS,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const v = parseFlags(argv, IMPORT_FLAGS);
    if (v.help) {
      io.out(IMPORT_HELP);
      return 0;
    }
    const path = v.model!;
    const out = v.out!;
    const engine = await init();
    const { model, notes } = loadTfjsModelFiles(engine, path);
    for (const note of notes) io.err(`note: ${note}\n`);
    saveModelFile(model, out, { importedFrom: path });
    io.out(`wrote ${out}\n${model.summary()}\n`);
    model.dispose();
    return 0;
  },
};
