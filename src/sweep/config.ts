import { DATASET_NAMES, DATASET_SHAPES, type DatasetName } from '../data/load_dataset.js';
import { checkImageTransforms, type ImageTransforms } from '../data/augment.js';
import type { Shape } from '../layers/layer.js';
import { layerFromSpec } from '../layers/registry.js';
import { presetSpec } from '../model/presets.js';
import { ArgumentError } from '../errors.js';
import { MODEL_PRESETS, type ModelPreset } from '../model/presets.js';
import type { ModelSpec } from '../model/sequential.js';
import type { MagnitudePruneOptions } from '../prune/magnitude.js';
import { optimizerFromSpec, type OptimizerSpec } from '../optim/spec.js';
import type { FineTuneSpec, IterativeSpec } from '../experiment/run_experiment.js';
import { checkSelector } from '../model/param_set.js';
import { knownKeys, nonNegativeInt, nonNegativeNumber, numberIn, oneOf, positiveInt } from '../validate.js';
import { checkLiveReduction, type LiveReductionOptions } from '../reduce/live.js';

/**
 * A sweep: methods x strengths x seeds, each run trained, optionally pruned and fine-tuned,
 * measured and reduced. `"$strength"` anywhere in a method (its optimizer, prune, fineTune or
 * iterative options) stands for the strength.
 *
 * @example
 * {
 *   "name": "mnist-mlp", "dataset": "mnist", "model": "lenet-300-100", "epochs": 3, "seeds": [1],
 *   "methods": [
 *     { "name": "adam+l2", "optimizer": { "type": "adam", "transforms": [{ "type": "l2", "lambda": "$strength" }] },
 *       "strengths": [1e-4, 1e-3] },
 *     { "name": "padam", "optimizer": { "type": "padam", "lambda": "$strength", "p": 0.8 }, "strengths": [1e-3, 3e-3] }
 *   ]
 * }
 */
export interface SweepConfig {
  /** Names the output files: <out>/<name>.jsonl, .md, .svg. */
  name: string;
  dataset: DatasetName;
  /** Data folder (default: SLIMTRAIN_DATA). */
  data?: string;
  limit?: number;
  testLimit?: number;
  /** Per-channel standardisation with the training set's statistics. Default false. */
  standardize?: boolean;
  /** A preset name or a model spec ({ inputShape?, layers }). */
  model: ModelPreset | Omit<ModelSpec, 'seed' | 'inputShape'> & { inputShape?: number[] };
  epochs: number;
  /** Default 64. */
  batchSize?: number;
  /** Default [1]. A method's `seeds`, or a strength's (`{ value, seeds }`), take precedence. */
  seeds?: number[];
  /** Dead-group threshold for reduction. Default: measureSparsity's choice from the gap. */
  xi?: number;
  /**
   * Hold out the last this many training samples as a validation set: every epoch records its
   * validation loss and accuracy (for choosing strengths and epochs without the test set), and
   * the runs train on the rest. Default: none.
   */
  validationSamples?: number;
  methods: SweepMethod[];
  /** Worker threads. Default: one per core. */
  jobs?: number;
  /** Output folder. Default 'sweeps'. */
  out?: string;
  /** Free text for the report's setup section. */
  description?: string;
  /**
   * Each run checkpoints every this many optimizer steps, and at every epoch end (0: only at
   * epoch ends), so an interrupted sweep resumes its unfinished runs where they stood. Default 500.
   */
  checkpointSteps?: number;
  /** Folder of the runs' checkpoints. Default: <out>/<name>.checkpoints. */
  checkpointDir?: string;
  /**
   * Save each finished run's final model (the one scored on the test set) and its reduced form as
   * model files, <out>/<name>.models/<run>.slimtrain and <run>.reduced.slimtrain ('/' in the run id
   * as ','), for inspection and for bench:sparse. Default false. Changes no result.
   */
  saveModels?: boolean;
  /**
   * Augment the training batches of image datasets (imageAugmentation): random rotations (degrees),
   * translations (a fraction of the size), crops with this much zero padding, horizontal flips.
   * Validation and test images are never augmented.
   */
  augment?: ImageTransforms;
}

