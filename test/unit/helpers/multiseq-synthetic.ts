/**
 * A synthetic three-sequence study where EACH sequence alone shows the lesion (with its own contrast and noise),
 * so a head that uses the sequences redundantly can lose any one of them. Deterministic (fixed LCG noise).
 */
import type { Vec3, Volume } from '../../../src-shared';
import type { LinearHead } from '../../../src-main/fewshot';
import type { SequenceInput } from '../../../src-main/features/multiseq';
import type { FeatureVolume } from '../../../src-main/features/types';
import { positionFeatures } from '../../../src-main/fewshot/samples';

export const SYN_DIMS: Vec3 = [40, 40, 16];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** 1 inside an ellipsoid lesion, 0 elsewhere. */
export function synLesion(): Uint8Array {
  const [nx, ny, nz] = SYN_DIMS;
  const m = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const dx = (i - 17) / 8, dy = (j - 21) / 7, dz = (k - 8) / 5;
    if (dx * dx + dy * dy + dz * dz <= 1) m[i + nx * (j + ny * k)] = 1;
  }
  return m;
}

export function synVolume(data: Float32Array): Volume {
  return { dims: SYN_DIMS, spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data, voxelType: 'float32', modality: 'MR', meta: {}, window: { center: 100, width: 200 }, warnings: [] };
}

/** Sequence contrasts: lesion / background mean and noise σ. 'A' is the cleanest, so a head without dropout leans on it. */
export const SYN_SEQUENCES: { name: string; lesion: number; bg: number; noise: number }[] = [
  { name: 'A', lesion: 200, bg: 80, noise: 10 },
  { name: 'B', lesion: 60, bg: 140, noise: 22 },
  { name: 'C', lesion: 170, bg: 100, noise: 20 },
];

export function synStudy(): { lesion: Uint8Array; sequences: SequenceInput[] } {
  const lesion = synLesion();
  const rand = lcg(7);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const sequences = SYN_SEQUENCES.map((s) => {
    const d = new Float32Array(lesion.length);
    for (let p = 0; p < d.length; p++) d[p] = (lesion[p] ? s.lesion : s.bg) + s.noise * gauss();
    return { name: s.name, volume: synVolume(d) };
  });
  return { lesion, sequences };
}

/** logit(class 1) − logit(class 0) of a linear head at voxel v (position channels from the voxel index, 1 mm). */
export function linearMargin(h: LinearHead, f: FeatureVolume, v: number, dims: Vec3 = SYN_DIMS): number {
  const plane = dims[0] * dims[1];
  const F = h.backbone.dim, P = h.positionChannels, D = F + P;
  const k = Math.floor(v / plane), sl = f.slices[k]!, o = (v - k * plane) * f.dim;
  const pos = new Float32Array(3);
  positionFeatures(v, dims, [1, 1, 1], pos, 0);
  const z = (d: number) => ((d < F ? sl[o + d] : pos[d - F]) - h.mean[d]) / h.std[d];
  let a = h.bias[1] - h.bias[0];
  for (let d = 0; d < D; d++) a += (h.weights[D + d] - h.weights[d]) * z(d);
  return a;
}
