/**
 * A FeatureVolume's `slices` array whose entries are made on first access and kept in a small byte-budgeted LRU.
 * Why: voxel-resolution features are large (512×512 voxels × 48 channels × 4 B = 50 MB per slice, 15 GB for
 * 300 slices), so they cannot all be held; the compact patch grids are what is cached, and a slice is
 * upsampled when a head asks for it. Indexing, length, for…of and map work as on a plain array.
 */
import { ByteLru } from './lru';

export function lazySlices(
  n: number,
  available: (k: number) => boolean,
  make: (k: number) => Float32Array,
  budgetBytes: number,
): (Float32Array | undefined)[] {
  const lru = new ByteLru<Float32Array>(budgetBytes);
  // Filled with explicit undefined so that map/forEach visit every index (they skip holes).
  const target: (Float32Array | undefined)[] = new Array<Float32Array | undefined>(n).fill(undefined);
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'string') {
        const k = Number(prop);
        if (Number.isInteger(k) && k >= 0 && k < n && String(k) === prop) {
          if (!available(k)) return undefined;
          const key = prop;
          let v = lru.get(key);
          if (!v) {
            v = make(k);
            lru.set(key, v);
          }
          return v;
        }
      }
      return Reflect.get(t, prop, receiver);
    },
    set() {
      return false; // features are read-only views of the cache
    },
  });
}
