import { describe, expect, it } from 'vitest';
import type { SegmentationEvents } from '../../src-shared';
import { LocalCompute } from '../../src-main/engine/compute';
import { createFewshotKernel } from '../../src-main/engine/fewshotKernel';
import { SegmentationSession, sliceOrder, type SessionEmit } from '../../src-main/engine/session';

import { NX, NY, NZ, dice, strokes, twoBoxes } from './helpers/two-boxes';

type Ev = { [E in keyof SegmentationEvents]: { event: E; payload: SegmentationEvents[E] } }[keyof SegmentationEvents];

function makeSession(debounceMs = 20, workVoxels?: number) {
  const { volume, truth } = twoBoxes();
  const kernel = createFewshotKernel();
  const events: Ev[] = [];
  const emit: SessionEmit = (event, payload) => events.push({ event, payload } as Ev);
  const session = new SegmentationSession('v1', volume, new LocalCompute(kernel, workVoxels), kernel, emit, { debounceMs, backbone: 'filters', headKind: 'linear' });
  session.setClasses([{ id: 1, name: 'A', color: [255, 0, 0] }, { id: 2, name: 'B', color: [0, 255, 0] }]);
  return { session, truth, events, volume };
}

describe('sliceOrder', () => {
  it('starts at the visible slice and alternates outwards', () => {
    expect(sliceOrder(3, 8)).toEqual([3, 4, 2, 5, 1, 6, 0, 7]);
    expect(sliceOrder(0, 3)).toEqual([0, 1, 2]);
  });
});

