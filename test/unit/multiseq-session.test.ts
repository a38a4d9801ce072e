/**
 * Multi-sequence studies through the services the app uses: open one BraTS sequence, add the others (names guessed
 * from the file names, one on a different grid), rename, remove, the typed refusals (different patient → confirm,
 * time series, no overlap), and one shared scribble map segmenting the whole tumour (labels 1, 2, 4) with the fused
 * multi-sequence head. The sequences are written at 3 mm (80×80×51) so the test runs in seconds on 2 cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY3, indexToWorld, type Grid, type Vec3, type Volume } from '../../src-shared';
import { emptyVoxels } from '../../src-main/engine/multiseq/interactive';
import { openVolume, resampleData, resampleVolume, writeVolume } from '../../src-main/io';
import { createServices, type ServiceHost } from '../../src-main/services';
import { dice, simulateAnnotation } from '../../src-main/fewshot';
import { MessageChannel } from 'node:worker_threads';
import { Engine } from '../../src-main/engine/engine';
import { LocalCompute, type Compute } from '../../src-main/engine/compute';
import { createFewshotKernel } from '../../src-main/engine/fewshotKernel';
import { WorkerCompute } from '../../src-main/engine/workerCompute';
import { serveCompute } from '../../src-main/engine/workerHost';
import type { FromWorker, PortLike, ToWorker } from '../../src-main/engine/workerProtocol';
import { dataPath, describeWithData } from './helpers/data';

const KEYS = ['t1', 't1c', 't2', 'fla'];
const F = KEYS.map((s) => `brats_tcga_fg6692/OtherEXampleFromTCIA_${s}_bet.nii.gz`);
const LABEL = 'brats_tcga_fg6692/fusion/simple.nii.gz';

let tmp: string;
let files: Record<string, string>;
let small: Record<string, Volume>;
let reference: Uint8Array;
let grid: Grid;

function host(): ServiceHost {
  return createServices({ system: { mode: 'web', versions: { app: 't', node: process.version } }, settings: { debounceMs: 0 } });
}

/** Pearson correlation over voxels where both are non-zero. */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let i = 0; i < a.length; i++) {
    if (!a[i] || !b[i]) continue;
    n++; sa += a[i]; sb += b[i]; saa += a[i] * a[i]; sbb += b[i] * b[i]; sab += a[i] * b[i];
  }
  const cov = sab / n - (sa / n) * (sb / n);
  return cov / Math.sqrt((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2));
}

