import { init, type Engine } from '../backend/engine.js';
import { availableThreads } from '../backend/thread_pool.js';
import { SlimtrainError } from '../errors.js';
import { encodeModel, modelFromBytes } from '../io/model_file.js';
import { Sequential } from '../model/sequential.js';
import { optimizerFromSpec } from '../optim/spec.js';
import { reduce } from '../reduce/reduce.js';
import { reductionReport } from '../reduce/report.js';
import { measureSparsity } from '../sparsity/measure.js';
import { SPARSE_MODES, type SparseMode } from '../layers/sparse_kernel.js';
import { oneOf } from '../validate.js';
import { buffersOf, type Endpoint, type FitProgress, type ModelInfo, type Operation, type ReplyMessage, type RequestMessage, type Requests } from './protocol.js';

type Handlers = { [K in Operation]: (args: Requests[K]['args'], id: number) => Promise<Requests[K]['result']> | Requests[K]['result'] };

function info(model: Sequential): ModelInfo {
  return {
    parameterCount: model.parameterCount,
    flops: model.flops,
    inputShape: [...model.inputShape],
    outputShape: [...model.outputShape],
    summary: model.summary(),
    spec: model.toSpec(),
  };
}

/**
 * Serves TrainerClient requests on an endpoint: one engine and one model, the same library calls
 * as in the calling thread. Requests run one at a time in arrival order, except `abort`, which is
 * handled at once so that it can stop a running fit between two batches.
 */