describe('SegmentationSession (in-process)', () => {
  it('predicts two boxes from scribbles with Dice ≥ 0.9, streaming the visible slice first', async () => {
    const { session, truth, events } = makeSession();
    session.setVisibleSlice(5);
    const { version } = { version: session.applyLabelDiff(strokes(5)) };
    expect(version).toBe(1);
    await session.whenIdle();
    const slices = events.filter((e) => e.event === 'prediction');
    expect(events.filter((e) => e.event === "error")).toEqual([]);
    expect(slices.length).toBe(NZ);
    expect(slices[0].event === 'prediction' && slices[0].payload.k).toBe(5);
    const done = events.filter((e) => e.event === 'predictionDone');
    expect(done.map((e) => e.payload.version)).toEqual([1]);
    const progress = events.flatMap((e) => (e.event === 'featureProgress' ? [e.payload] : []));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toMatchObject({ volumeId: 'v1', provider: 'js' });
    expect(progress[progress.length - 1].done).toBe(progress[progress.length - 1].total);
    const pred = session.getPrediction();
    expect(pred?.version).toBe(1);
    expect(dice(pred!.data, truth, 1)).toBeGreaterThanOrEqual(0.9);
    expect(dice(pred!.data, truth, 2)).toBeGreaterThanOrEqual(0.9);
    expect(session.getUncertainty()?.data.length).toBe(NX * NY * NZ);
    const s = session.suggestNextSlice();
    expect(s && s.k >= 0 && s.k < NZ).toBe(true);
  });

  it('a study larger than the working-grid budget is segmented on blocks and predicted on every voxel', async () => {
    // Budget 2048 voxels → 2×2×1 blocks (16×16×8): features and training on blocks, the prediction on the full grid.
    const { session, truth, events } = makeSession(20, 2048);
    session.setVisibleSlice(5);
    session.applyLabelDiff(strokes(5));
    await session.whenIdle();
    expect(events.filter((e) => e.event === 'error')).toEqual([]);
    const slices = events.flatMap((e) => (e.event === 'prediction' ? [e.payload] : []));
    expect(slices.length).toBe(NZ);
    expect(slices[0].k).toBe(5);
    expect(slices.every((s) => s.labels.length === NX * NY)).toBe(true);
    const pred = session.getPrediction();
    expect(pred!.data.length).toBe(NX * NY * NZ);
    expect(dice(pred!.data, truth, 1)).toBeGreaterThanOrEqual(0.85);
    expect(dice(pred!.data, truth, 2)).toBeGreaterThanOrEqual(0.85);
  });

  it('a newer edit cancels the running update: the outdated version never reports done', async () => {
    const { session, events } = makeSession(0);
    let v2 = -1;
    const emitSpy = events.push.bind(events);
    // Edit again as soon as the first version streams its first slice.
    events.push = (...items: Ev[]) => {
      for (const it of items) if (it.event === 'prediction' && it.payload.version === 1 && v2 < 0) v2 = session.applyLabelDiff(strokes(2));
      return emitSpy(...items);
    };
    expect(session.applyLabelDiff(strokes(4))).toBe(1);
    await session.whenIdle();
    await session.whenIdle();
    expect(v2).toBe(2);
    const v1Slices = events.filter((e) => e.event === 'prediction' && e.payload.version === 1).length;
    expect(v1Slices).toBeLessThan(NZ);
    expect(events.filter((e) => e.event === 'predictionDone').map((e) => e.payload.version)).toEqual([2]);
    expect(session.getPrediction()?.version).toBe(2);
  });

  it('keeps locked class voxels unchanged after an update', async () => {
    const { session, events } = makeSession(0);
    session.applyLabelDiff(strokes(4));
    await session.whenIdle();
    const before = session.getPrediction()!.data;
    session.setClasses([{ id: 1, name: 'A', color: [255, 0, 0], locked: true }, { id: 2, name: 'B', color: [0, 255, 0] }]);
    // Paint class 2 inside box A, which would otherwise pull box A towards class 2.
    const idx: number[] = [];
    for (let j = 5; j < 13; j++) for (let i = 5; i < 13; i++) idx.push(i + j * NX + 3 * NX * NY);
    session.applyLabelDiff({ indices: Uint32Array.from(idx), values: new Uint8Array(idx.length).fill(2) });
    await session.whenIdle();
    const after = session.getPrediction()!;
    expect(after.version).toBe(2);
    let was1 = 0, changed = 0, joined = 0;
    for (let v = 0; v < before.length; v++) {
      if (before[v] === 1) { was1++; if (after.data[v] !== 1) changed++; }
      else if (after.data[v] === 1) joined++;
    }
    expect(was1).toBeGreaterThan(500);
    expect(changed).toBe(0);
    expect(joined).toBe(0);
    expect(events.filter((e) => e.event === 'error')).toEqual([]);
  });

  it('an undo diff restores the scribble map exactly', () => {
    const { session } = makeSession(10_000);
    const d = strokes(3);
    const prev = new Uint8Array(d.indices.length).map((_, i) => session.scribbles[d.indices[i]]);
    session.applyLabelDiff(d);
    const painted = session.getLabels();
    expect(painted.version).toBe(1);
    expect(painted.data[d.indices[0]]).toBe(1);
    session.applyLabelDiff({ indices: d.indices, values: prev });
    const undone = session.getLabels();
    expect(undone.version).toBe(2);
    expect(undone.data.every((x) => x === 0)).toBe(true);
    session.close();
  });

  it('reports a typed error event when only one class is labeled', async () => {
    const { session, events } = makeSession(0);
    session.applyLabelDiff({ indices: Uint32Array.of(5, 6, 7), values: Uint8Array.of(1, 1, 1) });
    await session.whenIdle();
    const err = events.find((e) => e.event === 'error');
    expect(err?.event === 'error' && err.payload.code).toBe('LABELS_SINGLE_CLASS');
    expect(events.some((e) => e.event === 'predictionDone')).toBe(false);
  });

  it('rejects a diff outside the image with INVALID_ARGUMENT', () => {
    const { session } = makeSession(10_000);
    expect(() => session.applyLabelDiff({ indices: Uint32Array.of(NX * NY * NZ), values: Uint8Array.of(1) })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    session.close();
  });
});
