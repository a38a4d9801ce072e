import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKGROUND_ID, IDENTITY3, type Volume } from '../../src-shared';
import { LocalCompute, type SegmentJob } from '../../src-main/engine/compute';
import { createFewshotKernel } from '../../src-main/engine/fewshotKernel';
import { WorkerCompute } from '../../src-main/engine/workerCompute';
import { serveCompute } from '../../src-main/engine/workerHost';
import type { FromWorker, PortLike, ToWorker } from '../../src-main/engine/workerProtocol';

const N = 24, NZ = 4;

/** A bright disc (class 1) in every slice on a dark background; scribbles on slice 1. */
function fixture(): { volume: Volume; job: SegmentJob; truth: Uint8Array } {
  const data = new Int16Array(N * N * NZ);
  const truth = new Uint8Array(N * N * NZ);
  const scribbles = new Uint8Array(N * N * NZ);
  for (let k = 0; k < NZ; k++) for (let j = 0; j < N; j++) for (let i = 0; i < N; i++) {
    const v = i + j * N + k * N * N;
    const inside = (i - 12) ** 2 + (j - 12) ** 2 < 36;
    truth[v] = inside ? 1 : 0;
    data[v] = inside ? 300 : -100;
  }
  for (let i = 10; i < 15; i++) scribbles[i + 12 * N + N * N] = 1;
  for (let i = 0; i < N; i++) scribbles[i + 1 * N + N * N] = BACKGROUND_ID;
  const volume: Volume = {
    dims: [N, N, NZ], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [...IDENTITY3] as Volume['direction'], data,
    voxelType: 'int16', modality: 'CT', meta: {}, window: { center: 0, width: 800 }, warnings: [],
  };
  return { volume, truth, job: { volumeId: 'a', version: 1, scribbles, locked: [], order: [2, 3, 1, 0], backbone: 'filters', headKind: 'linear' } };
}

async function runJob(c: WorkerCompute | LocalCompute, signal = new AbortController().signal) {
  const { volume, job, truth } = fixture();
  await c.attach('a', volume);
  const got: number[] = [];
  const out = new Uint8Array(N * N * NZ);
  await c.segment(job, { onSlice: (k, l) => { got.push(k); out.set(l, k * N * N); }, onProgress: () => undefined }, signal);
  let wrong = 0;
  for (let v = 0; v < out.length; v++) if (out[v] !== truth[v]) wrong++;
  return { got, wrong };
}

describe('WorkerCompute protocol (MessageChannel, in-process)', () => {
  it('streams slices in the requested order with the same result as LocalCompute', async () => {
    const ch = new MessageChannel();
    serveCompute(ch.port2 as unknown as PortLike<ToWorker, FromWorker>, new LocalCompute(createFewshotKernel()));
    const wc = new WorkerCompute(() => ({
      port: ch.port1 as unknown as PortLike<FromWorker, ToWorker>,
      terminate: async () => { ch.port1.close(); ch.port2.close(); },
      onDeath: () => undefined,
    }));
    const r = await runJob(wc);
    expect(r.got).toEqual([2, 3, 1, 0]);
    expect(r.wrong).toBe(0);
    await wc.dispose();
  });

  it('a cancelled job rejects with CANCELLED; an unknown volume with a typed error', async () => {
    const ch = new MessageChannel();
    serveCompute(ch.port2 as unknown as PortLike<ToWorker, FromWorker>, new LocalCompute(createFewshotKernel()));
    const wc = new WorkerCompute(() => ({
      port: ch.port1 as unknown as PortLike<FromWorker, ToWorker>,
      terminate: async () => { ch.port1.close(); ch.port2.close(); },
      onDeath: () => undefined,
    }));
    const ac = new AbortController();
    const p = runJob(wc, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'MedSegError', code: 'CANCELLED' });
    const { job } = fixture();
    await expect(wc.segment({ ...job, volumeId: 'nope' }, { onSlice: () => undefined, onProgress: () => undefined }, new AbortController().signal))
      .rejects.toMatchObject({ name: 'MedSegError', code: 'INVALID_ARGUMENT' });
    await wc.dispose();
  });
});

