import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClassSpec, Volume } from '../../src-shared';
import { openVolume, resampleLabels } from '../../src-main/io';
import { buildSeg, readSegFile, segToGrid, rgbToDicomLab, dicomLabToRgb } from '../../src-main/io/seg';
import { dataPath, describeWithData } from './helpers/data';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-seg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function syntheticCt(direction: Volume['direction'] = [1, 0, 0, 0, 1, 0, 0, 0, 1]): Volume {
  const dims: [number, number, number] = [20, 16, 6];
  return {
    dims, spacing: [0.8, 0.7, 2.5], origin: [-10, 20, -100], direction,
    data: new Int16Array(20 * 16 * 6), voxelType: 'int16', modality: 'CT', window: { center: 40, width: 400 }, warnings: [],
    meta: { format: 'dicom', seriesInstanceUid: '1.2.3.4', studyInstanceUid: '1.2.3', frameOfReferenceUid: '1.2.3.9', sopInstanceUids: Array.from({ length: 6 }, (_, k) => `1.2.3.4.${k + 1}`), patientName: 'Test^Patient', patientId: 'P1' },
  };
}

function labelsFor(v: Volume): Uint8Array {
  const [nx, ny, nz] = v.dims;
  const l = new Uint8Array(nx * ny * nz);
  for (let k = 1; k < 5; k++) for (let j = 2; j < 9; j++) for (let i = 3; i < 12; i++) l[i + j * nx + k * nx * ny] = 5; // liver
  for (let k = 2; k < 4; k++) for (let j = 10; j < 14; j++) for (let i = 14; i < 19; i++) l[i + j * nx + k * nx * ny] = 1; // spleen
  return l;
}

const classes: ClassSpec[] = [
  { id: 5, name: 'liver', color: [221, 130, 101] },
  { id: 1, name: 'spleen', color: [157, 108, 162] },
  { id: 7, name: 'pancreas', color: [250, 250, 0] }, // has no voxels: no frames, still a segment
];

describe('DICOM SEG export → import round trip', () => {
  for (const [name, dir] of [
    ['axial', [1, 0, 0, 0, 1, 0, 0, 0, 1]],
    ['oblique', [0.8660254, 0, 0.5, 0, 1, 0, -0.5, 0, 0.8660254]],
  ] as const) {
    it(`gives the same voxels at the same world positions (${name} grid)`, async () => {
      const v = syntheticCt([...dir] as Volume['direction']);
      const labels = labelsFor(v);
      const out = buildSeg({ volume: v, labels, classes });
      expect(out.segments.map((s) => [s.classId, s.frames])).toEqual([[5, 4], [1, 2], [7, 0]]);
      const f = join(tmp, `rt-${name}.dcm`);
      writeFileSync(f, out.bytes);
      const seg = await readSegFile(f);
      expect(seg.referencedSeriesUid).toBe('1.2.3.4');
      expect(seg.segments.map((s) => s.label)).toEqual(['liver', 'spleen', 'pancreas']);
      expect(seg.segments[0].type).toBe('Liver');
      const placed = segToGrid(seg, v);
      const back = new Uint8Array(labels.length);
      for (const [segNo, mask] of placed.masks) {
        const id = classes[segNo - 1].id;
        mask.forEach((m, p) => m && (back[p] = id));
      }
      expect(Buffer.compare(Buffer.from(back), Buffer.from(labels))).toBe(0);
      expect(placed.overlapVoxels).toBe(0);
    });
  }

  it('colours survive the CIELab encoding within one step', () => {
    for (const c of [[221, 130, 101], [0, 0, 255], [255, 255, 255], [12, 200, 40]] as [number, number, number][]) {
      const back = dicomLabToRgb(rgbToDicomLab(c));
      for (let i = 0; i < 3; i++) expect(Math.abs(back[i] - c[i])).toBeLessThanOrEqual(1);
    }
  });

  it('makes new UIDs when the source has none, and says so', () => {
    const v = syntheticCt();
    v.meta = { format: 'dicom', sopInstanceUids: ['', '', '', '', '', ''] };
    const out = buildSeg({ volume: v, labels: labelsFor(v), classes });
    expect(out.studyInstanceUid).toMatch(/^2\.25\.\d+$/);
    expect(out.warnings.join(' ')).toMatch(/no Study Instance UID/);
    expect(out.warnings.join(' ')).toMatch(/no SOP Instance UID/);
  });

  it('refuses an empty segmentation with LABELS_EMPTY', () => {
    const v = syntheticCt();
    expect(() => buildSeg({ volume: v, labels: new Uint8Array(v.data.length), classes })).toThrow(expect.objectContaining({ code: 'LABELS_EMPTY' }));
  });

  it('refuses a SEG that references another series (GRID_MISMATCH) unless asked to place it by position', async () => {
    const v = syntheticCt();
    const f = join(tmp, 'other.dcm');
    writeFileSync(f, buildSeg({ volume: v, labels: labelsFor(v), classes }).bytes);
    const seg = await readSegFile(f);
    const other = { ...v, meta: { ...v.meta, seriesInstanceUid: '9.9.9' } };
    expect(() => segToGrid(seg, other)).toThrow(expect.objectContaining({ code: 'GRID_MISMATCH' }));
    expect(segToGrid(seg, other, { allowOtherSeries: true }).masks.size).toBe(2);
  });

  const dcmdump = existsSync('/usr/bin/dcmdump');
  it.skipIf(!dcmdump && process.env.CI !== 'true')('dcmtk reads the SEG without errors and dciodvfy finds no errors (needs the Debian packages dcmtk and dicom3tools)', () => {
    const v = syntheticCt();
    const f = join(tmp, 'check.dcm');
    writeFileSync(f, buildSeg({ volume: v, labels: labelsFor(v), classes }).bytes);
    const dump = execFileSync('dcmdump', ['-E', f], { encoding: 'utf8' });
    expect(dump).toMatch(/SegmentationStorage/);
    expect(dump).toMatch(/\(0062,0002\) SQ/); // SegmentSequence
    if (existsSync('/usr/bin/dciodvfy')) {
      const r = spawnSync('dciodvfy', [f], { encoding: 'utf8' });
      const errors = (r.stderr + r.stdout).split('\n').filter((l) => /^Error/.test(l));
      expect(errors).toEqual([]);
    }
  });
});

