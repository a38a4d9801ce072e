/**
 * Compute: where the heavy work (features, training, prediction) runs. LocalCompute does it on the current
 * thread; WorkerCompute (workerCompute.ts) forwards the same calls to the compute worker, which hosts a
 * LocalCompute. Jobs run one at a time (a queue): onnxruntime's run() blocks its thread, so overlap buys nothing
 * and would only delay the newest job.
 */
import { MedSegError, type Vec3, type Volume } from '../../src-shared';
import { labelsToWork, workingGrid, WORK_VOXELS, type WorkGrid } from '../io';
import type { FeatureProgress, FeatureVolume } from '../features/types';
import type { SequenceInput } from '../features/multiseq';
import type { Kernel } from './kernel';
import { MultiSequenceRunner } from './multiseq/interactive';

export interface SegmentJob {
  volumeId: string;
  version: number;
  scribbles: Uint8Array;
  locked: number[];
  lockedLabels?: Uint8Array;
  order: number[];
  backbone: string;
  headKind: string;
  /** A head carried over from another study (JSON of fewshot headToJson): predicts alone until the user paints,
   * then its confident predictions become sparse extra training labels (the user's strokes always win). */
  priorHead?: string;
}

export interface JobCallbacks {
  onSlice(k: number, labels: Uint8Array, uncertainty: Uint8Array): void;
  onProgress(p: FeatureProgress): void;
  /** The head this job trained (or applied), as JSON, for saving and carrying over. */
  onHead?(json: string): void;
}

export interface Compute {
  /**
   * `closedFlag`: set to 1 (Atomics) by another thread when the volume is closed. The compute worker gets it so
   * that an extraction holding its thread stops at its next step; a detach message would wait for the end.
   */
  attach(volumeId: string, volume: Volume, closedFlag?: Int32Array): Promise<void>;
  detach(volumeId: string): Promise<void>;
  /** Resolves when every slice was delivered; rejects with CANCELLED when signal aborts, or another MedSegError. */
  segment(job: SegmentJob, cb: JobCallbacks, signal: AbortSignal): Promise<void>;
  /**
   * Multi-sequence study on this volume (all sequences on its grid, the volume itself first): later jobs use fused
   * features and a multi-sequence head. null = back to the single image. Optional: a Compute without it makes the
   * session run multi-sequence updates on its own thread.
   */
  setSequences?(volumeId: string, sequences: SequenceInput[] | null): Promise<void>;
  /**
   * Compute the features of `backbone` for this volume ahead of the first job (slices in `order`, visible first),
   * into the same in-memory features the jobs use: a job arriving meanwhile waits for them instead of starting a
   * second extraction. Not cancelled by jobs or edits, only by detaching the volume. `onProgress` hears the
   * extraction's progress when this call started it. Resolves when the features are ready (at once when they
   * already are); rejects with the typed error a job would get. Optional: without it the first job computes them.
   */
  prepare?(volumeId: string, backbone: string, order: number[], onProgress: (p: FeatureProgress) => void): Promise<void>;
  /**
   * Load a backbone before a study needs it (an imported DINOv2 model: its ONNX session, 0.5–1 s on CPU), so the first
   * study's visible slice waits only for its own features. Rejects with the typed error a job would get.
   */
  loadBackbone?(backbone: string): Promise<void>;
  dispose(): Promise<void>;
}

export function cancelled(): MedSegError {
  return new MedSegError('CANCELLED', 'The update was replaced by a newer edit.');
}

export class LocalCompute implements Compute {
  /** Each open volume with the grid the engine works on (itself, or a block-averaged copy when it is too large). */
  private readonly volumes = new Map<string, WorkGrid>();
  /** Features per volume and backbone; kept in memory for the life of the open volume. */
  private readonly features = new Map<string, Promise<FeatureVolume>>();
  /** Aborted when the volume is detached: stops its extraction between steps (features outlive jobs, not volumes). */
  private readonly closing = new Map<string, AbortController>();
  private readonly studies = new Map<string, MultiSequenceRunner>();
  private queue: Promise<unknown> = Promise.resolve();

  /** `workVoxels`: the largest grid features are computed on (io/workgrid.ts); larger studies work on blocks. */
  constructor(private readonly kernel: Kernel, private readonly workVoxels = WORK_VOXELS) {}

  async attach(volumeId: string, volume: Volume, closedFlag?: Int32Array): Promise<void> {
    this.volumes.set(volumeId, workingGrid(volume, this.workVoxels));
    this.closing.get(volumeId)?.abort();
    const closing = new AbortController();
    if (closedFlag) alsoAbortedBy(closing.signal, closedFlag);
    this.closing.set(volumeId, closing);
  }

  async setSequences(volumeId: string, sequences: SequenceInput[] | null): Promise<void> {
    if (sequences && sequences.length > 1) this.studies.set(volumeId, new MultiSequenceRunner(sequences, (id) => this.kernel.backbone(id), this.workVoxels));
    else this.studies.delete(volumeId);
  }

  async detach(volumeId: string): Promise<void> {
    this.volumes.delete(volumeId);
    this.studies.delete(volumeId);
    this.closing.get(volumeId)?.abort();
    this.closing.delete(volumeId);
    for (const key of [...this.features.keys()]) if (key.startsWith(`${volumeId}\u0000`)) this.features.delete(key);
  }

