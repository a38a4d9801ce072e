/**
 * Issue "never lose work / fit the hospital" at the service level: autosave and reopen, export/import, heads that
 * carry over to another study, and a real PACS (Orthanc) through DICOMweb.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKGROUND_ID, type ClassSpec, type Vec3 } from '../../src-shared';
import { writeVolume } from '../../src-main/io';
import { DicomWebClient } from '../../src-main/io/dicomweb';
import { createServices, type ServiceHost } from '../../src-main/services';
import { dice } from '../../src-main/fewshot';
import { dataPath, describeWithData } from './helpers/data';
import { orthancAvailable, startOrthanc, type OrthancHandle } from './helpers/orthanc';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-exchange-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function host(dataDir?: string): ServiceHost {
  return createServices({ system: { mode: 'web', versions: { app: 't', node: process.version } }, settings: { debounceMs: 0 }, dataDir });
}

const CLASSES: ClassSpec[] = [{ id: 5, name: 'liver', color: [200, 100, 60] }];

/** A bright box (class 5) in darker tissue, on a grid with the given origin; returns the file and the truth. */
async function boxStudy(name: string, dims: Vec3, origin: Vec3, box: [number, number, number, number, number, number]): Promise<{ file: string; truth: Uint8Array }> {
  const [nx, ny, nz] = dims;
  const data = new Int16Array(nx * ny * nz);
  const truth = new Uint8Array(nx * ny * nz);
  for (let k = 0, n = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, n++) {
    const inBox = i >= box[0] && i < box[1] && j >= box[2] && j < box[3] && k >= box[4] && k < box[5];
    data[n] = (inBox ? 160 : 20) + ((n * 2654435761) >>> 28);
    truth[n] = inBox ? 5 : 0;
  }
  const file = join(tmp, `${name}.nii.gz`);
  await writeVolume({ dims, spacing: [1.5, 1.5, 3], origin, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data }, file);
  return { file, truth };
}

function strokes(dims: Vec3, truth: Uint8Array, ks: number[]): { indices: Uint32Array; values: Uint8Array } {
  const [nx, ny] = dims;
  const idx: number[] = [], val: number[] = [];
  for (const k of ks) {
    const j = Math.floor(ny / 2);
    for (let i = 2; i < nx - 2; i++) {
      const v = i + j * nx + k * nx * ny;
      idx.push(v);
      val.push(truth[v] ? 5 : BACKGROUND_ID);
    }
  }
  return { indices: Uint32Array.from(idx), values: Uint8Array.from(val) };
}

describe('autosave: a reopened study comes back exactly as it was', () => {
  it('strokes, classes and the prediction return after closing the app', async () => {
    const dataDir = join(tmp, 'home-autosave');
    const dims: Vec3 = [40, 36, 10];
    const s = await boxStudy('autosave', dims, [0, 0, 0], [10, 30, 8, 28, 2, 8]);
    const h1 = host(dataDir);
    const o1 = await h1.services.study.openPath(s.file);
    expect(o1.header.warnings.join(' ')).not.toMatch(/restored/);
    await h1.services.segmentation.setClasses(o1.header.volumeId, [{ ...CLASSES[0], locked: false }]);
    const d = strokes(dims, s.truth, [3, 6]);
    await h1.services.segmentation.applyLabelDiff(o1.header.volumeId, d);
    const before = await h1.services.segmentation.getLabels(o1.header.volumeId);
    await h1.dispose();

    const h2 = host(dataDir);
    const o2 = await h2.services.study.openPath(s.file);
    expect(o2.header.warnings.join(' ')).toMatch(/earlier work on this study was restored \(\d+ labeled voxels\)/);
    const after = await h2.services.segmentation.getLabels(o2.header.volumeId);
    expect(after.version).toBe(before.version);
    expect(Buffer.compare(Buffer.from(after.data), Buffer.from(before.data))).toBe(0);
    expect(await h2.services.segmentation.getClasses(o2.header.volumeId)).toEqual([{ ...CLASSES[0], locked: false }]);
    await h2.engine.session(o2.header.volumeId).whenIdle();
    const pred = await h2.services.segmentation.getPrediction(o2.header.volumeId);
    expect(dice(pred!.data, s.truth, 5)).toBeGreaterThan(0.9);
    await h2.dispose();
  });
});

