/**
 * NIfTI-1 writer. Hand-written because nifti-reader-js only reads, and a NIfTI-1 header is 348 fixed bytes.
 * Both sform (exact affine, float32) and qform (quaternion; only when the axes are perpendicular) are written
 * with code 1 (scanner), in RAS+ as the standard requires.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Grid, VoxelArray } from '../../../src-shared';
import { voxelTypeOf, type VoxelType } from '../../../src-shared';
import { affineFromGrid, flipXY } from '../affine';
import { BYTES_PER_SAMPLE, littleEndianBytes } from '../bytes';

const gzipAsync = promisify(gzip);

const DATATYPE_CODE: Record<VoxelType, number> = {
  uint8: 2, int16: 4, int32: 8, float32: 16, float64: 64, int8: 256, uint16: 512, uint32: 768,
};

export interface NiftiWriteInput extends Grid {
  data: VoxelArray;
  description?: string;
}

/** The complete file content (.nii), gzipped when `compress`. */
export async function writeNifti(v: NiftiWriteInput, compress: boolean): Promise<Uint8Array> {
  const type = voxelTypeOf(v.data);
  const header = niftiHeader(v, type);
  const body = littleEndianBytes(v.data);
  const out = new Uint8Array(352 + body.length);
  out.set(header, 0);
  out.set(body, 352);
  return compress ? gzipAsync(out, { level: 5 }) : out;
}

export function niftiHeader(v: NiftiWriteInput, type: VoxelType): Uint8Array {
  const buf = new ArrayBuffer(352);
  const dv = new DataView(buf);
  const u8 = new Uint8Array(buf);
  const le = true;
  dv.setInt32(0, 348, le);
  u8[38] = 'r'.charCodeAt(0);
  const dims = [3, v.dims[0], v.dims[1], v.dims[2], 1, 1, 1, 1];
  dims.forEach((d, i) => dv.setInt16(40 + 2 * i, d, le));
  dv.setInt16(70, DATATYPE_CODE[type], le);
  dv.setInt16(72, BYTES_PER_SAMPLE[type] * 8, le);

  const ras = flipXY(affineFromGrid(v));
  const q = quaternionOf(ras);
  const pix = [q ? q.qfac : 1, v.spacing[0], v.spacing[1], v.spacing[2], 1, 1, 1, 1];
  pix.forEach((p, i) => dv.setFloat32(76 + 4 * i, p, le));
  dv.setFloat32(108, 352, le);
  dv.setFloat32(112, 1, le); // scl_slope 1, inter 0: values are stored as they are
  dv.setFloat32(116, 0, le);
  u8[123] = 2; // xyzt_units: mm
  const desc = (v.description ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 79);
  for (let i = 0; i < desc.length; i++) u8[148 + i] = desc.charCodeAt(i);
  dv.setInt16(252, q ? 1 : 0, le);
  dv.setInt16(254, 1, le);
  if (q) {
    dv.setFloat32(256, q.b, le);
    dv.setFloat32(260, q.c, le);
    dv.setFloat32(264, q.d, le);
  }
  dv.setFloat32(268, ras[3], le);
  dv.setFloat32(272, ras[7], le);
  dv.setFloat32(276, ras[11], le);
  for (let i = 0; i < 12; i++) dv.setFloat32(280 + 4 * i, ras[i], le);
  u8.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  return u8;
}

/** nifti_mat44_to_quatern (nifti1_io.c) for a RAS affine; null when the axes are not perpendicular. */
export function quaternionOf(a: number[]): { b: number; c: number; d: number; qfac: number } | null {
  const col = (c: number) => {
    const n = Math.hypot(a[c], a[4 + c], a[8 + c]);
    return [a[c] / n, a[4 + c] / n, a[8 + c] / n];
  };
  const x = col(0), y = col(1), z = col(2);
  const dt = (p: number[], q: number[]) => p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
  if (Math.max(Math.abs(dt(x, y)), Math.abs(dt(x, z)), Math.abs(dt(y, z))) > 1e-4) return null;
  const det = x[0] * (y[1] * z[2] - z[1] * y[2]) - y[0] * (x[1] * z[2] - z[1] * x[2]) + z[0] * (x[1] * y[2] - y[1] * x[2]);
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    z[0] = -z[0]; z[1] = -z[1]; z[2] = -z[2];
  }
  // r[row][col]
  const r11 = x[0], r12 = y[0], r13 = z[0], r21 = x[1], r22 = y[1], r23 = z[1], r31 = x[2], r32 = y[2], r33 = z[2];
  let qa = r11 + r22 + r33 + 1, qb: number, qc: number, qd: number;
  if (qa > 0.5) {
    qa = 0.5 * Math.sqrt(qa);
    qb = (0.25 * (r32 - r23)) / qa;
    qc = (0.25 * (r13 - r31)) / qa;
    qd = (0.25 * (r21 - r12)) / qa;
  } else {
    const xd = 1 + r11 - (r22 + r33), yd = 1 + r22 - (r11 + r33), zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      qb = 0.5 * Math.sqrt(xd); qc = (0.25 * (r12 + r21)) / qb; qd = (0.25 * (r13 + r31)) / qb; qa = (0.25 * (r32 - r23)) / qb;
    } else if (yd > 1) {
      qc = 0.5 * Math.sqrt(yd); qb = (0.25 * (r12 + r21)) / qc; qd = (0.25 * (r23 + r32)) / qc; qa = (0.25 * (r13 - r31)) / qc;
    } else {
      qd = 0.5 * Math.sqrt(zd); qb = (0.25 * (r13 + r31)) / qd; qc = (0.25 * (r23 + r32)) / qd; qa = (0.25 * (r21 - r12)) / qd;
    }
    if (qa < 0) {
      qb = -qb; qc = -qc; qd = -qd;
    }
  }
  return { b: qb, c: qc, d: qd, qfac };
}
