// The peak resident set of this process, as the memory probes (slimtrain-memory-probe.ts,
// jaxjs-memory-probe.ts) report it.
import { readFileSync } from 'node:fs';

/**
 * Linux's VmHWM (peak RSS of this process image), or null where /proc is not there. Not getrusage's
 * ru_maxrss: Linux carries that across fork and exec, so a child spawned by the bench would report
 * the bench process's own RSS whenever that is larger.
 *
 * @example
 * const peakBytes = highWaterMark() ?? process.memoryUsage().rss;
 */
export function highWaterMark(): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
