import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../io/model_files_node.js';
import { ArgumentError } from '../../errors.js';
import { checkSweepConfig, checkSweepModels, DEFAULT_CHECKPOINT_STEPS, startRun, sweepRuns, type SweepConfig, type SweepRun } from '../../sweep/config.js';
import { sweepRunHash } from '../../sweep/fingerprint.js';
import { describeMergeProblems, mergeProblemCount, mergeSweepRows } from '../../sweep/merge.js';
import { kernelThreadsPerWorker, runSweepPool } from '../../sweep/pool.js';
import { runModelPath, type RunStartFile } from '../../sweep/worker.js';
import { sweepMarkdown, sweepPoints, sweepSvg } from '../../sweep/report.js';
import { studyMarkdown, studyPoints, studySvg, type StudySweep } from '../../sweep/study.js';
import { renderSweepPage } from '../../report/sweep_page.js';
import { appendSweepResult, readSweepResults, type SweepRow } from '../../sweep/results_file.js';
import { runCheckpointFile, runCheckpointPath } from '../../sweep/run_checkpoint_file.js';
import type { RunProgress, SweepResult } from '../../sweep/run.js';
import { inShard, isShardResultsName, resolveShard, shardResultsName, SHARD_COUNT_VARIABLE, type SweepShard } from '../../sweep/shard.js';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { InterruptedError, SIGNAL_EXIT_CODES, stopOnSignals } from '../interrupt.js';
import { inputFolder, integerIn, numberIn, outputFolder, parseFlags, type FlagConflict } from '../flags.js';
import { MAX_CHECKPOINT_STEPS, MAX_CHECKPOINT_STEPS_WHY, MAX_THREADS, MAX_THREADS_WHY } from '../limits.js';
import { duration } from '../progress.js';
import { removableUnitsSvg, validationCurvesSvg, zeroShareSvg } from '../../sweep/epochs_plot.js';
import { pruningCurvesSvg } from '../../sweep/pruning_plot.js';

const HELP = `usage: slimtrain sweep CONFIG.json [options]
       slimtrain sweep CONFIG.json --merge DIR_OR_FILE... [--partial]
       slimtrain sweep CONFIG.json CONFIG.json... --study NAME [--out DIR]

Runs a grid of methods x strengths x seeds (see SweepConfig in the API docs), one run per worker
thread at a time. Every finished run is appended to OUT/NAME.jsonl; runs already there are
skipped, so an interrupted sweep resumes. Each run also checkpoints into a folder, so an
interrupted run resumes where it stood, bit-identically. At the end it writes OUT/NAME.md (table)
and OUT/NAME.svg (accuracy against nonzero parameters left and against FLOPs after reduction), and
OUT/NAME.html: the same as an interactive page (hover a point for its runs), self-contained.

Sharding over machines: run k of the grid belongs to shard k mod N. A shard appends to
OUT/NAME.shard-I-of-N.jsonl and writes no table; --merge checks and joins the shards' rows.

SIGINT or SIGTERM stops every running run at its next batch, after its checkpoint (exit 130 / 143):
the same command again continues them. A second signal exits at once.

options:
  --jobs N              worker threads (default: the config's jobs, else one per core)
  --kernel-threads N    kernel threads of each run (default: the cores shared out among the
                        worker threads; with --in-process, every core). Any count gives the
                        same bits
  --out DIR             output folder (default: the config's out, else sweeps)
  --data DIR            data folder (default: the config's data, else SLIMTRAIN_DATA)
  --report-only         write the table and plot from the results so far, run nothing
  --in-process          run in this thread, one run after another (no worker threads)
  --shard I/N           run shard I of N, I from 0 to N-1. Without it, a Kubernetes Indexed Job
                        (JOB_COMPLETION_INDEX, and ${SHARD_COUNT_VARIABLE} set by the manifest to the
                        Job's completions) or a Slurm job array (SLURM_ARRAY_TASK_ID - _MIN of
                        SLURM_ARRAY_TASK_COUNT) names the shard; --shard 0/1 runs everything
  --checkpoint-steps N  checkpoint each run every N optimizer steps and at epoch ends; 0: at
                        epoch ends only (default: the config's checkpointSteps, else ${DEFAULT_CHECKPOINT_STEPS})
  --checkpoint-dir DIR  the runs' checkpoints (default: the config's checkpointDir, else
                        OUT/NAME.checkpoints); a run's checkpoint is deleted once its row is recorded
  --merge DIR_OR_FILE...
                        join shard results: folders (their NAME.shard-*-of-*.jsonl) and JSONL files.
                        Checks that every run has exactly one row with this config's configHash,
                        lists each missing, duplicated or foreign row by run id and exits 1 if any;
                        otherwise writes OUT/NAME.jsonl, .md and .svg as a one-machine sweep does
  --partial             with --merge: write them from the rows that check out despite problems
  --study NAME          run nothing: write OUT/NAME.md and OUT/NAME.svg (OUT: --out, else the first
                        config's out), one table and plot over every recorded run of the configs
                        given (read from each config's own out folder: NAME.jsonl and its shard
                        files), one row per condition; a run two configs share (one
                        configHash) counts once, and the same condition at more seeds in another
                        config joins its row
  --min-accuracy A      with --study: start the plot's accuracy axis at A (a fraction, e.g. 0.97);
                        points below sit on its bottom edge as triangles, listed above the plot
`;

