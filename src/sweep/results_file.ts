import { nodeFs } from '../io/model_files_node.js';
import type { SweepResult } from './run.js';

/** One row of a sweep's JSONL file and where it was read (file:line, 1-based), for messages. */
export interface SweepRow {
  result: SweepResult;
  place: string;
}

/**
 * Reads a sweep's JSONL file (none yet: no rows). A line that is not JSON, the one a process
 * killed while appending leaves, is returned in `torn` rather than thrown: its run was not
 * recorded, so it simply runs again.
 *
 * @example
 * const { rows, torn } = readSweepResults('sweeps/grid.jsonl');
 */
export function readSweepResults(path: string): { rows: SweepRow[]; torn: string[] } {
  const fs = nodeFs('readSweepResults');
  const rows: SweepRow[] = [];
  const torn: string[] = [];
  if (!fs.existsSync(path)) return { rows, torn };
  fs.readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const place = `${path}:${i + 1}`;
    try {
      const result = JSON.parse(line);
      if (result !== null && typeof result === 'object' && typeof result.id === 'string') rows.push({ result, place });
      else torn.push(place);
    } catch {
      torn.push(place);
    }
  });
  return { rows, torn };
}

/** Appends one row; first ends a line cut short by a killed writer, so it cannot swallow this one. */
export function appendSweepResult(path: string, result: SweepResult): void {
  const fs = nodeFs('appendSweepResult');
  if (fs.existsSync(path)) {
    const size = fs.statSync(path).size;
    if (size > 0) {
      const fd = fs.openSync(path, 'r');
      const last = new Uint8Array(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      fs.closeSync(fd);
      if (last[0] !== 0x0a) fs.appendFileSync(path, '\n');
    }
  }
  fs.appendFileSync(path, `${JSON.stringify(result)}\n`);
}
