import { readFileSync } from 'node:fs';
import type { ModelSpec } from '../model/sequential.js';
import { UsageError } from './command.js';
import { flagValue, inputFile } from './flags.js';
import { MODEL_PRESETS, presetSpec, type ModelPreset } from '../model/presets.js';

/** `--model`, checked: a preset name, or a JSON model-spec file already read and parsed. */
export type ModelChoice = { preset: ModelPreset } | { file: string; spec: { inputShape?: number[]; layers: ModelSpec['layers']; seed?: number } };

/**
 * `--model M` of train: a preset name or a JSON model-spec file (`{ inputShape?, layers, seed? }`),
 * read and parsed at once, so a bad model is refused before any data loads.
 */
export function parseModelFlag(value: string, flag: string): ModelChoice {
  if ((MODEL_PRESETS as readonly string[]).includes(value)) return { preset: value as ModelPreset };
  if (!value.endsWith('.json')) throw new UsageError(`${flagValue(flag, value)}: expected one of ${MODEL_PRESETS.join(', ')} or a .json model spec file`);
  inputFile('a .json model spec file').parse(value, flag);
  let spec: ModelSpec;
  try {
    spec = JSON.parse(readFileSync(value, 'utf8'));
  } catch (e) {
    throw new UsageError(`${flagValue(flag, value)}: the file is not valid JSON (${(e as Error).message})`);
  }
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.layers)) {
    throw new UsageError(`${flagValue(flag, value)}: expected a JSON object { inputShape?, layers: [...], seed? }`);
  }
  return { file: value, spec };
}

/** The model spec `--model` describes, for data of this shape and class count. */
export function modelSpecFor(choice: ModelChoice, inputShape: number[], classes: number, seed: number): ModelSpec {
  if ('preset' in choice) return presetSpec(choice.preset, inputShape, classes, seed);
  return { inputShape: choice.spec.inputShape ?? inputShape, layers: choice.spec.layers, seed: choice.spec.seed ?? seed };
}