const SWEEP_FLAGS = {
  jobs: integerIn(1, MAX_THREADS, MAX_THREADS_WHY),
  'kernel-threads': integerIn(1, MAX_THREADS, MAX_THREADS_WHY),
  out: outputFolder(),
  data: inputFolder(),
  'report-only': { type: 'boolean' as const },
  'in-process': { type: 'boolean' as const },
  /** Checked with the environment's shard variables by resolveShard, before any data loads. */
  shard: { type: 'string' as const },
  partial: { type: 'boolean' as const },
  study: { type: 'string' as const },
  'min-accuracy': numberIn({ min: 0, max: 1, exclusiveMax: true, why: 'a test accuracy, as a fraction' }),
  'checkpoint-steps': integerIn(0, MAX_CHECKPOINT_STEPS, MAX_CHECKPOINT_STEPS_WHY),
  'checkpoint-dir': outputFolder(),
};

const SWEEP_CONFLICTS: FlagConflict[] = [
  { flag: 'jobs', excludes: 'report-only', why: '--report-only runs nothing' },
  { flag: 'in-process', excludes: 'report-only', why: '--report-only runs nothing' },
  { flag: 'kernel-threads', excludes: 'report-only', why: '--report-only runs nothing' },
  { flag: 'shard', excludes: 'report-only', why: 'the report covers every shard: use --merge' },
  { flag: 'min-accuracy', requires: 'study', why: "it sets the study plot's accuracy axis" },
  ...(['jobs', 'in-process', 'kernel-threads', 'shard', 'report-only', 'partial', 'checkpoint-steps', 'checkpoint-dir', 'data'] as const).map((flag) => (
    { flag, excludes: 'study', why: '--study runs nothing: it reports what the configs recorded' })),
];

