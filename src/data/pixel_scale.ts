/** byte / 255 for every byte value, as float32: scaling pixels to [0, 1] by table lookup. */
export const UNIT_SCALE = Float32Array.from({ length: 256 }, (_, b) => b / 255);
