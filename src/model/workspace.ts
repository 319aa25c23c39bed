import type { Arena, Ptr } from '../backend/arena.js';
import type { Layer } from '../layers/layer.js';

/**
 * The regions one forward and backward pass of a batch of up to maxBatch samples works in, sized
 * once and reused every step, so that training allocates nothing per step. Float counts per region:
 * input n * inputSize; each layer's output n * outputSize (a flatten aliases its input); two
 * gradient regions of the widest activation; labels, targets and per-sample losses.
 */
export interface Workspace {
  maxBatch: number;
  input: Ptr;
  /** Output of each layer (the input's pointer for layers that alias it). */
  outputs: Ptr[];
  /** The gradient flowing backwards, ping-ponging between the two (0 in an inference model). */
  gradA: Ptr;
  gradB: Ptr;
  /** i32 class labels, or f32 targets [n, outputs], of the batch. */
  labels: Ptr;
  targets: Ptr;
  losses: Ptr;
  /** Inference: the layers' shared scratch (im2col columns), as large as the largest need; else 0. */
  scratch: Ptr;
  /** Every region above, for freeing. */
  owned: Ptr[];
}

/**
 * Allocates the workspace of a stack of built layers for batches of up to n samples. An inference
 * workspace keeps activations in two alternating regions (every layer writes the one its input is
 * not in) and has no gradient regions: the least memory a forward pass needs.
 */
export function planWorkspace(arena: Arena, layers: readonly Layer[], inputSize: number, outputSize: number, n: number, inference: boolean): Workspace {
  const owned: Ptr[] = [];
  const alloc = (floats: number): Ptr => {
    const p = arena.allocF32(floats);
    owned.push(p);
    return p;
  };
  const input = alloc(n * inputSize);
  const widest = Math.max(inputSize, ...layers.map((l) => l.outputSize));
  const outputs: Ptr[] = [];
  let previous = input;
  const pingPong = inference ? [alloc(n * widest), alloc(n * widest)] : null;
  for (const layer of layers) {
    const out = layer.aliasesInput ? previous : pingPong ? (previous === pingPong[0] ? pingPong[1] : pingPong[0]) : alloc(n * layer.outputSize);
    outputs.push(out);
    previous = out;
  }
  const gradA = inference ? 0 : alloc(n * widest);
  const gradB = inference ? 0 : alloc(n * widest);
  const labels = alloc(n);
  const targets = alloc(n * outputSize);
  const losses = alloc(n);
  const scratchFloats = inference ? Math.max(0, ...layers.map((l) => l.scratchFloats(n))) : 0;
  const scratch = scratchFloats ? alloc(scratchFloats) : 0;
  return { maxBatch: n, input, outputs, gradA, gradB, labels, targets, losses, scratch, owned };
}

export function freeWorkspace(arena: Arena, workspace: Workspace): void {
  for (const p of workspace.owned) arena.free(p);
}
