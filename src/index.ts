// The public API of slimtrain: re-exports only, one per line.
export { init, Engine } from './backend/engine.js';
export type { InitOptions } from './backend/engine.js';
export { supportsBuild, chooseBuild } from './backend/load.js';
export type { KernelBuild, SimdOption, WasmSource } from './backend/load.js';
export { Arena, ALIGN } from './backend/arena.js';
export type { Ptr } from './backend/arena.js';
export type { Backend, ActivationKind, WindowGeometry } from './backend/backend.js';
export { createReferenceBackend } from './backend/reference.js';
export { Conv2D } from './ops/conv2d.js';
export { windowGeometry, withBatch } from './ops/geometry.js';
export type { Padding } from './ops/geometry.js';
export { SlimtrainError, ArgumentError, UnsupportedError, OutOfMemoryError } from './errors.js';
