import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sameGrid, valueRange, type Grid, type Vec3 } from '../../../src-shared';
import { loadNifti } from '../../../src-main/io/nifti';
import { niftiHeader } from '../../../src-main/io/nifti/write';
import { describeWithData, dataPath } from '../helpers/data';
import { maxCornerError, rawSformRas, srowToLps } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-nifti-'));

function expectCornersMatchSform(path: string) {
  return async () => {
    const raw = rawSformRas(path);
    expect(raw.sformCode).toBeGreaterThan(0);
    const v = await loadNifti(path);
    expect(v.dims).toEqual(raw.dims);
    expect(maxCornerError(v, (c) => srowToLps(raw.srow, c))).toBeLessThan(1e-3);
    return v;
  };
}

describeWithData('NIfTI orientation: corner voxels land where the sform says (LPS)', ['nifti_orientation_edge', 'totalseg_mr', 'brats_tcga_fg6692/native'], () => {
  it('AIL.nii.gz: permuted axes i→A, j→I, k→L', async () => {
    const v = await expectCornersMatchSform(dataPath('nifti_orientation_edge/AIL.nii.gz'))();
    // i → Anterior = −y in LPS, j → Inferior = −z, k → Left = +x
    expect(v.direction[3]).toBeLessThan(-0.99);
    expect(v.direction[7]).toBeLessThan(-0.99);
    expect(v.direction[2]).toBeGreaterThan(0.99);
    // scl_slope 0.3629… turns uint8 into float32 values
    expect(v.voxelType).toBe('float32');
  });
  it('shear.nii.gz: exact positions with non-orthogonal axes and a shear warning', async () => {
    const v = await expectCornersMatchSform(dataPath('nifti_orientation_edge/shear.nii.gz'))();
    expect(v.dims).toEqual([306, 422, 54]);
    expect(v.warnings.some((w) => /sheared/.test(w))).toBe(true);
    // slope 7.1098, intercept −1024 on uint8: values start at −1024
    expect(valueRange(v.data)[0]).toBeCloseTo(-1024, 3);
  });
  it('example_mr_sm.nii.gz: LPS-diagonal sform (−3,−3,+3) becomes identity direction in LPS', async () => {
    const v = await expectCornersMatchSform(dataPath('totalseg_mr/example_mr_sm.nii.gz'))();
    expect(v.dims).toEqual([117, 91, 20]);
    expect(v.spacing.map((s) => +s.toFixed(4))).toEqual([3, 3, 3]);
    expect(v.direction.map((d) => Math.round(d))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(v.voxelType).toBe('int16');
  });
  for (const name of ['MRHR_FLAIR_AX', 'MRHR_T2_AX', 'MRHR_T1_AX_POST_GAD', 'T1_AX']) {
    it(`brats native ${name}: oblique sform`, async () => {
      const { readdirSync } = await import('node:fs');
      const f = readdirSync(dataPath('brats_tcga_fg6692/native')).find((n) => n.startsWith(name + '_'))!;
      const v = await expectCornersMatchSform(dataPath('brats_tcga_fg6692/native', f))();
      expect(v.spacing[2]).toBeGreaterThan(5);
      expect(v.warnings.some((w) => /sheared/.test(w))).toBe(false);
    });
  }
});

describeWithData('BraTS co-registered volumes', ['brats_tcga_fg6692'], () => {
  it('the four *_bet sequences share one 240×240×155 grid, origin (0,239,0) RAS = (0,−239,0) LPS', async () => {
    const vols = await Promise.all(['t1', 't1c', 't2', 'fla'].map((s) => loadNifti(dataPath(`brats_tcga_fg6692/OtherEXampleFromTCIA_${s}_bet.nii.gz`))));
    for (const v of vols) {
      expect(v.dims).toEqual([240, 240, 155]);
      expect(sameGrid(v, vols[0])).toBe(true);
    }
    expect(vols[0].origin[0]).toBeCloseTo(0, 6);
    expect(vols[0].origin[1]).toBeCloseTo(-239, 6);
    expect(vols[0].spacing).toEqual([1, 1, 1]);
  });
});

describeWithData('TotalSegmentator CT: HU values inside organs', ['totalseg_ct/example_ct.nii.gz', 'totalseg_ct/example_seg_fast_force_split.nii.gz'], () => {
  it('dims 122×101×112, 3 mm, liver mean 30..70 HU, lungs below −500 HU', async () => {
    const ct = await loadNifti(dataPath('totalseg_ct/example_ct.nii.gz'));
    const seg = await loadNifti(dataPath('totalseg_ct/example_seg_fast_force_split.nii.gz'));
    expect(ct.dims).toEqual([122, 101, 112]);
    expect(ct.spacing).toEqual([3, 3, 3]);
    expect(sameGrid(ct, seg)).toBe(true);
    expect(ct.modality).toBe('CT');
    expect(ct.voxelType).toBe('int16'); // int32 on disk, fits int16
    const mean = (ids: number[]) => {
      let s = 0, n = 0;
      for (let i = 0; i < ct.data.length; i++) if (ids.includes(seg.data[i])) { s += ct.data[i]; n++; }
      expect(n).toBeGreaterThan(100);
      return s / n;
    };
    const liver = mean([5]);
    expect(liver).toBeGreaterThan(30);
    expect(liver).toBeLessThan(70);
    expect(mean([10, 11, 12, 13, 14])).toBeLessThan(-500);
  });
});

describe('NIfTI synthetic cases', () => {
  const grid: Grid = { dims: [4, 3, 2], spacing: [1.5, 2, 3], origin: [10, -20, 30], direction: [0, 0, 1, 1, 0, 0, 0, 1, 0] };
  const n = 24;
  function file(type: 'int16' | 'float32', patch?: (dv: DataView) => void, extraBytes = 0): Uint8Array {
    const data = type === 'int16' ? Int16Array.from({ length: n + extraBytes / 2 }, (_, i) => i * 10 - 50) : Float32Array.from({ length: n }, (_, i) => i / 4);
    const h = niftiHeader({ ...grid, data }, type);
    const out = new Uint8Array(352 + data.byteLength);
    out.set(h);
    out.set(new Uint8Array(data.buffer), 352);
    if (patch) patch(new DataView(out.buffer));
    return out;
  }
  it('4D: first volume only, with a warning', async () => {
    const p = join(tmp, '4d.nii');
    writeFileSync(p, file('int16', (dv) => { dv.setInt16(40, 4, true); dv.setInt16(48, 2, true); }, 48));
    const v = await loadNifti(p);
    expect(v.dims).toEqual([4, 3, 2]);
    expect(Array.from(v.data.slice(0, 3))).toEqual([-50, -40, -30]);
    expect(v.data.length).toBe(24);
    expect(v.warnings.some((w) => /2 volumes/.test(w))).toBe(true);
  });
  it('scl_slope 2, inter −1000 on int16 → int16 values ×2 −1000; slope 0 → unscaled', async () => {
    const p = join(tmp, 'slope.nii.gz');
    writeFileSync(p, gzipSync(file('int16', (dv) => { dv.setFloat32(112, 2, true); dv.setFloat32(116, -1000, true); })));
    const v = await loadNifti(p);
    expect(v.voxelType).toBe('int16');
    expect(Array.from(v.data.slice(0, 2))).toEqual([-1100, -1080]);
    const p0 = join(tmp, 'slope0.nii');
    writeFileSync(p0, file('int16', (dv) => { dv.setFloat32(112, 0, true); dv.setFloat32(116, 7, true); }));
    expect(Array.from((await loadNifti(p0)).data.slice(0, 2))).toEqual([-50, -40]);
  });
  it('qform only (sform_code 0) gives the same geometry as the sform', async () => {
    const p = join(tmp, 'qform.nii');
    writeFileSync(p, file('float32', (dv) => dv.setInt16(254, 0, true)));
    const v = await loadNifti(p);
    for (let i = 0; i < 3; i++) expect(v.origin[i]).toBeCloseTo(grid.origin[i], 4);
    for (let i = 0; i < 9; i++) expect(v.direction[i]).toBeCloseTo(grid.direction[i], 5);
    expect(v.spacing).toEqual([1.5, 2, 3]);
  });
  it('no sform/qform: pixdim scaling with a warning', async () => {
    const p = join(tmp, 'none.nii');
    writeFileSync(p, file('float32', (dv) => { dv.setInt16(252, 0, true); dv.setInt16(254, 0, true); }));
    const v = await loadNifti(p);
    expect(v.spacing).toEqual([1.5, 2, 3]);
    expect(v.warnings.some((w) => /no patient orientation/.test(w))).toBe(true);
  });
  it('big-endian file reads the same values', async () => {
    const le = file('int16');
    const be = new Uint8Array(le);
    const dv = new DataView(be.buffer);
    const ldv = new DataView(le.buffer);
    // swap every header field we rely on, then the samples
    dv.setInt32(0, 348, false);
    for (let o = 40; o < 56; o += 2) dv.setInt16(o, ldv.getInt16(o, true), false);
    for (const o of [70, 72, 252, 254]) dv.setInt16(o, ldv.getInt16(o, true), false);
    for (let o = 76; o < 140; o += 4) dv.setFloat32(o, ldv.getFloat32(o, true), false);
    for (let o = 256; o < 328; o += 4) dv.setFloat32(o, ldv.getFloat32(o, true), false);
    for (let o = 352; o < be.length; o += 2) dv.setInt16(o, ldv.getInt16(o, true), false);
    const p = join(tmp, 'be.nii');
    writeFileSync(p, be);
    const v = await loadNifti(p);
    expect(Array.from(v.data.slice(0, 3))).toEqual([-50, -40, -30]);
    expect(v.origin).toEqual([10, -20, 30]);
  });
  it('RGB datatype → UNSUPPORTED_DATATYPE; data shorter than header → FILE_TRUNCATED', async () => {
    const p = join(tmp, 'rgb.nii');
    writeFileSync(p, file('int16', (dv) => { dv.setInt16(70, 128, true); dv.setInt16(72, 24, true); }));
    await expect(loadNifti(p)).rejects.toMatchObject({ code: 'UNSUPPORTED_DATATYPE' });
    const q = join(tmp, 'short.nii');
    writeFileSync(q, file('int16').slice(0, 352 + 10));
    await expect(loadNifti(q)).rejects.toMatchObject({ code: 'FILE_TRUNCATED' });
  });
  it('a file named .nii that is not NIfTI → NIFTI_INVALID', async () => {
    const p = join(tmp, 'bad.nii');
    writeFileSync(p, Buffer.alloc(600, 7));
    await expect(loadNifti(p)).rejects.toMatchObject({ code: 'NIFTI_INVALID' });
    expect(readFileSync(p).length).toBe(600);
  });
});
