/**
 * Features are prepared when a study is opened, before the first stroke: the engine asks the compute to extract
 * them (visible slice first), jobs share that one extraction, its progress reaches the UI like a job's, its
 * failure is shown like a job's (and the next update retries), and closing the study during it is harmless.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MedSegError, type SegmentationEvents, type Volume } from '../../src-shared';
import { LocalCompute, type Compute } from '../../src-main/engine/compute';
import { Engine } from '../../src-main/engine/engine';
import { createFewshotKernel } from '../../src-main/engine/fewshotKernel';
import type { Kernel } from '../../src-main/engine/kernel';
import type { SessionEmit } from '../../src-main/engine/session';
import { WorkerCompute } from '../../src-main/engine/workerCompute';
import { serveCompute } from '../../src-main/engine/workerHost';
import type { FromWorker, PortLike, ToWorker } from '../../src-main/engine/workerProtocol';
import type { FeatureBackbone } from '../../src-main/features/types';
import { dice, strokes, twoBoxes } from './helpers/two-boxes';

/** The filter bank reports one step for the intensity, one per scale (3) and one per bin smoothing (2). */
const FILTER_STEPS = 6;
/** Steps of the slowed-down backbone below. */
const STEPS = 5;

const CLASSES = [{ id: 1, name: 'A', color: [255, 0, 0] as [number, number, number] }, { id: 2, name: 'B', color: [0, 255, 0] as [number, number, number] }];

type Ev = { [E in keyof SegmentationEvents]: { event: E; payload: SegmentationEvents[E] } }[keyof SegmentationEvents];

/** Records every engine event and lets a test wait for one. */
function recorder() {
  const events: Ev[] = [];
  const waiters: { pred: (e: Ev) => boolean; resolve: () => void }[] = [];
  const emit: SessionEmit = (event, payload) => {
    const e = { event, payload } as Ev;
    events.push(e);
    for (const w of [...waiters]) if (w.pred(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  };
  const until = (pred: (e: Ev) => boolean): Promise<void> =>
    events.some(pred) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pred, resolve }));
  const progress = (volumeId: string) => events.flatMap((e) => (e.event === 'featureProgress' && e.payload.volumeId === volumeId ? [e.payload] : []));
  const errors = () => events.flatMap((e) => (e.event === 'error' ? [e.payload] : []));
  const featuresDone = (volumeId: string) => (e: Ev) => e.event === 'featureProgress' && e.payload.volumeId === volumeId && e.payload.done === e.payload.total;
  const progressAt = (volumeId: string, done: number) => (e: Ev) => e.event === 'featureProgress' && e.payload.volumeId === volumeId && e.payload.done === done;
  const predicted = (volumeId: string, version: number) => (e: Ev) => e.event === 'predictionDone' && e.payload.volumeId === volumeId && e.payload.version === version;
  return { events, emit, until, progress, errors, featuresDone, progressAt, predicted };
}

interface CountingKernel {
  kernel: Kernel;
  /** extract() calls started. */
  extracts: number;
  /** extract() calls that stopped with CANCELLED (the volume was closed). */
  cancelled: number;
  whenCancelled: Promise<void>;
}

/**
 * The real few-shot kernel, its backbone wrapped to count extract() calls. `stepped`: the extraction reports
 * STEPS steps with a macrotask between them and honours its abort signal there, the way a DINOv2 extraction in
 * the worker streams progress while the main thread keeps working. `failFirst`: the first backbone() call fails
 * the way a model that cannot be loaded does.
 */
