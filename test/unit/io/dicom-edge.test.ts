/**
 * DICOM reader on the odd and varied public files in ../shared/data/dicom_edge: every file has a decided
 * outcome, lossless encodings decode to identical pixels, enhanced multi-frame and 4D series are split.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { dicomLoader, scanDicomPaths } from '../../../src-main/io/dicom';
import { isMedSegError, type Volume } from '../../../src-shared';
import { dataPath, describeWithData } from '../helpers/data';

function walk(d: string): string[] {
  return readdirSync(d).sort().flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`hang: ${what} took over ${ms} ms`)), ms))]);
}

/** One word per entry: 'image 64x64x1', 'seg', 'rtstruct', 'other', or the typed error code. */
async function outcome(path: string): Promise<string> {
  const { entries, errors } = await scanDicomPaths([path]);
  const parts: string[] = errors.map((e) => e.code);
  for (const e of entries) {
    if (e.kind !== 'image') { parts.push(e.kind); continue; }
    try {
      const v = await dicomLoader.load(e);
      parts.push(`image ${v.dims.join('x')}`);
    } catch (err) {
      if (!isMedSegError(err)) throw err; // an untyped error fails the test
      parts.push(err.code);
    }
  }
  return parts.join('; ');
}

async function openOne(rel: string): Promise<Volume> {
  const { entries, errors } = await scanDicomPaths([dataPath(rel)]);
  expect(errors).toEqual([]);
  expect(entries.length).toBe(1);
  return dicomLoader.load(entries[0]);
}

const EXPECTED: Record<string, string> = {
  'dcm_qa_ts_transfer_syntaxes/1.dcm': 'image 384x384x1',
  'dcm_qa_ts_transfer_syntaxes/2.dcm': 'image 384x384x1',
  'dcm_qa_ts_transfer_syntaxes/3.dcm': 'image 384x384x1',
  'dcm_qa_ts_transfer_syntaxes/4.dcm': 'image 384x384x1',
  'dcm_qa_ts_transfer_syntaxes/5.dcm': 'image 384x384x1',
  'dcm_qa_ts_transfer_syntaxes/6.dcm': 'image 384x384x1',
  'dcm_qa_ts_transfer_syntaxes/7.dcm': 'image 384x384x1',
  'dcm_qa_ts_transfer_syntaxes/8.dcm': 'image 384x384x1',
  'dcm_qa_ts_transfer_syntaxes/9.dcm': 'image 384x384x1',
  'enhanced_multiframe/Philips/IM_0027_fMAP.dcm': 'image 64x64x32; image 64x64x32',
  'enhanced_multiframe/Siemens_XA10/6_1.dcm': 'image 64x64x6',
  'nema_wg04/nema-ct1_j2ki.dcm': 'image 512x512x1',
  'nema_wg04/nema-ct1_jpll.dcm': 'image 512x512x1',
  // 12-bit lossy JPEG: the 8-bit libjpeg-turbo build cannot decode it; a typed error says so.
  'nema_wg04/nema-mr1_jply.dcm': 'DICOM_UNSUPPORTED_SYNTAX',
  'pydicom/CT_small.dcm': 'image 128x128x1',
  'pydicom/ExplVR_BigEndNoMeta.dcm': 'other', // RT Ion Plan, no meta, big endian: parsed and listed
  'pydicom/ExplVR_LitEndNoMeta.dcm': 'other',
  'pydicom/J2K_pixelrep_mismatch.dcm': 'image 512x512x1',
  'pydicom/JPEG-lossy.dcm': 'DICOM_UNSUPPORTED_SYNTAX',
  'pydicom/JPEG2000.dcm': 'image 256x1024x1',
  'pydicom/JPEGLSNearLossless_16.dcm': 'image 10x50x1',
  'pydicom/JPGExtended.dcm': 'DICOM_UNSUPPORTED_SYNTAX',
  'pydicom/MR_small.dcm': 'image 64x64x1',
  'pydicom/MR_small_RLE.dcm': 'image 64x64x1',
  'pydicom/MR_small_bigendian.dcm': 'image 64x64x1',
  'pydicom/MR_small_implicit.dcm': 'image 64x64x1',
  'pydicom/MR_small_jp2klossless.dcm': 'image 64x64x1',
  'pydicom/MR_small_jpeg_ls_lossless.dcm': 'image 64x64x1',
  'pydicom/MR_small_padded.dcm': 'image 64x64x1',
  'pydicom/MR_truncated.dcm': 'FILE_TRUNCATED',
  'pydicom/SC_rgb_rle.dcm': 'image 100x100x1',
  // RT Dose with an invalid IS value ("1A"): a dose grid is not anatomy to segment, so it is listed as 'other'.
  'pydicom/badVR.dcm': 'other',
  'pydicom/image_dfl.dcm': 'image 512x512x1',
  'pydicom/liver_1frame.dcm': 'seg',
  // Meta without TransferSyntaxUID followed by illegal group-0001 elements: not recognisable as a data set.
  'pydicom/meta_missing_tsyntax.dcm': 'DICOM_INVALID',
  // Starts with a stray byte before the first element, so no encoding can be recognised.
  'pydicom/no_meta.dcm': 'DICOM_INVALID',
  // File meta without group length (repaired), implicit data set of an RT Image without pixel data.
  'pydicom/no_meta_group_length.dcm': 'other',
  'pydicom/rtstruct.dcm': 'rtstruct',
};

