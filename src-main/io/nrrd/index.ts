/**
 * NRRD (.nrrd with attached data, .nhdr with one detached data file) loader and writer. raw/gzip/ascii
 * encodings, LPS/RAS/LAS/scanner-xyz spaces (converted to LPS). 4D files with one non-spatial axis
 * (time, list, vector) open their first component with a warning.
 */
import { basename, dirname, isAbsolute, join } from 'node:path';
import { MedSegError, arrayForType, cross, toMedSegError, type Mat4, type MedSegErrorInfo, type Vec3, type Volume, type VoxelArray, type VoxelType } from '../../../src-shared';
import type { Loader, LoadOptions, SeriesEntry } from '../types';
import { BYTES_PER_SAMPLE, decodeSamples, gunzipFile, readHeadBytes, readWholeFile } from '../bytes';
import { gridFromAffine, shearWarning } from '../affine';
import { buildVolume } from '../finish';
import { isNrrd, nrrdType, parseNrrdHeader, parseVectorList, parseVector, spaceToLps, type NrrdHeader } from './header';

export { writeNrrd } from './write';

export const nrrdLoader: Loader = {
  format: 'nrrd',
  sniff(_path: string, head: Uint8Array): boolean {
    return isNrrd(head);
  },
  async scan(files: string[]) {
    const entries: SeriesEntry[] = [];
    const errors: MedSegErrorInfo[] = [];
    for (const f of files) {
      try {
        const h = parseNrrdHeader(await readHeadBytes(f, 65536), f, false);
        const layout = axisLayout(h, f);
        const content = h.fields.get('content');
        entries.push({
          id: f, format: 'nrrd', kind: 'image', modality: 'OT', files: [f], dims: layout.dims, frameCount: layout.dims[2],
          description: content ? `${basename(f)} — ${content}` : basename(f), warnings: layout.warnings,
        });
      } catch (e) {
        errors.push({ ...toMedSegError(e).toJSON(), path: f });
      }
    }
    return { entries, errors };
  },
  async load(entry: SeriesEntry, opts?: LoadOptions): Promise<Volume> {
    return loadNrrd(entry.files[0], opts);
  },
};

interface AxisLayout {
  dims: Vec3;
  /** file axis index for i, j, k (k may be -1 for a 2D image) */
  spatial: number[];
  /** the non-spatial axis, if any */
  extra: number;
  sizes: number[];
  affine: Mat4;
  warnings: string[];
}

