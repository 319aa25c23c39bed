// The upper bounds of the command line's counts. Each is far above any sensible run, so it only
// catches typos (1e12 epochs would train until killed) and values the engine cannot honour;
// docs/errors.md lists them with these reasons.
import { MAX_KERNEL_THREADS } from '../backend/engine.js';

/** Epochs: the longest schedules in the papers we reproduce run a few hundred epochs; 10,000 also covers tiny --limit runs. */
export const MAX_EPOCHS = 10_000;
export const MAX_EPOCHS_WHY = 'the longest published schedules run a few hundred epochs';

/** Batch size: one batch of the largest training set (MNIST's 60,000) fits; a batch is also never larger than the training rows. */
export const MAX_BATCH_SIZE = 65_536;
export const MAX_BATCH_SIZE_WHY = 'above the largest training set, so full-batch training fits';

/** Kernel threads and sweep jobs: init's own limit (one worker thread each). */
export const MAX_THREADS = MAX_KERNEL_THREADS;
export const MAX_THREADS_WHY = 'one worker thread each; init allows at most 256';

/** Learning rate: no optimizer here trains above this; more is a typo for a smaller rate. */
export const MAX_LR = 100;
export const MAX_LR_WHY = 'no optimizer here trains at a larger rate';

/** A sweep run's checkpoint interval in optimizer steps (0: at epoch ends only): any int32 step count. */
export const MAX_CHECKPOINT_STEPS = 2 ** 31 - 1;
export const MAX_CHECKPOINT_STEPS_WHY = 'step counts are 32-bit integers';