/** checkpointSteps when the config and the command line give none. */
export const DEFAULT_CHECKPOINT_STEPS = 500;

export interface SweepMethod {
  name: string;
  optimizer: OptimizerSpec;
  /**
   * Values for "$strength". Default [0] (one run, for a method without a placeholder). An entry
   * `{ "value": 3e-5, "seeds": [1, 2, 3] }` gives that strength its own seeds: more seeds at the
   * headline strength than across the rest of the sweep.
   */
  strengths?: (number | SweepStrength)[];
  /** This method's seeds (default: the sweep's); a strength's own seeds take precedence. */
  seeds?: number[];
  /** Epochs for this method (default: the sweep's); 0 with `start` only prunes and fine-tunes the start model. */
  epochs?: number;
  /**
   * Start each run from the final model (trained, pruned, fine-tuned; before reduction) of another
   * method's run at the same seed, instead of the seeded initialisation: a pretrained start, as the
   * DeepHoyer authors' `--pretrained`, or iterative magnitude pruning after one dense training.
   * `strength` picks the source's run (default: the source method's only strength). The source
   * runs first; its model comes from the models folder, so the sweep needs saveModels.
   */
  start?: SweepStart;
  /** This method's model (default: the sweep's), e.g. the same network with another activation. */
  model?: SweepConfig['model'];
  /** After training: magnitude-prune, then fine-tune with the pruned weights masked. */
  prune?: MagnitudePruneOptions;
  /** Fine-tune after the prune; `rounds` repeats prune and fine-tune, `keep: 'best'` keeps the best validation epoch (FineTuneSpec). */
  fineTune?: Omit<FineTuneSpec, 'seed'>;
  /** Train with the iterative prune-while-accuracy-holds loop instead of plain epochs (IterativeSpec). */
  iterative?: IterativeSpec;
  /** Live reduction during training (fit's `reduce` option), e.g. { "everyEpochs": 1 }. */
  liveReduction?: LiveReductionOptions;
}

/** A strength with its own seeds (SweepMethod.strengths). */
export interface SweepStrength {
  value: number;
  seeds: number[];
}

/** Which run's final model a method's runs start from (SweepMethod.start). */
export interface SweepStart {
  method: string;
  strength?: number;
}

/** One run of the grid. */
export interface SweepRun {
  id: string;
  method: string;
  strength: number;
  seed: number;
}

const PLACEHOLDER = '$strength';

/** Replaces every "$strength" in a JSON value. */
export function withStrength<T>(value: T, strength: number): T {
  if (value === PLACEHOLDER) return strength as T;
  if (Array.isArray(value)) return value.map((v) => withStrength(v, strength)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withStrength(v, strength)])) as T;
  }
  return value;
}

function numberList(argument: string, value: unknown, check: (a: string, v: unknown) => number): number[] {
  if (!Array.isArray(value) || value.length === 0) throw new ArgumentError(argument, value, 'a non-empty array of numbers');
  const list = value.map((v, i) => check(`${argument}[${i}]`, v));
  // Each value names runs (method/strength/seed): a repeat would give two runs one id.
  if (new Set(list).size !== list.length) throw new ArgumentError(argument, value, 'distinct numbers (each names runs)');
  return list;
}

// The model's seed rule (Sequential): a fractional seed would name a run the RNG cannot tell apart.
const seedNumber = (a: string, v: unknown): number => {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff) throw new ArgumentError(a, v, 'an integer in [0, 2^32)');
  return v as number;
};

