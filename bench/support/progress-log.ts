// Progress lines go to stderr, so that `--json` keeps stdout pure JSON and a long run is not silent.

const start = performance.now();

/** Writes one progress line to stderr, prefixed with the seconds since the bench started. */
export function logProgress(message: string): void {
  const seconds = ((performance.now() - start) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${seconds}s] ${message}\n`);
}
