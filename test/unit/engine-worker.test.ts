import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
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
    const wc = new WorkerCompute(ch.port1 as unknown as PortLike<FromWorker, ToWorker>, async () => { ch.port1.close(); ch.port2.close(); });
    const r = await runJob(wc);
    expect(r.got).toEqual([2, 3, 1, 0]);
    expect(r.wrong).toBe(0);
    await wc.dispose();
  });

  it('a cancelled job rejects with CANCELLED; an unknown volume with a typed error', async () => {
    const ch = new MessageChannel();
    serveCompute(ch.port2 as unknown as PortLike<ToWorker, FromWorker>, new LocalCompute(createFewshotKernel()));
    const wc = new WorkerCompute(ch.port1 as unknown as PortLike<FromWorker, ToWorker>, async () => { ch.port1.close(); ch.port2.close(); });
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