export function serveTrainer(endpoint: Endpoint): { close(): void } {
  let engine: Engine | null = null;
  let model: Sequential | null = null;
  const fits = new Map<number, AbortController>();
  let queue: Promise<void> = Promise.resolve();

  const needEngine = (): Engine => {
    if (!engine) throw new SlimtrainError('the trainer is not initialised (createTrainer does this)');
    return engine;
  };
  const needModel = (): Sequential => {
    if (!model) throw new SlimtrainError('the trainer has no model: call build(spec) or importModel(bytes) first');
    return model;
  };
  // predict's inference copy of the model (toInference) and the sparse mode it was made for; made
  // again after anything that changes the weights or the model.
  let inference: { model: Sequential; mode: SparseMode } | null = null;
  const dropInferenceCopy = () => {
    inference?.model.dispose();
    inference = null;
  };
  const replace = (next: Sequential) => {
    dropInferenceCopy();
    model?.dispose();
    model = next;
    return info(next);
  };

  const handlers: Handlers = {
    async init({ module, simd, threads }) {
      // Threads run their own (shared-memory) build, compiled here; one thread uses the module handed over.
      const wanted = threads ?? 'auto';
      const many = (simd ?? 'auto') === 'auto' || simd === 'plain' ? (wanted === 'auto' ? availableThreads().threads : wanted) : 1;
      engine = many > 1 ? await init({ threads: wanted, ...(simd ? { simd } : {}) }) : await init({ ...(module ? { wasm: module } : {}), ...(simd ? { simd } : {}), threads: 1 });
      // The engine above was asked for one thread when 'auto' found one: say why, as init() does.
      const reason = engine.threadsReason ?? (engine.threads === 1 && wanted === 'auto' ? availableThreads().reason : undefined);
      return { kernels: engine.kernels, threads: engine.threads, ...(reason ? { threadsReason: reason } : {}) };
    },
    build: ({ spec }) => replace(Sequential.build(needEngine(), spec)),
    // The whole options object goes on to compile, which refuses keys it does not know.
    compile: (options) => needModel().compile({ ...options, optimizer: typeof options.optimizer === 'string' ? options.optimizer : optimizerFromSpec(options.optimizer) }),
    async fit({ x, y, options }, id) {
      const m = needModel();
      dropInferenceCopy();
      const controller = new AbortController();
      fits.set(id, controller);
      const { progressEveryMs = 100, measureSparsity: measure = false, ...fitOptions } = options;
      let last = -Infinity;
      const send = (progress: FitProgress) => endpoint.post({ kind: 'progress', id, progress } satisfies ReplyMessage);
      let latest: FitProgress | null = null;
      try {
        return await m.fit(x, y, {
          ...fitOptions,
          signal: controller.signal,
          onBatchEnd: (b) => {
            latest = {
              epoch: b.epoch, epochs: options.epochs ?? 1, batch: b.batch, batches: b.batches, step: m.step, loss: b.loss, dataLoss: b.dataLoss, penalty: b.penalty,
              accuracy: b.accuracy, samplesPerSecond: b.samplesPerSecond, eta: b.eta, parameters: m.parameterCount, flops: m.flops,
            };
            const now = performance.now();
            if (now - last >= progressEveryMs) {
              last = now;
              send(latest);
            }
          },
          onReduce: (cut) => {
            if (latest) send({ ...latest, step: m.step, parameters: m.parameterCount, flops: m.flops, reduction: cut });
          },
          onEpochEnd: (e) => {
            if (latest) send({ ...latest, step: m.step, parameters: m.parameterCount, flops: m.flops, epochLog: e, ...(measure ? { sparsity: measureSparsity(m) } : {}) });
          },
        });
      } finally {
        fits.delete(id);
      }
    },
    abort({ target, reason }) {
      fits.get(target)?.abort(new DOMException(reason, 'AbortError'));
    },
    evaluate: ({ x, y, batchSize }) => needModel().evaluate(x, y, batchSize !== undefined ? { batchSize } : {}),
    predict: ({ x, batchSize, probabilities, sparse }) => {
      const mode = oneOf('predict options.sparse', sparse ?? 'auto', SPARSE_MODES);
      const m = needModel();
      let runner = m;
      if (mode !== 'never') {
        if (!inference || inference.mode !== mode) {
          dropInferenceCopy();
          inference = { model: m.toInference({ sparse: mode }), mode };
        }
        runner = inference.model;
      }
      return runner.predict(x, { ...(batchSize !== undefined ? { batchSize } : {}), ...(probabilities !== undefined ? { probabilities } : {}) });
    },
    measureSparsity: ({ options }) => measureSparsity(needModel(), options ?? {}),
    reduce({ options, sample }) {
      const m = needModel();
      const { model: reduced, record } = reduce(m, options ?? {});
      const report = sample ? reductionReport(m, reduced, record, sample) : null;
      // The reduced model takes over, with the original's optimizer settings if it had them.
      const chain = m.optimizer?.toSpec();
      const loss = m.loss;
      const next = replace(reduced);
      if (chain) reduced.compile({ optimizer: optimizerFromSpec(chain), loss });
      return { record, report, model: next };
    },
    getWeights: () => needModel().getWeights(),
    setWeights: ({ weights }) => {
      dropInferenceCopy();
      needModel().setWeights(weights);
    },
    exportModel: ({ metadata }) => encodeModel(needModel(), metadata ?? {}),
    importModel: ({ bytes }) => replace(modelFromBytes(needEngine(), bytes).model),
    fail({ message, uncaught }) {
      if (uncaught) setTimeout(() => { throw new Error(message); }, 0);
      else throw new SlimtrainError(message);
    },
    dispose() {
      dropInferenceCopy();
      model?.dispose();
      model = null;
      engine?.dispose();
      engine = null;
    },
  };

  const reply = (message: ReplyMessage) => endpoint.post(message, message.kind === 'result' ? buffersOf(message.result) : []);

  async function handle(request: RequestMessage): Promise<void> {
    try {
      // Own properties only: 'toString' or '__proto__' must not reach Object.prototype.
      if (typeof request.op !== 'string' || !Object.hasOwn(handlers, request.op)) throw new SlimtrainError(`unknown trainer operation ${JSON.stringify(request.op)}`);
      if (request.args === null || typeof request.args !== 'object') throw new SlimtrainError(`trainer operation ${request.op}: args = ${JSON.stringify(request.args)}: expected an object`);
      const handler = handlers[request.op] as (args: unknown, id: number) => unknown;
      reply({ kind: 'result', id: request.id, result: await handler(request.args, request.id) });
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      reply({ kind: 'error', id: request.id, error: { name: error.name, message: error.message, stack: error.stack } });
    }
  }

  endpoint.listen((data) => {
    const request = data as RequestMessage;
    // A message without a request id cannot be answered: it is not ours.
    if (request === null || typeof request !== 'object' || request.kind !== 'request' || !Number.isInteger(request.id)) return;
    if (request.op === 'abort') void handle(request);
    else queue = queue.then(() => handle(request));
  });

  return {
    /** Stops a running fit at its next batch, then frees the model and the engine. */
    close() {
      for (const controller of fits.values()) controller.abort(new DOMException('the trainer was terminated', 'AbortError'));
      queue = queue.then(() => void handlers.dispose({}, 0));
    },
  };
}
