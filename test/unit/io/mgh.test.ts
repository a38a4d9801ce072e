import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { indexToWorld, orientationLetter, sameGrid, axis } from '../../../src-shared';
import { loadMgh } from '../../../src-main/io/mgh';
import { describeWithData, dataPath } from '../helpers/data';

describeWithData('FreeSurfer MGZ', ['niivue_freesurfer/norm.mgz', 'niivue_freesurfer/aparc.a2009s+aseg.mgz'], () => {
  it('norm.mgz: 256³, 1 mm, LIA → LPS columns (+x, −z, −y); centre voxel at c_ras', async () => {
    const v = await loadMgh(dataPath('niivue_freesurfer/norm.mgz'));
    expect(v.dims).toEqual([256, 256, 256]);
    expect(v.voxelType).toBe('uint8');
    for (const s of v.spacing) expect(s).toBeCloseTo(1, 5);
    // LIA: i → Left, j → Inferior, k → Anterior
    expect([0, 1, 2].map((c) => orientationLetter(axis(v.direction, c as 0 | 1 | 2))).join('')).toBe('LIA');
    const r = v.direction.map((d) => Math.round(d) + 0);
    expect(r).toEqual([1, 0, 0, 0, 0, -1, 0, -1, 0]);
    // c_ras read independently from the big-endian header (offset 78), converted RAS→LPS
    const h = gunzipSync(readFileSync(dataPath('niivue_freesurfer/norm.mgz'))).subarray(0, 284);
    const dv = new DataView(h.buffer, h.byteOffset, 284);
    const c = [dv.getFloat32(78, false), dv.getFloat32(82, false), dv.getFloat32(86, false)];
    const centre = indexToWorld(v, [128, 128, 128]);
    expect(centre[0]).toBeCloseTo(-c[0], 3);
    expect(centre[1]).toBeCloseTo(-c[1], 3);
    expect(centre[2]).toBeCloseTo(c[2], 3);
    expect(v.data.some((x) => x > 0)).toBe(true);
  });
  it('aparc+aseg: int32 labels on the same grid, left cerebral white matter (2) present', async () => {
    const a = await loadMgh(dataPath('niivue_freesurfer/aparc.a2009s+aseg.mgz'));
    const n = await loadMgh(dataPath('niivue_freesurfer/norm.mgz'));
    expect(sameGrid(a, n)).toBe(true);
    expect(a.voxelType).toBe('int16'); // int32 on disk, labels ≤ 12175 fit int16
    let max = 0, wm = 0;
    for (const x of a.data) { if (x > max) max = x; if (x === 2) wm++; }
    expect(max).toBe(12175);
    expect(wm).toBeGreaterThan(10000);
  });
});
