/**
 * Resample voxels from one grid onto another through world coordinates (label map onto its image, an image onto
 * another's grid). The index→index affine is computed once; along each output row only the in-bounds run of i
 * is visited, found analytically, so the inner loop has no bounds tests (512×512×300 in about a second).
 * A sample belongs to source voxel v when it lies within half a voxel of v's centre; outside the source → fill.
 */
import {
  arrayForType, indexToWorldMatrix, voxelTypeOf, worldToIndexMatrix,
  type Grid, type LabelMap, type Mat4, type Volume, type VoxelArray,
} from '../../src-shared';

export interface ResampleOptions {
  /** 'nearest' for labels (keeps label values), 'linear' (trilinear) for images. Default 'linear'. */
  interpolation?: 'nearest' | 'linear';
  /** Value outside the source volume (default 0). */
  fill?: number;
}

function mul4(a: Mat4, b: Mat4): Mat4 {
  const r = new Array<number>(16).fill(0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a[i * 4 + k] * b[k * 4 + j];
    r[i * 4 + j] = s;
  }
  return r;
}

/** Destination index → continuous source index. */
export function indexToIndexMatrix(src: Grid, dst: Grid): Mat4 {
  return mul4(worldToIndexMatrix(src), indexToWorldMatrix(dst));
}

/** Range [i0, i1] of destination i (within r) with  lo <= b + a·i < hi.  Empty when i0 > i1. */
function inRange(b: number, a: number, lo: number, hi: number, r: [number, number]): void {
  const inside = (i: number) => {
    const x = b + a * i;
    return x >= lo && x < hi;
  };
  if (Math.abs(a) < 1e-12) {
    if (!inside(0)) r[1] = r[0] - 1;
    return;
  }
  const lim0 = r[0], lim1 = r[1];
  const t1 = (lo - b) / a, t2 = (hi - b) / a;
  let i0 = Math.max(lim0, Math.ceil(Math.min(t1, t2)));
  let i1 = Math.min(lim1, Math.floor(Math.max(t1, t2)));
  // The division can be off by one ulp at the edges; settle them with the exact test the loops rely on.
  while (i0 <= i1 && !inside(i0)) i0++;
  while (i1 >= i0 && !inside(i1)) i1--;
  if (i0 <= i1) {
    while (i0 > lim0 && inside(i0 - 1)) i0--;
    while (i1 < lim1 && inside(i1 + 1)) i1++;
  }
  r[0] = i0;
  r[1] = i1;
}

/** True when every destination voxel centre falls exactly on a source voxel centre (identity, flips, axis swaps). */
function isIndexAligned(m: Mat4): boolean {
  for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) if (Math.abs(m[i] - Math.round(m[i])) > 1e-6) return false;
  return true;
}

