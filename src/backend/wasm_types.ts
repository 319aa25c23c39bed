// The WebAssembly types that public signatures name. The ES libs do not declare the WebAssembly
// namespace (the DOM lib does; @types/node 20 does not), so the declarations must not require it:
// where it exists these are its types, elsewhere the structural shapes below.
type Global = typeof globalThis;

/** A compiled WebAssembly module: `WebAssembly.Module` where the project's libs declare it. */
export type WasmModule = Global extends { WebAssembly: { Module: abstract new (...args: never[]) => infer M } } ? M : object;

/** A WebAssembly linear memory: `WebAssembly.Memory` where the project's libs declare it. */
export type WasmMemory = Global extends { WebAssembly: { Memory: abstract new (...args: never[]) => infer M } }
  ? M
  : { readonly buffer: ArrayBuffer | SharedArrayBuffer; grow(deltaPages: number): number };
