import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexToWorld, isMedSegError, type LabelMap, type Vec3 } from '../../../src-shared';
import { openVolume, scanPaths, writeVolume, loadEntry } from '../../../src-main/io';
import { describeWithData, dataPath } from '../helpers/data';
import { corners } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-registry-'));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    expect(isMedSegError(e)).toBe(true);
    return (e as { code: string }).code;
  }
}

describe('registry: bad input gives exact error codes', () => {
  it('nonexistent path → FILE_NOT_FOUND (openVolume and scanPaths)', async () => {
    expect(await codeOf(openVolume(join(tmp, 'nope.nii.gz')))).toBe('FILE_NOT_FOUND');
    const s = await scanPaths([join(tmp, 'nope')]);
    expect(s.entries).toEqual([]);
    expect(s.errors.map((e) => e.code)).toEqual(['FILE_NOT_FOUND']);
  });
  it('zero-byte file → FILE_EMPTY', async () => {
    const p = join(tmp, 'empty.nii.gz');
    writeFileSync(p, '');
    expect(await codeOf(openVolume(p))).toBe('FILE_EMPTY');
  });
  it('garbage file → UNKNOWN_FORMAT', async () => {
    const p = join(tmp, 'garbage.bin');
    writeFileSync(p, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)));
    expect(await codeOf(openVolume(p))).toBe('UNKNOWN_FORMAT');
  });
  it('folder with no images → NO_IMAGES (other files skipped, not errors)', async () => {
    const d = join(tmp, 'docs');
    mkdirSync(d);
    writeFileSync(join(d, 'readme.txt'), 'hello');
    expect(await codeOf(openVolume(d))).toBe('NO_IMAGES');
    const s = await scanPaths([d]);
    expect(s.skipped).toEqual([join(d, 'readme.txt')]);
    expect(s.errors).toEqual([]);
  });
});

describeWithData('registry with real files', ['totalseg_mr/example_mr_sm.nii.gz', 'totalseg_ct/example_ct.nii.gz', 'pyradiomics_mr_lesions/brain1_image.nrrd', 'niivue_freesurfer/norm.mgz'], () => {
  it('truncated .nii.gz (first half of a real file) → FILE_TRUNCATED', async () => {
    const src = readFileSync(dataPath('totalseg_ct/example_ct.nii.gz'));
    const p = join(tmp, 'half.nii.gz');
    writeFileSync(p, src.subarray(0, Math.floor(src.length / 2)));
    expect(await codeOf(openVolume(p))).toBe('FILE_TRUNCATED');
  });
  it('folder with a NIfTI, an NRRD, an MGZ (names without extensions too) → three entries, MULTIPLE_SERIES', async () => {
    const d = join(tmp, 'mixed');
    mkdirSync(join(d, 'sub'), { recursive: true });
    copyFileSync(dataPath('totalseg_mr/example_mr_sm.nii.gz'), join(d, 'a_no_extension'));
    copyFileSync(dataPath('pyradiomics_mr_lesions/brain1_image.nrrd'), join(d, 'sub', 'b.nrrd'));
    copyFileSync(dataPath('niivue_freesurfer/norm.mgz'), join(d, 'c.mgz'));
    writeFileSync(join(d, 'notes.txt'), 'x');
    const s = await scanPaths([d]);
    expect(s.entries.map((e) => e.format).sort()).toEqual(['mgh', 'nifti', 'nrrd']);
    expect(s.entries.find((e) => e.format === 'nrrd')!.dims).toEqual([256, 256, 25]);
    expect(s.entries.find((e) => e.format === 'nifti')!.dims).toEqual([117, 91, 20]);
    expect(s.skipped).toEqual([join(d, 'notes.txt')]);
    expect(await codeOf(openVolume(d))).toBe('MULTIPLE_SERIES');
    const v = await loadEntry(s.entries.find((e) => e.format === 'nifti')!);
    expect(v.dims).toEqual([117, 91, 20]);
  });
});

describeWithData('round trips: write NIfTI and NRRD, read back', ['brats_tcga_fg6692/native', 'nifti_orientation_edge/shear.nii.gz', 'pyradiomics_mr_lesions/prostate_phantom_subvolume.nrrd'], () => {
  const cases = [
    'brats_tcga_fg6692/native/T1_AX_OtherEXampleTCIA_TCGA-FG-6692_Si_TCGA-FG-6692_T1_AX_SE_10_se2d1_t1.nii.gz',
    'nifti_orientation_edge/shear.nii.gz',
    'pyradiomics_mr_lesions/prostate_phantom_subvolume.nrrd',
  ];
  for (const c of cases) {
    for (const ext of ['.nii.gz', '.nii', '.nrrd']) {
      it(`${c.split('/').pop()!.slice(0, 30)} → ${ext}: same voxels, same world corners`, async () => {
        const a = await openVolume(dataPath(c));
        const out = join(tmp, `rt-${c.replace(/\W/g, '_')}${ext}`);
        await writeVolume(a, out);
        const b = await openVolume(out);
        expect(b.dims).toEqual(a.dims);
        expect(b.voxelType).toBe(a.voxelType);
        expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength))).toBe(true);
        for (const k of [...corners(a.dims), [3, 5, 1] as Vec3]) {
          const pa = indexToWorld(a, k), pb = indexToWorld(b, k);
          for (let x = 0; x < 3; x++) expect(Math.abs(pa[x] - pb[x])).toBeLessThan(1e-3);
        }
        // never overwritten without asking
        expect(await codeOf(writeVolume(a, out))).toBe('FILE_EXISTS');
        await writeVolume(a, out, { overwrite: true });
      });
    }
  }
  it('a label map (Uint8) round-trips through .nrrd and .nii.gz', async () => {
    const g = await openVolume(dataPath(cases[2]));
    const lab: LabelMap = { dims: g.dims, spacing: g.spacing, origin: g.origin, direction: g.direction, data: Uint8Array.from(g.data, (x) => (x > 100 ? 5 : 0)) };
    for (const ext of ['.nrrd', '.nii.gz']) {
      const p = join(tmp, `lab${ext}`);
      await writeVolume(lab, p);
      const r = await openVolume(p);
      expect(r.voxelType).toBe('uint8');
      expect(Array.from(r.data)).toEqual(Array.from(lab.data));
      expect(r.origin.map((x, i) => Math.abs(x - lab.origin[i]) < 1e-3)).toEqual([true, true, true]);
    }
  });
  it('unsupported output extension → INVALID_ARGUMENT', async () => {
    const g = await openVolume(dataPath(cases[2]));
    expect(await codeOf(writeVolume(g, join(tmp, 'x.png')))).toBe('INVALID_ARGUMENT');
  });
});