function countingKernel(opts: { stepped?: boolean; failFirst?: boolean } = {}): CountingKernel {
  const real = createFewshotKernel();
  let failed = false;
  let onCancel!: () => void;
  const c: CountingKernel = {
    extracts: 0, cancelled: 0, whenCancelled: new Promise<void>((r) => (onCancel = r)),
    kernel: {
      headKinds: real.headKinds,
      segment: (a) => real.segment(a),
      leastCertainSlice: (u, d) => real.leastCertainSlice(u, d),
      async backbone(id) {
        if (opts.failFirst && !failed) {
          failed = true;
          throw new MedSegError('MODEL_NOT_FOUND', 'The feature model could not be loaded.');
        }
        const b = await real.backbone(id);
        const counted: FeatureBackbone = {
          id: b.id, dim: b.dim, settings: b.settings, provider: b.provider,
          async extract(volume, o = {}) {
            c.extracts++;
            try {
              if (opts.stepped) {
                for (let done = 0; done < STEPS; done++) {
                  o.onProgress?.({ done, total: STEPS, provider: b.provider });
                  await new Promise((r) => setTimeout(r, 10));
                  if (o.signal?.aborted) throw new MedSegError('CANCELLED', 'Feature computation was cancelled.');
                }
                const f = await b.extract(volume, { slices: o.slices, signal: o.signal });
                o.onProgress?.({ done: STEPS, total: STEPS, provider: b.provider });
                return f;
              }
              return await b.extract(volume, o);
            } catch (e) {
              if (e instanceof MedSegError && e.code === 'CANCELLED') { c.cancelled++; onCancel(); }
              throw e;
            }
          },
        };
        return counted;
      },
    },
  };
  return c;
}

/** A WorkerCompute talking to a LocalCompute through a MessageChannel: the real protocol, in this thread. */
function inProcessWorker(kernel: Kernel): WorkerCompute {
  const ch = new MessageChannel();
  serveCompute(ch.port2 as unknown as PortLike<ToWorker, FromWorker>, new LocalCompute(kernel));
  return new WorkerCompute(() => ({
    port: ch.port1 as unknown as PortLike<FromWorker, ToWorker>,
    terminate: async () => { ch.port1.close(); ch.port2.close(); },
    onDeath: () => undefined,
  }));
}

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeEach(() => { unhandled.length = 0; process.on('unhandledRejection', onUnhandled); });
afterEach(() => { process.off('unhandledRejection', onUnhandled); });

/** Paint on slice 3 and wait for the update; Dice of both boxes against the truth. */
async function paintAndSegment(engine: Engine, rec: ReturnType<typeof recorder>, volumeId: string, truth: Uint8Array) {
  const session = engine.session(volumeId);
  session.setClasses(CLASSES);
  session.setVisibleSlice(3);
  const version = session.applyLabelDiff(strokes(3));
  await rec.until(rec.predicted(volumeId, version));
  const pred = session.getPrediction()!;
  return { version: pred.version, a: dice(pred.data, truth, 1), b: dice(pred.data, truth, 2) };
}

