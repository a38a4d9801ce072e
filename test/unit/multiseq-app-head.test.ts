/**
 * A head trained on a combined (multi-sequence) study in the app, saved and carried to another study that holds
 * some of its sequences (issue 7: "a head trained on four sequences still works on a study with three").
 * Synthetic studies: a sphere with a different contrast on T1, T2 and FLAIR, over a deterministic texture; study B
 * has another sphere (elsewhere, another radius, other intensities) and lacks T2. Known answers: the reported head
 * is the multi-sequence file (sequence names, a presence head per pattern of missing sequences); on study B, with no
 * strokes, the carried head finds B's sphere (Dice against the known shape) with its "without T2" head; a
 * single-image head on a combined study and a head that has never seen one of the study's sequences are refused
 * with HEAD_MISMATCH naming what is wrong; the layout change of the features equals an extraction laid out by the
 * head's sequences; an older head file without presence heads is served by its dropout-trained head.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IDENTITY3, type Vec3, type Volume } from '../../src-shared';
import { createServices, type ServiceHost } from '../../src-main/services';
import { createFilterBackbone, dice } from '../../src-main/fewshot';
import { loadedHeadFromJson } from '../../src-main/fewshot/serialize';
import { createMultiSequenceBackbone } from '../../src-main/features/multiseq';
import { relayoutFeatures } from '../../src-main/engine/multiseq/carried';
import { MultiSequenceRunner } from '../../src-main/engine/multiseq/interactive';
import type { SegmentJob } from '../../src-main/engine/compute';

const DIMS: Vec3 = [40, 40, 16];
const [NX, NY, NZ] = DIMS;
const N = NX * NY * NZ;
const at = (i: number, j: number, k: number): number => i + NX * (j + NY * k);

interface Sphere { c: Vec3; r: number }
const A: Sphere = { c: [20, 20, 8], r: 8 };
const B: Sphere = { c: [17, 23, 7], r: 10 };

function mask(s: Sphere): Uint8Array {
  const m = new Uint8Array(N);
  // Spacing 1×1×2 mm: the sphere is round in millimetres.
  for (let k = 0; k < NZ; k++) for (let j = 0; j < NY; j++) for (let i = 0; i < NX; i++) {
    if (Math.hypot(i - s.c[0], j - s.c[1], (k - s.c[2]) * 2) <= s.r) m[at(i, j, k)] = 1;
  }
  return m;
}

/** inside/outside intensities and a texture seed: each study and sequence its own numbers. */
function sequence(m: Uint8Array, inside: number, outside: number, desc: string, seed: number): Volume {
  const data = new Float32Array(N);
  for (let k = 0; k < NZ; k++) for (let j = 0; j < NY; j++) for (let i = 0; i < NX; i++) {
    const p = at(i, j, k);
    data[p] = (m[p] ? inside : outside) + (((i * 7 + j * 13 + k * 5 + seed) % 21) - 10);
  }
  return {
    dims: DIMS, spacing: [1, 1, 2], origin: [0, 0, 0], direction: [...IDENTITY3] as Volume['direction'], data, voxelType: 'float32',
    modality: 'MR', meta: { seriesDescription: desc, patientId: 'P1' }, window: { center: 120, width: 240 }, warnings: [],
  };
}

const maskA = mask(A), maskB = mask(B);
const studyA = { t1: sequence(maskA, 200, 100, 'T1 AX', 0), t2: sequence(maskA, 160, 60, 'T2 AX', 3), flair: sequence(maskA, 40, 120, 'FLAIR AX', 7) };
const studyB = { t1: sequence(maskB, 230, 110, 'T1 AX', 11), flair: sequence(maskB, 30, 140, 'FLAIR AX', 5), t1c: sequence(maskB, 250, 90, 'T1C AX', 2) };

/** A line through study A's sphere (class 1) and background lines around it, on its middle slice. */
function strokes(): { indices: Uint32Array; values: Uint8Array } {
  const indices: number[] = [], values: number[] = [];
  const line = (i0: number, j0: number, i1: number, j1: number, v: number): void => {
    for (let t = 0; t <= 20; t++) {
      indices.push(at(Math.round(i0 + ((i1 - i0) * t) / 20), Math.round(j0 + ((j1 - j0) * t) / 20), A.c[2]));
      values.push(v);
    }
  };
  line(15, 20, 25, 20, 1);
  line(3, 4, 36, 4, 255);
  line(3, 36, 36, 36, 255);
  line(4, 6, 4, 34, 255);
  line(36, 6, 36, 34, 255);
  return { indices: Uint32Array.from(indices), values: Uint8Array.from(values) };
}

