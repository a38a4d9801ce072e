/** Per-class volume in millilitres from a label map (voxel count × voxel volume). Data-only. */
import type { Vec3 } from '../../../src-shared';

export interface ClassVolume {
  id: number;
  voxels: number;
  ml: number;
}

export function histogram256(data: Uint8Array): Uint32Array {
  const h = new Uint32Array(256);
  for (let n = 0; n < data.length; n++) h[data[n]]++;
  return h;
}

/** Volumes of the given class ids (in the order given); 1 mL = 1000 mm³. */
export function classVolumes(data: Uint8Array, spacing: Vec3, ids: number[]): ClassVolume[] {
  const h = histogram256(data);
  const voxelMl = (spacing[0] * spacing[1] * spacing[2]) / 1000;
  return ids.map((id) => ({ id, voxels: h[id] ?? 0, ml: (h[id] ?? 0) * voxelMl }));
}

export function formatMl(ml: number): string {
  if (ml === 0) return '0';
  if (ml < 1) return ml.toFixed(3);
  if (ml < 100) return ml.toFixed(1);
  return Math.round(ml).toString();
}
