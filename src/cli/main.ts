#!/usr/bin/env node
// The `slimtrain` command line: `slimtrain <command> [--flags]`; every command has --help.
import { isMainThread, workerData } from 'node:worker_threads';
import { SWEEP_WORKER_ROLE, type SweepWorkerData } from '../sweep/pool.js';
import { sweepWorkerMain } from '../sweep/worker.js';
import { main } from './dispatch.js';

// The same bundle serves `slimtrain sweep`'s worker threads.
if (!isMainThread && (workerData as SweepWorkerData | null)?.role === SWEEP_WORKER_ROLE) {
  await sweepWorkerMain((workerData as SweepWorkerData).kernelThreads);
} else {
  process.exitCode = await main(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTTY: process.stdout.isTTY === true,
    env: process.env,
  });
}
