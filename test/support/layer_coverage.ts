import { LAYER_TYPES, type LayerType } from '../../src/layers/registry.js';

/**
 * The registry's layer types that none of these specs uses. Tests that cover "every layer type"
 * assert this is empty, so a new type in the registry fails them until they cover it too.
 */
export function layerTypesMissing(...layerLists: readonly { type: string }[][]): LayerType[] {
  const used = new Set(layerLists.flat().map((l) => l.type));
  return LAYER_TYPES.filter((t) => !used.has(t));
}
