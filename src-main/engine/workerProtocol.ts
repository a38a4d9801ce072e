/**
 * Messages between the main thread and the compute worker. Requests carry a reqId; the worker answers each with
 * 'ok' or 'error', and a segment request streams 'slice'/'progress' before that ('prepare' streams 'progress'). Slice buffers are transferred
 * (moved, not copied); the volume is cloned once per attach because main keeps its own copy.
 */
import type { MedSegErrorInfo, Volume } from '../../src-shared';
import type { SegmentJob } from './compute';
import type { SequenceInput } from '../features/multiseq';

export type ToWorker =
  /** `closed`: an Int32Array(1) flag main sets to 1 on detach, read by extractions that hold the worker thread. */
  | { type: 'attach'; reqId: number; volumeId: string; volume: Volume; closed?: SharedArrayBuffer }
  | { type: 'detach'; reqId: number; volumeId: string }
  | { type: 'sequences'; reqId: number; volumeId: string; sequences: SequenceInput[] | null }
  | { type: 'segment'; reqId: number; job: SegmentJob }
  /** Compute the features ahead of the first job; streams 'progress' like a segment request. */
  | { type: 'prepare'; reqId: number; volumeId: string; backbone: string; order: number[] }
  /** Load a backbone (an imported model's session) before any study needs it. */
  | { type: 'backbone'; reqId: number; backbone: string }
  | { type: 'cancel'; reqId: number };

export type FromWorker =
  | { type: 'ok'; reqId: number }
  | { type: 'error'; reqId: number; error: MedSegErrorInfo }
  | { type: 'slice'; reqId: number; k: number; labels: Uint8Array; uncertainty: Uint8Array }
  | { type: 'progress'; reqId: number; done: number; total: number; provider?: string }
  | { type: 'head'; reqId: number; json: string };

/** The slice of MessagePort / parentPort / Worker both ends need (lets tests use a MessageChannel). */
export interface PortLike<In, Out> {
  postMessage(msg: Out, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (msg: In) => void): unknown;
}

/** workerData given to the worker at start. */
export interface WorkerConfig {
  /** Model store folder (features/models); default: the store's default folder. */
  modelDir?: string;
}
