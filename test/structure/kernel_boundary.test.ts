import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/backend/engine.js';
import { compileKernels, supportsBuild, type KernelBuild } from '../../src/backend/load.js';
import { createReferenceBackend } from '../../src/backend/reference.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

interface Signature {
  params: { name: string; pointer: boolean }[];
  returns: 'void' | 'number';
}

/** The kernels assembly/index.ts exports, with their signatures from the AssemblyScript sources. */
function assemblySignatures(): Map<string, Signature> {
  const all = new Map<string, Signature>();
  for (const file of readdirSync(`${root}assembly`).filter((f) => f.endsWith('.ts'))) {
    for (const m of read(`assembly/${file}`).matchAll(/^export function (\w+)\(([^)]*)\)\s*:\s*(\w+)/gm)) {
      const params = m[2].split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
        const [name, type] = p.split(':').map((x) => x.trim());
        return { name, pointer: type === 'usize' };
      });
      all.set(m[1], { params, returns: m[3] === 'void' ? 'void' : 'number' });
    }
  }
  const index = read('assembly/index.ts');
  const exported = new Set([...index.matchAll(/export \{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((n) => n.trim()).filter(Boolean)));
  for (const m of index.matchAll(/^export function (\w+)/gm)) exported.add(m[1]);
  return new Map([...all].filter(([name]) => exported.has(name)));
}

/** The signatures src/backend/kernel_exports.ts declares. */
function declaredSignatures(): Map<string, Signature> {
  const text = read('src/backend/kernel_exports.ts');
  const body = text.slice(text.indexOf('export interface KernelExports {'));
  const out = new Map<string, Signature>();
  for (const m of body.matchAll(/^ {2}(\w+)\(([^)]*)\): (void|number);$/gm)) {
    const params = m[2].split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
      const [name, type] = p.split(':').map((x) => x.trim());
      return { name, pointer: type === 'Ptr' };
    });
    out.set(m[1], { params, returns: m[3] as Signature['returns'] });
  }
  return out;
}

describe('the kernel boundary', () => {
  it('KernelExports declares every kernel export with the parameters and result of its AssemblyScript source', () => {
    const source = assemblySignatures();
    const declared = declaredSignatures();
    expect(source.size).toBeGreaterThan(40);
    expect(Object.fromEntries(declared)).toEqual(Object.fromEntries(source));
  });

  it.each(['simd', 'scalar', 'threads', 'relaxed'] as KernelBuild[])('the %s build exports exactly those functions, each with its arity', async (build) => {
    if (!supportsBuild(build)) return; // relaxed SIMD needs a runtime flag on Node 20
    const module = await compileKernels(build);
    const shared = build === 'threads';
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 4096, ...(shared ? { shared: true } : {}) });
    // The raw instance (not the loader's wrappers), so that each function's length is its wasm arity.
    const imports: Record<string, Record<string, unknown>> = {};
    for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = i.kind === 'memory' ? memory : () => {};
    const { exports } = await WebAssembly.instantiate(module, imports as WebAssembly.Imports);
    const kernels = Object.entries(exports).filter(([, v]) => typeof v === 'function') as [string, (...a: number[]) => unknown][];
    const declared = declaredSignatures();
    expect(kernels.map(([name]) => name).sort()).toEqual([...declared.keys()].sort());
    for (const [name, fn] of kernels) expect(fn.length, name).toBe(declared.get(name)!.params.length);
  });

  it('every Backend method has a reference implementation and is tested against it', async () => {
    const engine = await init({ threads: 1 });
    const fast = Object.keys(engine.backend).filter((k) => typeof (engine.backend as unknown as Record<string, unknown>)[k] === 'function').sort();
    const reference = Object.keys(createReferenceBackend(engine.arena)).filter((k) => k !== 'name').sort();
    expect(reference).toEqual(fast);
    // The kernel tests run both backends on the same inputs through the harness (h.both / h.bits).
    const tests = readdirSync(`${root}test/kernels`).map((f) => read(`test/kernels/${f}`)).join('\n') + read('test/grad/kernels.test.ts');
    const untested = fast.filter((method) => !new RegExp(`\\b(b|backend|be)\\.${method}\\(|'${method}'`).test(tests));
    expect(untested).toEqual([]);
  });
});
