/** The worker side: serve a Compute over a port. Used by worker.ts inside the thread, and by tests in-process. */
import { MedSegError, toMedSegError } from '../../src-shared';
import type { Compute } from './compute';
import type { FromWorker, PortLike, ToWorker } from './workerProtocol';

export function serveCompute(port: PortLike<ToWorker, FromWorker>, compute: Compute): void {
  const jobs = new Map<number, AbortController>();
  const fail = (reqId: number, e: unknown) => {
    const err = toMedSegError(e);
    port.postMessage({ type: 'error', reqId, error: { code: err.code, message: err.message, detail: err.detail, path: err.path } });
  };
  port.on('message', (msg: ToWorker) => {
    switch (msg.type) {
      case 'attach':
        compute.attach(msg.volumeId, msg.volume, msg.closed instanceof SharedArrayBuffer ? new Int32Array(msg.closed) : undefined).then(() => port.postMessage({ type: 'ok', reqId: msg.reqId }), (e) => fail(msg.reqId, e));
        return;
      case 'detach':
        compute.detach(msg.volumeId).then(() => port.postMessage({ type: 'ok', reqId: msg.reqId }), (e) => fail(msg.reqId, e));
        return;
      case 'sequences':
        (compute.setSequences?.(msg.volumeId, msg.sequences) ?? Promise.resolve()).then(() => port.postMessage({ type: 'ok', reqId: msg.reqId }), (e) => fail(msg.reqId, e));
        return;
      case 'cancel':
        jobs.get(msg.reqId)?.abort();
        return;
      case 'prepare': {
        const { reqId } = msg;
        // No AbortController: preparation is never cancelled by a job's 'cancel'; detaching the volume ends it.
        Promise.resolve()
          .then(() => {
            checkPrepare(msg);
            return compute.prepare?.(msg.volumeId, msg.backbone, msg.order, (p) => {
              port.postMessage({ type: 'progress', reqId, done: p.done, total: p.total, provider: p.provider });
            });
          })
          .then(() => port.postMessage({ type: 'ok', reqId }), (e) => fail(reqId, e));
        return;
      }
      case 'backbone': {
        const { reqId } = msg;
        Promise.resolve()
          .then(() => {
            if (typeof msg.backbone !== 'string' || !msg.backbone) {
              throw new MedSegError('INVALID_ARGUMENT', 'The request to load a feature model was malformed.', { detail: 'backbone' });
            }
            return compute.loadBackbone?.(msg.backbone);
          })
          .then(() => port.postMessage({ type: 'ok', reqId }), (e) => fail(reqId, e));
        return;
      }
      case 'segment': {
        const controller = new AbortController();
        const { reqId } = msg;
        jobs.set(reqId, controller);
        compute
          .segment(msg.job, {
            onSlice(k, labels, uncertainty) {
              // Copies: the kernel may hand out views into its whole-volume arrays, which must not be detached.
              const l = labels.slice(), u = uncertainty.slice();
              port.postMessage({ type: 'slice', reqId, k, labels: l, uncertainty: u }, [l.buffer, u.buffer]);
            },
            onProgress(p) {
              port.postMessage({ type: 'progress', reqId, done: p.done, total: p.total, provider: p.provider });
            },
            onHead(json) {
              port.postMessage({ type: 'head', reqId, json });
            },
          }, controller.signal)
          .then(() => port.postMessage({ type: 'ok', reqId }), (e) => fail(reqId, e))
          .finally(() => jobs.delete(reqId));
        return;
      }
    }
  });
}

/** The main thread is trusted, but a malformed request must fail as a typed error, not deep inside a backbone. */
function checkPrepare(msg: Extract<ToWorker, { type: 'prepare' }>): void {
  const bad = (what: string) => new MedSegError('INVALID_ARGUMENT', 'The request to prepare image features was malformed.', { detail: what });
  if (typeof msg.volumeId !== 'string' || !msg.volumeId) throw bad('volumeId');
  if (typeof msg.backbone !== 'string' || !msg.backbone) throw bad('backbone');
  if (!Array.isArray(msg.order) || !msg.order.every((k) => Number.isInteger(k) && k >= 0)) throw bad('order');
}
