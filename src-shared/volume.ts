/**
 * The Volume model: typed voxels on a world grid (see geometry.ts for conventions). Pure TypeScript.
 */
import type { Grid, Vec3 } from './geometry';

export type VoxelType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
export type VoxelArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export type Modality = 'CT' | 'MR' | 'PT' | 'US' | 'SEG' | 'OT' | string;

export interface VolumeMeta {
  patientName?: string;
  patientId?: string;
  studyInstanceUid?: string;
  studyDate?: string;
  studyDescription?: string;
  seriesInstanceUid?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  frameOfReferenceUid?: string;
  /** Source of the volume: file paths (DICOM: one per slice, sorted), for provenance and SEG references. */
  sourceFiles?: string[];
  /** SOP Instance UIDs of the source slices in k order (DICOM only), for SEG references. */
  sopInstanceUids?: string[];
  sopClassUid?: string;
  format?: 'dicom' | 'nifti' | 'nrrd' | 'mgh' | 'synthetic';
  /** Number of time points / volumes in the source when it was 4D (only one is loaded). */
  timePoints?: number;
}

export interface WindowLevel {
  center: number;
  width: number;
}

export interface Volume extends Grid {
  /** Rescaled voxel values (HU for CT), i fastest. The array type matches voxelType. */
  data: VoxelArray;
  voxelType: VoxelType;
  modality: Modality;
  meta: VolumeMeta;
  window: WindowLevel;
  /** Things the reader noticed and the user should know (irregular spacing, missing slices…). Never silent. */
  warnings: string[];
}

/** A label map shares its image's grid; 0 = unlabeled/background depending on context. */
export interface LabelMap extends Grid {
  data: Uint8Array;
}

export function arrayForType(t: VoxelType, n: number): VoxelArray {
  switch (t) {
    case 'uint8': return new Uint8Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int32': return new Int32Array(n);
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
  }
}

export function voxelTypeOf(a: VoxelArray): VoxelType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  return 'float64';
}

export function valueRange(a: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** A sensible default window: CT soft tissue, otherwise the 1st–99th percentile of a sample of voxels. */
export function defaultWindow(modality: Modality, data: ArrayLike<number>): WindowLevel {
  if (modality === 'CT') return { center: 40, width: 400 };
  const n = data.length;
  const step = Math.max(1, Math.floor(n / 100000));
  const sample: number[] = [];
  for (let i = 0; i < n; i += step) sample.push(data[i]);
  sample.sort((a, b) => a - b);
  if (sample.length === 0) return { center: 0, width: 1 };
  const lo = sample[Math.floor(sample.length * 0.01)];
  const hi = sample[Math.min(sample.length - 1, Math.floor(sample.length * 0.99))];
  return { center: (lo + hi) / 2, width: Math.max(1, hi - lo) };
}

export type { Vec3 };
