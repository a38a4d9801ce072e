/**
 * How a volume's voxel axes map onto a 2D view (axial / coronal / sagittal), in radiological convention:
 * axial seen from the feet (patient's left on screen right, anterior up), coronal seen from the front,
 * sagittal seen from the patient's left (anterior on screen left). Data-only: importable in Node for tests.
 *
 * Views work in "index·spacing" space (voxel (i,j,k) sits at (i·si, j·sj, k·sk)); the true LPS position comes
 * from src-shared geometry. Oblique volumes are shown along their nearest voxel axes, as ITK-SNAP does.
 */
import { axis, orientationLetter, type Grid, type Vec3 } from '../../../src-shared';

export type ViewKind = 'axial' | 'coronal' | 'sagittal';
export const VIEW_KINDS: ViewKind[] = ['axial', 'coronal', 'sagittal'];
export type Axis = 0 | 1 | 2;
export type Sign = 1 | -1;

export interface ViewAxes {
  kind: ViewKind;
  /** Voxel axis that the view scrolls through. */
  slice: Axis;
  /** Voxel axis and sign drawn to the screen's right and downward. */
  right: Axis;
  rightSign: Sign;
  down: Axis;
  downSign: Sign;
}

// Wanted world direction for screen-right and screen-down, per view (LPS).
const WORLD: Record<ViewKind, { normal: Vec3; right: Vec3; down: Vec3 }> = {
  axial: { normal: [0, 0, 1], right: [1, 0, 0], down: [0, 1, 0] },
  coronal: { normal: [0, 1, 0], right: [1, 0, 0], down: [0, 0, -1] },
  sagittal: { normal: [1, 0, 0], right: [0, 1, 0], down: [0, 0, -1] },
};

function dotv(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function viewAxes(grid: Pick<Grid, 'direction'>, kind: ViewKind): ViewAxes {
  const w = WORLD[kind];
  const cols: Vec3[] = [axis(grid.direction, 0), axis(grid.direction, 1), axis(grid.direction, 2)];
  const pick = (target: Vec3, avoid: Axis[]): { a: Axis; s: Sign } => {
    let best: Axis = 0;
    let bestV = -1;
    for (const a of [0, 1, 2] as Axis[]) {
      if (avoid.includes(a)) continue;
      const v = Math.abs(dotv(cols[a], target));
      if (v > bestV) {
        bestV = v;
        best = a;
      }
    }
    return { a: best, s: dotv(cols[best], target) >= 0 ? 1 : -1 };
  };
  const sl = pick(w.normal, []);
  const r = pick(w.right, [sl.a]);
  const d = pick(w.down, [sl.a, r.a]);
  return { kind, slice: sl.a, right: r.a, rightSign: r.s, down: d.a, downSign: d.s };
}

/** Orientation letters at the four screen edges (what the patient direction is at that edge). */
export function orientationLabels(grid: Pick<Grid, 'direction'>, ax: ViewAxes): { left: string; right: string; top: string; bottom: string } {
  const r = axis(grid.direction, ax.right).map((x) => x * ax.rightSign) as Vec3;
  const d = axis(grid.direction, ax.down).map((x) => x * ax.downSign) as Vec3;
  const neg = (v: Vec3): Vec3 => [-v[0], -v[1], -v[2]];
  return { right: orientationLetter(r), left: orientationLetter(neg(r)), bottom: orientationLetter(d), top: orientationLetter(neg(d)) };
}

/**
 * The voxels of one slice as a 2D raster in screen order: voxel index = origin + col·strideCol + row·strideRow,
 * for col < width (screen right) and row < height (screen down).
 */
export interface PlaneRaster {
  width: number;
  height: number;
  origin: number;
  strideCol: number;
  strideRow: number;
}

export function planeRaster(dims: Vec3, ax: ViewAxes, slice: number): PlaneRaster {
  const strides: Vec3 = [1, dims[0], dims[0] * dims[1]];
  const width = dims[ax.right];
  const height = dims[ax.down];
  let origin = slice * strides[ax.slice];
  let strideCol = strides[ax.right];
  let strideRow = strides[ax.down];
  if (ax.rightSign < 0) {
    origin += (width - 1) * strideCol;
    strideCol = -strideCol;
  }
  if (ax.downSign < 0) {
    origin += (height - 1) * strideRow;
    strideRow = -strideRow;
  }
  return { width, height, origin, strideCol, strideRow };
}

/** Voxel (i,j,k) of raster pixel (col,row) on a slice. */
export function rasterToIjk(dims: Vec3, ax: ViewAxes, slice: number, col: number, row: number): Vec3 {
  const ijk: Vec3 = [0, 0, 0];
  ijk[ax.slice] = slice;
  ijk[ax.right] = ax.rightSign > 0 ? col : dims[ax.right] - 1 - col;
  ijk[ax.down] = ax.downSign > 0 ? row : dims[ax.down] - 1 - row;
  return ijk;
}

/** Inverse of rasterToIjk for continuous coordinates: (col,row) of a voxel position. */
export function ijkToRaster(dims: Vec3, ax: ViewAxes, ijk: Vec3): { col: number; row: number; slice: number } {
  return {
    col: ax.rightSign > 0 ? ijk[ax.right] : dims[ax.right] - 1 - ijk[ax.right],
    row: ax.downSign > 0 ? ijk[ax.down] : dims[ax.down] - 1 - ijk[ax.down],
    slice: ijk[ax.slice],
  };
}
