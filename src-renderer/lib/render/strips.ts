/**
 * Where one axial slice (voxel k) lands in a view that does not scroll through k: one row (coronal, sagittal)
 * or one column of that view's raster. Predictions stream in one axial slice at a time; repainting only this
 * strip keeps each streamed slice O(width) in those views instead of a whole raster. Data-only.
 */
import type { Vec3 } from '../../../src-shared';
import { planeRaster, type PlaneRaster, type ViewAxes } from '../data/viewgeom';

export interface Strip {
  /** The strip as a raster of its own (1 row or 1 column), addressing the same voxels as the view's raster. */
  raster: PlaneRaster;
  /** Its rectangle in the view's raster pixels. */
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The strip of voxel slice k in a view showing `slice`; null when the view itself scrolls through k. */
export function kStrip(dims: Vec3, ax: ViewAxes, slice: number, k: number): Strip | null {
  if (ax.slice === 2 || k < 0 || k >= dims[2]) return null;
  const r = planeRaster(dims, ax, slice);
  if (ax.down === 2) {
    const row = ax.downSign > 0 ? k : dims[2] - 1 - k;
    return { raster: { width: r.width, height: 1, origin: r.origin + row * r.strideRow, strideCol: r.strideCol, strideRow: r.strideRow }, x: 0, y: row, w: r.width, h: 1 };
  }
  const col = ax.rightSign > 0 ? k : dims[2] - 1 - k;
  // a column, laid out as a one-pixel-wide raster: its "rows" step down the view
  return { raster: { width: 1, height: r.height, origin: r.origin + col * r.strideCol, strideCol: r.strideCol, strideRow: r.strideRow }, x: col, y: 0, w: 1, h: r.height };
}
