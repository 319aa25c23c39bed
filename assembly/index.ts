// Every kernel the engine calls. Kernels take byte offsets into the one linear memory and integer
// or float scalars, allocate nothing and return nothing (reductions write to an out pointer).
export { gemm, gemmRows, convGemmRows, convFilterGemmRows, convInputGemm, convInputGemmMaxTaps, gemmWorkFloats } from "./gemm";

// End of the module's static data (Mathf's lookup tables): the TypeScript arena allocates above it.
export function heapBase(): usize {
  return __heap_base;
}

export { im2col, col2im, flipKernel } from "./conv";
export { sparseMatmul, sparseMatmulRows, sparseWorkFloats } from "./sparse";
export { sparseConvolution, sparseConvWorkFloats } from "./sparse_conv";
export { maxPoolForward, maxPoolForwardImages, maxPoolBackward, maxPoolBackwardRange, avgPoolForward, avgPoolBackward } from "./pool";
export {
  reluForward, reluBackward, leakyReluForward, leakyReluBackward, eluForward, eluBackward,
  tanhForward, tanhBackward, sigmoidForward, sigmoidBackward,
} from "./activation";
export { biasAdd, biasGrad } from "./bias";
export { batchNormForwardTrain, batchNormForwardInference, batchNormBackward, batchNormBackwardInference } from "./batchnorm";
export { softmaxCrossEntropy, softmaxCrossEntropyDense, softmax, meanSquaredError } from "./loss";
export { sgdUpdate, momentumUpdate, adamUpdate, rmspropUpdate, adagradUpdate } from "./optim";
export { columnNorms, rowNorms, countBelow, sumSquares } from "./norms";
export { fill, copy, scale, axpy, maskMultiply, flushSubnormals } from "./elementwise";
export { addL1Gradient, sumAbs, sumAbsPow, pnormDecayPrepare, pnormDecayApply, softThreshold, scaleColumns, scaleRows, selectiveDecayGradient, lobsterDecay } from "./regularize";
