import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { indexToWorld, sameGrid, valueRange, type Vec3 } from '../../../src-shared';
import { loadNrrd } from '../../../src-main/io/nrrd';
import { loadNifti } from '../../../src-main/io/nifti';
import { describeWithData, dataPath } from '../helpers/data';
import { corners } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-nrrd-'));

describeWithData('NRRD vs NIfTI of the same FLAIR', ['niivue_flair_lesion/FLAIR.nrrd', 'niivue_flair_lesion/FLAIR.nii.gz'], () => {
  it('same voxel → same world position (corners + middle within 0.001 mm) and the same values', async () => {
    const a = await loadNrrd(dataPath('niivue_flair_lesion/FLAIR.nrrd'));
    const b = await loadNifti(dataPath('niivue_flair_lesion/FLAIR.nii.gz'));
    expect(a.dims).toEqual([124, 160, 140]);
    expect(b.dims).toEqual(a.dims);
    for (const c of [...corners(a.dims), [62, 80, 70] as Vec3]) {
      const pa = indexToWorld(a, c), pb = indexToWorld(b, c);
      for (let x = 0; x < 3; x++) expect(Math.abs(pa[x] - pb[x])).toBeLessThan(1e-3);
    }
    expect(a.voxelType).toBe('uint8');
    expect(Buffer.compare(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength), Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))).toBe(0);
  });
});