/** A method's strengths, as numbers, checked: numbers or { value, seeds }, each value once. */
function strengthList(argument: string, value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0) throw new ArgumentError(argument, value, 'a non-empty array of strengths (numbers, or { value, seeds })');
  const list: number[] = [];
  value.forEach((v, i) => {
    const at = `${argument}[${i}]`;
    let strength: number;
    if (typeof v === 'number') strength = nonNegativeNumber(at, v);
    else if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ArgumentError(at, v, 'a strength: a number >= 0, or { value, seeds }');
    else {
      knownKeys(at, v, ['value', 'seeds']);
      numberList(`${at}.seeds`, (v as SweepStrength).seeds, seedNumber);
      strength = nonNegativeNumber(`${at}.value`, (v as SweepStrength).value);
    }
    // Each value names runs (method/strength/seed): a repeat would give two runs one id.
    const before = list.indexOf(strength);
    if (before >= 0) throw new ArgumentError(typeof v === 'number' ? at : `${at}.value`, strength, `a strength not listed before (${argument}[${before}] is ${strength}; each names runs)`);
    list.push(strength);
  });
  return list;
}

/** A method's strengths as numbers (the values of its `strengths`; [0] without). */
export function methodStrengths(method: SweepMethod): number[] {
  return (method.strengths ?? [0]).map((s) => (typeof s === 'number' ? s : s.value));
}

/** The seeds a method runs at one of its strengths: the strength's own, else the method's, else the sweep's. */
export function strengthSeeds(config: SweepConfig, method: SweepMethod, strength: number): number[] {
  const own = method.strengths?.find((s): s is SweepStrength => typeof s !== 'number' && s.value === strength);
  return own?.seeds ?? method.seeds ?? config.seeds ?? [1];
}

/** Whether a method runs a strength at other seeds than the sweep's (compared as sets). */
function ownSeeds(config: SweepConfig, method: SweepMethod, strength: number): boolean {
  const sweepSeeds = new Set(config.seeds ?? [1]);
  const seeds = strengthSeeds(config, method, strength);
  return seeds.length !== sweepSeeds.size || seeds.some((s) => !sweepSeeds.has(s));
}

/** A method's strengths for a report, each with its seeds where they are not the sweep's: "1e-5, 3e-5 (seeds 1, 2, 3)". */
export function strengthsText(config: SweepConfig, method: SweepMethod): string {
  return methodStrengths(method)
    .map((strength) => (ownSeeds(config, method, strength) ? `${strength} (seeds ${strengthSeeds(config, method, strength).join(', ')})` : String(strength)))
    .join(', ');
}

/** The sweep's seeds for a report header: "seeds 1, 2" when every run uses them, else "seeds 1 unless a method or strength says otherwise". */
export function seedsText(config: SweepConfig): string {
  const uniform = config.methods.every((m) => methodStrengths(m).every((strength) => !ownSeeds(config, m, strength)));
  return `seeds ${(config.seeds ?? [1]).join(', ')}${uniform ? '' : ' unless a method or strength says otherwise'}`;
}

function checkModel(argument: string, model: unknown): void {
  if (typeof model === 'string') oneOf(argument, model, MODEL_PRESETS);
  else if (model === null || typeof model !== 'object' || !Array.isArray((model as { layers?: unknown }).layers)) {
    throw new ArgumentError(argument, model, `one of ${MODEL_PRESETS.join(', ')} or a model spec { inputShape?, layers }`);
  }
}

/**
 * Walks every model of a config (the sweep's and the methods' own) through the shapes of its
 * dataset's samples, allocating no weights, so that a model that cannot take them fails before
 * any run, naming the field, and not in every run. For configs run on the named dataset (the CLI);
 * code that hands runs other data checks nothing here.
 */
export function checkSweepModels(config: SweepConfig): void {
  checkModelShapes('model', config.model, config.dataset);
  config.methods.forEach((m, i) => {
    if (m.model !== undefined) checkModelShapes(`methods[${i}].model`, m.model, config.dataset);
  });
}