function readConfig(path: string): SweepConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the config ${JSON.stringify(path)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${JSON.stringify(path)} is not valid JSON (${(e as Error).message})`);
  }
  try {
    const config = checkSweepConfig(parsed);
    checkSweepModels(config);
    return config;
  } catch (e) {
    if (e instanceof ArgumentError) throw new UsageError(`${path}: ${e.message}`);
    throw e;
  }
}

/** The config hash of every run of the grid, by run id. */
async function gridHashes(config: SweepConfig, runs: readonly SweepRun[]): Promise<Map<string, string>> {
  return new Map(await Promise.all(runs.map(async (r) => [r.id, await sweepRunHash(config, r)] as const)));
}

/**
 * The runs a results file already holds for this config: rows with the run's config hash, and rows
 * with none (written before rows carried one, taken as they are). Rows of another config are
 * listed, and their runs run again.
 */
function recordedRuns(rows: SweepRow[], runs: readonly SweepRun[], hashes: ReadonlyMap<string, string>): { done: Map<string, SweepResult>; stale: string[]; unhashed: number } {
  const mine = new Set(runs.map((r) => r.id));
  const done = new Map<string, SweepResult>();
  const stale: SweepRow[] = [];
  let unhashed = 0;
  for (const row of rows) {
    const { result } = row;
    if (!mine.has(result.id) || done.has(result.id)) continue;
    if (result.configHash === undefined) unhashed++;
    else if (result.configHash !== hashes.get(result.id)) {
      stale.push(row);
      continue;
    }
    done.set(result.id, result);
  }
  // A stale row whose run has since run again with this config is history, not news.
  return { done, stale: stale.filter((r) => !done.has(r.result.id)).map((r) => `${r.result.id} (${r.place})`), unhashed };
}

/** `--merge A B C`: the values up to the next flag, taken out of argv (a shell glob gives many). */
function takeMergeSources(argv: string[]): { sources: string[] | null; rest: string[] } {
  const rest: string[] = [];
  let sources: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a !== '--merge' && !a.startsWith('--merge=')) {
      rest.push(a);
      continue;
    }
    sources ??= [];
    if (a.startsWith('--merge=')) sources.push(a.slice('--merge='.length));
    while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) sources.push(argv[++i]);
  }
  if (sources && (sources.length === 0 || sources.includes(''))) throw new UsageError("--merge: expected the shards' folder or JSONL files (--merge DIR_OR_FILE ...)");
  return { sources, rest };
}

/** The JSONL files to merge: each folder's NAME.shard-I-of-N.jsonl (by N, then I) and each file, once. */
function mergeFiles(name: string, sources: string[]): string[] {
  const files: string[] = [];
  for (const source of sources) {
    if (!existsSync(source)) throw new UsageError(`--merge = ${JSON.stringify(source)}: no such file or folder`);
    if (!statSync(source).isDirectory()) {
      files.push(source);
      continue;
    }
    const shards = readdirSync(source).filter((f) => isShardResultsName(name, f));
    if (shards.length === 0) throw new UsageError(`--merge = ${JSON.stringify(source)}: the folder holds no ${name}.shard-I-of-N.jsonl`);
    const order = (f: string) => f.slice(name.length).match(/\d+/g)!.map(Number);
    shards.sort((a, b) => order(a)[1] - order(b)[1] || order(a)[0] - order(b)[0]);
    files.push(...shards.map((f) => `${source.replace(/\/+$/, '')}/${f}`));
  }
  // The same file named twice (a folder and a glob) would count every row twice.
  const seen = new Set<string>();
  return files.filter((f) => !seen.has(resolve(f)) && (seen.add(resolve(f)), true));
}

/**
 * OUT/NAME.md, .svg (and, from per-epoch histories, .epochs.svg, .validation.svg and .zeros.svg
 * where runs made exact zeros; .pruning.svg with iterative-pruning evaluations) and .html from the
 * results, and the table on stdout.
 */
function writeSweepReport(config: SweepConfig, out: string, results: SweepResult[], total: number, command: string, io: CommandIo): void {
  const points = sweepPoints(config, results);
  const encoder = new TextEncoder();
  const epochs = removableUnitsSvg(results, `${config.name}: removable hidden units after each epoch`);
  const pruning = pruningCurvesSvg(results, `${config.name}: validation accuracy against weights left`);
  const zeros = zeroShareSvg(results, `${config.name}: kernel weights exactly 0 after each epoch`);
  const validation = validationCurvesSvg(results, `${config.name}: validation accuracy after each epoch`);
  const markdown = sweepMarkdown(config, points, command, { epochsPlot: epochs !== null, pruningPlot: pruning !== null, zerosPlot: zeros !== null, validationPlot: validation !== null });
  writeFileAtomic(`${out}/${config.name}.svg`, encoder.encode(sweepSvg(points, `${config.name}: test accuracy against size`)));
  if (epochs) writeFileAtomic(`${out}/${config.name}.epochs.svg`, encoder.encode(epochs));
  if (pruning) writeFileAtomic(`${out}/${config.name}.pruning.svg`, encoder.encode(pruning));
  if (zeros) writeFileAtomic(`${out}/${config.name}.zeros.svg`, encoder.encode(zeros));
  if (validation) writeFileAtomic(`${out}/${config.name}.validation.svg`, encoder.encode(validation));
  writeFileAtomic(`${out}/${config.name}.md`, encoder.encode(markdown));
  writeFileAtomic(`${out}/${config.name}.html`, encoder.encode(renderSweepPage(config, results, { command })));
  io.out(`${markdown.split('\n').filter((l) => l.startsWith('|')).join('\n')}\n`);
  io.err(`wrote ${out}/${config.name}.md and .svg (${results.length} of ${total} runs)\n`);
  io.err(`wrote ${out}/${config.name}.html (the interactive page)\n`);
}

/**
 * `--study NAME`: one table and plot over the recorded runs of several configs (studyPoints), from
 * each config's results file and shard files, keeping only rows with the run's current configHash.
 */
async function writeStudy(name: string, paths: string[], outFlag: string | undefined, minAccuracy: number | undefined, io: CommandIo): Promise<number> {
  if (!/^[\w.-]+$/.test(name)) throw new UsageError(`--study = ${JSON.stringify(name)}: expected a file-name-safe name (letters, digits, . _ -)`);
  const sweeps: StudySweep[] = [];
  for (const path of paths) {
    const config = readConfig(path);
    if (sweeps.some((s) => s.config.name === config.name)) throw new UsageError(`${path}: the study already has a config named ${JSON.stringify(config.name)}`);
    const folder = config.out ?? 'sweeps';
    const files = [`${folder}/${config.name}.jsonl`, ...(existsSync(folder) ? readdirSync(folder).filter((f) => isShardResultsName(config.name, f)).sort().map((f) => `${folder}/${f}`) : [])];
    const grid = sweepRuns(config);
    const { done, stale, unhashed } = recordedRuns(files.flatMap((f) => readSweepResults(f).rows), grid, await gridHashes(config, grid));
    if (unhashed) io.err(`study ${name}: ${config.name}: ${unhashed} row(s) have no configHash (written before rows carried one): taken as they are, and never matched with another config's rows\n`);
    if (stale.length) io.err(`study ${name}: ${config.name}: ${stale.length} row(s) made with another config left out: ${stale.join(', ')}\n`);
    io.err(`study ${name}: ${config.name}: ${done.size} of ${grid.length} runs recorded\n`);
    sweeps.push({ config, results: [...done.values()] });
  }
  const points = studyPoints(sweeps);
  if (points.length === 0) {
    io.err(`study ${name}: no recorded run in ${paths.join(', ')}: nothing written\n`);
    return 1;
  }
  const out = outFlag ?? sweeps[0].config.out ?? 'sweeps';
  mkdirSync(out, { recursive: true });
  const command = `slimtrain sweep ${paths.join(' ')} --study ${name}${outFlag === undefined ? '' : ` --out ${outFlag}`}${minAccuracy === undefined ? '' : ` --min-accuracy ${minAccuracy}`}`;
  const markdown = studyMarkdown(name, sweeps, points, command, `${name}.svg`);
  const encoder = new TextEncoder();
  writeFileAtomic(`${out}/${name}.svg`, encoder.encode(studySvg(name, points, minAccuracy)));
  writeFileAtomic(`${out}/${name}.md`, encoder.encode(markdown));
  io.out(`${markdown.split('\n').filter((l) => l.startsWith('|')).join('\n')}\n`);
  io.err(`wrote ${out}/${name}.md and ${out}/${name}.svg (${points.length} conditions)\n`);
  return 0;
}