export function resampleData<T extends VoxelArray>(srcGrid: Grid, src: T, dst: Grid, opts: ResampleOptions = {}): T {
  const fill = opts.fill ?? 0;
  const type = voxelTypeOf(src);
  const isInt = type !== 'float32' && type !== 'float64';
  const [nx, ny, nz] = srcGrid.dims;
  const [dx, dy, dz] = dst.dims;
  const out = arrayForType(type, dx * dy * dz) as T;
  if (fill !== 0) out.fill(fill);
  const m = indexToIndexMatrix(srcGrid, dst);
  // on aligned grids trilinear weights are all 0/1: nearest gives the identical result, much faster
  const interp = isIndexAligned(m) ? 'nearest' : (opts.interpolation ?? 'linear');
  const ax = m[0], ay = m[4], az = m[8];
  const sxy = nx * ny;
  const range: [number, number] = [0, 0];
  const core: [number, number] = [0, 0];
  for (let k = 0; k < dz; k++) {
    for (let j = 0; j < dy; j++) {
      const bx = m[1] * j + m[2] * k + m[3];
      const by = m[5] * j + m[6] * k + m[7];
      const bz = m[9] * j + m[10] * k + m[11];
      range[0] = 0;
      range[1] = dx - 1;
      inRange(bx, ax, -0.5, nx - 0.5, range);
      if (range[0] <= range[1]) inRange(by, ay, -0.5, ny - 0.5, range);
      if (range[0] <= range[1]) inRange(bz, az, -0.5, nz - 0.5, range);
      if (range[0] > range[1]) continue;
      const row = (k * dy + j) * dx;
      if (interp === 'nearest') {
        for (let i = range[0]; i <= range[1]; i++) {
          const si = (bx + ax * i + 0.5) | 0, sj = (by + ay * i + 0.5) | 0, sk = (bz + az * i + 0.5) | 0;
          out[row + i] = src[si + sj * nx + sk * sxy];
        }
        continue;
      }
      // core: all 8 neighbours inside (0 <= x < n-1 on each axis), no clamping needed
      core[0] = range[0];
      core[1] = range[1];
      inRange(bx, ax, 0, nx - 1, core);
      if (core[0] <= core[1]) inRange(by, ay, 0, ny - 1, core);
      if (core[0] <= core[1]) inRange(bz, az, 0, nz - 1, core);
      if (core[0] > core[1]) {
        core[0] = range[1] + 1;
        core[1] = range[1];
      }
      for (let i = range[0]; i < core[0]; i++) out[row + i] = edgeSample(src, bx + ax * i, by + ay * i, bz + az * i, nx, ny, nz, isInt);
      for (let i = core[1] + 1; i <= range[1]; i++) out[row + i] = edgeSample(src, bx + ax * i, by + ay * i, bz + az * i, nx, ny, nz, isInt);
      for (let i = core[0]; i <= core[1]; i++) {
        const x = bx + ax * i, y = by + ay * i, z = bz + az * i;
        const x0 = x | 0, y0 = y | 0, z0 = z | 0;
        const fx = x - x0, fy = y - y0, fz = z - z0;
        const p = x0 + y0 * nx + z0 * sxy;
        const p1 = p + nx, p2 = p + sxy, p3 = p2 + nx;
        const a0 = src[p], a1 = src[p1], a2 = src[p2], a3 = src[p3];
        const c00 = a0 + (src[p + 1] - a0) * fx;
        const c10 = a1 + (src[p1 + 1] - a1) * fx;
        const c01 = a2 + (src[p2 + 1] - a2) * fx;
        const c11 = a3 + (src[p3 + 1] - a3) * fx;
        const c0 = c00 + (c10 - c00) * fy, c1 = c01 + (c11 - c01) * fy;
        const v = c0 + (c1 - c0) * fz;
        out[row + i] = isInt ? Math.round(v) : v;
      }
    }
  }
  return out;
}

/** Trilinear within half a voxel outside the outermost centres: coordinates clamped to the edge. */
function edgeSample(src: VoxelArray, x: number, y: number, z: number, nx: number, ny: number, nz: number, isInt: boolean): number {
  x = x < 0 ? 0 : x > nx - 1 ? nx - 1 : x;
  y = y < 0 ? 0 : y > ny - 1 ? ny - 1 : y;
  z = z < 0 ? 0 : z > nz - 1 ? nz - 1 : z;
  const x0 = x | 0, y0 = y | 0, z0 = z | 0;
  const fx = x - x0, fy = y - y0, fz = z - z0;
  const sxy = nx * ny;
  const ox = x0 + 1 < nx ? 1 : 0, oy = y0 + 1 < ny ? nx : 0, oz = z0 + 1 < nz ? sxy : 0;
  const p = x0 + y0 * nx + z0 * sxy;
  const c00 = src[p] + (src[p + ox] - src[p]) * fx;
  const c10 = src[p + oy] + (src[p + oy + ox] - src[p + oy]) * fx;
  const c01 = src[p + oz] + (src[p + oz + ox] - src[p + oz]) * fx;
  const c11 = src[p + oz + oy] + (src[p + oz + oy + ox] - src[p + oz + oy]) * fx;
  const c0 = c00 + (c10 - c00) * fy, c1 = c01 + (c11 - c01) * fy;
  const v = c0 + (c1 - c0) * fz;
  return isInt ? Math.round(v) : v;
}

const gridOf = (g: Grid): Grid => ({ dims: [...g.dims], spacing: [...g.spacing], origin: [...g.origin], direction: [...g.direction] } as Grid);

/** An image on another grid (trilinear by default). Metadata and warnings are kept. */
export function resampleVolume(v: Volume, target: Grid, opts: ResampleOptions = {}): Volume {
  const data = resampleData(v, v.data, target, opts);
  return { ...v, ...gridOf(target), data, warnings: [...v.warnings] };
}

/** A label map on another grid: always nearest neighbour, so only existing label values appear; outside → 0. */
export function resampleLabels(l: LabelMap, target: Grid): LabelMap {
  return { ...gridOf(target), data: resampleData(l, l.data, target, { interpolation: 'nearest', fill: 0 }) };
}
