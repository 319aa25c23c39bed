// The main job, as far as the engine goes today: train the implicit-sparsity paper's MNIST network
// (one hidden layer of 1000 ReLU units, batch norm before the ReLU, Adam + coupled L2), then count
// the hidden units whose incoming weights Adam + L2 drove to (numerical) zero.
//   node examples/mnist-mlp.mjs [--epochs 3] [--limit 60000] [--lambda 5e-4] [--seed 1]
import { parseArgs } from 'node:util';
import { Sequential, adam, chain, l2, loadMnist } from 'slimtrain';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    limit: { type: 'string', default: '60000' },
    lambda: { type: 'string', default: '5e-4' },
    seed: { type: 'string', default: '1' },
  },
});
const epochs = Number(values.epochs);
const lambda = Number(values.lambda);
for (const [flag, v] of [['--epochs', epochs], ['--limit', Number(values.limit)], ['--lambda', lambda], ['--seed', Number(values.seed)]]) {
  if (!Number.isFinite(v) || v < 0) {
    console.error(`${flag} = ${JSON.stringify(values[flag.slice(2)])}: expected a non-negative number`);
    process.exit(2);
  }
}

const { train, test } = loadMnist({ limit: Number(values.limit) });
const model = await Sequential.create({
  inputShape: [784],
  layers: [{ type: 'dense', units: 1000 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'dense', units: 10 }],
  seed: Number(values.seed),
});
model.compile({ optimizer: chain(l2({ lambda }), adam({ lr: 1e-3 })), loss: 'crossEntropy' });
console.log(model.summary());

const tty = process.stdout.isTTY;
await model.fit(train.x, train.y, {
  epochs,
  batchSize: 64,
  onBatchEnd: (b) => {
    if (!tty || b.batch % 20 !== 0) return;
    const width = 30;
    const done = Math.round((width * (b.batch + 1)) / b.batches);
    process.stdout.write(
      `\repoch ${b.epoch + 1}/${epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${b.batch + 1}/${b.batches} ` +
        `${b.samplesPerSecond.toFixed(0)} samples/s  ETA ${b.eta.toFixed(0)} s  loss ${b.loss.toFixed(4)}  `,
    );
  },
  onEpochEnd: (e) => {
    if (tty) process.stdout.write('\r\x1b[K');
    console.log(`epoch ${e.epoch + 1}/${epochs}: loss ${e.loss.toFixed(4)}, accuracy ${(100 * e.accuracy).toFixed(2)}%, ${e.samplesPerSecond.toFixed(0)} samples/s`);
  },
});

const { accuracy } = model.evaluate(test.x, test.y);
// Group norms ||w_k|| of the hidden units: columns of the [784, 1000] kernel.
const kernel = model.getWeights().find((w) => w.name === 'dense_1/kernel');
const [fanIn, units] = kernel.shape;
const norms = new Float64Array(units);
for (let i = 0; i < fanIn; i++) for (let k = 0; k < units; k++) norms[k] += kernel.values[i * units + k] ** 2;
const sorted = Array.from(norms, Math.sqrt).sort((a, b) => a - b);
const dead = sorted.filter((v) => v < 1e-3 * sorted[sorted.length - 1]).length;
console.log(`test accuracy ${(100 * accuracy).toFixed(2)}%`);
console.log(`hidden units with ||w_k|| < 1e-3 of the largest: ${dead} of ${units}`);
console.log(`group norms: min ${sorted[0].toExponential(2)}, median ${sorted[units >> 1].toExponential(2)}, max ${sorted[units - 1].toExponential(2)}`);