/** `--merge`: gathers, checks and joins the shards' rows; 1 when a problem is found (and not --partial). */
async function mergeShards(config: SweepConfig, path: string, sources: string[], out: string, partial: boolean, io: CommandIo): Promise<number> {
  const files = mergeFiles(config.name, sources);
  const rows: SweepRow[] = [];
  const torn: string[] = [];
  for (const file of files) {
    const read = readSweepResults(file);
    rows.push(...read.rows);
    torn.push(...read.torn);
  }
  const runs = sweepRuns(config);
  const { results, problems, superseded } = mergeSweepRows(runs, await gridHashes(config, runs), rows);
  io.err(`sweep ${config.name}: merging ${rows.length} rows from ${files.length} file(s): ${results.length} of ${runs.length} runs\n`);
  if (superseded.length) {
    io.err(`  left out ${superseded.length} row(s) of an earlier version of the config (another configHash), each run having a row of this one: ` +
      `${superseded.map((r) => `${r.id} (${r.place})`).join(', ')}\n`);
  }
  if (torn.length) io.err(`  skipped ${torn.length} torn line(s), writes cut short by a kill (their runs ran again wherever they have a row): ${torn.join(', ')}\n`);
  const count = mergeProblemCount(problems);
  if (count) {
    io.err(`${count} problem(s):\n${describeMergeProblems(problems).map((l) => `  ${l}`).join('\n')}\n`);
    if (!partial) {
      io.err('nothing written (--partial writes the table and plot from the rows that check out)\n');
      return 1;
    }
  }
  if (results.length === 0) {
    io.err(`sweep ${config.name}: no row of this config to merge\n`);
    return 1;
  }
  // OUT/NAME.jsonl becomes the merged rows; it may replace only rows the merge keeps.
  const merged = `${out}/${config.name}.jsonl`;
  const kept = new Set(results.map((r) => JSON.stringify(r)));
  const lost = readSweepResults(merged).rows.filter((r) => !kept.has(JSON.stringify(r.result)));
  if (lost.length) {
    io.err(`sweep ${config.name}: not replacing ${merged}: ${lost.length} of its rows are not in this merge (${lost.slice(0, 3).map((r) => r.result.id).join(', ')}${lost.length > 3 ? ', ...' : ''}); ` +
      'pass it to --merge too, or move it\n');
    return 1;
  }
  mkdirSync(out, { recursive: true });
  writeFileAtomic(merged, new TextEncoder().encode(results.map((r) => `${JSON.stringify(r)}\n`).join('')));
  io.err(`wrote ${merged} (${results.length} rows, in grid order)\n`);
  writeSweepReport(config, out, results, runs.length, `slimtrain sweep ${path} --merge ${sources.join(' ')}`, io);
  return 0;
}