function checkModelShapes(argument: string, model: SweepConfig['model'], dataset: DatasetName): void {
  const { shape, classes } = DATASET_SHAPES[dataset];
  const spec = typeof model === 'string' ? presetSpec(model, shape, classes, 0) : { inputShape: model.inputShape ?? shape, layers: model.layers };
  let input: Shape = spec.inputShape;
  spec.layers.forEach((layer, i) => {
    try {
      input = layerFromSpec(layer, i).build(input);
    } catch (e) {
      if (e instanceof ArgumentError) throw new ArgumentError(`${argument}.layers[${i}] (${layer.type}) input shape, on ${dataset} samples`, e.value, e.expected);
      throw e;
    }
  });
}

/** Checks a parsed sweep config, naming the first bad field; builds each method's optimizer once to check it. */
export function checkSweepConfig(config: unknown): SweepConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new ArgumentError('sweep config', config, 'a JSON object');
  const c = config as SweepConfig;
  knownKeys('sweep config', c, ['name', 'dataset', 'data', 'limit', 'testLimit', 'standardize', 'model', 'epochs', 'batchSize', 'seeds', 'xi', 'methods', 'jobs', 'out', 'description', 'checkpointSteps', 'checkpointDir', 'saveModels', 'validationSamples', 'augment']);
  if (typeof c.name !== 'string' || !/^[\w.-]+$/.test(c.name)) throw new ArgumentError('name', c.name, 'a file-name-safe string (letters, digits, . _ -)');
  oneOf('dataset', c.dataset, DATASET_NAMES);
  if (c.data !== undefined && typeof c.data !== 'string') throw new ArgumentError('data', c.data, 'a folder path');
  if (c.limit !== undefined) positiveInt('limit', c.limit);
  if (c.testLimit !== undefined) positiveInt('testLimit', c.testLimit);
  if (c.standardize !== undefined && typeof c.standardize !== 'boolean') throw new ArgumentError('standardize', c.standardize, 'true or false');
  checkModel('model', c.model);
  if (c.validationSamples !== undefined) positiveInt('validationSamples', c.validationSamples);
  if (c.augment !== undefined) checkImageTransforms('augment', c.augment);
  positiveInt('epochs', c.epochs);
  if (c.batchSize !== undefined) positiveInt('batchSize', c.batchSize);
  if (c.seeds !== undefined) numberList('seeds', c.seeds, seedNumber);
  if (c.xi !== undefined) nonNegativeNumber('xi', c.xi);
  if (c.jobs !== undefined) positiveInt('jobs', c.jobs);
  if (c.out !== undefined && typeof c.out !== 'string') throw new ArgumentError('out', c.out, 'a folder path');
  if (c.checkpointSteps !== undefined) nonNegativeInt('checkpointSteps', c.checkpointSteps);
  if (c.checkpointDir !== undefined && (typeof c.checkpointDir !== 'string' || c.checkpointDir === '')) throw new ArgumentError('checkpointDir', c.checkpointDir, 'a folder path');
  if (c.saveModels !== undefined && typeof c.saveModels !== 'boolean') throw new ArgumentError('saveModels', c.saveModels, 'true or false');
  if (!Array.isArray(c.methods) || c.methods.length === 0) throw new ArgumentError('methods', c.methods, 'a non-empty array of { name, optimizer, strengths? }');
  const names = new Set<string>();
  c.methods.forEach((m, i) => {
    const at = `methods[${i}]`;
    if (m === null || typeof m !== 'object') throw new ArgumentError(at, m, '{ name, optimizer, strengths?, epochs?, prune?, fineTune?, iterative? }');
    knownKeys(at, m, ['name', 'optimizer', 'strengths', 'seeds', 'epochs', 'start', 'model', 'prune', 'fineTune', 'iterative', 'liveReduction']);
    if (m.liveReduction !== undefined) {
      try {
        checkLiveReduction(m.liveReduction);
      } catch (e) {
        if (e instanceof ArgumentError) throw new ArgumentError(`${at}.liveReduction (${e.argument})`, e.value, e.expected);
        throw e;
      }
      if (m.iterative !== undefined) throw new ArgumentError(`${at}.liveReduction`, m.liveReduction, 'no live reduction beside iterative (the loop trains with its own fits)');
    }
    if (m.model !== undefined) checkModel(`${at}.model`, m.model);
    if (typeof m.name !== 'string' || !/^[\w.+-]+$/.test(m.name)) throw new ArgumentError(`${at}.name`, m.name, 'a short name (letters, digits, . _ + -)');
    if (names.has(m.name)) throw new ArgumentError(`${at}.name`, m.name, 'a name no other method has');
    names.add(m.name);
    const strengths = m.strengths === undefined ? [0] : strengthList(`${at}.strengths`, m.strengths);
    if (m.seeds !== undefined) numberList(`${at}.seeds`, m.seeds, seedNumber);
    if (m.epochs !== undefined) {
      if (m.start === undefined) positiveInt(`${at}.epochs`, m.epochs);
      else if (nonNegativeInt(`${at}.epochs`, m.epochs) === 0 && m.iterative !== undefined) {
        throw new ArgumentError(`${at}.epochs`, m.epochs, 'at least 1 for the iterative loop (it prunes as it trains)');
      }
    }
    // Building the optimizer checks every option of every transform, with the first strength.
    try {
      optimizerFromSpec(withStrength(m.optimizer, strengths[0])).dispose();
    } catch (e) {
      if (e instanceof ArgumentError) throw new ArgumentError(`${at}.optimizer (${e.argument})`, e.value, e.expected);
      throw e;
    }
    const prune = withStrength(m.prune, strengths[0]);
    if (prune !== undefined && (prune === null || typeof prune !== 'object')) throw new ArgumentError(`${at}.prune`, m.prune, '{ threshold | stdMultiple | fraction, scope?, selector? }');
    if (m.fineTune !== undefined) {
      if (!m.prune) throw new ArgumentError(`${at}.fineTune`, m.fineTune, 'a prune step to fine-tune after');
      knownKeys(`${at}.fineTune`, m.fineTune, ['epochs', 'optimizer', 'rounds', 'keep']);
      // "$strength" may stand for the rounds (an iterative-pruning sweep): check what each strength makes.
      for (const strength of strengths) {
        const tune = withStrength(m.fineTune, strength);
        positiveInt(`${at}.fineTune.epochs`, tune.epochs);
        if (tune.rounds !== undefined) positiveInt(`${at}.fineTune.rounds`, tune.rounds);
      }
      if (oneOf(`${at}.fineTune.keep`, m.fineTune.keep ?? 'last', ['last', 'best'] as const) === 'best' && c.validationSamples === undefined) {
        throw new ArgumentError(`${at}.fineTune.keep`, m.fineTune.keep, "'last', or validationSamples to choose the best epoch on");
      }
      if (m.fineTune.optimizer) optimizerFromSpec(m.fineTune.optimizer).dispose();
    }
    if (m.iterative !== undefined) {
      if (c.validationSamples !== undefined) throw new ArgumentError(`${at}.iterative`, m.iterative, 'no iterative loop beside validationSamples (the loop holds out its own validationSplit)');
      knownKeys(`${at}.iterative`, m.iterative, ['interval', 'fraction', 'floor', 'patience', 'validationSplit', 'selector', 'warmupEpochs']);
      positiveInt(`${at}.iterative.interval`, m.iterative.interval);
      if (m.iterative.selector !== undefined) checkSelector(`${at}.iterative.selector`, m.iterative.selector);
      if (m.iterative.warmupEpochs !== undefined) {
        const epochs = m.epochs ?? c.epochs;
        if (nonNegativeInt(`${at}.iterative.warmupEpochs`, m.iterative.warmupEpochs) >= epochs) {
          throw new ArgumentError(`${at}.iterative.warmupEpochs`, m.iterative.warmupEpochs, `fewer than the ${epochs} epochs, else the loop never evaluates`);
        }
      }
      numberIn(`${at}.iterative.floor`, m.iterative.floor, 0, 1);
      numberIn(`${at}.iterative.validationSplit`, m.iterative.validationSplit, 0, 1, { openLow: true, openHigh: true });
    }
  });
  c.methods.forEach((m, i) => {
    if (m.start !== undefined) checkStart(`methods[${i}].start`, c, m);
  });
  return c;
}

