/**
 * FreeSurfer MGH / MGZ loader. Hand-written: the header is 284 fixed big-endian bytes and no maintained npm
 * package reads it outside the browser viewers. Geometry per FreeSurfer's MRIxfmCRS2XYZ: vox2ras = Mdc·diag(xsize)
 * with the centre voxel (dims/2) at c_ras; RAS is converted to LPS.
 */
import { basename } from 'node:path';
import { MedSegError, toMedSegError, type Mat4, type MedSegErrorInfo, type Vec3, type Volume, type VoxelType } from '../../../src-shared';
import type { Loader, LoadOptions, SeriesEntry } from '../types';
import { decodeSamples, gunzipPrefix, isGzip, readContent, readContentHead } from '../bytes';
import { flipXY, gridFromAffine, shearWarning } from '../affine';
import { buildVolume } from '../finish';

const HEADER_BYTES = 284;
const TYPES: Record<number, VoxelType> = { 0: 'uint8', 1: 'int32', 3: 'float32', 4: 'int16', 10: 'uint16' };

interface MghInfo {
  dims: Vec3;
  frames: number;
  type: VoxelType;
  affineLps: Mat4;
  warnings: string[];
}

/** Version 1 and plausible dims/type: MGH has no magic string, so the check is on the header's values. */
function looksLikeMgh(b: Uint8Array): boolean {
  if (b.length < 30) return false;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getInt32(0, false) !== 1) return false;
  for (let i = 1; i <= 4; i++) {
    const d = dv.getInt32(4 * i, false);
    if (d < 1 || d > 100000) return false;
  }
  return dv.getInt32(20, false) in TYPES || [2, 5, 6, 7, 8, 9].includes(dv.getInt32(20, false));
}

function parseMghHeader(b: Uint8Array, path: string): MghInfo {
  if (b.length < HEADER_BYTES || !looksLikeMgh(b)) throw new MedSegError('MGH_INVALID', `${path} is not a valid FreeSurfer MGH/MGZ file.`, { path });
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims: Vec3 = [dv.getInt32(4, false), dv.getInt32(8, false), dv.getInt32(12, false)];
  const frames = dv.getInt32(16, false);
  const tcode = dv.getInt32(20, false);
  const type = TYPES[tcode];
  if (!type) throw new MedSegError('UNSUPPORTED_DATATYPE', `${path} stores an MGH voxel type (${tcode}) that is not supported.`, { path });
  const warnings: string[] = [];
  if (frames > 1) warnings.push(`The file holds ${frames} frames; only the first is shown.`);
  const good = dv.getInt16(28, false) > 0;
  let sp: Vec3 = [1, 1, 1];
  // FreeSurfer's default (LIA, "coronal") when no RAS is stored.
  let mdc = [-1, 0, 0, 0, 0, -1, 0, 1, 0];
  let c: Vec3 = [0, 0, 0];
  if (good) {
    sp = [dv.getFloat32(30, false), dv.getFloat32(34, false), dv.getFloat32(38, false)];
    mdc = Array.from({ length: 9 }, (_, i) => dv.getFloat32(42 + 4 * i, false));
    c = [dv.getFloat32(78, false), dv.getFloat32(82, false), dv.getFloat32(86, false)];
  } else warnings.push('The file does not store its orientation; FreeSurfer\'s default coronal orientation was assumed.');
  // mdc holds the x, y, z axis unit vectors (each as r, a, s) one after the other: they are the columns.
  const M = [0, 1, 2].map((r) => [0, 1, 2].map((col) => mdc[3 * col + r] * sp[col]));
  const half = [dims[0] / 2, dims[1] / 2, dims[2] / 2];
  const p0 = [0, 1, 2].map((r) => c[r] - (M[r][0] * half[0] + M[r][1] * half[1] + M[r][2] * half[2]));
  const ras: Mat4 = [...M[0], p0[0], ...M[1], p0[1], ...M[2], p0[2], 0, 0, 0, 1];
  return { dims, frames, type, affineLps: flipXY(ras), warnings };
}

export const mghLoader: Loader = {
  format: 'mgh',
  sniff(path: string, head: Uint8Array): boolean {
    if (!/\.(mgh|mgz|mgh\.gz)$/i.test(path)) return false; // no magic string: require the extension too
    return looksLikeMgh(isGzip(head) ? gunzipPrefix(head) : head);
  },
  async scan(files: string[]) {
    const entries: SeriesEntry[] = [];
    const errors: MedSegErrorInfo[] = [];
    for (const f of files) {
      try {
        const info = parseMghHeader(await readContentHead(f, 4096), f);
        entries.push({ id: f, format: 'mgh', kind: 'image', modality: 'MR', files: [f], dims: info.dims, frameCount: info.dims[2], description: basename(f), warnings: info.warnings });
      } catch (e) {
        errors.push({ ...toMedSegError(e).toJSON(), path: f });
      }
    }
    return { entries, errors };
  },
  async load(entry: SeriesEntry, opts?: LoadOptions): Promise<Volume> {
    return loadMgh(entry.files[0], opts);
  },
};

export async function loadMgh(path: string, opts?: LoadOptions): Promise<Volume> {
  const content = await readContent(path, 'MGH_INVALID');
  opts?.onProgress?.(0.5);
  const info = parseMghHeader(content, path);
  const n = info.dims[0] * info.dims[1] * info.dims[2];
  const data = decodeSamples(content, HEADER_BYTES, info.type, n, false, path);
  const { grid, sheared } = gridFromAffine(info.affineLps, info.dims, 'MGH_INVALID', path);
  const warnings = [...info.warnings];
  if (sheared) warnings.push(shearWarning());
  // FreeSurfer volumes are MR-derived (T1, norm, label volumes); there is no CT in this format.
  const vol = buildVolume(grid, data, { format: 'mgh', sourceFiles: [path], seriesDescription: basename(path).replace(/\.(mgh|mgz)$/i, '') }, warnings, 'MR');
  opts?.onProgress?.(1);
  return vol;
}