/** The shard to run (flag, else the environment), as a UsageError when either is malformed. */
function shardOf(flag: string | boolean | undefined, env: CommandIo['env']): SweepShard | null {
  try {
    return resolveShard(flag === undefined ? undefined : String(flag), env);
  } catch (e) {
    if (e instanceof ArgumentError) throw new UsageError(e.message);
    throw e;
  }
}

/** Live status: on a terminal one line per worker redrawn in place; otherwise a line per start and finish. */
class SweepProgress {
  private lines: string[] = [];
  private lastLine: number[] = [];
  private drawn = 0;
  private lastDraw = 0;
  private finished = 0;
  private readonly started = performance.now();

  constructor(
    private readonly io: CommandIo,
    private readonly total: number,
    jobs: number,
  ) {
    this.lines = new Array(jobs).fill('idle');
    this.lastLine = new Array(jobs).fill(performance.now());
  }

  private header(): string {
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = this.finished ? (elapsed / this.finished) * (this.total - this.finished) : NaN;
    return `sweep: ${this.finished}/${this.total} runs done, ${duration(elapsed)} elapsed, ETA ${duration(eta)}`;
  }

  private draw(force = false): void {
    if (!this.io.isTTY) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const up = this.drawn ? `\x1b[${this.drawn}A` : '';
    const text = [this.header(), ...this.lines.map((l, i) => `  [${i}] ${l}`)].map((l) => `\r\x1b[K${l}`).join('\n');
    this.io.err(`${up}${text}\n`);
    this.drawn = this.lines.length + 1;
  }

