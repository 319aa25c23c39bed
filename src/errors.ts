/**
 * Every error slimtrain throws on purpose is a SlimtrainError, so callers can tell our checks
 * from bugs. Messages name the argument, the value received and what was expected.
 */
export class SlimtrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A bad argument: `ArgumentError('batchSize', 0, 'a positive integer')`. */
export class ArgumentError extends SlimtrainError {
  constructor(
    readonly argument: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${argument} = ${describe(value)}: expected ${expected}`);
  }
}

/** A capability the runtime lacks (for example relaxed SIMD in Node 20 without a flag). */
export class UnsupportedError extends SlimtrainError {}

/** The engine's WebAssembly memory cannot hold what was asked for. */
export class OutOfMemoryError extends SlimtrainError {}

/** A value printed compactly for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return value.length <= 8 ? `[${value.map(describe).join(', ')}]` : `array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of byteLength ${value.byteLength}`;
  if (value instanceof ArrayBuffer) return `ArrayBuffer of byteLength ${value.byteLength}`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}