function axisLayout(h: NrrdHeader, path: string): AxisLayout {
  const f = h.fields;
  const invalid = (msg: string) => new MedSegError('NRRD_INVALID', `${path}: ${msg}`, { path });
  const dim = Number(f.get('dimension'));
  if (!Number.isInteger(dim) || dim < 1) throw invalid('the NRRD header has no valid "dimension".');
  const sizes = (f.get('sizes') ?? '').split(/\s+/).filter(Boolean).map(Number);
  if (sizes.length !== dim || !sizes.every((s) => Number.isInteger(s) && s >= 1)) throw invalid(`"sizes" must list ${dim} positive whole numbers.`);
  const warnings: string[] = [];
  const spaceField = f.get('space');
  const sdimField = f.get('space dimension');
  const dirField = f.get('space directions');
  let dirs: (Vec3 | null)[];
  let sign: Vec3 = [1, 1, 1];
  if (dirField !== undefined) {
    if (spaceField === undefined && sdimField !== undefined && Number(sdimField) !== 3) throw invalid(`only 3D physical space is supported (space dimension ${sdimField}).`);
    const sp = spaceToLps(spaceField);
    if (!sp) throw new MedSegError('NRRD_INVALID', `${path} uses the coordinate space "${spaceField}", which is not supported (expected left-posterior-superior or right-anterior-superior).`, { path });
    if (sp.assumed) warnings.push(`The file's coordinate space "${spaceField ?? 'unspecified'}" has no patient orientation; it was read as left-posterior-superior.`);
    sign = sp.sign;
    dirs = parseVectorList(dirField, path);
    if (dirs.length !== dim) throw invalid(`"space directions" lists ${dirs.length} axes but the image has ${dim}.`);
  } else {
    const spacings = (f.get('spacings') ?? '').split(/\s+/).filter(Boolean).map(Number);
    const kinds = (f.get('kinds') ?? '').split(/\s+/).filter(Boolean).map((k) => k.toLowerCase());
    let axisNo = 0;
    dirs = sizes.map((_, a) => {
      const kind = kinds[a];
      const spatialKind = kind === undefined || kind === 'domain' || kind === 'space';
      if (!spatialKind || (dim === 4 && kinds.length === 0 && a === 3)) return null;
      const s = Number.isFinite(spacings[a]) && spacings[a] > 0 ? spacings[a] : 1;
      const v: Vec3 = [0, 0, 0];
      if (axisNo < 3) v[axisNo] = s;
      axisNo++;
      return v;
    });
    warnings.push('The file stores no patient orientation (no "space directions"); left/right and the position in the scanner are unknown.');
  }
  const spatial = dirs.map((d, a) => (d ? a : -1)).filter((a) => a >= 0);
  const extras = dirs.map((d, a) => (d ? -1 : a)).filter((a) => a >= 0);
  if (spatial.length < 2 || spatial.length > 3 || extras.length > 1) {
    throw new MedSegError('NRRD_INVALID', `${path} has ${spatial.length} spatial and ${extras.length} other axes; only 2D or 3D images (plus at most one time/vector axis) can be opened.`, { path });
  }
  const extra = extras.length ? extras[0] : -1;
  if (extra >= 0 && sizes[extra] > 1) warnings.push(`The file holds ${sizes[extra]} components or time points per voxel; only the first is shown.`);
  const vi = dirs[spatial[0]] as Vec3, vj = dirs[spatial[1]] as Vec3;
  let vk: Vec3;
  if (spatial.length === 3) vk = dirs[spatial[2]] as Vec3;
  else {
    const c = cross(vi, vj);
    const n = Math.hypot(...c) || 1;
    vk = [c[0] / n, c[1] / n, c[2] / n];
  }
  const originField = f.get('space origin');
  const origin: Vec3 = originField ? (parseVector(originField, path) ?? [0, 0, 0]) : [0, 0, 0];
  const s = sign;
  const affine: Mat4 = [
    s[0] * vi[0], s[0] * vj[0], s[0] * vk[0], s[0] * origin[0],
    s[1] * vi[1], s[1] * vj[1], s[1] * vk[1], s[1] * origin[1],
    s[2] * vi[2], s[2] * vj[2], s[2] * vk[2], s[2] * origin[2],
    0, 0, 0, 1,
  ];
  const dims: Vec3 = [sizes[spatial[0]], sizes[spatial[1]], spatial.length === 3 ? sizes[spatial[2]] : 1];
  return { dims, spatial: spatial.length === 3 ? spatial : [...spatial, -1], extra, sizes, affine, warnings };
}

