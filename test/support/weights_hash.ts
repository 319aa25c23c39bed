/** FNV-1a over the bytes of every weight, in order (as the browser demo computes it): equal hashes mean bit-identical weights. */
export function weightsHash(weights: readonly { values: Float32Array }[]): string {
  let h = 0x811c9dc5;
  for (const w of weights) {
    const bytes = new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
