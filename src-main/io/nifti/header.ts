/**
 * NIfTI-1/-2 header → what we need, using nifti-reader-js for the field layout. The affine is chosen here
 * (nifti-reader-js prefers the qform when qform_code > sform_code, which is not what the standard advises):
 *   1. sform (srow_x/y/z) when sform_code > 0 — the "general affine" the standard recommends for display;
 *   2. else the qform (quaternion) when qform_code > 0;
 *   3. else ANALYZE-style pixdim scaling, flagged with a warning.
 * NIfTI world is RAS+; the result is converted to LPS+ (x and y rows negated).
 */
import * as nifti from 'nifti-reader-js';
import { MedSegError, type Mat4, type Vec3, type VoxelType } from '../../../src-shared';
import { flipXY } from '../affine';

export interface NiftiInfo {
  version: 1 | 2;
  dims: Vec3;
  /** Number of 3D volumes (product of dims 4..7). */
  volumes: number;
  voxelType: VoxelType;
  littleEndian: boolean;
  voxOffset: number;
  slope: number;
  inter: number;
  /** index → world LPS, row-major 4×4 */
  affineLps: Mat4;
  affineSource: 'sform' | 'qform' | 'pixdim';
  sformCode: number;
  qformCode: number;
  description: string;
  warnings: string[];
}

const DATATYPES: Record<number, VoxelType> = {
  2: 'uint8', 4: 'int16', 8: 'int32', 16: 'float32', 64: 'float64', 256: 'int8', 512: 'uint16', 768: 'uint32',
};
const UNSUPPORTED: Record<number, string> = {
  1: '1-bit binary', 32: 'complex', 128: 'RGB colour', 1024: '64-bit integer', 1280: '64-bit unsigned integer',
  1536: '128-bit float', 1792: 'complex', 2048: 'complex', 2304: 'RGBA colour',
};

/** sizeof_hdr 348 / 540 in either byte order, with the NIfTI magic. 'pair' = .hdr/.img (ni1/ni2). */
export function niftiKind(b: Uint8Array): { version: 1 | 2; pair: boolean } | null {
  if (b.length < 348) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const s1 = dv.getInt32(0, true), s2 = dv.getInt32(0, false);
  const str = (o: number) => String.fromCharCode(b[o], b[o + 1], b[o + 2]);
  if (s1 === 348 || s2 === 348) {
    const m = str(344);
    if (m === 'n+1') return { version: 1, pair: false };
    if (m === 'ni1') return { version: 1, pair: true };
  }
  if ((s1 === 540 || s2 === 540) && b.length >= 540) {
    const m = str(4);
    if (m === 'n+2') return { version: 2, pair: false };
    if (m === 'ni2') return { version: 2, pair: true };
  }
  return null;
}

