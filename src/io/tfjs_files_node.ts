import type { Engine } from '../backend/engine.js';
import { SlimtrainError } from '../errors.js';
import type { Sequential } from '../model/sequential.js';
import { nodeFs, readFileBytes, writeFileAtomic } from './model_files_node.js';
import { exportTfjsModel, importTfjsModel } from './tfjs.js';

/**
 * Writes a model in TensorFlow.js's layers format: DIR/model.json and DIR/weights.bin, each
 * atomically (weights first, so a model.json on disk always has its weights). Node only.
 *
 * @example
 * saveTfjsModelFiles(model, 'web-model');   // then tf.loadLayersModel('web-model/model.json')
 */
export function saveTfjsModelFiles(model: Sequential, dir: string): void {
  const fs = nodeFs('saveTfjsModelFiles');
  fs.mkdirSync(dir, { recursive: true });
  const { modelJson, weightData } = exportTfjsModel(model, 'weights.bin');
  writeFileAtomic(`${dir}/weights.bin`, weightData);
  writeFileAtomic(`${dir}/model.json`, new TextEncoder().encode(`${JSON.stringify(modelJson, null, 1)}\n`));
}

/** Reads a TensorFlow.js layers model from its model.json path (weight files beside it). Node only. */
export function loadTfjsModelFiles(engine: Engine, modelJsonPath: string): { model: Sequential; notes: string[] } {
  const text = new TextDecoder().decode(readFileBytes(modelJsonPath, modelJsonPath));
  let json: { weightsManifest?: { paths?: string[] }[] };
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SlimtrainError(`${modelJsonPath} is not valid JSON (${(e as Error).message})`);
  }
  const dir = modelJsonPath.includes('/') ? modelJsonPath.slice(0, modelJsonPath.lastIndexOf('/')) : '.';
  const paths = (json.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
  const files = paths.map((p) => {
    return readFileBytes(`${dir}/${p}`, `${modelJsonPath} names the weight file ${p}, which`);
  });
  return importTfjsModel(engine, json, files, modelJsonPath);
}
