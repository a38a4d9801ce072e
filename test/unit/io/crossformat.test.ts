import { expect, it } from 'vitest';
import { sameGrid, type Grid, type LabelMap, type Volume } from '../../../src-shared';
import { openVolume, resampleLabels } from '../../../src-main/io';
import { describeWithData, dataPath } from '../helpers/data';

function asLabels(v: Volume): LabelMap {
  return { dims: v.dims, spacing: v.spacing, origin: v.origin, direction: v.direction, data: Uint8Array.from(v.data) };
}
function meanWhere(img: Volume, lab: Uint8Array, ids: number[]): { mean: number; n: number } {
  let s = 0, n = 0;
  for (let i = 0; i < lab.length; i++) if (ids.includes(lab[i])) { s += img.data[i]; n++; }
  return { mean: s / n, n };
}

describeWithData('DICOM series + NIfTI label map, aligned through world coordinates', ['totalseg_ct_dicom'], () => {
  // This 20-slice slab is contrast-enhanced upper abdomen (aorta ≈ 180 HU) and holds no lung labels, so the known
  // answers are: liver ≈ 90 HU (portal venous phase) with nearly every liver voxel within 0..200 HU.
  it('example_seg_dicom.nii.gz (flipped order) resampled onto the DICOM grid lands on the organs; raw indices do not', async () => {
    const ct = await openVolume(dataPath('totalseg_ct_dicom/example_ct_dicom'));
    const segVol = await openVolume(dataPath('totalseg_ct_dicom/example_seg_dicom.nii.gz'));
    expect(ct.dims).toEqual([512, 512, 20]);
    expect(segVol.dims).toEqual([512, 512, 20]);
    expect(sameGrid(ct, segVol)).toBe(false); // same voxels in a different order
    const seg = resampleLabels(asLabels(segVol), ct);
    expect(sameGrid(seg, ct as Grid)).toBe(true);
    expect([10, 11, 12, 13, 14].some((id) => segVol.data.includes(id))).toBe(false);
    const liver = meanWhere(ct, seg.data, [5]);
    expect(liver.n).toBeGreaterThan(100000);
    expect(liver.mean).toBeGreaterThan(60);
    expect(liver.mean).toBeLessThan(120);
    expect(fractionWithin(ct, seg.data, 5, 0, 200)).toBeGreaterThan(0.99);
    // through raw indices (ignoring geometry) the liver label lands partly on fat and air
    const rawLabels = Uint8Array.from(segVol.data);
    expect(meanWhere(ct, rawLabels, [5]).mean).toBeLessThan(30);
    expect(fractionWithin(ct, rawLabels, 5, 0, 200)).toBeLessThan(0.9);
  });
});

function fractionWithin(img: Volume, lab: Uint8Array, id: number, lo: number, hi: number): number {
  let n = 0, k = 0;
  for (let i = 0; i < lab.length; i++) if (lab[i] === id) { n++; if (img.data[i] >= lo && img.data[i] <= hi) k++; }
  return k / n;
}

describeWithData('dcmqi ct-3slice + liver_seg.nrrd', ['dcmqi_seg/ct-3slice', 'dcmqi_seg/liver_seg.nrrd'], () => {
  it('the NRRD liver label lands on liver tissue of the DICOM series (descending-z files)', async () => {
    const ct = await openVolume(dataPath('dcmqi_seg/ct-3slice'));
    const labVol = await openVolume(dataPath('dcmqi_seg/liver_seg.nrrd'));
    expect(ct.dims).toEqual([512, 512, 3]);
    const lab = resampleLabels(asLabels(labVol), ct);
    const liver = meanWhere(ct, lab.data, [1]);
    expect(liver.n).toBeGreaterThan(1000);
    expect(liver.mean).toBeGreaterThan(30);
    expect(liver.mean).toBeLessThan(90);
    // every labelled voxel of the NRRD found its place on the DICOM grid
    let inNrrd = 0;
    for (let i = 0; i < labVol.data.length; i++) if (labVol.data[i] === 1) inNrrd++;
    expect(liver.n).toBe(inNrrd);
  });
});
