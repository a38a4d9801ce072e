/**
 * Independent readers of NIfTI geometry for known-answer tests: the header bytes are parsed here with a
 * DataView (not with the code under test), and the expected LPS corner positions are computed from them.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Grid, Vec3 } from '../../../src-shared';
import { indexToWorld } from '../../../src-shared';

/** The NIfTI-1 sform (sform_code > 0 required) as a RAS row-major 3×4. */
export function rawSformRas(path: string): { srow: number[]; dims: Vec3; sformCode: number; qformCode: number } {
  let b = readFileSync(path);
  if (b[0] === 0x1f && b[1] === 0x8b) b = gunzipSync(b);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getInt32(0, true) !== 348) throw new Error('test helper handles little-endian NIfTI-1 only');
  const srow: number[] = [];
  for (let i = 0; i < 12; i++) srow.push(dv.getFloat32(280 + 4 * i, true));
  return {
    srow,
    dims: [dv.getInt16(42, true), dv.getInt16(44, true), dv.getInt16(46, true)],
    qformCode: dv.getInt16(252, true),
    sformCode: dv.getInt16(254, true),
  };
}

/** World LPS of voxel ijk from a RAS srow: apply, then negate x and y. */
export function srowToLps(srow: number[], ijk: Vec3): Vec3 {
  const [i, j, k] = ijk;
  const x = srow[0] * i + srow[1] * j + srow[2] * k + srow[3];
  const y = srow[4] * i + srow[5] * j + srow[6] * k + srow[7];
  const z = srow[8] * i + srow[9] * j + srow[10] * k + srow[11];
  return [-x, -y, z];
}

export function corners(dims: Vec3): Vec3[] {
  const out: Vec3[] = [];
  for (const k of [0, dims[2] - 1]) for (const j of [0, dims[1] - 1]) for (const i of [0, dims[0] - 1]) out.push([i, j, k]);
  return out;
}

export function maxCornerError(g: Grid, expected: (ijk: Vec3) => Vec3): number {
  let worst = 0;
  for (const c of [...corners(g.dims), [Math.floor(g.dims[0] / 2), Math.floor(g.dims[1] / 2), Math.floor(g.dims[2] / 2)] as Vec3]) {
    const a = indexToWorld(g, c), e = expected(c);
    worst = Math.max(worst, Math.abs(a[0] - e[0]), Math.abs(a[1] - e[1]), Math.abs(a[2] - e[2]));
  }
  return worst;
}