export function parseNiftiHeader(content: Uint8Array, path: string): NiftiInfo {
  const kind = niftiKind(content);
  if (!kind) throw new MedSegError('NIFTI_INVALID', `${path} is not a valid NIfTI file (its header is missing or damaged).`, { path });
  if (kind.pair) {
    throw new MedSegError('NIFTI_INVALID', `${path} is a NIfTI header/image pair (.hdr/.img), which is not supported. Convert it to a single .nii or .nii.gz file.`, { path });
  }
  const headBytes = content.slice(0, kind.version === 1 ? 352 : 544);
  let h: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    h = nifti.readHeader(headBytes.buffer as ArrayBuffer);
  } catch (e) {
    throw new MedSegError('NIFTI_INVALID', `${path} has a NIfTI header that cannot be read.`, { path, detail: String((e as Error)?.message ?? e), cause: e });
  }
  const warnings: string[] = [];
  const nd = h.dims[0];
  if (!(nd >= 1 && nd <= 7)) throw new MedSegError('NIFTI_INVALID', `${path} has an invalid number of dimensions (${nd}).`, { path });
  const d = (i: number) => (i <= nd ? Math.max(1, h.dims[i]) : 1);
  const dims: Vec3 = [d(1), d(2), d(3)];
  if (dims.some((x) => !Number.isInteger(x) || x < 1)) throw new MedSegError('NIFTI_INVALID', `${path} has invalid image dimensions ${dims.join('×')}.`, { path });
  let volumes = 1;
  for (let i = 4; i <= nd; i++) volumes *= d(i);
  if (volumes > 1) warnings.push(`The file holds ${volumes} volumes (4D, e.g. a time series); only the first volume is shown.`);

  const code = h.datatypeCode;
  const voxelType = DATATYPES[code];
  if (!voxelType) {
    const what = UNSUPPORTED[code] ?? `datatype code ${code}`;
    throw new MedSegError('UNSUPPORTED_DATATYPE', `${path} stores ${what} voxels, which cannot be shown as a grey-scale scan.`, { path, detail: `NIfTI datatype ${code}` });
  }

  const minOffset = kind.version === 1 ? 348 : 540;
  const voxOffset = Math.max(Math.floor(h.vox_offset), minOffset);

  let slope = h.scl_slope, inter = h.scl_inter;
  // nifti1.h: scl_slope == 0 means "no scaling"; NaN is treated the same by every reader in the field.
  if (!Number.isFinite(slope) || slope === 0) {
    slope = 1;
    inter = 0;
  }
  if (!Number.isFinite(inter)) inter = 0;

  const dv = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const le = h.littleEndian;
  let ras: Mat4 | null = null;
  let source: NiftiInfo['affineSource'] = 'pixdim';
  if (h.sform_code > 0) {
    const s = readSrow(dv, kind.version, le);
    if (s.every(Number.isFinite) && columnsNonZero(s)) {
      ras = s;
      source = 'sform';
    } else warnings.push('The sform orientation is invalid; the qform was used instead.');
  }
  if (!ras && h.qform_code > 0) {
    const q = h.convertNiftiQFormToNiftiSForm(h.quatern_b, h.quatern_c, h.quatern_d, h.qoffset_x, h.qoffset_y, h.qoffset_z, h.pixDims[1], h.pixDims[2], h.pixDims[3], h.pixDims[0] < 0 ? -1 : 1);
    ras = [...q[0], ...q[1], ...q[2], 0, 0, 0, 1];
    source = 'qform';
  }
  if (!ras) {
    const px = [1, 2, 3].map((i) => (h.pixDims[i] > 0 && Number.isFinite(h.pixDims[i]) ? h.pixDims[i] : 1));
    ras = [px[0], 0, 0, 0, 0, px[1], 0, 0, 0, 0, px[2], 0, 0, 0, 0, 1];
    warnings.push('The file stores no patient orientation (sform and qform codes are 0); left/right and the position in the scanner are unknown.');
  }
  return {
    version: kind.version, dims, volumes, voxelType, littleEndian: le, voxOffset, slope, inter,
    affineLps: flipXY(ras), affineSource: source, sformCode: h.sform_code, qformCode: h.qform_code,
    description: (h.description ?? '').replace(/\0.*$/s, '').trim(), warnings,
  };
}

/** srow_x/y/z straight from the bytes: float32 at 280 (NIfTI-1), float64 at 400 (NIfTI-2). */
function readSrow(dv: DataView, version: 1 | 2, le: boolean): Mat4 {
  const r: number[] = [];
  for (let i = 0; i < 12; i++) r.push(version === 1 ? dv.getFloat32(280 + 4 * i, le) : dv.getFloat64(400 + 8 * i, le));
  r.push(0, 0, 0, 1);
  return r;
}

function columnsNonZero(a: Mat4): boolean {
  for (let c = 0; c < 3; c++) if (Math.hypot(a[c], a[4 + c], a[8 + c]) < 1e-9) return false;
  return true;
}
