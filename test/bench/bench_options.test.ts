import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bench/support/bench-options.js';

describe('bench options', () => {
  it('--files lists paths in order, in both spellings, for a bench that takes it', () => {
    expect(parseBenchOptions(['--files', 'a.slimtrain,runs/', '--files=b.slimtrain'], { files: true }).files).toEqual(['a.slimtrain', 'runs/', 'b.slimtrain']);
    expect(parseBenchOptions(['--json'], { files: true }).files).toEqual([]);
  });

  it('refuses --files without a list, and on a bench without it, naming the argument and what was expected', () => {
    expect(() => parseBenchOptions(['--files'], { files: true })).toThrow(/bad bench argument "--files": expected --files followed by a comma-separated list of model files or folders/);
    expect(() => parseBenchOptions(['--files', 'a.slimtrain'])).toThrow(/unknown bench argument "--files": expected any of --json, --quick, --relaxed, --threads <list>$/);
  });
});