describeWithData('pyradiomics NRRDs', ['pyradiomics_mr_lesions'], () => {
  it('brain1: 256×256×25, 0.78×0.78×6.5 mm, −y direction; label on the same grid', async () => {
    const v = await loadNrrd(dataPath('pyradiomics_mr_lesions/brain1_image.nrrd'));
    const l = await loadNrrd(dataPath('pyradiomics_mr_lesions/brain1_label.nrrd'));
    expect(v.dims).toEqual([256, 256, 25]);
    expect(v.spacing[0]).toBeCloseTo(0.78125, 6);
    expect(v.spacing[1]).toBeCloseTo(0.78125, 6);
    expect(v.spacing[2]).toBeCloseTo(6.5, 6);
    expect(v.direction).toEqual([1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(v.origin[0]).toBeCloseTo(-99.609375, 6);
    expect(v.voxelType).toBe('int16');
    expect(sameGrid(v, l)).toBe(true);
    expect(valueRange(l.data)).toEqual([0, 1]);
  });
  it('prostate phantom: 82×67×13, 0.5×0.5×3 mm, direction (−,−,+), labels 1,7,8,9', async () => {
    const v = await loadNrrd(dataPath('pyradiomics_mr_lesions/prostate_phantom_subvolume.nrrd'));
    expect(v.dims).toEqual([82, 67, 13]);
    expect(v.spacing).toEqual([0.5, 0.5, 3]);
    expect(v.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(v.voxelType).toBe('uint16');
    const l = await loadNrrd(dataPath('pyradiomics_mr_lesions/prostate_phantom_subvolume-label.nrrd'));
    expect(new Set(l.data)).toEqual(new Set([0, 1, 7, 8, 9]));
  });
});

describe('NRRD synthetic cases', () => {
  const values = Int16Array.from({ length: 24 }, (_, i) => i - 5);
  const bytes = Buffer.from(values.buffer);
  const hdr = (lines: string[]) => Buffer.from(['NRRD0004', ...lines].join('\n') + '\n\n', 'latin1');
  const base = ['type: short', 'dimension: 3', 'sizes: 4 3 2', 'endian: little'];
  it('RAS space is converted to LPS (x and y negated)', async () => {
    const p = join(tmp, 'ras.nrrd');
    writeFileSync(p, Buffer.concat([hdr([...base, 'space: right-anterior-superior', 'space directions: (2,0,0) (0,3,0) (0,0,4)', 'space origin: (10,20,30)', 'encoding: raw']), bytes]));
    const v = await loadNrrd(p);
    expect(v.origin).toEqual([-10, -20, 30]);
    expect(v.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(v.spacing).toEqual([2, 3, 4]);
    expect(Array.from(v.data)).toEqual(Array.from(values));
  });
  it('big-endian gzip and ascii encodings give the same values', async () => {
    const be = Buffer.from(bytes);
    be.swap16();
    const p = join(tmp, 'be.nrrd');
    writeFileSync(p, Buffer.concat([hdr(['type: short', 'dimension: 3', 'sizes: 4 3 2', 'endian: big', 'space: LPS', 'space directions: (1,0,0) (0,1,0) (0,0,1)', 'encoding: gzip']), gzipSync(be)]));
    expect(Array.from((await loadNrrd(p)).data)).toEqual(Array.from(values));
    const q = join(tmp, 'ascii.nrrd');
    writeFileSync(q, Buffer.concat([hdr([...base, 'space: LPS', 'space directions: (1,0,0) (0,1,0) (0,0,1)', 'encoding: ascii']), Buffer.from(Array.from(values).join(' ') + '\n')]));
    expect(Array.from((await loadNrrd(q)).data)).toEqual(Array.from(values));
  });
  it('detached data (.nhdr + .raw)', async () => {
    writeFileSync(join(tmp, 'det.raw'), bytes);
    const p = join(tmp, 'det.nhdr');
    writeFileSync(p, hdr([...base, 'space: left-posterior-superior', 'space directions: (1,0,0) (0,1,0) (0,0,1)', 'encoding: raw', 'data file: det.raw']));
    expect(Array.from((await loadNrrd(p)).data)).toEqual(Array.from(values));
    const q = join(tmp, 'list.nhdr');
    writeFileSync(q, hdr([...base, 'space: LPS', 'space directions: (1,0,0) (0,1,0) (0,0,1)', 'encoding: raw', 'data file: LIST', 'a.raw']));
    await expect(loadNrrd(q)).rejects.toMatchObject({ code: 'NRRD_INVALID' });
  });
  it('4D with a leading vector axis: component 0 with a warning', async () => {
    const inter = new Int16Array(48);
    for (let i = 0; i < 24; i++) { inter[2 * i] = values[i]; inter[2 * i + 1] = 999; }
    const p = join(tmp, 'vec.nrrd');
    writeFileSync(p, Buffer.concat([hdr(['type: short', 'dimension: 4', 'sizes: 2 4 3 2', 'endian: little', 'space: LPS', 'space directions: none (1,0,0) (0,1,0) (0,0,1)', 'kinds: vector domain domain domain', 'encoding: raw']), Buffer.from(inter.buffer)]));
    const v = await loadNrrd(p);
    expect(v.dims).toEqual([4, 3, 2]);
    expect(Array.from(v.data)).toEqual(Array.from(values));
    expect(v.warnings.some((w) => /only the first/.test(w))).toBe(true);
  });
  it('errors: bzip2 encoding NRRD_INVALID, long long UNSUPPORTED_DATATYPE, short data FILE_TRUNCATED', async () => {
    const a = join(tmp, 'bz.nrrd');
    writeFileSync(a, Buffer.concat([hdr([...base, 'encoding: bzip2']), bytes]));
    await expect(loadNrrd(a)).rejects.toMatchObject({ code: 'NRRD_INVALID' });
    const b = join(tmp, 'll.nrrd');
    writeFileSync(b, Buffer.concat([hdr(['type: long long', 'dimension: 3', 'sizes: 4 3 2', 'encoding: raw']), bytes]));
    await expect(loadNrrd(b)).rejects.toMatchObject({ code: 'UNSUPPORTED_DATATYPE' });
    const c = join(tmp, 'short.nrrd');
    writeFileSync(c, Buffer.concat([hdr([...base, 'encoding: raw']), bytes.subarray(0, 20)]));
    await expect(loadNrrd(c)).rejects.toMatchObject({ code: 'FILE_TRUNCATED' });
  });
  it('no space directions: spacings used, orientation-unknown warning', async () => {
    const p = join(tmp, 'nospace.nrrd');
    writeFileSync(p, Buffer.concat([hdr([...base, 'spacings: 0.5 0.5 2', 'encoding: raw']), bytes]));
    const v = await loadNrrd(p);
    expect(v.spacing).toEqual([0.5, 0.5, 2]);
    expect(v.warnings.some((w) => /no patient orientation/.test(w))).toBe(true);
  });
});
