import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKGROUND_ID, type SegmentationEvents } from '../../src-shared';
import { openVolume, writeVolume } from '../../src-main/io';
import { createServices, type ServiceHost } from '../../src-main/services';
import { dataPath, describeWithData } from './helpers/data';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'medseg-services-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function makeHost(recentFile?: string): ServiceHost {
  return createServices({ system: { mode: 'web', versions: { app: 't', node: process.version } }, recentFile, settings: { debounceMs: 0 } });
}

describe('settings and models', () => {
  it('validates settings against what is available', async () => {
    const h = makeHost();
    const { settings, options } = await h.services.segmentation.getSettings();
    expect(settings).toEqual({ backbone: 'filters', head: 'linear', debounceMs: 0 });
    expect(options.heads.map((x) => x.id)).toEqual(['linear', 'proto']);
    expect(await h.services.segmentation.setSettings({ head: 'proto' })).toMatchObject({ head: 'proto' });
    await expect(h.services.segmentation.setSettings({ backbone: 'dinov2:nothing' })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(h.services.segmentation.setSettings({ head: 'svm' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(h.dispatch('segmentation.setSettings', [{ debounceMs: -1 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await h.services.system.status()).toMatchObject({ mode: 'web', backbone: 'filters', provider: 'js', openVolumes: 0 });
    await h.dispose();
  });

  it('without a model store lists no models and refuses imports with a typed error', async () => {
    const h = makeHost();
    expect(await h.services.models.list()).toEqual([]);
    await expect(h.services.models.import('/tmp/model.onnx')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await h.dispose();
  });

  it('calls on a volume that is not open fail with INVALID_ARGUMENT', async () => {
    const h = makeHost();
    await expect(h.dispatch('segmentation.getLabels', ['vol-99'])).rejects.toMatchObject({ name: 'MedSegError', code: 'INVALID_ARGUMENT' });
    await expect(h.dispatch('study.open', ['series-99'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await h.dispose();
  });
});

describeWithData('study service on real DICOM (dcmqi ct-3slice)', ['dcmqi_seg/ct-3slice', 'dcmqi_seg/liver.dcm'], () => {
  const folder = dataPath('dcmqi_seg/ct-3slice');

  it('scans a folder and a SEG into an image series with a thumbnail and a listed SEG; reports missing paths', async () => {
    const h = makeHost();
    const r = await h.services.study.scan([folder, dataPath('dcmqi_seg/liver.dcm'), join(tmp, 'nope')]);
    const img = r.series.find((s) => s.kind === 'image')!;
    expect(img.format).toBe('dicom');
    expect(img.modality).toBe('CT');
    expect(img.fileCount).toBe(3);
    expect(img.thumbnail?.width).toBe(64);
    expect(img.thumbnail?.height).toBe(64);
    expect(img.thumbnail?.gray).toBeInstanceOf(Uint8Array);
    expect(img.thumbnail?.gray.length).toBe(64 * 64);
    expect(r.series.find((s) => s.kind === 'seg')?.thumbnail).toBeUndefined();
    expect(r.errors.map((e) => e.code)).toEqual(['FILE_NOT_FOUND']);
    const opened = await h.services.study.open(img.id);
    expect(opened.header.dims).toEqual([512, 512, 3]);
    expect(opened.header.spacing[2]).toBeCloseTo(1.0, 3);
    expect(opened.header.volumeId).toMatch(/^vol-/);
    expect(opened.voxels.length).toBe(512 * 512 * 3);
    await h.dispose();
  });

  it('uploads dropped files in batches and opens the same voxels as from disk; uploads stay out of the recent list', async () => {
    const h = makeHost(join(tmp, 'recent-upload.json'));
    const files = readdirSync(folder).sort();
    let id: string | undefined;
    let rec: { uploadId: string; fileCount: number; byteCount: number } | undefined;
    let total = 0;
    for (const f of files) {
      // Each file in two chunks (the second appended), as the UI does for files larger than one message.
      const bytes = new Uint8Array(readFileSync(join(folder, f)));
      const half = bytes.length >> 1;
      total += bytes.length;
      rec = await h.dispatch('study.upload', [[{ name: `series/${f}`, bytes: bytes.subarray(0, half) }], id]) as typeof rec;
      id = rec!.uploadId;
      rec = await h.dispatch('study.upload', [[{ name: `series/${f}`, bytes: bytes.subarray(half), append: true }], id]) as typeof rec;
    }
    expect(rec).toEqual({ uploadId: id, fileCount: 3, byteCount: total });
    const scanned = await h.services.study.scanUpload(id!);
    expect(scanned.series.filter((s) => s.kind === 'image')).toHaveLength(1);
    const up = await h.services.study.open(scanned.series[0].id);
    const disk = await openVolume(folder);
    expect(Buffer.from(up.voxels.buffer, up.voxels.byteOffset, up.voxels.byteLength)
      .equals(Buffer.from(disk.data.buffer, disk.data.byteOffset, disk.data.byteLength))).toBe(true);
    expect(await h.services.study.recent()).toEqual([]);
    await expect(h.services.study.scanUpload('upload-999')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await h.dispose();
  });

  it('opening a study above the working-grid budget warns that segmentation works on blocks', async () => {
    // 256×256×160 = 10.5 M voxels > 10 M: 2×1×1 blocks along the finest axis (x, 0.7 mm) → 1.4 mm.
    const file = join(tmp, 'large.nii.gz');
    const data = new Int16Array(256 * 256 * 160);
    await writeVolume({ dims: [256, 256, 160], spacing: [0.7, 0.8, 1.5], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data }, file);
    const h = makeHost();
    const opened = await h.services.study.openPath(file);
    expect(opened.header.dims).toEqual([256, 256, 160]);
    expect(opened.header.warnings.find((w) => w.startsWith('Large study'))).toContain('blocks of 2×1×1 voxels (1.4×0.8×1.5 mm)');
    await h.dispose();
  });

  it('remembers opened paths across restarts, newest first', async () => {
    const recentFile = join(tmp, 'recent.json');
    const h = makeHost(recentFile);
    await h.services.study.openPath(folder);
    await h.dispose();
    const h2 = makeHost(recentFile);
    const recent = await h2.services.study.recent();
    expect(recent[0].path).toBe(folder);
    expect(Date.parse(recent[0].openedAt)).toBeGreaterThan(Date.now() - 60_000);
    await h2.dispose();
  });
});

describeWithData('services end to end on real CT (TotalSegmentator liver)', ['totalseg_ct/example_ct_sm.nii.gz', 'totalseg_ct/example_seg.nii.gz'], () => {
  it('scribbles from the reference on one slice → streamed prediction whose liver Dice vs the reference is ≥ 0.8', async () => {
    const h = makeHost();
    const events: { ch: string; payload: unknown }[] = [];
    h.hub.subscribe((ch, payload) => events.push({ ch, payload }));
    const opened = await h.services.study.openPath(dataPath('totalseg_ct/example_ct_sm.nii.gz'));
    const ref = await openVolume(dataPath('totalseg_ct/example_seg.nii.gz'));
    const [nx, ny, nz] = opened.header.dims;
    const id = opened.header.volumeId;
    await h.services.segmentation.setClasses(id, [{ id: 5, name: 'liver', color: [200, 100, 50] }]);
    // Liver strokes on the slice with most liver; background strokes on the same slice, away from the liver edge.
    let bestK = 0, best = 0;
    for (let k = 0; k < nz; k++) {
      let c = 0;
      for (let p = 0; p < nx * ny; p++) if (ref.data[k * nx * ny + p] === 5) c++;
      if (c > best) { best = c; bestK = k; }
    }
    const idx: number[] = [], val: number[] = [];
    for (let p = 0; p < nx * ny; p += 7) {
      const v = bestK * nx * ny + p;
      const isLiver = ref.data[v] === 5;
      const i = p % nx, j = Math.floor(p / nx);
      let interior = true;
      for (const [di, dj] of [[-2, 0], [2, 0], [0, -2], [0, 2]]) {
        const ii = i + di, jj = j + dj;
        if (ii < 0 || jj < 0 || ii >= nx || jj >= ny || (ref.data[bestK * nx * ny + ii + jj * nx] === 5) !== isLiver) interior = false;
      }
      if (!interior) continue;
      idx.push(v);
      val.push(isLiver ? 5 : BACKGROUND_ID);
    }
    await h.services.segmentation.setVisibleSlice(id, bestK);
    const { version } = await h.services.segmentation.applyLabelDiff(id, { indices: Uint32Array.from(idx), values: Uint8Array.from(val) });
    await h.engine.session(id).whenIdle();
    const done = events.filter((e) => e.ch === 'segmentation:predictionDone').map((e) => e.payload as SegmentationEvents['predictionDone']);
    expect(done.map((d) => d.version)).toEqual([version]);
    const slices = events.filter((e) => e.ch === 'segmentation:prediction').map((e) => e.payload as SegmentationEvents['prediction']);
    expect(slices.length).toBe(nz);
    expect(slices[0].k).toBe(bestK);
    expect(slices[0].labels.length).toBe(nx * ny);
    const pred = (await h.services.segmentation.getPrediction(id))!;
    let inter = 0, a = 0, b = 0;
    for (let v = 0; v < pred.data.length; v++) {
      const p = pred.data[v] === 5, r = ref.data[v] === 5;
      if (p) a++;
      if (r) b++;
      if (p && r) inter++;
    }
    const dice = (2 * inter) / (a + b);
    expect(dice).toBeGreaterThanOrEqual(0.8);
    const s = await h.services.segmentation.suggestNextSlice(id);
    expect(s!.k).toBeGreaterThanOrEqual(0);
    expect(s!.k).toBeLessThan(nz);
    await h.dispose();
  });
});

describe('imported DINOv2 model as backbone (tiny random-weight fixture)', () => {
  it('imports a model, offers dinov2/hybrid backbones, and segments two boxes with the hybrid (Dice ≥ 0.9)', async () => {
    const { ModelStore } = await import('../../src-main/features/models');
    const { IDENTITY3 } = await import('../../src-shared');
    const store = new ModelStore(join(tmp, 'models'));
    const home = process.env.MEDSEG_HOME;
    process.env.MEDSEG_HOME = tmp; // the DINOv2 feature cache must not land in the user's home during tests
    const h = createServices({ system: { mode: 'web', versions: { app: 't', node: process.version } }, modelStore: store, settings: { debounceMs: 0 } });
    const changed: unknown[] = [];
    h.hub.subscribe((ch, p) => { if (ch === 'models:changed') changed.push(p); });
    const info = await h.services.models.import(join('test', 'fixtures', 'dinov2', 'tiny-dinov2.onnx'));
    expect(info.kind).toBe('dinov2');
    expect(changed).toEqual([{ models: [expect.objectContaining({ id: info.id })] }]);
    const { options } = await h.services.segmentation.getSettings();
    expect(options.backbones.map((b) => b.id)).toEqual(['filters', `dinov2:${info.id}`, `hybrid:${info.id}`]);
    expect(await h.services.segmentation.setSettings({ backbone: `hybrid:${info.id}` })).toMatchObject({ backbone: `hybrid:${info.id}` });

    const [nx, ny, nz] = [28, 28, 4];
    const data = new Int16Array(nx * ny * nz), truth = new Uint8Array(nx * ny * nz);
    for (let v = 0; v < data.length; v++) {
      const i = v % nx, j = Math.floor(v / nx) % ny;
      truth[v] = i >= 4 && i < 12 && j >= 4 && j < 12 ? 1 : i >= 16 && i < 24 && j >= 16 && j < 24 ? 2 : 0;
      data[v] = [0, 250, 700][truth[v]];
    }
    const { volumeId } = h.engine.open({
      dims: [nx, ny, nz], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [...IDENTITY3] as [number, number, number, number, number, number, number, number, number],
      data, voxelType: 'int16', modality: 'CT', meta: {}, window: { center: 300, width: 1000 }, warnings: [],
    });
    const idx: number[] = [], val: number[] = [];
    for (let i = 5; i < 11; i++) { idx.push(i + 8 * nx + nx * ny); val.push(1); }
    for (let i = 17; i < 23; i++) { idx.push(i + 20 * nx + nx * ny); val.push(2); }
    for (let i = 0; i < nx; i++) { idx.push(i + 1 * nx + nx * ny); val.push(BACKGROUND_ID); }
    const errors: unknown[] = [];
    h.hub.subscribe((ch, p) => { if (ch === 'segmentation:error') errors.push(p); });
    await h.services.segmentation.applyLabelDiff(volumeId, { indices: Uint32Array.from(idx), values: Uint8Array.from(val) });
    await h.engine.session(volumeId).whenIdle();
    expect(errors).toEqual([]);
    const pred = (await h.services.segmentation.getPrediction(volumeId))!;
    for (const c of [1, 2]) {
      let inter = 0, a = 0, b = 0;
      for (let v = 0; v < truth.length; v++) {
        if (pred.data[v] === c) a++;
        if (truth[v] === c) b++;
        if (pred.data[v] === c && truth[v] === c) inter++;
      }
      expect((2 * inter) / (a + b), `class ${c}`).toBeGreaterThanOrEqual(0.9);
    }
    await h.services.models.remove(info.id);
    expect((await h.services.segmentation.getSettings()).options.backbones.map((b) => b.id)).toEqual(['filters']);
    await h.dispose();
    if (home === undefined) delete process.env.MEDSEG_HOME;
    else process.env.MEDSEG_HOME = home;
  });
});