describeWithData('DICOM SEG import of the dcmqi samples', ['dcmqi_seg/liver.dcm', 'dcmqi_seg/ct-3slice', 'dcmqi_seg/liver_seg.nrrd'], () => {
  it('liver.dcm lands exactly on liver_seg.nrrd on the ct-3slice grid', async () => {
    const ct = await openVolume(dataPath('dcmqi_seg/ct-3slice'));
    const placed = segToGrid(await readSegFile(dataPath('dcmqi_seg/liver.dcm')), ct);
    const ref = await openVolume(dataPath('dcmqi_seg/liver_seg.nrrd'));
    const refOnCt = resampleLabels({ ...ref, data: new Uint8Array(ref.data as ArrayLike<number>) }, ct);
    const mask = placed.masks.get(1)!;
    let diff = 0, n = 0;
    for (let p = 0; p < mask.length; p++) {
      if ((refOnCt.data[p] > 0 ? 1 : 0) !== mask[p]) diff++;
      n += mask[p];
    }
    expect(n).toBeGreaterThan(1000);
    expect(diff).toBe(0);
  });

  it('partial_overlaps.dcm keeps five overlapping segments, each equal to its NRRD', async () => {
    const ct = await openVolume(dataPath('dcmqi_seg/ct-3slice'));
    const seg = await readSegFile(dataPath('dcmqi_seg/partial_overlaps.dcm'));
    expect(seg.segments.length).toBe(5);
    const placed = segToGrid(seg, ct);
    expect(placed.overlapVoxels).toBeGreaterThan(0);
    expect(placed.warnings.join(' ')).toMatch(/more than one segment/);
    // the NRRDs hold the same segments as label values (files 1..3 each hold non-overlapping subsets)
    let matched = 0;
    for (const f of ['partial_overlaps-1.nrrd', 'partial_overlaps-2.nrrd', 'partial_overlaps-3.nrrd']) {
      const ref = await openVolume(dataPath('dcmqi_seg', f));
      const onCt = resampleLabels({ ...ref, data: new Uint8Array(ref.data as ArrayLike<number>) }, ct);
      const values = new Set(onCt.data);
      for (const val of values) {
        if (!val) continue;
        // find the SEG segment whose mask equals this label's region
        const region = onCt.data.map((x) => (x === val ? 1 : 0));
        const same = [...placed.masks.values()].some((m) => Buffer.compare(Buffer.from(m), Buffer.from(region)) === 0);
        if (same) matched++;
      }
    }
    expect(matched).toBe(5);
  });

  // The ppv5 reference NRRD writes the padding value 5 on the slice the sparse SEG leaves out: not a segment.
  for (const [seg, nrrd, padding] of [
    ['sparse-labelmap-noppv.dcm', 'sparse_labelmap_noppv_seg.nrrd', -1],
    ['sparse-labelmap-ppv5.dcm', 'sparse_labelmap_ppv5_seg.nrrd', 5],
    ['24x38x3/seg/label.seg', '24x38x3/nrrd/label.nrrd', -1],
  ] as const) {
    it(`${seg} (Label Map / binary SEG) equals ${nrrd}`, async () => {
      const img = await openVolume(dataPath('dcmqi_seg/24x38x3/image'));
      const placed = segToGrid(await readSegFile(dataPath('dcmqi_seg', seg)), img, { allowOtherSeries: true });
      const ref = await openVolume(dataPath('dcmqi_seg', nrrd));
      const onImg = resampleLabels({ ...ref, data: new Uint8Array(ref.data as ArrayLike<number>) }, img);
      let nonzero = 0;
      for (let p = 0; p < onImg.data.length; p++) {
        const ref = onImg.data[p] > 0 && onImg.data[p] !== padding;
        expect(placed.labels[p] > 0).toBe(ref);
        nonzero += ref ? 1 : 0;
      }
      expect(nonzero).toBeGreaterThan(0);
    });
  }
});
