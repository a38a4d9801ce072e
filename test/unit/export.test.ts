import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../src-shared';
import { exportSegmentation, openVolume } from '../../src-main/io';
import { readSegFile, segToGrid } from '../../src-main/io/seg';
import { dataPath, describeWithData } from './helpers/data';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describeWithData('export of a segmentation made on a DICOM series', ['dcmqi_seg/ct-3slice', 'dcmqi_seg/liver_seg.nrrd'], () => {
  it('DICOM SEG references the source series and re-imports to the same voxels; NIfTI and NRRD keep world positions', async () => {
    const ct = await openVolume(dataPath('dcmqi_seg/ct-3slice'));
    const liver = await openVolume(dataPath('dcmqi_seg/liver_seg.nrrd'));
    const labels = new Uint8Array(liver.data.length);
    for (let i = 0; i < labels.length; i++) labels[i] = liver.data[i] ? 5 : 0;

    const seg = await exportSegmentation(ct, labels, join(tmp, 'liver.dcm'), { classes: [{ id: 5, name: 'Liver', color: [200, 120, 90] }] });
    expect(seg.format).toBe('dicom-seg');
    const back = await readSegFile(seg.path);
    expect(back.referencedSeriesUid).toBe(ct.meta.seriesInstanceUid);
    expect(back.frameOfReferenceUid).toBe(ct.meta.frameOfReferenceUid);
    expect(back.segments[0]).toMatchObject({ label: 'Liver', type: 'Liver' });
    const mask = segToGrid(back, ct).masks.get(1)!;
    for (let i = 0; i < labels.length; i++) if ((labels[i] ? 1 : 0) !== mask[i]) throw new Error(`voxel ${i} differs`);
    if (existsSync('/usr/bin/dcmdump')) expect(execFileSync('dcmdump', ['-E', seg.path], { encoding: 'utf8' })).toMatch(/ReferencedSeriesSequence/);

    for (const ext of ['nii.gz', 'nrrd']) {
      const out = await exportSegmentation(ct, labels, join(tmp, `liver.${ext}`));
      const re = await openVolume(out.path);
      expect(re.dims).toEqual(ct.dims);
      for (let a = 0; a < 3; a++) expect(re.origin[a]).toBeCloseTo(ct.origin[a], 3);
      expect(Array.from(re.data).map((x) => (x ? 5 : 0))).toEqual(Array.from(labels));
    }
  });

  it('refuses to overwrite an existing file (FILE_EXISTS) unless asked', async () => {
    const ct = await openVolume(dataPath('dcmqi_seg/ct-3slice'));
    const labels = new Uint8Array(ct.data.length);
    labels[1000] = 1;
    const p = join(tmp, 'keep.nii.gz');
    writeFileSync(p, 'precious');
    await expect(exportSegmentation(ct, labels, p)).rejects.toMatchObject({ code: 'FILE_EXISTS' });
    await exportSegmentation(ct, labels, p, { overwrite: true });
    expect((await openVolume(p)).dims).toEqual(ct.dims);
  });
});

describe('export argument errors', () => {
  it('an unknown extension is INVALID_ARGUMENT', async () => {
    const v: Volume = { dims: [2, 2, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data: new Int16Array(4), voxelType: 'int16', modality: 'CT', meta: {}, window: { center: 0, width: 1 }, warnings: [] };
    await expect(exportSegmentation(v, new Uint8Array(4), join(tmp, 'x.png'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