const BUILT = resolve('out/main/worker.js');
// Only a build newer than the worker sources says anything about them (npm run build first; CI builds).
const built = existsSync(BUILT) && ['workerHost.ts', 'worker.ts', 'compute.ts'].every((f) => statSync(BUILT).mtimeMs >= statSync(resolve('src-main/engine', f)).mtimeMs);
describe.skipIf(!built)('WorkerCompute against the built worker thread (out/main/worker.js)', () => {
  it('segments in a real worker thread', async () => {
    const wc = WorkerCompute.spawn(BUILT);
    const r = await runJob(wc);
    expect(r.got).toEqual([2, 3, 1, 0]);
    expect(r.wrong).toBe(0);
    await wc.dispose();
  });
});

/**
 * A stand-in worker in plain JS speaking the real protocol: it dies on its first `segment` (as an out-of-memory
 * worker would) while DIE_TIMES in the counter file is not used up; afterwards it answers with empty slices, but
 * only for volumes it was given (so the test sees the re-attach after the restart).
 */
const FAKE_WORKER = `
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync, writeFileSync } from 'node:fs';
const vols = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'attach') { vols.set(m.volumeId, m.volume); parentPort.postMessage({ type: 'ok', reqId: m.reqId }); return; }
  if (m.type === 'detach') { vols.delete(m.volumeId); parentPort.postMessage({ type: 'ok', reqId: m.reqId }); return; }
  if (m.type !== 'segment') return;
  const left = Number(readFileSync(workerData.counter, 'utf8'));
  if (left > 0) { writeFileSync(workerData.counter, String(left - 1)); process.exit(3); }
  const v = vols.get(m.job.volumeId);
  if (!v) { parentPort.postMessage({ type: 'error', reqId: m.reqId, error: { code: 'INVALID_ARGUMENT', message: 'not attached' } }); return; }
  const plane = v.dims[0] * v.dims[1];
  for (const k of m.job.order) parentPort.postMessage({ type: 'slice', reqId: m.reqId, k, labels: new Uint8Array(plane), uncertainty: new Uint8Array(plane) });
  parentPort.postMessage({ type: 'ok', reqId: m.reqId });
});
`;

describe('WorkerCompute restarts a dead worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medseg-worker-test-'));
  const file = join(dir, 'fake-worker.mjs');
  writeFileSync(file, FAKE_WORKER);
  const noop = { onSlice: () => undefined, onProgress: () => undefined };

  it('fails the running job with OUT_OF_MEMORY, restarts, re-attaches the volume and serves the next job', async () => {
    const counter = join(dir, 'once');
    writeFileSync(counter, '1');
    const wc = WorkerCompute.spawn(file, { counter } as never);
    const { volume, job } = fixture();
    await wc.attach('a', volume);
    await expect(wc.segment(job, noop, new AbortController().signal)).rejects.toMatchObject({ name: 'MedSegError', code: 'OUT_OF_MEMORY' });
    const ks: number[] = [];
    await wc.segment(job, { ...noop, onSlice: (k) => ks.push(k) }, new AbortController().signal);
    expect(ks).toEqual([2, 3, 1, 0]);
    await wc.dispose();
  });

  it('gives up with INTERNAL after repeated deaths', async () => {
    const counter = join(dir, 'many');
    writeFileSync(counter, '100');
    const wc = WorkerCompute.spawn(file, { counter } as never);
    const { volume, job } = fixture();
    await wc.attach('a', volume);
    for (let i = 0; i < 4; i++) {
      await expect(wc.segment(job, noop, new AbortController().signal)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
    }
    await expect(wc.segment(job, noop, new AbortController().signal)).rejects.toMatchObject({ code: 'INTERNAL' });
    await wc.dispose();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));
});
