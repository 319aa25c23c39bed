// The main job through the API instead of the CLI: train the implicit-sparsity paper's MNIST
// network (1000 hidden ReLU units, batch norm before the ReLU, Adam + coupled L2), measure its
// group sparsity and reduce it.
//   node examples/mnist-mlp.mjs [--epochs 3] [--limit 60000] [--lambda 1e-3] [--seed 1]
import { parseArgs } from 'node:util';
import { Sequential, adam, chain, l2, loadMnist, measureSparsity, reduce, reductionReport, reductionTable } from 'slimtrain';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    limit: { type: 'string', default: '60000' },
    lambda: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '1' },
  },
});
for (const [flag, v] of Object.entries(values)) {
  if (!Number.isFinite(Number(v)) || Number(v) < 0) {
    console.error(`--${flag} = ${JSON.stringify(v)}: expected a non-negative number`);
    process.exit(2);
  }
}

const { train, test } = loadMnist({ limit: Number(values.limit) });
const model = await Sequential.create({
  inputShape: [784],
  layers: [{ type: 'dense', units: 1000 }, { type: 'batchNorm' }, { type: 'relu' }, { type: 'dense', units: 10 }],
  seed: Number(values.seed),
});
model.compile({ optimizer: chain(l2({ lambda: Number(values.lambda) }), adam({ lr: 1e-3 })), loss: 'crossEntropy' });
await model.fit(train.x, train.y, {
  epochs: Number(values.epochs),
  batchSize: 64,
  onEpochEnd: (e) => console.log(`epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}, accuracy ${(100 * e.accuracy).toFixed(2)}%, ${e.samplesPerSecond.toFixed(0)} samples/s`),
});
console.log(`test accuracy ${(100 * model.evaluate(test.x, test.y).accuracy).toFixed(2)}%`);

const sparsity = measureSparsity(model);
console.log(`xi = ${sparsity.threshold.xi.toExponential(2)} (${sparsity.threshold.reason})`);
console.log(`dead hidden units: ${sparsity.deadHiddenUnits} of ${sparsity.hiddenUnits}`);
const { model: small, record } = reduce(model);
console.log(reductionTable(reductionReport(model, small, record, test.x.subarray(0, 1000 * 784))));
console.log(`reduced model: test accuracy ${(100 * small.evaluate(test.x, test.y).accuracy).toFixed(2)}%`);
