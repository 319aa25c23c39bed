import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the README', () => {
  it('gives both commands of a fresh clone', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    expect(readme).toContain('npm ci && npx slimtrain train --dataset mnist');
    expect(readme).toMatch(/^npm test\b/m);
  });

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