  /** A line that stays above the live block. */
  log(text: string): void {
    if (this.io.isTTY && this.drawn) this.io.err(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
    this.io.err(`${text}\n`);
    this.draw(true);
  }

  note(slot: number, run: SweepRun, text: string): void {
    this.log(`[${slot}] ${run.id}: ${text}`);
  }

  start(slot: number, run: SweepRun): void {
    this.lines[slot] = `${run.id}: starting`;
    this.lastLine[slot] = performance.now();
    if (!this.io.isTTY) this.io.err(`[${slot}] ${run.id}: started\n`);
    this.draw(true);
  }

  progress(slot: number, run: SweepRun, p: RunProgress): void {
    this.lines[slot] =
      `${run.id}: ${p.phase} epoch ${p.epoch + 1}/${p.epochs} batch ${p.batch + 1}/${p.batches}, loss ${p.loss.toFixed(4)}, ` +
      `${p.samplesPerSecond.toFixed(0)} samples/s, ETA ${duration(p.eta)}`;
    this.draw();
    // Logs (not a terminal): a progress line per thread every 30 s.
    const now = performance.now();
    if (!this.io.isTTY && now - this.lastLine[slot] > 30_000) {
      this.lastLine[slot] = now;
      this.io.err(`[${slot}] ${this.lines[slot]}  (${this.header()})\n`);
    }
  }

  done(slot: number, text: string): void {
    this.finished++;
    this.lines[slot] = 'idle';
    this.log(`[${slot}] ${text}  (${this.finished}/${this.total})`);
  }
}

export const sweep: Command = {
  name: 'sweep',
  summary: 'run methods x strengths x seeds in worker threads, or one shard of them: JSONL results, table and plot; --merge joins shards',
  help: HELP,
  flags: SWEEP_FLAGS,
  async run(argv: string[], io: CommandIo): Promise<number> {
    let first = 0;
    while (first < argv.length && !argv[first].startsWith('-')) first++;
    const paths = argv.slice(0, first);
    const path = paths[0];
    const { sources, rest } = takeMergeSources(argv.slice(first));
    const v = parseFlags(rest, SWEEP_FLAGS, SWEEP_CONFLICTS);
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    if (path === undefined) throw new UsageError('expected the path of a sweep config (JSON) as the first argument');
    if (v.study !== undefined) {
      if (sources) throw new UsageError('--merge: not with --study (merge each sweep first, or let the study read its shard files)');
      return writeStudy(String(v.study), paths, v.out === undefined ? undefined : String(v.out), v['min-accuracy'], io);
    }
    if (paths.length > 1) throw new UsageError(`${JSON.stringify(paths[1])}: one config runs at a time; several only with --study NAME`);
    if (sources && v.shard !== undefined) throw new UsageError(`--shard = ${JSON.stringify(v.shard)}: not with --merge (a merge joins every shard)`);
    if (sources && v['report-only']) throw new UsageError('--report-only: not with --merge (a merge writes the report)');
    if (v.partial && !sources) throw new UsageError('--partial: only with --merge DIR_OR_FILE');
    // A report covers the whole sweep, so only a run looks for a shard in the environment.
    const shard = v['report-only'] || sources ? null : shardOf(v.shard, io.env);
    const config = readConfig(path);
    if (v.data !== undefined) config.data = String(v.data);
    if (config.data === undefined && io.env.SLIMTRAIN_DATA) config.data = io.env.SLIMTRAIN_DATA;
    const jobs = v.jobs ?? config.jobs ?? availableParallelism();
    const checkpointSteps = v['checkpoint-steps'] ?? config.checkpointSteps ?? DEFAULT_CHECKPOINT_STEPS;
    const out = String(v.out ?? config.out ?? 'sweeps');
    if (sources) return mergeShards(config, path, sources, out, !!v.partial, io);

    const grid = sweepRuns(config);
    const runs = grid.filter((_, k) => inShard(shard, k));
    if (shard) {
      io.err(`sweep ${config.name}: shard ${shard.index}/${shard.count} from ${shard.source}${shard.detail ? ` (${shard.detail})` : ''}: ` +
        `runs k of the grid with k mod ${shard.count} = ${shard.index}, ${runs.length} of ${grid.length}\n`);
    }
    mkdirSync(out, { recursive: true });
    const resultsPath = `${out}/${shardResultsName(config.name, shard)}`;
    // An empty shard still leaves its (empty) file, so a merge sees that it ran.
    if (shard) appendFileSync(resultsPath, '');
    const checkpointDir = String(v['checkpoint-dir'] ?? config.checkpointDir ?? `${out}/${config.name}.checkpoints`);
    const hashes = await gridHashes(config, grid);
    const { done, stale, unhashed } = recordedRuns(readSweepResults(resultsPath).rows, runs, hashes);
    if (unhashed) io.err(`sweep ${config.name}: ${unhashed} row(s) in ${resultsPath} have no configHash (written before rows carried one): taken as they are\n`);
    if (stale.length) io.err(`sweep ${config.name}: ${stale.length} row(s) in ${resultsPath} were made with another config (configHash differs), so those runs run again: ${stale.join(', ')}\n`);
    // A shard's runs move to other shards when the grid grows in the middle (more seeds at a
    // strength, say): a run another shard's file, or the merged file, already holds is done.
    let recordedIn = resultsPath;
    if (shard) {
      const others = readdirSync(out).filter((f) => f !== shardResultsName(config.name, shard) && (f === `${config.name}.jsonl` || isShardResultsName(config.name, f)));
      const elsewhere = recordedRuns(others.flatMap((f) => readSweepResults(`${out}/${f}`).rows), runs.filter((r) => !done.has(r.id)), hashes).done;
      for (const [id, row] of elsewhere) done.set(id, row);
      if (elsewhere.size) {
        recordedIn = `${resultsPath} and other shards' files`;
        io.err(`sweep ${config.name}: ${elsewhere.size} of this shard's runs already recorded in ${others.join(', ')} (the grid grew since they ran): not run again: ${[...elsewhere.keys()].join(', ')}\n`);
      }
    }
    // A run recorded just before a kill may still have its checkpoint.
    for (const id of done.keys()) runCheckpointFile(runCheckpointPath(checkpointDir, id)).remove();
    const pending = runs.filter((r) => !done.has(r.id));
    for (const r of pending) {
      const source = startRun(config, r);
      if (source && !done.has(source.id) && !pending.some((p) => p.id === source.id)) {
        throw new UsageError(`${r.id} starts from ${source.id}'s final model, which runs in another shard: a run and the run it starts from must share a shard (or run the sweep unsharded)`);
      }
    }
    const failures: string[] = [];
    const stopped: string[] = [];

    if (!v['report-only'] && pending.length) {
      mkdirSync(checkpointDir, { recursive: true });
      const workers = Math.min(jobs, pending.length);
      const kernelThreads = v['kernel-threads'];
      io.err(`sweep ${config.name}: ${runs.length} runs, ${runs.length - pending.length} already in ${recordedIn}, ${pending.length} to go on ${workers} thread(s)` +
        `${v['in-process'] ? '' : `, ${kernelThreads ?? kernelThreadsPerWorker(workers)} kernel thread(s) each`}\n`);
      io.err(`  checkpoints ${checkpointSteps ? `every ${checkpointSteps} steps and ` : ''}at epoch ends in ${checkpointDir}\n`);
      if (config.saveModels) io.err(`  final models (and their reduced forms) saved to ${out}/${config.name}.models\n`);
      const progress = new SweepProgress(io, pending.length, v['in-process'] ? 1 : workers);
      // The CLI bundle starts its own worker threads; from TypeScript sources (tests) runs stay in-process.
      const entry = new URL(import.meta.url);
      const threads = !v['in-process'] && entry.pathname.endsWith('.js');
      // SIGINT/SIGTERM: the runs stop at their next batch and write their checkpoints; a second signal exits at once.
      const interrupt = stopOnSignals(io);
      try {
        const models = `${out}/${config.name}.models`;
        const checkpoints = { dir: checkpointDir, everySteps: checkpointSteps, models: config.saveModels ? models : null };
        const startOf = (run: SweepRun): RunStartFile | null => {
          const source = startRun(config, run);
          return source ? { from: source.id, path: runModelPath(models, source.id), weightsHash: done.get(source.id)!.weightsHash } : null;
        };
        // Waves: a run whose method starts from another run's model waits until that run is recorded.
        for (let left = pending; left.length && !interrupt.signal.aborted;) {
          const ready = left.filter((r) => { const s = startRun(config, r); return !s || done.has(s.id); });
          const waiting = left.filter((r) => !ready.includes(r));
          if (ready.length === 0) {
            for (const r of waiting) failures.push(`${r.id}: not run: ${startRun(config, r)!.id}, whose final model it starts from, did not finish`);
            break;
          }
          await runSweepPool(config, ready, { jobs, kernelThreads, entry: threads ? entry : null, checkpoints, startOf, signal: interrupt.signal }, {
          onStart: (slot, run) => progress.start(slot, run),
          onProgress: (slot, run, p) => progress.progress(slot, run, p),
          onNote: (slot, run, text) => progress.note(slot, run, text),
          onResult: (slot, r) => {
            // Recorded first, then the checkpoint goes: a kill in between leaves a checkpoint the next start removes.
            appendSweepResult(resultsPath, r);
            runCheckpointFile(runCheckpointPath(checkpointDir, r.id)).remove();
            done.set(r.id, r);
            progress.done(slot, `${r.id}: test ${(100 * r.testAccuracy).toFixed(2)}%, ${r.reducedNonzeroParams} of ${r.params} parameters left, ` +
              `reduced ${(100 * r.reducedAccuracy).toFixed(2)}%, ${duration(r.seconds)}`);
          },
          onError: (slot, run, e) => {
            if (interrupt.signal.aborted && (e.name === 'RunStoppedError' || e instanceof InterruptedError)) {
              stopped.push(run.id);
              progress.done(slot, `${run.id}: stopped, its checkpoint is ${runCheckpointPath(checkpointDir, run.id)}`);
              return;
            }
            failures.push(`${run.id}: ${e.name}: ${e.message}`);
            progress.done(slot, `${run.id}: FAILED: ${e.name}: ${e.message}`);
          },
          });
          left = waiting;
        }
      } finally {
        interrupt.dispose();
      }
      if (interrupt.signal.aborted) {
        const signal = (interrupt.signal.reason as InterruptedError).signal;
        io.err(`sweep ${config.name}: stopped by ${signal}: ${done.size} of ${runs.length} runs recorded in ${resultsPath}` +
          `${stopped.length ? `; ${stopped.length} stopped mid-run with their checkpoints in ${checkpointDir}` : ''}. ` +
          `Run the same command again to continue where they stood.\n`);
        return SIGNAL_EXIT_CODES[signal];
      }
    }

    const failed = () => {
      if (!failures.length) return 0;
      io.err(`${failures.length} run(s) failed (run the sweep again to retry them, from their checkpoints):\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
      return 1;
    };
    if (shard) {
      io.err(`sweep ${config.name}: shard ${shard.index}/${shard.count}: ${done.size} of ${runs.length} runs recorded in ${resultsPath}; ` +
        `once every shard is done: slimtrain sweep ${path} --merge ${out}\n`);
      return failed();
    }
    const results = grid.filter((r) => done.has(r.id)).map((r) => done.get(r.id)!);
    if (results.length === 0) {
      io.err(`sweep ${config.name}: no results yet in ${resultsPath}\n`);
      return failed();
    }
    writeSweepReport(config, out, results, grid.length, `npm run sweep -- ${path}`, io);
    return failed();
  },
};