describe('the empty frame around a skull-stripped study', () => {
  const vol = (data: number[]): Volume => ({
    dims: [3, 3, 2], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [...IDENTITY3] as Volume['direction'], data: Float32Array.from(data),
    voxelType: 'float32', modality: 'MR', meta: {}, window: { center: 0, width: 1 }, warnings: [],
  });
  const a = vol([0, 0, 0, 0, 5, 0, 0, 0, 0, /* k=1 */ 0, 0, 0, 0, 0, 7, 0, 0, 0]);
  const b = vol([0, 0, 0, 0, 0, 0, 0, 3, 0, /* k=1 */ 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  it('is where every sequence holds its corner value (or does not cover the voxel)', () => {
    expect(Array.from(emptyVoxels([{ name: 'T1', volume: a }, { name: 'T2', volume: b }])!)).toEqual([1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1]);
    // T2 does not cover voxel 7: only T1 (0 there) counts.
    const cov = new Uint8Array(18).fill(1);
    cov[7] = 0;
    expect(emptyVoxels([{ name: 'T1', volume: a }, { name: 'T2', volume: b, coverage: cov }])![7]).toBe(1);
  });
  it('does not exist when a sequence has no common corner value (CT with a table, unstripped MR)', () => {
    const c = vol([1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0]);
    expect(emptyVoxels([{ name: 'T1', volume: a }, { name: 'CT', volume: c }])).toBeNull();
  });
});

describeWithData('multi-sequence study in the app (BraTS TCGA-FG-6692 at 3 mm)', [...F, LABEL], () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'medseg-multiseq-session-'));
    const vols = await Promise.all(F.map((f) => openVolume(dataPath(f))));
    const g = vols[0];
    grid = { dims: g.dims.map((d) => Math.floor(d / 3)) as Vec3, spacing: g.spacing.map((s) => s * 3) as Vec3, origin: indexToWorld(g, [1, 1, 1]), direction: g.direction };
    // T2 goes in on a coarser 4 mm grid: the study must resample it onto the reference (3 mm) grid.
    const grid4: Grid = { dims: g.dims.map((d) => Math.floor(d / 4)) as Vec3, spacing: g.spacing.map((s) => s * 4) as Vec3, origin: indexToWorld(g, [1.5, 1.5, 1.5]), direction: g.direction };
    small = {};
    files = {};
    for (let i = 0; i < KEYS.length; i++) {
      small[KEYS[i]] = resampleVolume(vols[i], grid);
      files[KEYS[i]] = join(tmp, `OtherEXampleFromTCIA_${KEYS[i]}_bet.nii.gz`);
      await writeVolume(KEYS[i] === 't2' ? resampleVolume(vols[i], grid4) : small[KEYS[i]], files[KEYS[i]]);
    }
    const lab = await openVolume(dataPath(LABEL));
    const l = resampleData(lab, lab.data, grid, { interpolation: 'nearest' });
    reference = Uint8Array.from(l, (v) => (v === 1 || v === 2 || v === 4 ? 1 : 0));
  }, 120_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('adds sequences named from their files, resamples another grid, renames and removes', async () => {
    const h = host();
    const opened = await h.services.study.openPath(files.t1);
    const id = opened.header.volumeId;
    expect(opened.header.dims).toEqual([80, 80, 51]);
    // A single-image study lists its one (reference) sequence.
    expect(await h.services.study.listSequences(id)).toMatchObject([{ id: 'seq-1', name: 'T1', reference: true, coveredFraction: 1 }]);

    const t1c = await h.services.study.addSequence(id, files.t1c);
    expect(t1c.sequence).toMatchObject({ name: 'T1c', reference: false, coveredFraction: 1, resampled: false });
    expect(t1c.voxels.length).toBe(80 * 80 * 51);
    const t2 = await h.services.study.addSequence(id, files.t2);
    expect(t2.sequence).toMatchObject({ name: 'T2', resampled: true });
    expect(t2.voxels.length).toBe(80 * 80 * 51); // 60×60×38 at 4 mm, now on the 3 mm grid
    expect(t2.sequence.coveredFraction).toBeGreaterThan(0.95);
    // Measured 0.85 (4 mm loses detail); a misplaced or mis-scaled resample correlates far less.
    expect(correlation(t2.voxels, small.t2.data)).toBeGreaterThan(0.8);
    const fla = await h.services.study.addSequence(id, files.fla);
    expect(fla.sequence.name).toBe('FLAIR');
    expect(fla.sequences.map((s) => s.name)).toEqual(['T1', 'T1c', 'T2', 'FLAIR']);
    expect(fla.sequences.map((s) => s.id)).toEqual(['seq-1', 'seq-2', 'seq-3', 'seq-4']);

    // The same file again gets a free name and says so; a name typed by the user is written in its usual spelling.
    const again = await h.services.study.addSequence(id, files.t1);
    expect(again.sequence.name).toBe('T1 2');
    expect(again.warnings.join(' ')).toMatch(/already has a T1/);
    // 't1ce' is spelled T1c, which this study already has: refused, nothing renamed.
    await expect(h.services.study.renameSequence(id, again.sequence.id, 't1ce')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/T1c/) });
    const renamed = await h.services.study.renameSequence(id, again.sequence.id, ' MPRAGE ');
    expect(renamed.map((s) => s.name)).toEqual(['T1', 'T1c', 'T2', 'FLAIR', 'MPRAGE']);
    await expect(h.services.study.removeSequence(id, 'seq-1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await h.services.study.removeSequence(id, again.sequence.id)).map((s) => s.name)).toEqual(['T1', 'T1c', 'T2', 'FLAIR']);
    expect((await h.dispatch('study.renameSequence', [id, 'seq-3', 'other']) as { name: string }[]).map((s) => s.name)).toEqual(['T1', 'T1c', 'other', 'FLAIR']);
    await expect(h.dispatch('study.renameSequence', [id, 'seq-3', ''])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(h.services.study.addSequence(id, join(tmp, 'missing.nii.gz'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await h.dispose();
  }, 120_000);

  it('a different patient asks for confirmation; a time series and a sequence elsewhere in space are refused', async () => {
    const h = host();
    const base = small.t1;
    const { volumeId } = h.engine.open({ ...base, meta: { ...base.meta, patientId: 'TCGA-FG-6692' } });
    const other: Volume = { ...small.fla, meta: { ...small.fla.meta, patientId: 'SOMEONE-ELSE' } };
    expect(() => h.engine.addSequence(volumeId, other)).toThrow(expect.objectContaining({ code: 'SEQUENCE_MISMATCH' }));
    expect(h.engine.sequences(volumeId)).toHaveLength(1); // nothing was added
    const ok = h.engine.addSequence(volumeId, other, { confirmMismatch: true });
    expect(ok.sequence.name).toBe('FLAIR');
    expect(ok.warnings.join(' ')).toMatch(/different patients/);
    const series4d: Volume = { ...small.t2, meta: { ...small.t2.meta, patientId: 'TCGA-FG-6692', timePoints: 3 } };
    expect(() => h.engine.addSequence(volumeId, series4d)).toThrow(expect.objectContaining({ code: 'SEQUENCE_4D' }));
    const far: Volume = { ...small.t2, origin: [base.origin[0] + 1000, base.origin[1], base.origin[2]] };
    expect(() => h.engine.addSequence(volumeId, far)).toThrow(expect.objectContaining({ code: 'NO_OVERLAP' }));
    expect(h.engine.sequences(volumeId).map((s) => s.name)).toEqual(['T1', 'FLAIR']);
    await h.dispose();
  });

  it('one scribble map on four sequences segments the whole tumour (slice mode, k = 3)', async () => {
    const h = host();
    const events: { version: number; ks: Set<number>; done: boolean } = { version: 0, ks: new Set(), done: false };
    const errors: string[] = [];
    h.hub.subscribe((ch, p) => {
      const e = p as { version?: number; k?: number; code?: string; message?: string };
      if (ch === 'segmentation:prediction') events.ks.add(e.k!);
      if (ch === 'segmentation:predictionDone') { events.done = true; events.version = e.version!; }
      if (ch === 'segmentation:error') errors.push(`${e.code}: ${e.message}`);
    });
    const opened = await h.services.study.openPath(files.t1);
    const id = opened.header.volumeId;
    for (const k of ['t1c', 't2', 'fla']) await h.services.study.addSequence(id, files[k]);
    await h.services.segmentation.setClasses(id, [{ id: 1, name: 'Whole tumour', color: [255, 80, 80] }]);
    const { scribbles } = simulateAnnotation({ reference, image: small.fla.data, dims: grid.dims as Vec3, modality: 'MR', classes: [1], k: 3, mode: 'slice' });
    const idx: number[] = [];
    for (let v = 0; v < scribbles.length; v++) if (scribbles[v]) idx.push(v);
    const r = await h.services.segmentation.applyLabelDiff(id, { indices: Uint32Array.from(idx), values: Uint8Array.from(idx, (v) => scribbles[v]) });
    await h.engine.session(id).whenIdle();
    expect(errors).toEqual([]);
    expect(events.done).toBe(true);
    expect(events.version).toBe(r.version);
    expect(events.ks.size).toBe(51); // every axial slice was streamed
    const pred = await h.services.segmentation.getPrediction(id);
    expect(pred?.version).toBe(r.version);
    const d = dice(pred!.data, reference, 1);
    console.info(`multi-sequence session: whole-tumour Dice ${d.toFixed(3)}`);
    // Measured 0.82 by the multi-sequence bench on this case (slice mode, all four sequences).
    expect(d).toBeGreaterThanOrEqual(0.75);
    // The head knows it was trained on the four sequences.
    const head = JSON.parse(h.engine.session(id).currentHead()!) as { backbone: { id: string } };
    expect(head.backbone.id).toBe('multiseq[T1,T1c,T2,FLAIR]:filters');
    await h.dispose();
  }, 300_000);

  it('the compute worker hosts the study (same prediction as on the calling thread); back to one sequence = the single-image head', async () => {
    // 6 mm keeps the two runs short; what is compared is the path, not the accuracy.
    const g6: Grid = { dims: grid.dims.map((d) => Math.floor(d / 2)) as Vec3, spacing: grid.spacing.map((x) => x * 2) as Vec3, origin: grid.origin, direction: grid.direction };
    const v6 = Object.fromEntries(KEYS.map((k) => [k, resampleVolume(small[k], g6)])) as Record<string, Volume>;
    const ref6 = resampleData({ ...g6, dims: grid.dims, spacing: grid.spacing }, reference, g6, { interpolation: 'nearest' });
    const target = Uint8Array.from(ref6);
    const { scribbles } = simulateAnnotation({ reference: target, image: v6.fla.data, dims: g6.dims as Vec3, modality: 'MR', classes: [1], k: 3, mode: 'slice' });
    const idx: number[] = [];
    for (let v = 0; v < scribbles.length; v++) if (scribbles[v]) idx.push(v);
    const kernel = createFewshotKernel();

    async function run(compute: Compute): Promise<{ pred: Uint8Array; heads: string[]; errors: string[] }> {
      const errors: string[] = [];
      const engine = new Engine({ compute, kernel, emit: (ev, p) => { if (ev === 'error') errors.push(String((p as { message: string }).message)); }, settings: { debounceMs: 0 } });
      const { volumeId, session } = engine.open(v6.t1);
      for (const k of ['t1c', 't2', 'fla']) engine.addSequence(volumeId, v6[k]);
      session.setClasses([{ id: 1, name: 'Whole tumour', color: [255, 80, 80] }]);
      session.applyLabelDiff({ indices: Uint32Array.from(idx), values: Uint8Array.from(idx, (v) => scribbles[v]) });
      await session.whenIdle();
      const pred = session.getPrediction()!.data;
      const heads = [(JSON.parse(session.currentHead()!) as { backbone: { id: string } }).backbone.id];
      for (const id of ['seq-4', 'seq-3', 'seq-2']) engine.removeSequence(volumeId, id);
      await session.whenIdle();
      heads.push((JSON.parse(session.currentHead()!) as { backbone: { id: string } }).backbone.id);
      await engine.dispose();
      return { pred, heads, errors };
    }

    const ch = new MessageChannel();
    serveCompute(ch.port2 as unknown as PortLike<ToWorker, FromWorker>, new LocalCompute(kernel));
    const viaWorker = await run(new WorkerCompute(() => ({
      port: ch.port1 as unknown as PortLike<FromWorker, ToWorker>,
      terminate: async () => { ch.port1.close(); ch.port2.close(); },
      onDeath: () => undefined,
    })));
    // A Compute that cannot host studies (no setSequences): the session runs the fused update itself.
    const local = new LocalCompute(kernel);
    const plain: Compute = { attach: (a, b) => local.attach(a, b), detach: (a) => local.detach(a), segment: (j, c, s) => local.segment(j, c, s), dispose: () => local.dispose() };
    const onThread = await run(plain);
    expect(viaWorker.errors).toEqual([]);
    expect(onThread.errors).toEqual([]);
    expect(viaWorker.heads).toEqual(['multiseq[T1,T1c,T2,FLAIR]:filters', 'filters']);
    expect(onThread.heads).toEqual(viaWorker.heads);
    let diff = 0;
    for (let v = 0; v < target.length; v++) if (viaWorker.pred[v] !== onThread.pred[v]) diff++;
    expect(diff).toBe(0);
    expect(dice(viaWorker.pred, target, 1)).toBeGreaterThan(0.5);
  }, 300_000);
});

describeWithData('a DICOM time series offered as a sequence', ['dicom_edge/ge_epi_4d_series/mr_0004', 'brats_tcga_fg6692/OtherEXampleFromTCIA_t1_bet.nii.gz'], () => {
  it('is refused with SEQUENCE_4D (not "choose a series"), and one of its time points can be added from the scan', async () => {
    const h = host();
    const opened = await h.services.study.openPath(dataPath('brats_tcga_fg6692/OtherEXampleFromTCIA_t1_bet.nii.gz'));
    const id = opened.header.volumeId;
    const folder = dataPath('dicom_edge/ge_epi_4d_series/mr_0004');
    await expect(h.services.study.addSequence(id, folder)).rejects.toMatchObject({ code: 'SEQUENCE_4D', message: expect.stringContaining('10 time points') });
    expect(await h.services.study.listSequences(id)).toHaveLength(1);
    // A single time point is one volume, so it is not refused as a time series. This EPI carries no patient of its
    // own and overlaps the brain in world space, so it is added.
    const scan = await h.services.study.scan([folder]);
    expect(scan.series.length).toBe(10);
    const added = await h.services.study.addSequenceSeries(id, scan.series[0].id);
    expect(added.sequence.name).not.toBe('');
    expect(await h.services.study.listSequences(id)).toHaveLength(2);
    await h.dispose();
  }, 120_000);
});
