/**
 * A stream over bytes already in memory, in chunks that are views of them (no copy), so
 * in-memory and file data go through the same streaming readers.
 */
export function byteStream(bytes: Uint8Array, chunkSize = 1 << 20): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + chunkSize));
      at += chunkSize;
    },
  });
}
