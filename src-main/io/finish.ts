/**
 * The last step shared by the single-file readers: compact integer storage, modality when the format has
 * none, default window, and the Volume object itself.
 */
import { defaultWindow, valueRange, type Grid, type Modality, type Volume, type VolumeMeta, type VoxelArray } from '../../src-shared';
import { voxelTypeOf } from '../../src-shared';

/** 32-bit integer volumes whose values fit int16 are stored as int16: half the memory, same values. */
export function narrowIntegers(data: VoxelArray): VoxelArray {
  if (!(data instanceof Int32Array || data instanceof Uint32Array)) return data;
  const [lo, hi] = valueRange(data);
  if (lo < -32768 || hi > 32767) return data;
  return Int16Array.from(data);
}

/** Replace NaN/±Inf in float data with 0 (they poison ranges, windows and features); returns how many. */
export function cleanNonFinite(data: VoxelArray): number {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return 0;
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      data[i] = 0;
      n++;
    }
  }
  return n;
}

/**
 * NIfTI/NRRD/MGH store no modality. CT is recognised by its Hounsfield range (air near −1000, bone above
 * +300); the caller states the guess in a warning. Everything else stays 'MR' when it looks like an MR
 * intensity image (non-negative), else 'OT'.
 */
export function guessModality(range: [number, number]): { modality: Modality; guessed: boolean } {
  if (range[0] <= -900 && range[0] >= -3100 && range[1] >= 300) return { modality: 'CT', guessed: true };
  return { modality: 'OT', guessed: false };
}

export function buildVolume(grid: Grid, data: VoxelArray, meta: VolumeMeta, warnings: string[], modality?: Modality): Volume {
  const fixed = cleanNonFinite(data);
  if (fixed > 0) warnings.push(`${fixed} voxels held no valid number (NaN/infinite) and were set to 0.`);
  const stored = narrowIntegers(data);
  let mod = modality;
  if (!mod) {
    const g = guessModality(valueRange(stored));
    mod = g.modality;
    if (g.guessed) warnings.push('The file does not record the modality; CT was assumed from the Hounsfield-like value range.');
  }
  return {
    dims: grid.dims,
    spacing: grid.spacing,
    origin: grid.origin,
    direction: grid.direction,
    data: stored,
    voxelType: voxelTypeOf(stored),
    modality: mod,
    meta,
    window: defaultWindow(mod, stored),
    warnings,
  };
}
