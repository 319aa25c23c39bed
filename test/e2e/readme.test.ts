import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp_dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the README', () => {
  it('gives both commands of a fresh clone', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    expect(readme).toContain('npm ci && npx slimtrain train --dataset mnist');
    expect(readme).toMatch(/^npm test\b/m);
  });

  it('states the result line its main command really prints (the same bits on every machine)', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const command = readme.match(/^npm ci && npx slimtrain (train .*)$/m)![1].split(' ');
    const stated = readme.match(/^(result: .*)$/m);
    expect(stated, 'a result: line in README.md').not.toBeNull();
    const dir = tempDir('slimtrain-readme-');
    try {
      const args = command.map((a) => (a === 'report.html' ? join(dir, 'report.html') : a));
      const out = execFileSync(process.execPath, [`${root}dist/cli.js`, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SLIMTRAIN_DATA: '' } });
      expect(out.trimEnd().split('\n').at(-1)).toBe(stated![1]);
      expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('Group sparsity per epoch, by layer');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);

  it("runs its tour's code block as it is, against the built package", () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const block = readme.match(/```js\n([\s\S]*?)```/);
    expect(block, 'a ```js block in README.md').not.toBeNull();
    const file = `${root}.readme-example.mjs`;
    writeFileSync(file, block![1]);
    try {
      const out = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8' });
      const accuracy = Number(out.match(/test accuracy ([\d.]+)/)![1]);
      expect(accuracy).toBeGreaterThan(0.9);
      expect(out).toMatch(/dense_1\s+dense\s+\[256\]\s+200960/);
    } finally {
      rmSync(file, { force: true });
    }
  }, 120_000);
});