export async function loadNrrd(path: string, opts?: LoadOptions): Promise<Volume> {
  const file = await readWholeFile(path);
  const h = parseNrrdHeader(file, path, true);
  const f = h.fields;
  const layout = axisLayout(h, path);
  const type = nrrdType(f.get('type'), path);
  const encoding = (f.get('encoding') ?? '').toLowerCase();
  const total = layout.sizes.reduce((a, b) => a * b, 1);

  let bytes: Uint8Array = file.subarray(h.dataOffset);
  const dataFile = f.get('data file') ?? f.get('datafile');
  if (dataFile !== undefined) {
    if (/^LIST\b/.test(dataFile) || dataFile.includes('%') || /\s/.test(dataFile.trim())) {
      throw new MedSegError('NRRD_INVALID', `${path} splits its data over several files ("data file: ${dataFile}"), which is not supported. Save it as a single .nrrd file.`, { path });
    }
    const dp = isAbsolute(dataFile) ? dataFile : join(dirname(path), dataFile);
    bytes = await readWholeFile(dp);
  }
  const lineSkip = Number(f.get('line skip') ?? f.get('lineskip') ?? 0);
  for (let n = 0; n < lineSkip; n++) {
    const nl = bytes.indexOf(0x0a);
    bytes = nl < 0 ? bytes.subarray(bytes.length) : bytes.subarray(nl + 1);
  }
  opts?.onProgress?.(0.2);

  let raw: VoxelArray;
  const bps = BYTES_PER_SAMPLE[type];
  const le = (f.get('endian') ?? 'little').toLowerCase() !== 'big';
  const byteSkip = Number(f.get('byte skip') ?? f.get('byteskip') ?? 0);
  if (encoding === 'raw' || encoding === 'gzip' || encoding === 'gz') {
    if (encoding !== 'raw') bytes = await gunzipFile(bytes, path, 'NRRD_INVALID');
    const skip = byteSkip === -1 ? bytes.length - total * bps : byteSkip;
    raw = decodeSamples(bytes, skip, type, total, le, path);
  } else if (encoding === 'ascii' || encoding === 'text' || encoding === 'txt') {
    raw = parseAscii(bytes, type, total, path);
  } else {
    throw new MedSegError('NRRD_INVALID', `${path} uses the "${encoding || 'unspecified'}" data encoding, which is not supported (raw, gzip or ascii are).`, { path });
  }
  opts?.onProgress?.(0.8);

  const data = extractSpatial(raw, type, layout);
  const { grid, sheared } = gridFromAffine(layout.affine, layout.dims, 'NRRD_INVALID', path);
  const warnings = [...layout.warnings];
  if (sheared) warnings.push(shearWarning());
  const vol = buildVolume(grid, data, {
    format: 'nrrd', sourceFiles: [path], seriesDescription: f.get('content') ?? basename(path).replace(/\.(nrrd|nhdr)$/i, ''),
  }, warnings);
  opts?.onProgress?.(1);
  return vol;
}

function parseAscii(bytes: Uint8Array, type: VoxelType, n: number, path: string): VoxelArray {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const tokens = text.split(/[\s,]+/).filter(Boolean);
  if (tokens.length < n) throw new MedSegError('FILE_TRUNCATED', `${path} holds ${tokens.length} values but its header says ${n}.`, { path });
  const out = arrayForType(type, n);
  for (let i = 0; i < n; i++) {
    const v = Number(tokens[i]);
    if (!Number.isFinite(v)) throw new MedSegError('NRRD_INVALID', `${path} has a value that is not a number: "${tokens[i]}".`, { path });
    out[i] = v;
  }
  return out;
}

/** Keep component 0 of the non-spatial axis and reorder so i is fastest. Contiguous files are returned as is. */
function extractSpatial(raw: VoxelArray, type: VoxelType, L: AxisLayout): VoxelArray {
  const [nx, ny, nz] = L.dims;
  const n = nx * ny * nz;
  const ordered = L.spatial[0] < L.spatial[1] && (L.spatial[2] < 0 || L.spatial[1] < L.spatial[2]);
  const extraLast = L.extra < 0 || L.extra === L.sizes.length - 1 || L.sizes[L.extra] === 1;
  if (ordered && extraLast) return raw.length === n ? raw : raw.subarray(0, n);
  const strides: number[] = [];
  let acc = 1;
  for (const s of L.sizes) {
    strides.push(acc);
    acc *= s;
  }
  const si = strides[L.spatial[0]], sj = strides[L.spatial[1]], sk = L.spatial[2] >= 0 ? strides[L.spatial[2]] : 0;
  const out = arrayForType(type, n);
  let o = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) {
    const base = j * sj + k * sk;
    for (let i = 0; i < nx; i++) out[o++] = raw[base + i * si];
  }
  return out;
}
