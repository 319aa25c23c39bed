import { readFileSync } from 'node:fs';
import type { ModelSpec } from '../model/sequential.js';
import { UsageError } from './command.js';
import { MODEL_PRESETS, presetSpec, type ModelPreset } from '../model/presets.js';

/** `--model`: a preset name or a JSON model-spec file (`{ inputShape?, layers, seed? }`). */
export function modelSpecFromFlag(value: string, inputShape: number[], classes: number, seed: number): ModelSpec {
  if ((MODEL_PRESETS as readonly string[]).includes(value)) return presetSpec(value as ModelPreset, inputShape, classes, seed);
  if (!value.endsWith('.json')) throw new UsageError(`--model = ${JSON.stringify(value)}: expected one of ${MODEL_PRESETS.join(', ')} or a .json model spec file`);
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (e) {
    throw new UsageError(`--model = ${JSON.stringify(value)}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let spec: ModelSpec;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--model = ${JSON.stringify(value)}: the file is not valid JSON (${(e as Error).message})`);
  }
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.layers)) {
    throw new UsageError(`--model = ${JSON.stringify(value)}: expected a JSON object { inputShape?, layers: [...], seed? }`);
  }
  return { inputShape: spec.inputShape ?? inputShape, layers: spec.layers, seed: spec.seed ?? seed };
}
