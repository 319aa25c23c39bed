// After TypeDoc (npm run docs): every entry point is in the API reference and every exported
// function has a doc comment. TypeDoc's own notDocumented check covers the classes, interfaces,
// type aliases and variables (typedoc.json); functions are checked here, since TypeDoc's
// "Function" kind would also demand a comment on every method of every interface.
import { readFileSync } from 'node:fs';

const api = JSON.parse(readFileSync(new URL('../../docs/api/api.json', import.meta.url), 'utf8'));
const modules = api.children.map((m) => m.name).sort();
const problems = [];
for (const entry of ['index', 'io/onnx', 'worker/worker_entry']) if (!modules.includes(entry)) problems.push(`entry point ${entry} is missing from the reference (has: ${modules.join(', ')})`);
for (const m of api.children) {
  for (const c of m.children ?? []) {
    const documented = (c.signatures ?? []).some((s) => s.comment?.summary?.length);
    if (c.kind === 64 && !documented) problems.push(`${m.name}: function ${c.name} has no doc comment`);
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`API reference: ${modules.length} entry points, every exported symbol documented (docs/api/index.html)`);
