// The README's consumer snippets: every fenced block preceded by `<!-- consumer-test: FILE -->`,
// as { FILE: text }, so that the consumer tests run them exactly as the README shows them.
import { readFileSync } from 'node:fs';

export function readmeSnippets(readmePath) {
  const text = readFileSync(readmePath, 'utf8');
  const snippets = {};
  for (const m of text.matchAll(/<!-- consumer-test: (\S+) -->\n```\w*\n([\s\S]*?)```/g)) {
    if (m[1] in snippets) throw new Error(`README.md: two consumer-test blocks named ${m[1]}`);
    snippets[m[1]] = m[2];
  }
  return snippets;
}
