/** Nearest-neighbour downsampling for the 3D view, which must stay cheap in software rendering. Data-only. */
import type { Vec3 } from '../../../src-shared';

export interface Downsampled<T> {
  dims: Vec3;
  spacing: Vec3;
  step: number;
  data: T;
}

export function downsampleStep(dims: Vec3, maxDim: number): number {
  return Math.max(1, Math.ceil(Math.max(dims[0], dims[1], dims[2]) / maxDim));
}

export function downsample<T extends { length: number; [n: number]: number }>(data: T, dims: Vec3, spacing: Vec3, step: number, make: (n: number) => T, map?: (v: number) => number): Downsampled<T> {
  const nd: Vec3 = [Math.ceil(dims[0] / step), Math.ceil(dims[1] / step), Math.ceil(dims[2] / step)];
  const out = make(nd[0] * nd[1] * nd[2]);
  let o = 0;
  for (let k = 0; k < nd[2]; k++)
    for (let j = 0; j < nd[1]; j++) {
      const base = k * step * dims[0] * dims[1] + j * step * dims[0];
      for (let i = 0; i < nd[0]; i++) {
        const v = data[base + i * step];
        out[o++] = map ? map(v) : v;
      }
    }
  return { dims: nd, spacing: [spacing[0] * step, spacing[1] * step, spacing[2] * step], step, data: out };
}