describe('features are prepared when a study is opened (LocalCompute)', () => {
  it('without any stroke the feature progress reaches done = total; the first update then extracts nothing more', async () => {
    const counting = countingKernel();
    const rec = recorder();
    const engine = new Engine({ compute: new LocalCompute(counting.kernel), kernel: counting.kernel, emit: rec.emit, settings: { debounceMs: 0 } });
    const { volume, truth } = twoBoxes();
    const { volumeId } = engine.open(volume);
    await rec.until(rec.featuresDone(volumeId));

    expect(rec.progress(volumeId).map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rec.progress(volumeId).every((p) => p.total === FILTER_STEPS && p.provider === 'js')).toBe(true);
    expect(rec.events.filter((e) => e.event === 'prediction' || e.event === 'predictionDone')).toEqual([]);
    expect(counting.extracts).toBe(1);

    const r = await paintAndSegment(engine, rec, volumeId, truth);
    expect(r.version).toBe(1);
    expect(r.a).toBeGreaterThanOrEqual(0.9);
    expect(r.b).toBeGreaterThanOrEqual(0.9);
    expect(counting.extracts).toBe(1);
    expect(rec.errors()).toEqual([]);
    await engine.dispose();
    expect(unhandled).toEqual([]);
  });

  it('edits during preparation wait for it (one extraction, never restarted by an edit) and segment right', async () => {
    const counting = countingKernel({ stepped: true });
    const rec = recorder();
    const engine = new Engine({ compute: new LocalCompute(counting.kernel), kernel: counting.kernel, emit: rec.emit, settings: { debounceMs: 0 } });
    const { volume, truth } = twoBoxes();
    const { volumeId, session } = engine.open(volume);
    session.setClasses(CLASSES);
    // First stroke while step 1 of the preparation runs, a second one at step 3: it replaces the first update.
    await rec.until(rec.progressAt(volumeId, 1));
    expect(session.applyLabelDiff(strokes(3))).toBe(1);
    await rec.until(rec.progressAt(volumeId, 3));
    expect(session.applyLabelDiff(strokes(5))).toBe(2);
    await rec.until(rec.predicted(volumeId, 2));

    expect(counting.extracts).toBe(1);
    // every step once, in order: preparation's progress carried on through both edits
    expect(rec.progress(volumeId).map((p) => p.done)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rec.events.flatMap((e) => (e.event === 'predictionDone' ? [e.payload.version] : []))).toEqual([2]);
    const pred = session.getPrediction()!;
    expect(dice(pred.data, truth, 1)).toBeGreaterThanOrEqual(0.9);
    expect(dice(pred.data, truth, 2)).toBeGreaterThanOrEqual(0.9);
    expect(rec.errors()).toEqual([]);
    await engine.dispose();
    expect(unhandled).toEqual([]);
  });

  it('a preparation that fails is shown as a typed error once, and the next update retries and succeeds', async () => {
    const counting = countingKernel({ failFirst: true });
    const rec = recorder();
    const engine = new Engine({ compute: new LocalCompute(counting.kernel), kernel: counting.kernel, emit: rec.emit, settings: { debounceMs: 0 } });
    const { volume, truth } = twoBoxes();
    const { volumeId } = engine.open(volume);
    await rec.until((e) => e.event === 'error');
    expect(rec.errors()).toEqual([expect.objectContaining({ code: 'MODEL_NOT_FOUND', volumeId, message: 'The feature model could not be loaded.' })]);
    expect(counting.extracts).toBe(0);

    const r = await paintAndSegment(engine, rec, volumeId, truth);
    expect(r.a).toBeGreaterThanOrEqual(0.9);
    expect(r.b).toBeGreaterThanOrEqual(0.9);
    expect(counting.extracts).toBe(1);
    expect(rec.errors().length).toBe(1);
    await engine.dispose();
    expect(unhandled).toEqual([]);
  });

  it('a study above the working-grid budget is prepared on the working grid (3×3×2 blocks) and the job reuses it', async () => {
    const counting = countingKernel();
    const rec = recorder();
    const budget = 512; // 32×32×8 → 3×3×2 blocks: two full-resolution slices per working slice
    const engine = new Engine({ compute: new LocalCompute(counting.kernel, budget), kernel: counting.kernel, emit: rec.emit, settings: { debounceMs: 0 }, workVoxels: budget });
    const { volume, truth } = twoBoxes();
    const { volumeId } = engine.open(volume);
    await rec.until(rec.featuresDone(volumeId));
    expect(rec.errors()).toEqual([]);
    const r = await paintAndSegment(engine, rec, volumeId, truth);
    // blocks of 3×3 voxels on 10-voxel boxes: 0.81 and 0.86 measured
    expect(r.a).toBeGreaterThanOrEqual(0.75);
    expect(r.b).toBeGreaterThanOrEqual(0.75);
    expect(counting.extracts).toBe(1);
    expect(rec.errors()).toEqual([]);
    await engine.dispose();
  });

  it('switching the backbone prepares the new one at once', async () => {
    const counting = countingKernel();
    const rec = recorder();
    const seen: string[] = [];
    const kernel: Kernel = { ...counting.kernel, backbone: (id) => (seen.push(id), counting.kernel.backbone(id === 'filters-b' ? 'filters' : id)) };
    const engine = new Engine({
      compute: new LocalCompute(kernel), kernel, emit: rec.emit, settings: { debounceMs: 0 },
      backbones: async () => [{ id: 'filters-b', label: 'Filter bank, second copy', available: true }],
    });
    const { volume } = twoBoxes();
    const { volumeId } = engine.open(volume);
    await rec.until(rec.featuresDone(volumeId));
    await engine.setSettings({ backbone: 'filters-b' });
    await rec.until((e) => rec.featuresDone(volumeId)(e) && rec.progress(volumeId).length === 2 * FILTER_STEPS);
    // 'filters-b' asked twice: loaded on the switch, then by the preparation (the kernel shares the one load).
    expect(seen).toEqual(['filters', 'filters-b', 'filters-b']);
    expect(counting.extracts).toBe(2);
    expect(rec.errors()).toEqual([]);
    await engine.dispose();
  });
});

