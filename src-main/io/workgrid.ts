/**
 * The working grid: a study too large to hold its features in memory (a 512×512×300 CT has 79 M voxels; 45 filter
 * channels in Float32 would need 14 GB) is segmented on a block-averaged copy of at most WORK_VOXELS voxels, and
 * the result is brought back to every voxel of the original grid. Strokes go the other way (a block takes the
 * stroke class painted most in it). Integer block factors keep the two grids exactly nested in world space, so
 * no interpolation is involved: the working voxel centre is the mean of its block's voxel centres.
 * Hand-written: block averaging on typed arrays is a few lines, no library needed.
 */
import { blockFactors, forEachLabeled, voxelCount, type Vec3, type Volume } from '../../src-shared';

/** Largest grid the engine computes features on (≈ 1.8 GB of Float32 filter features; a 512×512×300 CT works on 2×2×2 blocks). */
export const WORK_VOXELS = 10_000_000;

export interface WorkGrid {
  /** The volume the engine works on (the original object when it fits). */
  volume: Volume;
  /** Block size per axis; [1, 1, 1] when no reduction was needed. */
  f: Vec3;
  fullDims: Vec3;
}

export function workingGrid(vol: Volume, maxVoxels = WORK_VOXELS): WorkGrid {
  const f = blockFactors(vol.dims as Vec3, vol.spacing as Vec3, maxVoxels);
  if (f[0] === 1 && f[1] === 1 && f[2] === 1) return { volume: vol, f, fullDims: vol.dims as Vec3 };
  return { volume: downsampleVolume(vol, f), f, fullDims: vol.dims as Vec3 };
}

/** Block-mean copy of a volume (Float32 voxels, spacing × f, origin at the first block's centre). */
export function downsampleVolume(vol: Volume, f: Vec3): Volume {
  const [nx, ny, nz] = vol.dims;
  const cd: Vec3 = [Math.ceil(nx / f[0]), Math.ceil(ny / f[1]), Math.ceil(nz / f[2])];
  const sum = new Float64Array(voxelCount(cd));
  const cnt = new Uint32Array(sum.length);
  const src = vol.data;
  for (let k = 0; k < nz; k++) {
    const bk = ((k / f[2]) | 0) * cd[0] * cd[1];
    for (let j = 0; j < ny; j++) {
      const bj = bk + ((j / f[1]) | 0) * cd[0];
      const row = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++) {
        const b = bj + ((i / f[0]) | 0);
        sum[b] += src[row + i];
        cnt[b]++;
      }
    }
  }
  const data = new Float32Array(sum.length);
  for (let b = 0; b < data.length; b++) data[b] = sum[b] / cnt[b];
  const d = vol.direction;
  // Voxel (0,0,0) of the working grid sits at the centre of the first block: (f−1)/2 original voxels along each axis.
  const shift = [0, 1, 2].map((a) => ((f[a] - 1) / 2) * vol.spacing[a]);
  const origin: Vec3 = [0, 1, 2].map((r) => vol.origin[r] + d[r * 3] * shift[0] + d[r * 3 + 1] * shift[1] + d[r * 3 + 2] * shift[2]) as Vec3;
  return {
    ...vol,
    dims: cd,
    spacing: [vol.spacing[0] * f[0], vol.spacing[1] * f[1], vol.spacing[2] * f[2]],
    origin,
    data,
    voxelType: 'float32',
    warnings: [...vol.warnings, `Segmented on a ${cd.join('×')} working grid (blocks of ${f.join('×')} voxels): the study is too large for features at full resolution.`],
  };
}

/** Strokes onto the working grid: each block takes the stroke value painted most often in it (0 if none). */
export function labelsToWork(labels: Uint8Array, g: WorkGrid): Uint8Array {
  if (g.volume.data.length === labels.length) return labels;
  const [nx, ny] = g.fullDims;
  const cd = g.volume.dims, f = g.f;
  const out = new Uint8Array(voxelCount(cd as Vec3));
  // Counts only for blocks that hold strokes: strokes are sparse, a full per-block histogram would be 256× the grid.
  const hist = new Map<number, Map<number, number>>();
  forEachLabeled(labels, (v) => {
    const s = labels[v];
    const k = (v / (nx * ny)) | 0, r = v - k * nx * ny, j = (r / nx) | 0, i = r - j * nx;
    const b = (((k / f[2]) | 0) * cd[1] + ((j / f[1]) | 0)) * cd[0] + ((i / f[0]) | 0);
    let h = hist.get(b);
    if (!h) { h = new Map(); hist.set(b, h); }
    h.set(s, (h.get(s) ?? 0) + 1);
  });
  for (const [b, h] of hist) {
    let best = 0, bc = 0;
    for (const [s, c] of h) if (c > bc) { bc = c; best = s; }
    out[b] = best;
  }
  return out;
}

/** A working-grid label map back onto every voxel of the original grid (each voxel takes its block's value). */
export function labelsToFull(work: Uint8Array, g: WorkGrid): Uint8Array {
  if (work.length === voxelCount(g.fullDims)) return work;
  const [nx, ny, nz] = g.fullDims;
  const cd = g.volume.dims, f = g.f;
  const out = new Uint8Array(nx * ny * nz);
  const plane = nx * ny;
  const bi = new Int32Array(nx);
  for (let i = 0; i < nx; i++) bi[i] = (i / f[0]) | 0;
  // Rows of one block row are equal, and so are planes of one block plane: fill the first, copy the others.
  for (let k = 0; k < nz; k++) {
    if (k % f[2] !== 0) { out.copyWithin(k * plane, (k - 1) * plane, k * plane); continue; }
    for (let j = 0; j < ny; j++) {
      const row = (k * ny + j) * nx;
      if (j % f[1] !== 0) { out.copyWithin(row, row - nx, row); continue; }
      const brow = (((k / f[2]) | 0) * cd[1] + ((j / f[1]) | 0)) * cd[0];
      for (let i = 0; i < nx; i++) out[row + i] = work[brow + bi[i]];
    }
  }
  return out;
}
