/**
 * Intensity normalisation before filtering. CT: HU scaled by a FIXED factor (not per-volume min–max), so the
 * same tissue gives the same feature values in every study. MR has no absolute scale: map the 1st–99th
 * percentile of the volume (sampled) to 0..10 so that the bins below sit in comparable places.
 */
import type { Volume } from '../../../src-shared';

export const CT_SCALE = 1 / 100; // 100 HU per unit: fat ≈ −1, water 0, liver ≈ 0.6, bone ≥ 3
export const CT_CLAMP: [number, number] = [-10.24, 30];

export type IntensityMode = 'ct' | 'mr';

export function intensityMode(v: Volume): IntensityMode {
  return v.modality === 'CT' ? 'ct' : 'mr';
}

function percentiles(data: ArrayLike<number>, ps: number[]): number[] {
  const n = data.length;
  const step = Math.max(1, Math.floor(n / 200000));
  const s = new Float64Array(Math.ceil(n / step));
  let m = 0;
  for (let i = 0; i < n; i += step) s[m++] = data[i];
  const a = s.subarray(0, m).sort();
  return ps.map((p) => (m === 0 ? 0 : a[Math.min(m - 1, Math.floor(p * (m - 1)))]));
}

/** Normalised Float32 copy of the voxels, and the affine map used (for the head file and reports). */
export function normalizeIntensity(v: Volume, mode: IntensityMode): { data: Float32Array; scale: number; offset: number } {
  const src = v.data;
  const n = src.length;
  const out = new Float32Array(n);
  let scale: number, offset: number, lo: number, hi: number;
  if (mode === 'ct') {
    scale = CT_SCALE;
    offset = 0;
    [lo, hi] = CT_CLAMP;
  } else {
    const [p1, p99] = percentiles(src, [0.01, 0.99]);
    const w = p99 - p1 > 0 ? p99 - p1 : 1;
    scale = 10 / w;
    offset = -p1 * scale;
    lo = -5;
    hi = 15;
  }
  for (let i = 0; i < n; i++) {
    let x = src[i] * scale + offset;
    if (x < lo) x = lo;
    else if (x > hi) x = hi;
    out[i] = x;
  }
  return { data: out, scale, offset };
}

/**
 * Soft intensity bins (Gaussian memberships) in normalised units. They let a LINEAR head pick an intensity band
 * (liver vs muscle vs fat), which a linear function of the raw value cannot do. Centres are generic tissue
 * classes (air, fat, water, soft tissue, enhanced tissue, bone), not tuned to any study.
 */
export function binCentres(mode: IntensityMode): { centres: number[]; width: number } {
  if (mode === 'ct') return { centres: [-9, -1, 0, 0.4, 0.8, 1.5, 3], width: 0.3 };
  return { centres: [0, 1.5, 3, 4.5, 6, 7.5, 9], width: 0.9 };
}