/** Close a study while its features are being prepared, then open another and segment it. */
async function closeDuringPreparation(compute: Compute, counting: CountingKernel) {
  const rec = recorder();
  const engine = new Engine({ compute, kernel: counting.kernel, emit: rec.emit, settings: { debounceMs: 0 } });
  const first = engine.open(twoBoxes().volume);
  await rec.until(rec.progressAt(first.volumeId, 1));
  await engine.close(first.volumeId);
  await counting.whenCancelled;
  expect(() => engine.session(first.volumeId)).toThrow(MedSegError);

  const { volume, truth } = twoBoxes();
  const second = engine.open(volume);
  const r = await paintAndSegment(engine, rec, second.volumeId, truth);
  expect(r.a).toBeGreaterThanOrEqual(0.9);
  expect(r.b).toBeGreaterThanOrEqual(0.9);
  // the closed study's preparation stopped at its next step and reported nothing more
  expect(counting.cancelled).toBe(1);
  expect(counting.extracts).toBe(2);
  expect(Math.max(...rec.progress(first.volumeId).map((p) => p.done))).toBeLessThan(STEPS);
  expect(rec.errors()).toEqual([]);
  await engine.dispose();
  expect(unhandled).toEqual([]);
}

describe('closing a study during preparation', () => {
  it('LocalCompute: the extraction stops, nothing is reported, the next study segments', async () => {
    const counting = countingKernel({ stepped: true });
    await closeDuringPreparation(new LocalCompute(counting.kernel), counting);
  });

  it('WorkerCompute over the worker protocol: the same', async () => {
    const counting = countingKernel({ stepped: true });
    await closeDuringPreparation(inProcessWorker(counting.kernel), counting);
  });
});

describe('the prepare message', () => {
  it('streams progress and answers ok; a malformed or unknown-volume request fails with INVALID_ARGUMENT', async () => {
    const ch = new MessageChannel();
    serveCompute(ch.port2 as unknown as PortLike<ToWorker, FromWorker>, new LocalCompute(createFewshotKernel()));
    const replies: FromWorker[] = [];
    const answered = new Map<number, () => void>();
    ch.port1.on('message', (m: FromWorker) => {
      replies.push(m);
      if (m.type === 'ok' || m.type === 'error') answered.get(m.reqId)?.();
    });
    const send = (m: ToWorker) => new Promise<void>((r) => { answered.set(m.reqId, r); ch.port1.postMessage(m); });
    await send({ type: 'attach', reqId: 1, volumeId: 'a', volume: twoBoxes().volume });
    await send({ type: 'prepare', reqId: 2, volumeId: 'a', backbone: 'filters', order: [3, 4, 2, 5, 1, 6, 0, 7] });
    await send({ type: 'prepare', reqId: 3, volumeId: 'a', backbone: 'filters', order: [-1] });
    await send({ type: 'prepare', reqId: 4, volumeId: 'nope', backbone: 'filters', order: [0] });
    await send({ type: 'prepare', reqId: 5, volumeId: 'a', backbone: 42, order: [0] } as unknown as ToWorker);
    ch.port1.close();

    const of = (id: number) => replies.filter((m) => m.reqId === id);
    expect(of(2).map((m) => (m.type === 'progress' ? m.done : m.type))).toEqual([1, 2, 3, 4, 5, 6, 'ok']);
    for (const id of [3, 4, 5]) expect(of(id)).toEqual([expect.objectContaining({ type: 'error', error: expect.objectContaining({ code: 'INVALID_ARGUMENT' }) })]);
    expect(of(4)[0]).toMatchObject({ error: { message: 'This image is no longer open.' } });
  });
});

