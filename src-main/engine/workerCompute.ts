/**
 * The main-thread side of the compute worker: a Compute whose calls become messages to ONE worker thread.
 * Cancel = abort signal → 'cancel' message; the worker's LocalCompute checks it between slices.
 */
import { Worker } from 'node:worker_threads';
import { MedSegError, errorFromInfo, type Volume } from '../../src-shared';
import { cancelled, type Compute, type JobCallbacks, type SegmentJob } from './compute';
import type { FromWorker, PortLike, ToWorker, WorkerConfig } from './workerProtocol';

interface Pending {
  resolve: () => void;
  reject: (e: unknown) => void;
  cb?: JobCallbacks;
}

export class WorkerCompute implements Compute {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: MedSegError | null = null;

  /** `port` is a Worker (production) or one end of a MessageChannel (tests). */
  constructor(private readonly port: PortLike<FromWorker, ToWorker>, private readonly terminate?: () => Promise<unknown>) {
    port.on('message', (m: FromWorker) => this.onMessage(m));
  }

  /** Start the built worker script (out/main/worker.js). */
  static spawn(workerFile: string | URL, config: WorkerConfig = {}): WorkerCompute {
    const w = new Worker(workerFile, { workerData: config });
    const c = new WorkerCompute(w, () => w.terminate());
    w.on('error', (e) => c.fail(new MedSegError('INTERNAL', 'The compute engine stopped unexpectedly. Restart the app.', { detail: e.message, cause: e })));
    w.on('exit', (code) => c.fail(new MedSegError('INTERNAL', 'The compute engine stopped unexpectedly. Restart the app.', { detail: `worker exit ${code}` })));
    w.unref();
    return c;
  }

  attach(volumeId: string, volume: Volume): Promise<void> {
    return this.request((reqId) => ({ type: 'attach', reqId, volumeId, volume }));
  }

  detach(volumeId: string): Promise<void> {
    return this.request((reqId) => ({ type: 'detach', reqId, volumeId }));
  }

  segment(job: SegmentJob, cb: JobCallbacks, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(cancelled());
    let id = 0;
    const p = this.request((reqId) => ((id = reqId), { type: 'segment', reqId, job }), cb);
    const onAbort = () => this.port.postMessage({ type: 'cancel', reqId: id });
    signal.addEventListener('abort', onAbort, { once: true });
    return p.finally(() => signal.removeEventListener('abort', onAbort));
  }

  async dispose(): Promise<void> {
    this.fail(new MedSegError('CANCELLED', 'The compute engine was shut down.'));
    await this.terminate?.();
  }

  // The job's arrays are cloned, not transferred: the session still reads its scribble snapshot while slices arrive.
  private request(make: (reqId: number) => ToWorker, cb?: JobCallbacks): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const reqId = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject, cb });
      this.port.postMessage(make(reqId));
    });
  }

  private onMessage(m: FromWorker): void {
    const p = this.pending.get(m.reqId);
    if (!p) return;
    switch (m.type) {
      case 'slice':
        p.cb?.onSlice(m.k, m.labels, m.uncertainty);
        return;
      case 'progress':
        p.cb?.onProgress({ done: m.done, total: m.total, provider: m.provider });
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

  private fail(e: MedSegError): void {
    if (this.dead) return;
    this.dead = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
