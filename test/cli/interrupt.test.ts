import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { InterruptedError, SIGNAL_EXIT_CODES, stopOnSignals } from '../../src/cli/interrupt.js';
import { decodeModel } from '../../src/io/model_file.js';
import { tempDir } from '../support/temp_dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = `${root}dist/cli.js`;
const env = { ...process.env, SLIMTRAIN_DATA: '' };
const hex = (path: string) => decodeModel(new Uint8Array(readFileSync(path))).weights.map((w) => Buffer.from(w.values.buffer).toString('hex'));

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env });
}

/** Starts `slimtrain train`, sends `signals` once its first epoch has been printed, and collects what it wrote. */
async function interrupted(args: string[], signals: NodeJS.Signals[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (code, signal) => r([code, signal])));
  await new Promise<void>((resolve) => child.stdout.on('data', (d) => ((out += d), /epoch 1\/\d+:/.test(out) && resolve())));
  for (const s of signals) child.kill(s);
  child.stdout.on('data', (d) => (out += d));
  const [code, signal] = await exited;
  return { code, signal, out, err };
}

// Long runs on the command line: SIGINT/SIGTERM stop at the next batch, write the checkpoint if
// one was asked for, say where it is, and exit 130/143; a second signal exits at once.
describe('interrupting slimtrain train', () => {
  const dir = tempDir('slimtrain-signal-');
  const flags = ['train', '--dataset', 'mnist', '--model', 'lenet-300-100', '--limit', '6000', '--test-limit', '200', '--epochs', '4', '--no-reduce'];

  it('SIGTERM: stops at the next batch, writes the checkpoint, exits 143; --resume gives the weights of an uninterrupted run', async () => {
    const full = join(dir, 'full.slim');
    const straight = run([...flags, '--save', full]);
    expect(straight.status, straight.stderr).toBe(0);
    const checkpoint = join(dir, 'run.ckpt');
    const resumed = join(dir, 'resumed.slim');
    const r = await interrupted([...flags, '--save', resumed, '--checkpoint', checkpoint], ['SIGTERM']);
    expect(r.signal).toBeNull();
    expect(r.code, r.err).toBe(143);
    const [, step, epoch] = r.out.match(/stopped by SIGTERM at step (\d+) \(epoch (\d+) of 4\); checkpoint written to (.*)\n/)!;
    // Stopped inside the run: after the first epoch's 94 steps, before the last of 376.
    expect(Number(step)).toBeGreaterThanOrEqual(94);
    expect(Number(step)).toBeLessThan(376);
    expect(Number(epoch)).toBeGreaterThanOrEqual(2);
    expect(r.out).toContain(`continue with: slimtrain train --resume ${checkpoint}`);
    expect(existsSync(resumed), 'the interrupted run did not save its model').toBe(false);
    const again = run(['train', '--resume', checkpoint]);
    expect(again.status, again.stderr).toBe(0);
    expect(hex(resumed)).toEqual(hex(full));
  }, 120_000);

  it('SIGINT: exits 130; without --checkpoint it says the run cannot be continued', async () => {
    const once = await interrupted([...flags], ['SIGINT']);
    expect(once.code).toBe(130);
    expect(once.err).toMatch(/SIGINT: stopping after this batch \(send it again to exit at once\)/);
    expect(once.out).toMatch(/stopped by SIGINT at step \d+; no --checkpoint FILE was given, so the run cannot be continued/);
  }, 120_000);

  it('stopOnSignals: the first signal aborts, a second exits at once with 128 + its number; dispose removes the handlers', () => {
    // In-process: two signals sent back to back to a child can merge into one in the kernel.
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    let err = '';
    const before = process.listenerCount('SIGINT');
    const stop = stopOnSignals({ out: () => {}, err: (t) => void (err += t), isTTY: false, env: {} });
    try {
      process.emit('SIGTERM');
      expect(stop.signal.aborted).toBe(true);
      expect(stop.signal.reason).toBeInstanceOf(InterruptedError);
      expect((stop.signal.reason as InterruptedError).signal).toBe('SIGTERM');
      expect(exit).not.toHaveBeenCalled();
      process.emit('SIGINT');
      expect(exit).toHaveBeenCalledWith(130);
      expect(err).toBe('\nSIGTERM: stopping after this batch (send it again to exit at once)\n\nSIGINT again: exiting now\n');
    } finally {
      stop.dispose();
      exit.mockRestore();
    }
    expect(process.listenerCount('SIGINT')).toBe(before);
    expect(SIGNAL_EXIT_CODES).toEqual({ SIGINT: 130, SIGTERM: 143 });
  });

  it('--checkpoint with --epochs 1 writes a checkpoint after the epoch; resuming it finishes at once with the same weights', () => {
    const checkpoint = join(dir, 'one.ckpt');
    const a = join(dir, 'one.slim');
    const first = run(['train', '--model', 'lenet-300-100', '--limit', '1000', '--test-limit', '100', '--epochs', '1', '--no-reduce', '--checkpoint', checkpoint, '--save', a]);
    expect(first.status, first.stderr).toBe(0);
    expect(existsSync(checkpoint)).toBe(true);
    const b = join(dir, 'one-resumed.slim');
    const again = run(['train', '--resume', checkpoint, '--save', b]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout, 'no epoch trained again').not.toMatch(/^epoch /m);
    expect(hex(b)).toEqual(hex(a));
  }, 60_000);

  it('--schedule cosine:WARMUP trains (the warmup is checked against the run\'s real step count)', () => {
    const r = run(['train', '--model', 'lenet-300-100', '--limit', '2000', '--test-limit', '100', '--epochs', '2', '--schedule', 'cosine:10', '--no-reduce']);
    expect(r.status, r.stderr).toBe(0);
    // 2 epochs of ceil(2000 / 64) = 32 batches.
    expect(r.stdout).toContain('"lr":{"type":"cosine","initial":0.001,"totalSteps":64,"warmupSteps":10}');
  }, 60_000);
});
