/**
 * Brush and eraser rasterisation on the voxel grid: a disc in the slice plane (2D) or a ball (3D), stamped
 * along the mouse path so that fast strokes leave no gaps. Radius is in millimetres so the brush covers the
 * same anatomy on anisotropic grids. Data-only.
 */
import type { Vec3 } from '../../../src-shared';
import type { Axis } from './viewgeom';

export type BrushShape = '2d' | '3d';

export interface BrushSpec {
  radiusMm: number;
  shape: BrushShape;
  /** Slice axis of the view being painted on; a 2D disc lies in the plane orthogonal to it. */
  sliceAxis: Axis;
}

/** Integer voxel offsets covered by the brush around its centre voxel (always includes the centre). */
export function brushOffsets(spacing: Vec3, spec: BrushSpec): Vec3[] {
  const r = Math.max(0, spec.radiusMm);
  const ext: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) ext[a] = Math.floor(r / spacing[a]);
  if (spec.shape === '2d') ext[spec.sliceAxis] = 0;
  const out: Vec3[] = [];
  const r2 = r * r + 1e-9;
  for (let dk = -ext[2]; dk <= ext[2]; dk++)
    for (let dj = -ext[1]; dj <= ext[1]; dj++)
      for (let di = -ext[0]; di <= ext[0]; di++) {
        const x = di * spacing[0], y = dj * spacing[1], z = dk * spacing[2];
        if (x * x + y * y + z * z <= r2) out.push([di, dj, dk]);
      }
  return out;
}

/**
 * Voxel indices (i fastest, sorted, unique) covered by a stroke through the given continuous voxel positions.
 * Points outside the grid contribute only their in-grid part.
 */
export function rasterizeStroke(dims: Vec3, spacing: Vec3, points: Vec3[], spec: BrushSpec): Uint32Array {
  if (points.length === 0) return new Uint32Array(0);
  const offsets = brushOffsets(spacing, spec);
  const centres = new Set<number>();
  const nx = dims[0], nxy = dims[0] * dims[1];
  // Centres may lie just outside the grid (brush edge still inside), so key them on a padded grid.
  const key = (i: number, j: number, k: number): number => ((k + 4096) * 8192 + (j + 4096)) * 8192 + (i + 4096);
  const centreList: Vec3[] = [];
  const addCentre = (p: Vec3): void => {
    const c: Vec3 = [Math.round(p[0]), Math.round(p[1]), Math.round(p[2])];
    if (spec.shape === '2d') c[spec.sliceAxis] = Math.round(points[0][spec.sliceAxis]);
    const kk = key(c[0], c[1], c[2]);
    if (!centres.has(kk)) {
      centres.add(kk);
      centreList.push(c);
    }
  };
  addCentre(points[0]);
  for (let p = 1; p < points.length; p++) {
    const a = points[p - 1], b = points[p];
    // Step at most half a voxel along the longest axis so consecutive stamps overlap.
    const steps = Math.ceil(2 * Math.max(Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1]), Math.abs(b[2] - a[2])));
    for (let s = 1; s <= steps; s++) {
      const t = s / steps;
      addCentre([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]);
    }
  }
  const hit = new Set<number>();
  for (const c of centreList) {
    for (const o of offsets) {
      const i = c[0] + o[0], j = c[1] + o[1], k = c[2] + o[2];
      if (i < 0 || j < 0 || k < 0 || i >= dims[0] || j >= dims[1] || k >= dims[2]) continue;
      hit.add(i + j * nx + k * nxy);
    }
  }
  const out = Uint32Array.from(hit);
  out.sort();
  return out;
}