describeWithData('DICOM edge cases: every file has a decided outcome', ['dicom_edge'], () => {
  it('opens or rejects each file under dicom_edge with the expected dims or error code, never untyped, never hanging', async () => {
    const root = dataPath('dicom_edge');
    const files = walk(root);
    expect(files.length).toBeGreaterThanOrEqual(188);
    const got: Record<string, string> = {};
    for (const f of files) {
      const rel = relative(root, f);
      got[rel] = await withTimeout(outcome(f), 20_000, rel);
    }
    const expected: Record<string, string> = {};
    for (const rel of Object.keys(got)) {
      expected[rel] = rel.startsWith('ge_epi_4d_series/') ? 'image 64x64x1' : EXPECTED[rel] ?? 'missing from table';
    }
    expect(got).toEqual(expected);
  }, 120_000);
});

function sameVoxels(a: Volume, b: Volume): boolean {
  if (a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

describeWithData('DICOM transfer syntaxes decode to identical pixels', ['dicom_edge/dcm_qa_ts_transfer_syntaxes', 'dicom_edge/pydicom', 'dicom_edge/nema_wg04'], () => {
  it('dcm_qa_ts 2..9 (implicit, big endian, RLE, JPEG lossless ×2, JPEG-LS lossless ×2, J2K lossless) equal 1.dcm', async () => {
    const ref = await openOne('dicom_edge/dcm_qa_ts_transfer_syntaxes/1.dcm');
    expect(ref.dims).toEqual([384, 384, 1]);
    expect(ref.spacing.slice(0, 2)).toEqual([3.25, 3.25]);
    expect(ref.warnings.join(' ')).toMatch(/mosaic/i);
    let sum = 0;
    for (const x of ref.data) sum += x;
    expect(sum).toBeGreaterThan(0); // not a blank image
    for (let n = 2; n <= 9; n++) {
      const v = await openOne(`dicom_edge/dcm_qa_ts_transfer_syntaxes/${n}.dcm`);
      expect({ n, same: sameVoxels(v, ref) }).toEqual({ n, same: true });
      expect(v.origin).toEqual(ref.origin);
    }
  }, 60_000);

  it('pydicom MR_small in explicit, implicit, big endian, RLE, J2K lossless, JPEG-LS lossless and padded forms equal MR_small.dcm', async () => {
    const ref = await openOne('dicom_edge/pydicom/MR_small.dcm');
    expect(ref.dims).toEqual([64, 64, 1]);
    expect(ref.modality).toBe('MR');
    expect(ref.window).toEqual({ center: 600, width: 1600 });
    for (const name of ['implicit', 'bigendian', 'RLE', 'jp2klossless', 'jpeg_ls_lossless', 'padded']) {
      const v = await openOne(`dicom_edge/pydicom/MR_small_${name}.dcm`);
      expect({ name, same: sameVoxels(v, ref) }).toEqual({ name, same: true });
    }
  });

  it('NEMA CT: lossy J2K is close to JPEG lossless in mean HU, and differs pixel-wise (it is lossy)', async () => {
    const a = await openOne('dicom_edge/nema_wg04/nema-ct1_jpll.dcm');
    const b = await openOne('dicom_edge/nema_wg04/nema-ct1_j2ki.dcm');
    let sa = 0, sb = 0, diff = 0;
    for (let i = 0; i < a.data.length; i++) { sa += a.data[i]; sb += b.data[i]; diff += Math.abs(a.data[i] - b.data[i]); }
    const n = a.data.length;
    expect(Math.abs(sa / n - sb / n)).toBeLessThan(1); // HU
    expect(diff / n).toBeGreaterThan(1);
    expect(diff / n).toBeLessThan(60);
    expect(b.warnings.join(' ')).toMatch(/lossy compression/);
    expect(a.warnings.join(' ')).not.toMatch(/lossy/);
  });

  it('J2K with PixelRepresentation mismatch and BitsStored 13 gives the values pydicom documents', async () => {
    const v = await openOne('dicom_edge/pydicom/J2K_pixelrep_mismatch.dcm');
    const px = (col: number, row: number) => v.data[col + row * v.dims[0]];
    expect(px(0, 0)).toBe(-2000);
    expect(Array.from({ length: 10 }, (_, r) => px(279, 47 + r))).toEqual([621, 412, 138, -193, -520, -767, -907, -966, -988, -995]);
    expect(Array.from({ length: 10 }, (_, r) => px(106, 328 + r))).toEqual([-377, -121, 141, 383, 633, 910, 1198, 1455, 1638, 1732]);
    // Oblique: the column direction is tilted about x.
    expect(Math.abs(v.direction[4] - 0.927)).toBeLessThan(1e-3);
  });

  it('RGB RLE (SC_rgb_rle) becomes luminance of the documented colour bars', async () => {
    const v = await openOne('dicom_edge/pydicom/SC_rgb_rle.dcm');
    const px = (row: number) => v.data[50 + row * 100];
    const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;
    const bars: [number, [number, number, number]][] = [[5, [255, 0, 0]], [15, [255, 128, 128]], [25, [0, 255, 0]], [45, [0, 0, 255]], [65, [0, 0, 0]], [75, [64, 64, 64]], [95, [255, 255, 255]]];
    for (const [row, rgb] of bars) expect(px(row)).toBeCloseTo(luma(...rgb), 3);
    expect(v.warnings.join(' ')).toMatch(/luminance/);
  });
});

describeWithData('Enhanced multi-frame', ['dicom_edge/enhanced_multiframe'], () => {
  it('Philips IM_0027_fMAP: 64 frames = 32 positions × (magnitude, B0 field map), split by frame type with per-frame rescale', async () => {
    const { entries, errors } = await scanDicomPaths([dataPath('dicom_edge/enhanced_multiframe/Philips/IM_0027_fMAP.dcm')]);
    expect(errors).toEqual([]);
    expect(entries.map((e) => e.description)).toEqual(['B0 NS (T1\\FIELD_MAP)', 'B0 NS (T1\\M)']);
    const [fmap, mag] = await Promise.all(entries.map((e) => dicomLoader.load(e)));
    for (const v of [fmap, mag]) {
      expect(v.dims).toEqual([64, 64, 32]);
      expect(v.spacing[0]).toBe(4);
      expect(v.spacing[1]).toBe(4);
      expect(v.spacing[2]).toBeCloseTo(4, 3); // from per-frame positions
      expect(v.origin[2]).toBeCloseTo(-38.3546, 3); // lowest frame along the normal
      expect(v.warnings.join(' ')).toMatch(/split into 2 volumes/);
      expect(v.voxelType).toBe('float32'); // non-integer per-frame slopes
    }
    // Field map in Hz: stored × 0.2442 − 500, so within ±500; magnitude: stored × 1.2799 ≥ 0.
    let fmin = Infinity, fmax = -Infinity, mmin = Infinity;
    for (let i = 0; i < fmap.data.length; i++) { fmin = Math.min(fmin, fmap.data[i]); fmax = Math.max(fmax, fmap.data[i]); mmin = Math.min(mmin, mag.data[i]); }
    expect(fmin).toBeGreaterThanOrEqual(-500);
    expect(fmax).toBeLessThanOrEqual(500.1);
    expect(fmin).toBeLessThan(-100);
    expect(mmin).toBe(0);
  });

  it('Siemens XA10 6_1: 6 frames, spacing 2.4 mm from positions, ascending along the normal', async () => {
    const v = await openOne('dicom_edge/enhanced_multiframe/Siemens_XA10/6_1.dcm');
    expect(v.dims).toEqual([64, 64, 6]);
    expect(v.spacing[0]).toBe(3.375);
    expect(v.spacing[2]).toBeCloseTo(2.4, 3);
    expect(v.origin[2]).toBeCloseTo(-5.40356, 4);
    expect(v.meta.sourceFiles?.length).toBe(6);
    expect(v.warnings).toEqual([]);
  });
});

describeWithData('4D series (repeated positions)', ['dicom_edge/ge_epi_4d_series/mr_0004'], () => {
  it('GE EPI: 150 files = 15 positions × 10 time points → 10 volumes of 64×64×15, spacing from positions (5 mm, not SliceThickness 3)', async () => {
    const { entries, errors } = await scanDicomPaths([dataPath('dicom_edge/ge_epi_4d_series/mr_0004')]);
    expect(errors).toEqual([]);
    expect(entries.length).toBe(10);
    expect(entries.map((e) => e.description)).toEqual(Array.from({ length: 10 }, (_, t) => `Axial EPI-FMRI (Interleaved I to S) (time point ${t + 1} of 10)`));
    const first = await dicomLoader.load(entries[0]);
    expect(first.dims).toEqual([64, 64, 15]);
    expect(first.spacing[0]).toBe(3.75);
    expect(first.spacing[2]).toBeCloseTo(5, 3);
    expect(first.origin[2]).toBeCloseTo(-17.6875, 4);
    expect(first.warnings.join(' ')).toMatch(/15 slice positions; it was split into 10 volumes/);
    // Time point 1 starts with instance 1, time point 2 with instance 16 (same position, next pass).
    expect(entries[0].files[0]).toMatch(/-00001\.dcm$/);
    expect(entries[1].files[0]).toMatch(/-00016\.dcm$/);
    const last = await dicomLoader.load(entries[9]);
    expect(last.dims).toEqual([64, 64, 15]);
    expect(last.origin).toEqual(first.origin);
    expect(sameVoxels(first, last)).toBe(false);
  }, 60_000);
});