function modelOf(config: SweepConfig, method: SweepMethod): string {
  return JSON.stringify(method.model ?? config.model);
}

/** A method's start: another method, one of its strengths, the same model, saved models, no cycle. */
function checkStart(at: string, config: SweepConfig, method: SweepMethod): void {
  const start = method.start!;
  if (start === null || typeof start !== 'object' || Array.isArray(start)) throw new ArgumentError(at, start, '{ method, strength? }');
  knownKeys(at, start, ['method', 'strength']);
  const source = config.methods.find((m) => m.name === start.method);
  if (!source) throw new ArgumentError(`${at}.method`, start.method, `the name of another method (${config.methods.map((m) => m.name).join(', ')})`);
  if (source === method) throw new ArgumentError(`${at}.method`, start.method, 'another method than this one');
  const strengths = methodStrengths(source);
  if (start.strength === undefined && strengths.length > 1) {
    throw new ArgumentError(`${at}.strength`, undefined, `one of ${source.name}'s strengths (${strengths.join(', ')}): it has several`);
  }
  if (start.strength !== undefined && !strengths.includes(start.strength)) throw new ArgumentError(`${at}.strength`, start.strength, `one of ${source.name}'s strengths (${strengths.join(', ')})`);
  if (modelOf(config, source) !== modelOf(config, method)) throw new ArgumentError(`${at}.method`, start.method, `a method with this method's model (${source.name} trains another)`);
  if (config.saveModels !== true) throw new ArgumentError('saveModels', config.saveModels, `true: ${method.name} starts from ${source.name}'s saved models`);
  // Each run starts from the source's run at its own seed, so the source must run every seed this method runs.
  const sourceSeeds = strengthSeeds(config, source, start.strength ?? strengths[0]);
  const methodAt = at.slice(0, -'.start'.length);
  methodStrengths(method).forEach((strength, i) => {
    const seeds = strengthSeeds(config, method, strength);
    const missing = seeds.filter((seed) => !sourceSeeds.includes(seed));
    if (missing.length) {
      const own = typeof method.strengths?.[i] === 'object' ? `${methodAt}.strengths[${i}].seeds` : method.seeds ? `${methodAt}.seeds` : 'seeds';
      throw new ArgumentError(own, seeds, `seeds that ${source.name}, the start, also runs (it runs ${sourceSeeds.join(', ')}; not ${missing.join(', ')})`);
    }
  });
  const seen = new Set([method.name]);
  for (let m: SweepMethod | undefined = source; m; m = m.start && config.methods.find((n) => n.name === m!.start!.method)) {
    if (seen.has(m.name)) throw new ArgumentError(`${at}.method`, start.method, `a chain of starts that ends (${[...seen, m.name].join(' -> ')} is a cycle)`);
    seen.add(m.name);
  }
}

/** The run a run starts from (its method's start, at the same seed), or null when it starts from the seeded initialisation. */
export function startRun(config: SweepConfig, run: SweepRun): SweepRun | null {
  const start = config.methods.find((m) => m.name === run.method)?.start;
  if (!start) return null;
  const source = config.methods.find((m) => m.name === start.method)!;
  const strength = start.strength ?? methodStrengths(source)[0];
  return { id: `${source.name}/${strength}/seed${run.seed}`, method: source.name, strength, seed: run.seed };
}

/** The grid, in a stable order: method, then strength, then seed. */
export function sweepRuns(config: SweepConfig): SweepRun[] {
  const runs: SweepRun[] = [];
  for (const m of config.methods) {
    for (const strength of methodStrengths(m)) {
      for (const seed of strengthSeeds(config, m, strength)) runs.push({ id: `${m.name}/${strength}/seed${seed}`, method: m.name, strength, seed });
    }
  }
  return runs;
}
