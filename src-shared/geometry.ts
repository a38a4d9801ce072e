/**
 * Geometry conventions, documented once for the whole project.
 *
 * World space is DICOM patient space, LPS+: x grows to the patient's Left, y to Posterior, z to Superior.
 * NIfTI (RAS+) readers flip x and y on the way in; writers flip them back.
 *
 * A grid is dims (voxel counts i,j,k), spacing (mm per step along i,j,k), origin (world position of voxel
 * (0,0,0)'s centre) and direction: a Mat3 stored ROW-MAJOR whose COLUMNS are the unit world vectors of the
 * i, j and k axes. So  world = origin + direction · diag(spacing) · [i, j, k]ᵀ.
 * Voxel data is stored with i fastest: index = i + j·nx + k·nx·ny.
 * "Axial slice" = a fixed k (the third axis as stored), whatever the orientation.
 *
 * Imports nothing (src-shared is pure TypeScript).
 */
export type Vec3 = [number, number, number];
/** 3×3 matrix, row-major: [m00, m01, m02, m10, m11, m12, m20, m21, m22]. Columns are axis directions. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];
/** 4×4 matrix, row-major (16 numbers). */
export type Mat4 = number[];

export interface Grid {
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
}

export const IDENTITY3: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** index (i,j,k) → world LPS, as a row-major 4×4. */
export function indexToWorldMatrix(g: Grid): Mat4 {
  const d = g.direction;
  const s = g.spacing;
  return [
    d[0] * s[0], d[1] * s[1], d[2] * s[2], g.origin[0],
    d[3] * s[0], d[4] * s[1], d[5] * s[2], g.origin[1],
    d[6] * s[0], d[7] * s[1], d[8] * s[2], g.origin[2],
    0, 0, 0, 1,
  ];
}

/** world LPS → continuous index, as a row-major 4×4 (inverse of indexToWorldMatrix). */
export function worldToIndexMatrix(g: Grid): Mat4 {
  const inv = invert3(g.direction);
  const s = g.spacing;
  const o = g.origin;
  const r: number[] = [];
  for (let row = 0; row < 3; row++) {
    const a = inv[row * 3] / s[row], b = inv[row * 3 + 1] / s[row], c = inv[row * 3 + 2] / s[row];
    r.push(a, b, c, -(a * o[0] + b * o[1] + c * o[2]));
  }
  r.push(0, 0, 0, 1);
  return r;
}

export function applyMat4(m: Mat4, p: Vec3): Vec3 {
  return [
    m[0] * p[0] + m[1] * p[1] + m[2] * p[2] + m[3],
    m[4] * p[0] + m[5] * p[1] + m[6] * p[2] + m[7],
    m[8] * p[0] + m[9] * p[1] + m[10] * p[2] + m[11],
  ];
}

export function indexToWorld(g: Grid, ijk: Vec3): Vec3 {
  return applyMat4(indexToWorldMatrix(g), ijk);
}

export function worldToIndex(g: Grid, xyz: Vec3): Vec3 {
  return applyMat4(worldToIndexMatrix(g), xyz);
}

export function det3(m: Mat3): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

export function invert3(m: Mat3): Mat3 {
  const det = det3(m);
  if (Math.abs(det) < 1e-12) throw new Error('singular direction matrix');
  const id = 1 / det;
  return [
    (m[4] * m[8] - m[5] * m[7]) * id, (m[2] * m[7] - m[1] * m[8]) * id, (m[1] * m[5] - m[2] * m[4]) * id,
    (m[5] * m[6] - m[3] * m[8]) * id, (m[0] * m[8] - m[2] * m[6]) * id, (m[2] * m[3] - m[0] * m[5]) * id,
    (m[3] * m[7] - m[4] * m[6]) * id, (m[1] * m[6] - m[0] * m[7]) * id, (m[0] * m[4] - m[1] * m[3]) * id,
  ];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
export function norm(a: Vec3): number {
  return Math.sqrt(dot(a, a));
}
export function normalize(a: Vec3): Vec3 {
  const n = norm(a) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
}
/** Direction column c (0=i, 1=j, 2=k) of a row-major Mat3. */
export function axis(m: Mat3, c: 0 | 1 | 2): Vec3 {
  return [m[c], m[3 + c], m[6 + c]];
}
/** Build a row-major Mat3 from its three column vectors. */
export function fromColumns(i: Vec3, j: Vec3, k: Vec3): Mat3 {
  return [i[0], j[0], k[0], i[1], j[1], k[1], i[2], j[2], k[2]];
}
export function voxelCount(dims: Vec3): number {
  return dims[0] * dims[1] * dims[2];
}
/** True when two grids describe the same voxels in world space (within tol mm / tol on directions). */
export function sameGrid(a: Grid, b: Grid, tol = 1e-3): boolean {
  for (let i = 0; i < 3; i++) {
    if (a.dims[i] !== b.dims[i]) return false;
    if (Math.abs(a.spacing[i] - b.spacing[i]) > tol) return false;
    if (Math.abs(a.origin[i] - b.origin[i]) > tol) return false;
  }
  for (let i = 0; i < 9; i++) if (Math.abs(a.direction[i] - b.direction[i]) > tol) return false;
  return true;
}

/** Orientation letters (LPS world) of a direction vector's dominant component, e.g. [0,0,1] → 'S'. */
export function orientationLetter(v: Vec3): string {
  const ax = [Math.abs(v[0]), Math.abs(v[1]), Math.abs(v[2])];
  const m = ax.indexOf(Math.max(...ax));
  const pos = ['L', 'P', 'S'][m];
  const neg = ['R', 'A', 'I'][m];
  return v[m] >= 0 ? pos : neg;
}

/**
 * Block size per axis (whole voxels) so that a grid of `dims` split into blocks has at most `budget` blocks:
 * repeatedly grows the block along the axis whose block edge is shortest in mm, which keeps blocks as close to
 * cubes as the grid allows. [1, 1, 1] when the grid already fits.
 */
export function blockFactors(dims: Vec3, spacing: Vec3, budget: number): Vec3 {
  const f: Vec3 = [1, 1, 1];
  const count = (): number => Math.ceil(dims[0] / f[0]) * Math.ceil(dims[1] / f[1]) * Math.ceil(dims[2] / f[2]);
  while (count() > budget) {
    let a = -1, best = Infinity;
    for (let q = 0; q < 3; q++) {
      if (f[q] >= dims[q]) continue;
      const s = spacing[q] * f[q];
      if (s < best) { best = s; a = q; }
    }
    if (a < 0) break;
    f[a]++;
  }
  return f;
}