  segment(job: SegmentJob, cb: JobCallbacks, signal: AbortSignal): Promise<void> {
    const run = this.queue.then(() => this.run(job, cb, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(job: SegmentJob, cb: JobCallbacks, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw cancelled();
    const wg = this.volumes.get(job.volumeId);
    if (!wg) throw new MedSegError('INVALID_ARGUMENT', 'This image is no longer open.', { detail: `volume ${job.volumeId}` });
    const study = this.studies.get(job.volumeId);
    if (study) return study.segment(job, cb, signal);
    const volume = wg.volume;
    const fz = wg.f[2];
    const order = workOrder(wg, job.order);
    const features = await this.featuresFor(job.volumeId, volume, job.backbone, order, cb.onProgress);
    if (signal.aborted) throw cancelled();
    const emit = (k: number, labels: Uint8Array, uncertainty: Uint8Array): void => { if (!signal.aborted) cb.onSlice(k, labels, uncertainty); };
    await this.kernel.segment({
      volume, features, backboneId: job.backbone, scribbles: labelsToWork(job.scribbles, wg), headKind: job.headKind, locked: job.locked,
      lockedLabels: job.lockedLabels && labelsToWork(job.lockedLabels, wg), order, signal,
      priorHead: job.priorHead, onHead: cb.onHead,
      onSlice: volume === wg.volume && fz === 1 && wg.f[0] === 1 && wg.f[1] === 1 ? emit : (k, labels, uncertainty) => expandSlice(wg, k, labels, uncertainty, emit),
    });
    if (signal.aborted) throw cancelled();
  }

  async loadBackbone(backbone: string): Promise<void> {
    await this.kernel.backbone(backbone);
  }

  async prepare(volumeId: string, backbone: string, order: number[], onProgress: (p: FeatureProgress) => void): Promise<void> {
    // Start on the next turn: on the caller's own thread (in-process use) whoever opened the volume gets its
    // answer before a synchronous extraction holds the thread.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const wg = this.volumes.get(volumeId);
    if (!wg) throw new MedSegError('INVALID_ARGUMENT', 'This image is no longer open.', { detail: `volume ${volumeId}` });
    // A multi-sequence study computes fused features in its own runner; these would go unused.
    if (this.studies.has(volumeId)) return;
    await this.featuresFor(volumeId, wg.volume, backbone, workOrder(wg, order), onProgress);
  }

  /**
   * Features are NOT cancelled with the job that asked for them: a newer edit needs the same features, so
   * throwing away half-computed ones would only restart the slowest step.
   */
  private featuresFor(volumeId: string, volume: Volume, backboneId: string, order: number[], onProgress: (p: FeatureProgress) => void): Promise<FeatureVolume> {
    const key = `${volumeId}\u0000${backboneId}`;
    let p = this.features.get(key);
    if (!p) {
      const signal = this.closing.get(volumeId)?.signal;
      p = this.kernel.backbone(backboneId).then((backbone) => backbone.extract(volume, { slices: order, onProgress, signal }));
      this.features.set(key, p);
      // A failed extraction is forgotten, so the next job (or preparation) tries again.
      const failed = p;
      failed.catch(() => { if (this.features.get(key) === failed) this.features.delete(key); });
    }
    return p;
  }

  async dispose(): Promise<void> {
    this.volumes.clear();
    this.studies.clear();
    this.features.clear();
    for (const c of this.closing.values()) c.abort();
    this.closing.clear();
  }
}

/**
 * Make `signal.aborted` also true once `flag` holds 1. Extractions check `aborted` between steps, and while a
 * synchronous one (the filter bank) holds the worker thread no message can abort the signal the ordinary way;
 * the flag is shared memory the main thread writes. Still a real AbortSignal: events fire when it is aborted.
 */
function alsoAbortedBy(signal: AbortSignal, flag: Int32Array): void {
  const own = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')?.get;
  if (!own) return;
  Object.defineProperty(signal, 'aborted', { get: () => own.call(signal) === true || Atomics.load(flag, 0) === 1 });
}

/** Slice order on the working grid (a block of slices is one working slice). */
function workOrder(wg: WorkGrid, order: number[]): number[] {
  const fz = wg.f[2];
  return fz > 1 ? [...new Set(order.map((k) => Math.floor(k / fz)))] : order;
}

/** A working-grid slice as the full-resolution slices it covers (each voxel takes its block's value). */
function expandSlice(wg: WorkGrid, kw: number, labels: Uint8Array, uncertainty: Uint8Array, emit: (k: number, l: Uint8Array, u: Uint8Array) => void): void {
  const [nx, ny, nz] = wg.fullDims as Vec3;
  const [fx, fy, fz] = wg.f;
  const wx = wg.volume.dims[0];
  const l = new Uint8Array(nx * ny), u = new Uint8Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    const wrow = ((j / fy) | 0) * wx;
    for (let i = 0; i < nx; i++) {
      const w = wrow + ((i / fx) | 0);
      l[j * nx + i] = labels[w];
      u[j * nx + i] = uncertainty[w];
    }
  }
  for (let k = kw * fz; k < Math.min(nz, (kw + 1) * fz); k++) emit(k, l, u);
}
