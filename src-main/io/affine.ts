/**
 * index→world affines (row-major 4×4, the form file formats store) ↔ the Volume grid (origin, spacing,
 * direction). Shared by the NIfTI, NRRD and MGH readers and writers.
 */
import { MedSegError, indexToWorldMatrix, type ErrorCode, type Grid, type Mat3, type Mat4, type Vec3 } from '../../src-shared';

/** RAS+ ↔ LPS+: negate the x and y rows (the same operation both ways). */
export function flipXY(a: Mat4): Mat4 {
  const r = a.slice();
  for (let c = 0; c < 4; c++) {
    r[c] = -r[c];
    r[4 + c] = -r[4 + c];
  }
  return r;
}

export interface AffineGrid {
  grid: Grid;
  /** Axis columns are not perpendicular (e.g. gantry tilt). */
  sheared: boolean;
}

/**
 * Direction = normalised affine columns, spacing = column norms, so index→world stays EXACT even for a
 * sheared affine (then the direction columns are not orthogonal and the caller should warn).
 */
export function gridFromAffine(a: Mat4, dims: Vec3, code: ErrorCode, path: string): AffineGrid {
  const cols: Vec3[] = [0, 1, 2].map((c) => [a[c], a[4 + c], a[8 + c]] as Vec3);
  const spacing = cols.map((v) => Math.hypot(v[0], v[1], v[2])) as Vec3;
  if (spacing.some((s) => !Number.isFinite(s) || s < 1e-9) || [a[3], a[7], a[11]].some((x) => !Number.isFinite(x))) {
    throw new MedSegError(code, `The file ${path} has an invalid orientation matrix (a zero-length or non-numeric axis).`, { path, detail: JSON.stringify(a) });
  }
  // `+ 0` turns the −0 that sign flips produce into 0 (they print as -0 and fail equality checks)
  const u = cols.map((v, c) => [v[0] / spacing[c] + 0, v[1] / spacing[c] + 0, v[2] / spacing[c] + 0] as Vec3);
  const direction: Mat3 = [u[0][0], u[1][0], u[2][0], u[0][1], u[1][1], u[2][1], u[0][2], u[1][2], u[2][2]];
  const det =
    direction[0] * (direction[4] * direction[8] - direction[5] * direction[7]) -
    direction[1] * (direction[3] * direction[8] - direction[5] * direction[6]) +
    direction[2] * (direction[3] * direction[7] - direction[4] * direction[6]);
  if (Math.abs(det) < 1e-6) {
    throw new MedSegError(code, `The file ${path} has a degenerate orientation matrix (two image axes point the same way).`, { path, detail: JSON.stringify(a) });
  }
  const d01 = Math.abs(dot(u[0], u[1])), d02 = Math.abs(dot(u[0], u[2])), d12 = Math.abs(dot(u[1], u[2]));
  return { grid: { dims: [...dims] as Vec3, spacing, origin: [a[3] + 0, a[7] + 0, a[11] + 0], direction }, sheared: Math.max(d01, d02, d12) > 1e-4 };
}

export function shearWarning(): string {
  return 'The voxel grid is sheared (axes not perpendicular, e.g. CT gantry tilt). Voxel positions are kept exact, but 2D views show the slices unsheared.';
}

export function affineFromGrid(g: Grid): Mat4 {
  return indexToWorldMatrix(g);
}

function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