function host(errors: string[]): ServiceHost {
  const h = createServices({ system: { mode: 'web', versions: { app: 't', node: process.version } }, settings: { debounceMs: 0 } });
  h.hub.subscribe((ch, p) => {
    const e = p as { code?: string; message?: string };
    if (ch === 'segmentation:error') errors.push(`${e.code}: ${e.message}`);
  });
  return h;
}

const tmp = mkdtempSync(join(tmpdir(), 'medseg-multiseq-head-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a head trained on a combined study, carried to another one', () => {
  const headPath = join(tmp, 'sphere.head.json');

  it('the update reports the multi-sequence head file (names + a presence head per pattern), saved as is', async () => {
    const errors: string[] = [];
    const h = host(errors);
    const { volumeId, session } = h.engine.open(studyA.t1);
    h.engine.addSequence(volumeId, studyA.t2);
    expect(h.engine.addSequence(volumeId, studyA.flair).sequences.map((s) => s.name)).toEqual(['T1', 'T2', 'FLAIR']);
    session.setClasses([{ id: 1, name: 'Sphere', color: [255, 0, 0] }]);
    session.applyLabelDiff(strokes());
    await session.whenIdle();
    expect(errors).toEqual([]);
    const dA = dice(session.getPrediction()!.data, maskA, 1);
    console.info(`study A (T1, T2, FLAIR, strokes on one slice): sphere Dice ${dA.toFixed(3)}`);
    expect(dA).toBeGreaterThanOrEqual(0.85);

    const loaded = loadedHeadFromJson(session.currentHead()!);
    expect(loaded.head.backbone.id).toBe('multiseq[T1,T2,FLAIR]:filters');
    expect(loaded.sequences).toEqual(['T1', 'T2', 'FLAIR']);
    expect(loaded.presence?.full).toBeDefined();
    expect(Object.keys(loaded.presence!.leaveOneOut).sort()).toEqual(['FLAIR', 'T1', 'T2']);
    expect(Object.keys(loaded.presence!.missing ?? {}).sort()).toEqual(['T1,FLAIR', 'T1,T2', 'T2,FLAIR']);

    const saved = await h.services.exchange.saveHead(volumeId, headPath);
    expect(saved.classes).toEqual([1]);
    await h.dispose();
  }, 120_000);

  it('on a study with T1 and FLAIR only, no strokes: the carried head finds the other sphere', async () => {
    const errors: string[] = [];
    const h = host(errors);
    const { volumeId, session } = h.engine.open(studyB.t1);
    h.engine.addSequence(volumeId, studyB.flair);
    const applied = await h.services.exchange.applyHead(volumeId, headPath);
    expect(applied.classes.map((c) => c.id)).toEqual([1]);
    await session.whenIdle();
    expect(errors).toEqual([]);
    const pred = session.getPrediction()!.data;
    const d = dice(pred, maskB, 1);
    console.info(`study B (T1, FLAIR; head of T1, T2, FLAIR, no strokes): sphere Dice ${d.toFixed(3)}`);
    // Measured 0.702, the same as `medseg apply` with this head on these files (pipeline.ts applyToStudy): the
    // whole sphere and a rim of at most 3 mm around it (no strokes here, so no propagation to stop at the edge:
    // the "without T2" head's per-voxel answer). A head on the wrong sequences or layout misses the sphere.
    expect(d).toBeGreaterThanOrEqual(0.65);
    let found = 0, inside = 0, far = 0;
    for (let k = 0; k < NZ; k++) for (let j = 0; j < NY; j++) for (let i = 0; i < NX; i++) {
      const v = at(i, j, k);
      if (maskB[v]) { inside++; if (pred[v] === 1) found++; } else if (pred[v] === 1 && Math.hypot(i - B.c[0], j - B.c[1], (k - B.c[2]) * 2) > B.r + 3.5) far++;
    }
    expect(found / inside).toBeGreaterThanOrEqual(0.98);
    expect(far).toBe(0);
    // Until the user paints two classes the carried head is the current one (what "save head" would write).
    expect(loadedHeadFromJson(session.currentHead()!).sequences).toEqual(['T1', 'T2', 'FLAIR']);

    // Strokes of two classes: the update trains on this study's strokes and sequences.
    const s = strokes();
    session.applyLabelDiff({ indices: s.indices.map((v) => v + (B.c[0] - A.c[0]) + NX * (B.c[1] - A.c[1]) + NX * NY * (B.c[2] - A.c[2])), values: s.values });
    await session.whenIdle();
    expect(errors).toEqual([]);
    expect(loadedHeadFromJson(session.currentHead()!).sequences).toEqual(['T1', 'FLAIR']);
    expect(dice(session.getPrediction()!.data, maskB, 1)).toBeGreaterThanOrEqual(0.85);
    await h.dispose();
  }, 120_000);

  it('a head file without presence heads (saved by an older version: names from the backbone id) serves every pattern with its dropout-trained head', async () => {
    const doc = JSON.parse(await readFile(headPath, 'utf8')) as Record<string, unknown>;
    delete doc.sequences;
    delete doc.presence;
    const older = join(tmp, 'older.head.json');
    await writeFile(older, JSON.stringify(doc));
    const parsed = loadedHeadFromJson(JSON.stringify(doc));
    expect(parsed.sequences).toEqual(['T1', 'T2', 'FLAIR']);
    expect(parsed.presence).toBeUndefined();
    const errors: string[] = [];
    const h = host(errors);
    const { volumeId, session } = h.engine.open(studyB.t1);
    h.engine.addSequence(volumeId, studyB.flair);
    await h.services.exchange.applyHead(volumeId, older);
    await session.whenIdle();
    expect(errors).toEqual([]);
    const d = dice(session.getPrediction()!.data, maskB, 1);
    console.info(`study B with the dropout-trained head alone: sphere Dice ${d.toFixed(3)}`);
    expect(d).toBeGreaterThanOrEqual(0.85); // measured 0.903
    await h.dispose();
  }, 120_000);

  it('a single-image head on a combined study: HEAD_MISMATCH, when applied and when sequences are added later', async () => {
    const errors: string[] = [];
    const h = host(errors);
    const one = h.engine.open(studyA.t1);
    one.session.setClasses([{ id: 1, name: 'Sphere', color: [255, 0, 0] }]);
    one.session.applyLabelDiff(strokes());
    await one.session.whenIdle();
    const single = join(tmp, 'single.head.json');
    await h.services.exchange.saveHead(one.volumeId, single);
    expect(loadedHeadFromJson(one.session.currentHead()!).sequences).toBeUndefined();

    const b = h.engine.open(studyB.t1);
    h.engine.addSequence(b.volumeId, studyB.flair);
    await expect(h.services.exchange.applyHead(b.volumeId, single)).rejects.toMatchObject({ code: 'HEAD_MISMATCH', message: expect.stringMatching(/single image.*T1, FLAIR/) });

    // Applied while the study was one image, then a sequence added: the update says why it cannot use it.
    const c = h.engine.open(studyB.t1);
    await h.services.exchange.applyHead(c.volumeId, single);
    await c.session.whenIdle();
    expect(errors).toEqual([]);
    h.engine.addSequence(c.volumeId, studyB.flair);
    await c.session.whenIdle();
    expect(errors).toEqual([expect.stringMatching(/^HEAD_MISMATCH: This model was trained on a single image/)]);
    await h.dispose();
  }, 120_000);

  it('a study sequence the head has never seen: HEAD_MISMATCH naming it; a multi-sequence head on one image: add the sequences first', async () => {
    const errors: string[] = [];
    const h = host(errors);
    const { volumeId } = h.engine.open(studyB.t1);
    expect(await h.services.exchange.applyHead(volumeId, headPath).catch((e: { code: string; message: string }) => e)).toMatchObject({
      code: 'HEAD_MISMATCH', message: expect.stringMatching(/several sequences together \(T1, T2, FLAIR\)/),
    });
    expect(h.engine.addSequence(volumeId, studyB.t1c).sequence.name).toBe('T1c');
    await expect(h.services.exchange.applyHead(volumeId, headPath)).rejects.toMatchObject({ code: 'HEAD_MISMATCH', message: expect.stringMatching(/never seen a sequence called "T1c"/) });
    await h.dispose();

    // The update itself refuses too, before any feature is computed (the sequences can change after applying).
    const text = await readFile(headPath, 'utf8');
    const runner = new MultiSequenceRunner([{ name: 'T1', volume: studyB.t1 }, { name: 'T1c', volume: studyB.t1c }], () => Promise.reject(new Error('no features expected')));
    const job: SegmentJob = { volumeId: 'v', version: 1, scribbles: new Uint8Array(N), locked: [], order: [0], backbone: 'filters', headKind: 'linear', priorHead: text };
    const cb = { onSlice: () => undefined, onProgress: () => undefined };
    await expect(runner.segment(job, cb, new AbortController().signal)).rejects.toMatchObject({ code: 'HEAD_MISMATCH', message: expect.stringMatching(/T1, T2, FLAIR.*"T1c"/) });
    // Other features than the head's: named.
    await expect(runner.segment({ ...job, backbone: 'dinov2:vits14' }, cb, new AbortController().signal)).rejects.toMatchObject({ code: 'HEAD_MISMATCH', message: expect.stringMatching(/other features \(filters\)/) });
  }, 120_000);

  it('a newer edit cancels the presence heads: the head reported stays the dropout-trained one (sequences, no presence heads)', async () => {
    const list = [{ name: 'T1', volume: studyA.t1 }, { name: 'T2', volume: studyA.t2 }, { name: 'FLAIR', volume: studyA.flair }];
    const runner = new MultiSequenceRunner(list, async () => createFilterBackbone());
    const scribbles = new Uint8Array(N);
    const s = strokes();
    s.indices.forEach((v, t) => (scribbles[v] = s.values[t]));
    const heads: string[] = [];
    const controller = new AbortController();
    const order = Array.from({ length: NZ }, (_, k) => k);
    let slices = 0;
    await runner.segment({ volumeId: 'v', version: 1, scribbles, locked: [], order, backbone: 'filters', headKind: 'linear' }, {
      onSlice: () => { if (++slices === NZ) controller.abort(); }, // the next edit arrives as the last slice is shown
      onProgress: () => undefined,
      onHead: (json) => heads.push(json),
    }, controller.signal);
    expect(slices).toBe(NZ);
    expect(heads).toHaveLength(1);
    const loaded = loadedHeadFromJson(heads[0]);
    expect(loaded.sequences).toEqual(['T1', 'T2', 'FLAIR']);
    expect(loaded.presence?.full).toBeUndefined();
    expect(loaded.presence?.leaveOneOut).toEqual({});

    // Not cancelled: the same update reports the dropout-trained head, then the file with every presence head.
    const all: string[] = [];
    await runner.segment({ volumeId: 'v', version: 2, scribbles, locked: [], order, backbone: 'filters', headKind: 'linear' }, { onSlice: () => undefined, onProgress: () => undefined, onHead: (json) => all.push(json) }, new AbortController().signal);
    expect(all).toHaveLength(2);
    expect(all[0]).toBe(heads[0]); // the same strokes give the same head
    expect(Object.keys(loadedHeadFromJson(all[1]).presence!.leaveOneOut)).toHaveLength(3);
  }, 60_000);

  it('features laid out by the head\'s sequences equal an extraction in that layout', async () => {
    const bb = createFilterBackbone();
    const study = createMultiSequenceBackbone(bb, ['FLAIR', 'T1']);
    const head = createMultiSequenceBackbone(bb, ['T1', 'T2', 'FLAIR']);
    // T1 covers only part of the grid, so voxels with one and with two sequences present are both checked.
    const cov = new Uint8Array(N);
    for (let p = 0; p < N; p++) cov[p] = p % NX < 30 ? 1 : 0;
    const inputs = [{ name: 'FLAIR', volume: studyB.flair }, { name: 'T1', volume: studyB.t1, coverage: cov }];
    const fs = await study.extract(inputs);
    const fh = await head.extract(inputs);
    const relaid = relayoutFeatures(fs, study.layout, head.layout);
    expect(relaid.names).toEqual(fh.names);
    let worst = 0;
    for (let k = 0; k < NZ; k++) for (let q = 0; q < fh.slices[k]!.length; q++) worst = Math.max(worst, Math.abs(relaid.slices[k]![q] - fh.slices[k]![q]));
    expect(worst).toBeLessThan(1e-4);
    expect(relayoutFeatures(fh, head.layout, head.layout)).toBe(fh);
  }, 60_000);
});
