/**
 * DICOM reader on real CT series: slice order along the normal, spacing from positions, HU, and a check of the
 * geometry against an independent label map through world coordinates.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { dicomLoader, scanDicomPaths } from '../../../src-main/io/dicom';
import { indexToWorld, invert3, type Mat3, type Volume } from '../../../src-shared';
import { dataPath, describeWithData } from '../helpers/data';

/** Raw int16 pixels of an uncompressed implicit-LE file, read straight from its bytes (independent of dcmjs). */
function rawPixelsInt16(path: string, count: number): Int16Array {
  const b = readFileSync(path);
  for (let o = b.length - 8; o >= 0; o--) {
    if (b[o] === 0xe0 && b[o + 1] === 0x7f && b[o + 2] === 0x10 && b[o + 3] === 0x00 && b.readUInt32LE(o + 4) === count * 2) {
      return new Int16Array(b.buffer.slice(b.byteOffset + o + 8, b.byteOffset + o + 8 + count * 2));
    }
  }
  throw new Error(`no pixel data element in ${path}`);
}

describeWithData('DICOM CT: dcmqi ct-3slice (implicit LE, files in descending z)', ['dcmqi_seg/ct-3slice'], () => {
  let v: Volume;
  beforeAll(async () => {
    const { entries, errors } = await scanDicomPaths([dataPath('dcmqi_seg/ct-3slice')]);
    expect(errors).toEqual([]);
    expect(entries.map((e) => [e.kind, e.dims])).toEqual([['image', [512, 512, 3]]]);
    v = await dicomLoader.load(entries[0]);
  });

  it('has dims [512,512,3] and k spacing 1.0 mm from positions (not SliceThickness 1.25)', () => {
    expect(v.dims).toEqual([512, 512, 3]);
    expect(v.spacing[0]).toBeCloseTo(0.8105, 4);
    expect(v.spacing[2]).toBeCloseTo(1.0, 4);
    expect(v.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('sorts along the normal: origin z = −128.69 and the k=0 slice holds that file’s pixels in HU', () => {
    expect(v.origin[2]).toBeCloseTo(-128.69, 3);
    expect(v.meta.sourceFiles?.map((f) => f.split('/').pop())).toEqual(['03.dcm', '02.dcm', '01.dcm']);
    const raw = rawPixelsInt16(dataPath('dcmqi_seg/ct-3slice/03.dcm'), 512 * 512);
    const n = 512 * 512;
    let mismatches = 0;
    for (let i = 0; i < n; i++) if (v.data[i] !== raw[i] - 1024) mismatches++; // RescaleIntercept −1024
    expect(mismatches).toBe(0);
    // and k=2 is 01.dcm (z = −126.69)
    const raw01 = rawPixelsInt16(dataPath('dcmqi_seg/ct-3slice/01.dcm'), n);
    expect(v.data[2 * n + 256 * 512 + 256]).toBe(raw01[256 * 512 + 256] - 1024);
  });

  it('holds HU: outside-FOV padding −3024, air near −1000 is the most common in-FOV value, window from the file', () => {
    expect(v.voxelType).toBe('int16');
    let min = Infinity, air = 0, tissue = 0;
    for (const x of v.data) {
      if (x < min) min = x;
      if (x > -1100 && x < -900) air++;
      if (x > -100 && x < 100) tissue++;
    }
    expect(min).toBe(-3024);
    expect(air).toBeGreaterThan(100_000);
    expect(tissue).toBeGreaterThan(100_000);
    expect(v.window.center).toBe(40);
    expect(v.modality).toBe('CT');
    expect(v.meta.seriesInstanceUid).toBe('1.2.392.200103.20080913.113635.1.2009.6.22.21.43.10.23430.1');
    expect(v.meta.sopInstanceUids?.length).toBe(3);
  });
});

describeWithData('DICOM CT: TotalSegmentator series (JPEG 2000 lossless, empty UIDs)', ['totalseg_ct_dicom/example_ct_dicom', 'totalseg_ct_dicom/example_seg_dicom.nii.gz'], () => {
  let v: Volume;
  const progress: number[] = [];
  beforeAll(async () => {
    const { entries, errors } = await scanDicomPaths([dataPath('totalseg_ct_dicom/example_ct_dicom')]);
    expect(errors).toEqual([]);
    expect(entries.length).toBe(1);
    v = await dicomLoader.load(entries[0], { onProgress: (f) => progress.push(f) });
  }, 60_000);

  it('groups the 20 files without UIDs into one series of 512×512×20 with spacing (0.9766, 0.9766, 2.0)', () => {
    expect(v.dims).toEqual([512, 512, 20]);
    expect(v.spacing[0]).toBeCloseTo(0.9766, 4);
    expect(v.spacing[1]).toBeCloseTo(0.9766, 4);
    expect(v.spacing[2]).toBeCloseTo(2.0, 6);
    expect(v.meta.seriesInstanceUid).toBeUndefined();
    expect(v.meta.seriesDescription).toBe('CT Body 3.0');
    expect(progress.length).toBe(20);
    expect(progress[19]).toBe(1);
  });

  it('k increases upward: origin z = −804.5 and the last slice is at −766.5', () => {
    expect(v.origin).toEqual([-249.51171875, -437.51171875, -804.5]);
    expect(indexToWorld(v, [0, 0, 19])[2]).toBeCloseTo(-766.5, 6);
    expect(v.meta.sourceFiles?.[19]).toMatch(/16573$/); // InstanceNumber 267, z = −766.5
  });

  it('decodes to HU (air −1024 floor) and matches the reference label map through world coordinates (liver ≈ 89 HU, homogeneous)', () => {
    expect(v.voxelType).toBe('int16');
    let min = Infinity;
    for (const x of v.data) if (x < min) min = x;
    expect(min).toBe(-1024);

    const gz = readFileSync(dataPath('totalseg_ct_dicom/example_seg_dicom.nii.gz'));
    const raw = gunzipSync(gz);
    const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
    const h = nifti.readHeader(ab);
    if (!h) throw new Error('label header unreadable');
    const labels = new Uint8Array(nifti.readImage(h, ab));
    const [lx, ly, lz] = [h.dims[1], h.dims[2], h.dims[3]];
    const A = h.affine; // RAS
    const M: Mat3 = [A[0][0], A[0][1], A[0][2], A[1][0], A[1][1], A[1][2], A[2][0], A[2][1], A[2][2]];
    const Minv = invert3(M);
    // [sum, count, sum of squares] per label, on every 2nd voxel in-plane
    const sums = new Map<number, [number, number, number]>();
    const [nx, ny, nz] = v.dims;
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j += 2) for (let i = 0; i < nx; i += 2) {
      const w = indexToWorld(v, [i, j, k]);
      const ras = [-w[0] - A[0][3], -w[1] - A[1][3], w[2] - A[2][3]];
      const li = Math.round(Minv[0] * ras[0] + Minv[1] * ras[1] + Minv[2] * ras[2]);
      const lj = Math.round(Minv[3] * ras[0] + Minv[4] * ras[1] + Minv[5] * ras[2]);
      const lk = Math.round(Minv[6] * ras[0] + Minv[7] * ras[1] + Minv[8] * ras[2]);
      if (li < 0 || lj < 0 || lk < 0 || li >= lx || lj >= ly || lk >= lz) continue;
      const c = labels[li + lj * lx + lk * lx * ly];
      const s = sums.get(c) ?? [0, 0, 0];
      const hu = v.data[i + j * nx + k * nx * ny];
      s[0] += hu; s[1]++; s[2] += hu * hu;
      sums.set(c, s);
    }
    const stats = (c: number) => {
      const s = sums.get(c);
      if (!s || s[1] < 100) throw new Error(`label ${c} barely present`);
      const m = s[0] / s[1];
      return { mean: m, sd: Math.sqrt(s[2] / s[1] - m * m) };
    };
    // Measured: liver 89 ± 22 HU, spleen 80 ± 21 HU (contrast CT). A y-flipped mapping gives liver −74 ± 374.
    const liver = stats(5), spleen = stats(1);
    expect(liver.mean).toBeGreaterThan(60);
    expect(liver.mean).toBeLessThan(120);
    expect(liver.sd).toBeLessThan(40);
    expect(spleen.mean).toBeGreaterThan(50);
    expect(spleen.mean).toBeLessThan(110);
    expect(spleen.sd).toBeLessThan(40);
    expect(stats(0).mean).toBeLessThan(-300); // background is mostly air
  });
});

describe('DICOM loader surface', () => {
  it('sniffs by content: the Part 10 preamble or a plausible first element; not by extension alone', () => {
    const part10 = new Uint8Array(200);
    part10.set([0x44, 0x49, 0x43, 0x4d], 128);
    expect(dicomLoader.sniff('/x/IM0001', part10)).toBe(true);
    expect(dicomLoader.sniff('/x/scan.dcm', new Uint8Array(300).fill(0x41))).toBe(false);
    expect(dicomLoader.format).toBe('dicom');
  });
});

describeWithData('DICOM: dcmqi folder with images, a legacy-converted multi-frame copy and SEG objects', ['dcmqi_seg'], () => {
  it('lists SEG (incl. label-map SOP class .66.7) as seg, never as images, and skips the NRRD files', async () => {
    const { entries, errors } = await scanDicomPaths([dataPath('dcmqi_seg')]);
    expect(errors).toEqual([]);
    const seg = entries.filter((e) => e.kind === 'seg').map((e) => e.files[0].split('dcmqi_seg/')[1]).sort();
    expect(seg).toEqual(['23x38x3/seg/label.seg', '24x38x3/seg/label.seg', 'liver.dcm', 'partial_overlaps.dcm', 'sparse-labelmap-noppv.dcm', 'sparse-labelmap-ppv5.dcm']);
    expect(entries.some((e) => e.files.some((f) => f.endsWith('.nrrd')))).toBe(false);
    const liverSeg = entries.find((e) => e.files[0].endsWith('liver.dcm'))!;
    await expect(dicomLoader.load(liverSeg)).rejects.toMatchObject({ code: 'NOT_AN_IMAGE' });
  });

  it('the legacy-converted enhanced multi-frame mf.dcm opens to the same voxels and grid as its 3 single-frame files', async () => {
    for (const size of ['23x38x3', '24x38x3']) {
      const single = await scanDicomPaths([dataPath(`dcmqi_seg/${size}/image`)]);
      const multi = await scanDicomPaths([dataPath(`dcmqi_seg/${size}/multiframe/mf.dcm`)]);
      expect(single.entries.length).toBe(1);
      expect(multi.entries.length).toBe(1);
      const a = await dicomLoader.load(single.entries[0]);
      const b = await dicomLoader.load(multi.entries[0]);
      const [cols, rows] = size.split('x').map(Number);
      expect(a.dims).toEqual([cols, rows, 3]);
      expect(b.dims).toEqual(a.dims);
      expect(b.origin.map((x, i) => Math.abs(x - a.origin[i]) < 1e-4)).toEqual([true, true, true]);
      expect(b.spacing.map((x, i) => Math.abs(x - a.spacing[i]) < 1e-4)).toEqual([true, true, true]);
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
    }
  });
});