describe('export, import and heads that carry over', () => {
  const dims: Vec3 = [40, 36, 10];
  let a: { file: string; truth: Uint8Array };
  let b: { file: string; truth: Uint8Array };
  beforeAll(async () => {
    a = await boxStudy('study-a', dims, [0, 0, 0], [10, 30, 8, 28, 2, 8]);
    b = await boxStudy('study-b', [44, 40, 12], [-12, 5, 9], [5, 25, 12, 34, 3, 10]); // same kind, other geometry
  });

  it('exports the prediction (NIfTI and DICOM SEG), refuses to overwrite, and re-imports it as a locked class', async () => {
    const h = host();
    const o = await h.services.study.openPath(a.file);
    const id = o.header.volumeId;
    await expect(h.services.exchange.exportSegmentation(id, join(tmp, 'none.nii.gz'))).rejects.toMatchObject({ code: 'LABELS_EMPTY' });
    await h.services.segmentation.setClasses(id, CLASSES);
    await h.services.segmentation.applyLabelDiff(id, strokes(dims, a.truth, [3, 6]));
    await h.engine.session(id).whenIdle();
    const pred = (await h.services.segmentation.getPrediction(id))!.data;

    const nii = await h.services.exchange.exportSegmentation(id, join(tmp, 'a-seg.nii.gz'));
    expect(nii.format).toBe('nii.gz');
    await expect(h.services.exchange.exportSegmentation(id, nii.path)).rejects.toMatchObject({ code: 'FILE_EXISTS' });
    const dcm = await h.services.exchange.exportSegmentation(id, join(tmp, 'a-seg.dcm'));
    expect(dcm.format).toBe('dicom-seg');
    expect(dcm.warnings.join(' ')).toMatch(/not a DICOM series/);

    // a second session of the same image: import the SEG as a locked class
    const h2 = host();
    const o2 = await h2.services.study.openPath(a.file);
    const r = await h2.services.exchange.importLabels(o2.header.volumeId, dcm.path, 'locked');
    expect(r.classes).toEqual([expect.objectContaining({ id: 1, name: 'liver', locked: true })]);
    const labels = (await h2.services.segmentation.getLabels(o2.header.volumeId)).data;
    for (let i = 0; i < pred.length; i++) expect(labels[i] ? 5 : 0).toBe(pred[i] ? 5 : 0);
    // NIfTI import as starting labels keeps the label values as class ids
    const r2 = await h2.services.exchange.importLabels(o2.header.volumeId, nii.path, 'labels');
    expect(r2.classes.map((c) => c.id)).toEqual([5]);
    expect(r2.labeledVoxels).toBe(pred.filter((x) => x === 5).length);
    await h.dispose();
    await h2.dispose();
  });

  it('a head saved on study A segments study B without strokes, keeps refining there, and refuses other features', async () => {
    const h = host();
    const oa = await h.services.study.openPath(a.file);
    await h.services.segmentation.setClasses(oa.header.volumeId, CLASSES);
    await expect(h.services.exchange.saveHead(oa.header.volumeId, join(tmp, 'early.head.json'))).rejects.toMatchObject({ code: 'HEAD_INVALID' });
    await h.services.segmentation.applyLabelDiff(oa.header.volumeId, strokes(dims, a.truth, [3, 6]));
    await h.engine.session(oa.header.volumeId).whenIdle();
    const headPath = join(tmp, 'liver.head.json');
    expect((await h.services.exchange.saveHead(oa.header.volumeId, headPath)).classes).toEqual([5]);

    const ob = await h.services.study.openPath(b.file);
    const vb = ob.header.volumeId;
    const errors: unknown[] = [];
    h.hub.subscribe((ch, p) => ch === 'segmentation:error' && errors.push(p));
    const applied = await h.services.exchange.applyHead(vb, headPath);
    expect(applied.classes.map((c) => c.id)).toEqual([5]);
    await h.engine.session(vb).whenIdle();
    expect(errors).toEqual([]);
    const first = (await h.services.segmentation.getPrediction(vb))!.data;
    expect(dice(first, b.truth, 5)).toBeGreaterThan(0.85);

    // keep refining: strokes on B (both classes) train a new head that still knows what A taught
    const bd: Vec3 = [44, 40, 12];
    await h.services.segmentation.applyLabelDiff(vb, strokes(bd, b.truth, [5]));
    await h.engine.session(vb).whenIdle();
    const refined = (await h.services.segmentation.getPrediction(vb))!.data;
    expect(dice(refined, b.truth, 5)).toBeGreaterThan(0.9);

    // a head made with other features is refused with a clear message
    const other = JSON.parse(readFileSync(headPath, 'utf8'));
    other.backbone.id = 'dinov2:abc';
    writeFileSync(join(tmp, 'other.head.json'), JSON.stringify(other));
    await expect(h.services.exchange.applyHead(vb, join(tmp, 'other.head.json'))).rejects.toMatchObject({ code: 'HEAD_MISMATCH' });
    await expect(h.services.exchange.applyHead(vb, join(tmp, 'missing.head.json'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await h.dispose();
  });
});

const needOrthanc = orthancAvailable() || process.env.CI === 'true';
(needOrthanc ? describeWithData : describe.skip)(
  needOrthanc ? 'PACS through DICOMweb (Orthanc)' : 'PACS through DICOMweb — skipped: Orthanc with its DICOMweb plugin is not installed (apt-get install orthanc orthanc-dicomweb)',
  ['dcmqi_seg/ct-3slice', 'dcmqi_seg/liver_seg.nrrd'],
  () => {
    let orthanc: OrthancHandle;
    beforeAll(async () => {
      orthanc = await startOrthanc();
    }, 60_000);
    afterAll(async () => orthanc?.stop());

    it('opens a series from the server, segments it, stores the SEG back and finds it there; secrets never reach the page', async () => {
      const raw = new DicomWebClient({ baseUrl: orthanc.baseUrl, auth: { type: 'basic', username: orthanc.username, password: orthanc.password } });
      const dir = dataPath('dcmqi_seg/ct-3slice');
      await raw.store(readdirSync(dir).filter((f) => f.endsWith('.dcm')).map((f) => readFileSync(join(dir, f))));

      const h = host(join(tmp, 'home-pacs'));
      await expect(h.services.pacs.searchStudies({})).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
      const info = await h.services.pacs.setServer({ url: orthanc.baseUrl, auth: { type: 'basic', username: orthanc.username, password: 'wrong' } });
      expect(info).toEqual({ url: orthanc.baseUrl, authType: 'basic', username: orthanc.username, secretStored: true, secretStorage: 'file' });
      expect(JSON.stringify(await h.services.pacs.getServer())).not.toContain('wrong');
      await expect(h.services.pacs.searchStudies({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      await h.services.pacs.setServer({ url: orthanc.baseUrl, auth: { type: 'basic', username: orthanc.username, password: orthanc.password } });

      const studies = await h.services.pacs.searchStudies({});
      expect(studies).toHaveLength(1);
      const series = await h.services.pacs.searchSeries(studies[0].studyInstanceUid);
      const progress: number[] = [];
      h.hub.subscribe((ch, p) => ch === 'pacs:progress' && progress.push((p as { done: number }).done));
      const opened = await h.services.pacs.openSeries(studies[0].studyInstanceUid, series[0].seriesInstanceUid);
      expect(opened.header.dims).toEqual([512, 512, 3]);
      expect(progress.at(-1)).toBe(3);

      // segment with strokes taken from the hand-drawn liver label, then store
      const id = opened.header.volumeId;
      const { openVolume, resampleLabels } = await import('../../src-main/io');
      const ref = await openVolume(dataPath('dcmqi_seg/liver_seg.nrrd'));
      const onCt = resampleLabels({ ...ref, data: new Uint8Array(ref.data as ArrayLike<number>) }, opened.header).data;
      const idx: number[] = [], val: number[] = [];
      for (let v = 512 * 512; v < 2 * 512 * 512; v += 7) { idx.push(v); val.push(onCt[v] ? 5 : BACKGROUND_ID); }
      await h.services.segmentation.setClasses(id, CLASSES);
      await h.services.segmentation.applyLabelDiff(id, { indices: Uint32Array.from(idx), values: Uint8Array.from(val) });
      await h.engine.session(id).whenIdle();
      const stored = await h.services.pacs.storeSegmentation(id);
      const after = await h.services.pacs.searchSeries(studies[0].studyInstanceUid);
      const seg = after.find((s) => s.seriesInstanceUid === stored.seriesInstanceUid);
      expect(seg?.modality).toBe('SEG');
      await h.dispose();

      // a server that is down: typed error, nothing lost
      await orthanc.stop();
      const h3 = host(join(tmp, 'home-pacs'));
      await expect(h3.services.pacs.searchStudies({})).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
      await h3.dispose();
    }, 180_000);
  },
);
