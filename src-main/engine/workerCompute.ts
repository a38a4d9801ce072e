/**
 * The main-thread side of the compute worker: a Compute whose calls become messages to ONE worker thread.
 * Cancel = abort signal → 'cancel' message; the worker's LocalCompute checks it between slices.
 * If the worker dies (out of memory in a big model, a native crash), the running jobs fail with a typed error, a
 * fresh worker starts and gets the open volumes again, so the next edit works; repeated deaths stop the retries.
 */
import { Worker } from 'node:worker_threads';
import { MedSegError, errorFromInfo, type Volume } from '../../src-shared';
import { cancelled, type Compute, type JobCallbacks, type SegmentJob } from './compute';
import type { SequenceInput } from '../features/multiseq';
import type { FeatureProgress } from '../features/types';
import type { FromWorker, PortLike, ToWorker, WorkerConfig } from './workerProtocol';

interface Pending {
  resolve: () => void;
  reject: (e: unknown) => void;
  cb?: Partial<JobCallbacks>;
}

/** One live connection to a worker (a Worker in production, a MessageChannel end in tests). */
export interface WorkerLink {
  port: PortLike<FromWorker, ToWorker>;
  terminate(): Promise<unknown>;
  /** Register the one callback for an unexpected end (error or exit). */
  onDeath(cb: (detail: string) => void): void;
}

const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

export class WorkerCompute implements Compute {
  private readonly pending = new Map<number, Pending>();
  private readonly volumes = new Map<string, Volume>();
  private readonly studies = new Map<string, SequenceInput[]>();
  private readonly closedFlags = new Map<string, Int32Array>();
  private readonly deaths: number[] = [];
  private nextId = 1;
  private link: WorkerLink;
  private dead: MedSegError | null = null;
  private disposing = false;

  constructor(private readonly connect: () => WorkerLink) {
    this.link = this.open();
  }

  /** Start the built worker script (out/main/worker.js). */
  static spawn(workerFile: string | URL, config: WorkerConfig = {}): WorkerCompute {
    return new WorkerCompute(() => {
      const w = new Worker(workerFile, { workerData: config });
      w.unref();
      return {
        port: w,
        terminate: () => w.terminate(),
        onDeath(cb) {
          let fired = false;
          const once = (d: string) => { if (!fired) { fired = true; cb(d); } };
          w.on('error', (e) => once(e.message));
          w.on('exit', (code) => once(`worker exit ${code}`));
        },
      };
    });
  }

  attach(volumeId: string, volume: Volume): Promise<void> {
    this.volumes.set(volumeId, volume);
    return this.sendAttach(volumeId, volume);
  }

  /** Each attach gets a fresh closed-flag (shared memory): detach raises it before the worker reads its message. */
  private sendAttach(volumeId: string, volume: Volume): Promise<void> {
    const closed = new SharedArrayBuffer(4);
    const old = this.closedFlags.get(volumeId);
    if (old) Atomics.store(old, 0, 1);
    this.closedFlags.set(volumeId, new Int32Array(closed));
    return this.request((reqId) => ({ type: 'attach', reqId, volumeId, volume, closed }));
  }

  setSequences(volumeId: string, sequences: SequenceInput[] | null): Promise<void> {
    if (sequences) this.studies.set(volumeId, sequences);
    else this.studies.delete(volumeId);
    return this.request((reqId) => ({ type: 'sequences', reqId, volumeId, sequences }));
  }

  detach(volumeId: string): Promise<void> {
    const flag = this.closedFlags.get(volumeId);
    if (flag) Atomics.store(flag, 0, 1);
    this.closedFlags.delete(volumeId);
    this.volumes.delete(volumeId);
    this.studies.delete(volumeId);
    return this.request((reqId) => ({ type: 'detach', reqId, volumeId }));
  }

  segment(job: SegmentJob, cb: JobCallbacks, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(cancelled());
    let id = 0;
    const p = this.request((reqId) => ((id = reqId), { type: 'segment', reqId, job }), cb);
    const onAbort = () => this.link.port.postMessage({ type: 'cancel', reqId: id });
    signal.addEventListener('abort', onAbort, { once: true });
    return p.finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** Not tied to an abort signal: preparation ends with the volume (detach), never with an edit. */
  prepare(volumeId: string, backbone: string, order: number[], onProgress: (p: FeatureProgress) => void): Promise<void> {
    return this.request((reqId) => ({ type: 'prepare', reqId, volumeId, backbone, order }), { onProgress });
  }

  loadBackbone(backbone: string): Promise<void> {
    return this.request((reqId) => ({ type: 'backbone', reqId, backbone }));
  }

  async dispose(): Promise<void> {
    this.disposing = true;
    this.rejectAll(new MedSegError('CANCELLED', 'The compute engine was shut down.'));
    this.dead = new MedSegError('CANCELLED', 'The compute engine was shut down.');
    await this.link.terminate();
  }

  private open(): WorkerLink {
    const link = this.connect();
    link.port.on('message', (m: FromWorker) => {
      if (link === this.link) this.onMessage(m);
    });
    link.onDeath((detail) => {
      if (link === this.link && !this.disposing) this.onDeath(detail);
    });
    return link;
  }

  private onDeath(detail: string): void {
    const now = Date.now();
    this.deaths.push(now);
    while (this.deaths.length && now - this.deaths[0] > RESTART_WINDOW_MS) this.deaths.shift();
    this.rejectAll(new MedSegError('OUT_OF_MEMORY',
      'The compute engine stopped (most likely out of memory) and was restarted; the last update was lost. Edit again, or choose a smaller model.',
      { detail }));
    if (this.deaths.length > MAX_RESTARTS) {
      this.dead = new MedSegError('INTERNAL', 'The compute engine keeps stopping. Save your work and restart the app.', { detail });
      return;
    }
    this.link = this.open();
    // The fresh worker knows nothing: give it the open volumes again (features recompute on the next job).
    for (const [volumeId, volume] of this.volumes) this.sendAttach(volumeId, volume).catch(() => undefined);
    for (const [volumeId, sequences] of this.studies) {
      this.request((reqId) => ({ type: 'sequences', reqId, volumeId, sequences })).catch(() => undefined);
    }
  }

  // The job's arrays are cloned, not transferred: the session still reads its scribble snapshot while slices arrive.
  private request(make: (reqId: number) => ToWorker, cb?: Partial<JobCallbacks>): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const reqId = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject, cb });
      this.link.port.postMessage(make(reqId));
    });
  }

  private onMessage(m: FromWorker): void {
    const p = this.pending.get(m.reqId);
    if (!p) return;
    switch (m.type) {
      case 'slice':
        p.cb?.onSlice?.(m.k, m.labels, m.uncertainty);
        return;
      case 'progress':
        p.cb?.onProgress?.({ done: m.done, total: m.total, provider: m.provider });
        return;
      case 'head':
        p.cb?.onHead?.(m.json);
        return;
      case 'ok':
        this.pending.delete(m.reqId);
        p.resolve();
        return;
      case 'error':
        this.pending.delete(m.reqId);
        p.reject(errorFromInfo(m.error));
        return;
    }
  }

  private rejectAll(e: MedSegError): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
