/**
 * NRRD writer: attached gzip data, left-posterior-superior space (our world frame, so no conversion).
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { voxelTypeOf, type Grid, type VoxelArray, type VoxelType } from '../../../src-shared';
import { littleEndianBytes } from '../bytes';

const gzipAsync = promisify(gzip);

const TYPE_NAME: Record<VoxelType, string> = {
  int8: 'signed char', uint8: 'unsigned char', int16: 'short', uint16: 'unsigned short',
  int32: 'int', uint32: 'unsigned int', float32: 'float', float64: 'double',
};

export interface NrrdWriteInput extends Grid {
  data: VoxelArray;
  description?: string;
}

const vec = (v: number[]) => `(${v.map((x) => String(x)).join(',')})`;

export function nrrdHeaderText(v: NrrdWriteInput): string {
  const d = v.direction, s = v.spacing;
  const cols = [0, 1, 2].map((c) => [d[c] * s[c], d[3 + c] * s[c], d[6 + c] * s[c]]);
  const lines = [
    'NRRD0004',
    '# Complete NRRD file format specification at: http://teem.sourceforge.net/nrrd/format.html',
    `type: ${TYPE_NAME[voxelTypeOf(v.data)]}`,
    'dimension: 3',
    'space: left-posterior-superior',
    `sizes: ${v.dims.join(' ')}`,
    `space directions: ${cols.map(vec).join(' ')}`,
    'kinds: domain domain domain',
    'endian: little',
    'encoding: gzip',
    `space origin: ${vec(v.origin)}`,
  ];
  const content = (v.description ?? '').replace(/[\r\n]/g, ' ').trim();
  if (content) lines.splice(2, 0, `content: ${content}`);
  return lines.join('\n') + '\n\n';
}

export async function writeNrrd(v: NrrdWriteInput): Promise<Uint8Array> {
  const header = Buffer.from(nrrdHeaderText(v), 'latin1');
  const body = await gzipAsync(littleEndianBytes(v.data), { level: 5 });
  return Buffer.concat([header, body]);
}
