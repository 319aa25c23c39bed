import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { writeFileAtomic } from '../../io/model_files_node.js';
import { ArgumentError } from '../../errors.js';
import { checkSweepConfig, sweepRuns, type SweepConfig, type SweepRun } from '../../sweep/config.js';
import { runSweepPool } from '../../sweep/pool.js';
import { sweepMarkdown, sweepPoints, sweepSvg } from '../../sweep/report.js';
import { renderSweepPage } from '../../report/sweep_page.js';
import type { RunProgress, SweepResult } from '../../sweep/run.js';
import { UsageError, type Command, type CommandIo } from '../command.js';
import { numberFlag, parseFlags } from '../flags.js';
import { duration } from '../progress.js';

const HELP = `usage: slimtrain sweep CONFIG.json [options]

Runs a grid of methods x strengths x seeds (see SweepConfig in the API docs), one run per worker
thread at a time. Every finished run is appended to OUT/NAME.jsonl; runs already there are
skipped, so an interrupted sweep resumes. At the end it writes OUT/NAME.md (table) and
OUT/NAME.svg (accuracy against nonzero parameters left and against FLOPs after reduction), and
OUT/NAME.html: the same as an interactive page (hover a point for its runs), self-contained.

options:
  --jobs N          worker threads (default: the config's jobs, else one per core)
  --out DIR         output folder (default: the config's out, else sweeps)
  --data DIR        data folder (default: the config's data, else SLIMTRAIN_DATA)
  --report-only     write the table and plot from the results so far, run nothing
  --in-process      run in this thread, one run after another (no worker threads)
`;

function readConfig(path: string): SweepConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`slimtrain sweep: cannot read the config ${JSON.stringify(path)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`slimtrain sweep: ${JSON.stringify(path)} is not valid JSON (${(e as Error).message})`);
  }
  try {
    return checkSweepConfig(parsed);
  } catch (e) {
    if (e instanceof ArgumentError) throw new UsageError(`slimtrain sweep: ${path}: ${e.message}`);
    throw e;
  }
}

/** Results so far; a line cut short by an interrupted write is ignored (that run simply runs again). */
function readResults(path: string): SweepResult[] {
  if (!existsSync(path)) return [];
  const results: SweepResult[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      results.push(JSON.parse(line));
    } catch {
      // A partial last line.
    }
  }
  return results;
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
  summary: 'run methods x strengths x seeds in worker threads: JSONL results, table and plot',
  help: HELP,
  async run(argv: string[], io: CommandIo): Promise<number> {
    const positional = argv[0] !== undefined && !argv[0].startsWith('-');
    const path = positional ? argv[0] : undefined;
    const rest = positional ? argv.slice(1) : argv;
    const v = parseFlags('sweep', rest, {
      jobs: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' }, 'report-only': { type: 'boolean' }, 'in-process': { type: 'boolean' },
    });
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    if (path === undefined) throw new UsageError('slimtrain sweep: expected the path of a sweep config (JSON) as the first argument');
    const config = readConfig(path);
    if (v.data !== undefined) config.data = String(v.data);
    if (config.data === undefined && io.env.SLIMTRAIN_DATA) config.data = io.env.SLIMTRAIN_DATA;
    const jobs = numberFlag('jobs', v.jobs, config.jobs ?? availableParallelism(), { integer: true, min: 1 });
    const out = String(v.out ?? config.out ?? 'sweeps');
    mkdirSync(out, { recursive: true });
    const resultsPath = `${out}/${config.name}.jsonl`;
    const runs = sweepRuns(config);
    const finished = new Set(readResults(resultsPath).map((r) => r.id));
    const pending = runs.filter((r) => !finished.has(r.id));
    const failures: string[] = [];

    if (!v['report-only'] && pending.length) {
      // A line cut short by an interrupted write must not swallow the next result.
      if (existsSync(resultsPath)) {
        const text = readFileSync(resultsPath, 'utf8');
        if (text.length && !text.endsWith('\n')) appendFileSync(resultsPath, '\n');
      }
      io.err(`sweep ${config.name}: ${runs.length} runs, ${runs.length - pending.length} already in ${resultsPath}, ${pending.length} to go on ${Math.min(jobs, pending.length)} thread(s)\n`);
      const progress = new SweepProgress(io, pending.length, v['in-process'] ? 1 : Math.min(jobs, pending.length));
      // The CLI bundle starts its own worker threads; from TypeScript sources (tests) runs stay in-process.
      const entry = new URL(import.meta.url);
      const threads = !v['in-process'] && entry.pathname.endsWith('.js');
      await runSweepPool(config, pending, jobs, threads ? entry : null, {
        onStart: (slot, run) => progress.start(slot, run),
        onProgress: (slot, run, p) => progress.progress(slot, run, p),
        onResult: (slot, r) => {
          appendFileSync(resultsPath, `${JSON.stringify(r)}\n`);
          progress.done(slot, `${r.id}: test ${(100 * r.testAccuracy).toFixed(2)}%, ${r.reducedNonzeroParams} of ${r.params} parameters left, ` +
            `reduced ${(100 * r.reducedAccuracy).toFixed(2)}%, ${duration(r.seconds)}`);
        },
        onError: (slot, run, e) => {
          failures.push(`${run.id}: ${e.name}: ${e.message}`);
          progress.done(slot, `${run.id}: FAILED: ${e.name}: ${e.message}`);
        },
      });
    }

    const results = readResults(resultsPath).filter((r) => runs.some((run) => run.id === r.id));
    if (results.length === 0) {
      io.err(`sweep ${config.name}: no results yet in ${resultsPath}\n`);
      return failures.length ? 1 : 0;
    }
    const points = sweepPoints(config, results);
    const encoder = new TextEncoder();
    writeFileAtomic(`${out}/${config.name}.svg`, encoder.encode(sweepSvg(points, `${config.name}: test accuracy against size`)));
    writeFileAtomic(`${out}/${config.name}.md`, encoder.encode(sweepMarkdown(config, points, `npm run sweep -- ${path}`)));
    writeFileAtomic(`${out}/${config.name}.html`, encoder.encode(renderSweepPage(config, results, { command: `npm run sweep -- ${path}` })));
    io.out(`${sweepMarkdown(config, points, `npm run sweep -- ${path}`).split('\n').filter((l) => l.startsWith('|')).join('\n')}\n`);
    io.err(`wrote ${out}/${config.name}.md, .svg and .html (${results.length} of ${runs.length} runs)\n`);
    if (failures.length) {
      io.err(`${failures.length} run(s) failed (run the sweep again to retry them):\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
      return 1;
    }
    return 0;
  },
};
