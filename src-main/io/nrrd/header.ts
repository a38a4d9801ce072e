/**
 * NRRD header parser. Hand-written on purpose: the format is a few lines of "field: value" text, and the npm
 * nrrd packages are unmaintained (no gzip streaming, no detached data, no space conversion). Spec:
 * http://teem.sourceforge.net/nrrd/format.html
 */
import { MedSegError, type Vec3, type VoxelType } from '../../../src-shared';

export interface NrrdHeader {
  fields: Map<string, string>;
  /** Byte offset of the data in the same file (attached data). */
  dataOffset: number;
}

const MAGIC = 'NRRD000';

export function isNrrd(head: Uint8Array): boolean {
  if (head.length < 8) return false;
  for (let i = 0; i < MAGIC.length; i++) if (head[i] !== MAGIC.charCodeAt(i)) return false;
  return head[7] >= 0x31 && head[7] <= 0x35;
}

/** Splits header text from data at the first empty line. Header lines may end in \n or \r\n. */
export function parseNrrdHeader(bytes: Uint8Array, path: string, requireEnd: boolean): NrrdHeader {
  if (!isNrrd(bytes)) throw new MedSegError('NRRD_INVALID', `${path} is not an NRRD file (the "NRRD000x" signature is missing).`, { path });
  const fields = new Map<string, string>();
  let pos = 0;
  let ended = false;
  let first = true;
  while (pos < bytes.length) {
    let end = bytes.indexOf(0x0a, pos);
    if (end < 0) {
      if (requireEnd) break;
      end = bytes.length;
    }
    let line = Buffer.from(bytes.buffer, bytes.byteOffset + pos, end - pos).toString('latin1');
    pos = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (first) {
      first = false;
      continue;
    }
    if (line === '') {
      ended = true;
      break;
    }
    if (line.startsWith('#')) continue;
    const kv = line.indexOf(':=');
    const colon = line.indexOf(': ');
    if (kv >= 0 && (colon < 0 || kv < colon)) continue; // key/value comments, not fields
    if (colon < 0) throw new MedSegError('NRRD_INVALID', `${path} has a malformed NRRD header line: "${line.slice(0, 80)}".`, { path });
    fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 2).trim());
  }
  if (!ended && requireEnd && !fields.has('data file') && !fields.has('datafile')) {
    throw new MedSegError('NRRD_INVALID', `${path} has no end to its NRRD header (no blank line before the data).`, { path });
  }
  return { fields, dataOffset: pos };
}

const TYPES: [string[], VoxelType][] = [
  [['signed char', 'int8', 'int8_t'], 'int8'],
  [['uchar', 'unsigned char', 'uint8', 'uint8_t'], 'uint8'],
  [['short', 'short int', 'signed short', 'signed short int', 'int16', 'int16_t'], 'int16'],
  [['ushort', 'unsigned short', 'unsigned short int', 'uint16', 'uint16_t'], 'uint16'],
  [['int', 'signed int', 'int32', 'int32_t'], 'int32'],
  [['uint', 'unsigned int', 'uint32', 'uint32_t'], 'uint32'],
  [['float'], 'float32'],
  [['double'], 'float64'],
];

export function nrrdType(t: string | undefined, path: string): VoxelType {
  if (!t) throw new MedSegError('NRRD_INVALID', `${path} does not say what type its voxels are (no "type" field).`, { path });
  const key = t.toLowerCase();
  for (const [names, vt] of TYPES) if (names.includes(key)) return vt;
  throw new MedSegError('UNSUPPORTED_DATATYPE', `${path} stores "${t}" voxels, which are not supported.`, { path });
}

export function parseVector(s: string, path: string): Vec3 | null {
  if (s.trim() === 'none') return null;
  const m = /^\(([^)]*)\)$/.exec(s.trim());
  const nums = m ? m[1].split(',').map((x) => Number(x.trim())) : [];
  if (nums.length !== 3 || !nums.every(Number.isFinite)) {
    throw new MedSegError('NRRD_INVALID', `${path} has a space vector that is not three numbers: "${s}".`, { path });
  }
  return nums as Vec3;
}

/** "(a,b,c) none (d,e,f)" → vectors; parentheses may contain spaces. */
export function parseVectorList(s: string, path: string): (Vec3 | null)[] {
  const tokens = s.match(/\([^)]*\)|none/g) ?? [];
  return tokens.map((t) => parseVector(t, path));
}

/** Sign of each LPS axis relative to the file's space: RAS → (−1, −1, +1). null = unknown space. */
export function spaceToLps(space: string | undefined): { sign: Vec3; assumed: boolean } | null {
  const s = (space ?? '').toLowerCase();
  switch (s) {
    case 'left-posterior-superior': case 'lps': return { sign: [1, 1, 1], assumed: false };
    case 'right-anterior-superior': case 'ras': return { sign: [-1, -1, 1], assumed: false };
    case 'left-anterior-superior': case 'las': return { sign: [1, -1, 1], assumed: false };
    case 'scanner-xyz': case '3d-right-handed': case '': return { sign: [1, 1, 1], assumed: true };
    default: return null;
  }
}