describe('the chosen backbone is loaded before a study needs it', () => {
  it('at start and on a switch, an imported backbone is loaded with no study open; the filter bank needs no loading', async () => {
    const counting = countingKernel();
    const seen: string[] = [];
    const kernel: Kernel = { ...counting.kernel, backbone: (id) => (seen.push(id), counting.kernel.backbone(id.startsWith('filters') ? 'filters' : id)) };
    const backbones = async () => [{ id: 'filters-b', label: 'Filter bank, second copy', available: true }, { id: 'filters-c', label: 'Third copy', available: true }];
    const engine = new Engine({ compute: new LocalCompute(kernel), kernel, emit: recorder().emit, settings: { debounceMs: 0, backbone: 'filters-b' }, backbones });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['filters-b']);
    await engine.setSettings({ backbone: 'filters-c' });
    await engine.setSettings({ head: 'proto' }); // not a backbone change: nothing more to load
    await engine.setSettings({ backbone: 'filters' });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['filters-b', 'filters-c']);
    expect(counting.extracts).toBe(0);
    await engine.dispose();
  });

  it('the backbone message answers ok, and a malformed or unknown backbone fails with its typed error', async () => {
    const worker = inProcessWorker(createFewshotKernel());
    await expect(worker.loadBackbone('filters')).resolves.toBeUndefined();
    await expect(worker.loadBackbone('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(worker.loadBackbone('dinov2:no-such-model')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await worker.dispose();
  });
});

const BUILT = resolve('out/main/worker.js');
// Only a build newer than the worker sources says anything about them (npm run build first; CI builds).
const built = existsSync(BUILT) && ['workerHost.ts', 'worker.ts', 'compute.ts'].every((f) => statSync(BUILT).mtimeMs >= statSync(resolve('src-main/engine', f)).mtimeMs);
describe.skipIf(!built)('preparation in the built worker thread (out/main/worker.js)', () => {
  it('progress from the worker thread reaches done = total; closing a study during it leaves the worker serving', async () => {
    const rec = recorder();
    const kernel = createFewshotKernel();
    const engine = new Engine({ compute: WorkerCompute.spawn(BUILT), kernel, emit: rec.emit, settings: { debounceMs: 0 } });
    // A study closed right after its preparation reported its first step.
    const first = engine.open(twoBoxes().volume);
    await rec.until(rec.progressAt(first.volumeId, 1));
    await engine.close(first.volumeId);

    const { volume, truth } = twoBoxes();
    const { volumeId } = engine.open(volume);
    await rec.until(rec.featuresDone(volumeId));
    expect(rec.progress(volumeId).map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
    const r = await paintAndSegment(engine, rec, volumeId, truth);
    expect(r.a).toBeGreaterThanOrEqual(0.9);
    expect(r.b).toBeGreaterThanOrEqual(0.9);
    expect(rec.errors()).toEqual([]);
    await engine.dispose();
    expect(unhandled).toEqual([]);
  });

  it('closing a study stops its extraction at the next step even while the filter bank holds the worker thread', async () => {
    // Large enough that each filter step takes a while: the close lands while the worker is busy computing.
    const [nx, ny, nz] = [96, 96, 48];
    const data = new Int16Array(nx * ny * nz);
    for (let v = 0; v < data.length; v++) data[v] = ((v * 2654435761) >>> 0) % 1000 - 500;
    const big: Volume = { ...twoBoxes().volume, dims: [nx, ny, nz], data };
    const wc = WorkerCompute.spawn(BUILT);
    await wc.attach('big', big);
    const steps: number[] = [];
    const prepared = wc.prepare('big', 'filters', [24, 25, 23], (p) => {
      steps.push(p.done);
      if (steps.length === 1) void wc.detach('big');
    });
    // Without the shared flag the detach would wait for the whole extraction, which would then succeed.
    await expect(prepared).rejects.toMatchObject({ name: 'MedSegError', code: 'CANCELLED' });
    expect(Math.max(...steps)).toBeLessThan(FILTER_STEPS);

    // the worker serves the next study
    const rec = recorder();
    const engine = new Engine({ compute: wc, kernel: createFewshotKernel(), emit: rec.emit, settings: { debounceMs: 0 } });
    const { volume, truth } = twoBoxes();
    const { volumeId } = engine.open(volume);
    const r = await paintAndSegment(engine, rec, volumeId, truth);
    expect(r.a).toBeGreaterThanOrEqual(0.9);
    expect(r.b).toBeGreaterThanOrEqual(0.9);
    expect(rec.errors()).toEqual([]);
    await engine.dispose();
  });
});
