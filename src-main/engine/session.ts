/**
 * SegmentationSession: one per open volume. Holds the scribble map, the classes, and the latest complete
 * prediction. Every edit bumps the version and (after a debounce) starts an update; a newer edit aborts the
 * running one, so an outdated version never reports 'predictionDone'. Predicted slices stream out visible first.
 */
import {
  BACKGROUND_ID, MedSegError, toMedSegError,
  type ClassSpec, type LabelDiff, type SegmentationEvents, type SliceSuggestion, type VersionedMap, type Volume,
} from '../../src-shared';
import type { Compute } from './compute';
import type { Workspace } from './workspace';
import type { Kernel } from './kernel';
import { MultiSequenceRunner, type SessionStudy, type StudySequence } from './multiseq/interactive';
import type { SavedStudy } from './multiseq/persist';
import type { FeatureBackbone } from '../features/types';

export type SessionEmit = <E extends keyof SegmentationEvents>(event: E, payload: SegmentationEvents[E]) => void;

export interface SessionOptions {
  debounceMs: number;
  backbone: string;
  headKind: string;
}

/** Visible slice first, then alternately above and below it, so the user's neighbourhood fills in first. */
export function sliceOrder(visible: number, nz: number): number[] {
  const v = Math.min(Math.max(0, visible), nz - 1);
  const order = [v];
  for (let d = 1; order.length < nz; d++) {
    if (v + d < nz) order.push(v + d);
    if (v - d >= 0) order.push(v - d);
  }
  return order;
}

export class SegmentationSession {
  readonly scribbles: Uint8Array;
  private classes: ClassSpec[] = [];
  private version = 0;
  private visible: number;
  private prediction: VersionedMap | null = null;
  private uncertainty: VersionedMap | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: { version: number; controller: AbortController; done: Promise<void> } | null = null;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly attached: Promise<void>;
  /** Autosave: every edit is journaled here; classes and the trained head are saved beside it. */
  private workspace: Workspace | null = null;
  private persisting: Promise<unknown> = Promise.resolve();
  /** Settings and head files being written (atomic writes), awaited before the workspace closes. */
  private sideWrites = new Set<Promise<unknown>>();
  /** meta.json writes, one after the other: two atomic writes of one file must not race on its temp name. */
  private metaWrites: Promise<unknown> = Promise.resolve();
  /** A head carried over from another study (JSON), and the head of the latest update (JSON). */
  private priorHead: string | null = null;
  private lastHead: string | null = null;
  /** Sequences added to this study (multi-sequence); null or one sequence = the single-image path, unchanged. */
  private study: SessionStudy | null = null;
  /** Resolves when the compute has the current sequence set. */
  private sequencesReady: Promise<void> = Promise.resolve();
  /** Runs multi-sequence updates here when the compute cannot host a study (no setSequences). */
  private localRunner: MultiSequenceRunner | null = null;
  /** Features are prepared ahead of jobs (set by the first prepareFeatures): a backbone change prepares again. */
  private prewarm = false;

  constructor(
    readonly volumeId: string,
    readonly volume: Volume,
    private readonly compute: Compute,
    private readonly kernel: Pick<Kernel, 'leastCertainSlice'>,
    private readonly emit: SessionEmit,
    private options: SessionOptions,
  ) {
    this.scribbles = new Uint8Array(volume.data.length);
    this.visible = Math.floor(volume.dims[2] / 2);
    this.attached = compute.attach(volumeId, volume);
    this.attached.catch(() => undefined); // reported by the first update that awaits it
  }

  get currentVersion(): number {
    return this.version;
  }

  setOptions(o: SessionOptions): void {
    const changed = o.backbone !== this.options.backbone || o.headKind !== this.options.headKind;
    const newBackbone = o.backbone !== this.options.backbone;
    this.options = o;
    if (changed && this.prediction) this.schedule(0);
    if (newBackbone && this.prewarm) void this.prepareFeatures();
  }

  /**
   * Start computing the current backbone's features now (visible slice first), so that they are ready, or
   * nearly, when the user has painted the first strokes. Called when the study is opened and when the backbone
   * changes; jobs share these features (compute.ts). Progress goes to the status bar like a job's; a failure is
   * shown like a job's unless an update is running or queued (it awaits the same features and reports the error
   * itself, or retries). Resolves when preparation ended, however it ended; never rejects.
   */
  prepareFeatures(): Promise<void> {
    this.prewarm = true;
    const prepare = this.compute.prepare?.bind(this.compute);
    if (this.closed || !prepare) return Promise.resolve();
    const backbone = this.options.backbone;
    const run = async (): Promise<void> => {
      await this.attached;
      await this.sequencesReady.catch(() => undefined); // the next update reports it
      // A multi-sequence study computes fused features per update (engine/multiseq): nothing to share.
      if (this.closed || (this.study && this.study.count > 1) || this.localRunner) return;
      await prepare(this.volumeId, backbone, sliceOrder(this.visible, this.volume.dims[2]), (p) => {
        if (!this.closed) this.emit('featureProgress', { volumeId: this.volumeId, done: p.done, total: p.total, provider: p.provider ?? 'cpu' });
      });
    };
    return run().catch((e: unknown) => {
      const err = toMedSegError(e);
      if (this.closed || err.code === 'CANCELLED' || backbone !== this.options.backbone || this.timer || this.running) return;
      this.emit('error', { ...err.toJSON(), volumeId: this.volumeId });
    });
  }

  /**
   * Bind the study's workspace. When it holds earlier work (reopened or recovered after a crash), the strokes,
   * classes and carried-over head come back exactly as they were and an update starts.
   */
  attachWorkspace(ws: Workspace, restored: boolean, head: string | null): void {
    this.workspace = ws;
    if (!restored) return;
    this.scribbles.set(ws.labels);
    this.version = ws.version;
    if (ws.meta.classes.length) this.classes = ws.meta.classes.map((c) => ({ ...c }));
    this.priorHead = typeof ws.meta.view?.priorHead === 'string' ? head : null;
    if (this.scribbles.some((v) => v !== 0) || this.priorHead) this.schedule(0);
  }

  /** Resolves when every edit so far is on disk; rejects with WRITE_FAILED (the edits stay in memory). */
  flush(): Promise<unknown> {
    return this.persisting;
  }

  /** Use a head trained on another study: predict with it now, keep refining it with strokes here. */
  applyHead(json: string, classes: ClassSpec[]): number {
    this.assertOpen();
    this.priorHead = json;
    for (const c of classes) if (!this.classes.some((k) => k.id === c.id)) this.classes.push({ ...c });
    this.persistMeta();
    if (this.workspace) this.track(this.workspace.saveBlob('prior-head.json', json));
    this.schedule(0);
    return this.version;
  }

  /** The head of the latest update (JSON), or null before the first one. */
  currentHead(): string | null {
    return this.lastHead;
  }

  /** The sequence list saved with the workspace (unchecked: engine/multiseq/persist.ts parses it). */
  savedStudy(): unknown {
    return this.workspace?.meta.study;
  }

  /** Keep the study's sequences with its workspace, so that reopening the study brings them back. */
  saveSequences(saved: SavedStudy): void {
    if (!this.workspace) return;
    this.writeMeta({ ...this.workspace.meta, study: saved });
  }

  /**
   * A sequence read from a temporary upload (web mode): copy its files into the workspace, point the sequence at
   * the copy and save the list again, so that it still comes back after the upload folder is gone.
   */
  keepSequenceCopy(seq: StudySequence): void {
    const ws = this.workspace, study = this.study, src = seq.source;
    if (!ws || !study || !src || !seq.key) return;
    // One tracked promise up to the saved list (the study may be closed meanwhile: close() waits for it).
    this.track(ws.copyIn(`sequences/${seq.key.slice(0, 16)}`, src.paths).then((paths) => {
      if (!study.sequences().includes(seq)) return; // removed meanwhile
      seq.source = { ...src, paths };
      return this.queueMeta(ws, { ...ws.meta, study: study.saved() });
    }));
  }

  /** The study's sequences, made on first use by `make` (the engine knows the backbones). */
  sequenceStudy(make: () => SessionStudy): SessionStudy {
    this.assertOpen();
    this.study ??= make();
    return this.study;
  }

  /**
   * Sequences were added, removed or renamed: hand the new set to the compute (one sequence = the single-image path
   * again) and refresh what is shown, since the model sees other features now.
   */
  sequencesChanged(backbone: (id: string) => Promise<FeatureBackbone>): void {
    this.assertOpen();
    const inputs = this.study && this.study.count > 1 ? this.study.inputs() : null;
    if (this.compute.setSequences) {
      this.localRunner = null;
      this.sequencesReady = this.compute.setSequences(this.volumeId, inputs);
      this.sequencesReady.catch(() => undefined); // reported by the next update that awaits it
    } else {
      this.localRunner = inputs ? new MultiSequenceRunner(inputs, backbone) : null;
    }
    if (this.prediction || this.priorHead || this.scribbles.some((v) => v !== 0)) this.schedule(0);
  }

  setClasses(classes: ClassSpec[]): void {
    const lockedBefore = this.lockedIds().join(',');
    this.classes = classes.map((c) => ({ ...c, color: [...c.color] as [number, number, number] }));
    this.persistMeta();
    // Unlocking a class lets the model change it again: refresh so the user sees that.
    if (this.lockedIds().join(',') !== lockedBefore && this.prediction) this.schedule(this.options.debounceMs);
  }

  getClasses(): ClassSpec[] {
    return this.classes.map((c) => ({ ...c }));
  }

  applyLabelDiff(diff: LabelDiff): number {
    this.assertOpen();
    const n = this.scribbles.length;
    for (let i = 0; i < diff.indices.length; i++) {
      if (diff.indices[i] >= n) {
        throw new MedSegError('INVALID_ARGUMENT', 'A brush stroke fell outside the image.', { detail: `voxel index ${diff.indices[i]} ≥ ${n}` });
      }
    }
    for (let i = 0; i < diff.indices.length; i++) this.scribbles[diff.indices[i]] = diff.values[i];
    this.version++;
    if (this.workspace) {
      const saved = this.workspace.apply(diff);
      this.persisting = saved;
      saved.catch((e) => this.reportSaveError(e));
    }
    this.schedule(this.options.debounceMs);
    return this.version;
  }

  getLabels(): VersionedMap {
    return { version: this.version, data: this.scribbles.slice() };
  }
  getPrediction(): VersionedMap | null {
    return this.prediction && { version: this.prediction.version, data: this.prediction.data.slice() };
  }
  getUncertainty(): VersionedMap | null {
    return this.uncertainty && { version: this.uncertainty.version, data: this.uncertainty.data.slice() };
  }

  setVisibleSlice(k: number): void {
    if (k >= this.volume.dims[2]) {
      throw new MedSegError('INVALID_ARGUMENT', `Slice ${k + 1} does not exist: this image has ${this.volume.dims[2]} slices.`);
    }
    this.visible = k;
  }

  suggestNextSlice(): SliceSuggestion | null {
    if (!this.uncertainty) return null;
    return this.kernel.leastCertainSlice(this.uncertainty.data, this.volume.dims);
  }

  /** Start an update now (skipping the debounce). */
  predictNow(): number {
    this.assertOpen();
    this.schedule(0);
    return this.version;
  }

  /** Resolves when no update is pending or running (tests, CLI, autosave). */
  whenIdle(): Promise<void> {
    if (!this.timer && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop work; resolves once every pending save is on disk and the workspace is closed. */
  close(): Promise<void> {
    this.closed = true;
    const ws = this.workspace;
    this.workspace = null;
    const saved = ws
      ? Promise.allSettled([this.persisting, ...this.sideWrites]).then(() => ws.close()).catch(() => undefined)
      : Promise.resolve();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running?.controller.abort();
    this.settleIdle();
    void this.compute.detach(this.volumeId).catch(() => undefined);
    return saved;
  }

  private persistMeta(): void {
    if (!this.workspace) return;
    const meta = { ...this.workspace.meta, classes: this.getClasses(), view: { ...(this.workspace.meta.view ?? {}), priorHead: this.priorHead ? 'prior-head.json' : null } };
    this.writeMeta(meta);
  }

  private writeMeta(meta: Workspace['meta']): void {
    if (this.workspace) this.track(this.queueMeta(this.workspace, meta));
  }

  private queueMeta(ws: Workspace, meta: Workspace['meta']): Promise<void> {
    ws.meta = meta; // later edits build on this one at once, before it reaches the disk
    const write = this.metaWrites.then(() => ws.saveMeta(meta));
    this.metaWrites = write.catch(() => undefined);
    return write;
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e) => this.reportSaveError(e));
    this.sideWrites.add(t);
    void t.finally(() => this.sideWrites.delete(t));
  }

  private reportSaveError(e: unknown): void {
    const err = toMedSegError(e, 'WRITE_FAILED', 'Saving your work failed; it is kept in memory.');
    this.emit('error', { ...err.toJSON(), volumeId: this.volumeId });
  }

  private assertOpen(): void {
    if (this.closed) throw new MedSegError('INVALID_ARGUMENT', 'This image has been closed.');
  }

  private lockedIds(): number[] {
    return this.classes.filter((c) => c.locked).map((c) => c.id).sort((a, b) => a - b);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    // The running update is for an older version now: stop it so its slices never overwrite newer ones.
    if (this.running && this.running.version !== this.version) this.running.controller.abort();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.start();
    }, delayMs);
  }

  private async start(): Promise<void> {
    if (this.closed) return;
    const prev = this.running;
    if (prev) {
      prev.controller.abort();
      await prev.done; // the worker is single-file anyway; waiting keeps 'running' unambiguous
      if (this.timer || this.closed) return; // another edit arrived meanwhile; its timer will start
    }
    const version = this.version;
    const controller = new AbortController();
    const done = this.update(version, controller.signal).finally(() => {
      if (this.running?.controller === controller) this.running = null;
      this.settleIdle();
    });
    this.running = { version, controller, done };
    await done;
  }

  private async update(version: number, signal: AbortSignal): Promise<void> {
    const t0 = performance.now();
    const [nx, ny, nz] = this.volume.dims;
    const plane = nx * ny;
    const scribbles = this.scribbles.slice();
    const locked = this.lockedIds();
    const lockedSet = new Uint8Array(256);
    for (const id of locked) lockedSet[id] = 1;
    const base = this.prediction?.data;
    const labels = new Uint8Array(plane * nz);
    const uncert = new Uint8Array(plane * nz);
    const seen = new Uint8Array(nz);
    try {
      await this.attached;
      await this.sequencesReady;
      const runner: Pick<Compute, 'segment'> = this.localRunner ?? this.compute;
      await runner.segment(
        { volumeId: this.volumeId, version, scribbles, locked, lockedLabels: locked.length && base ? base : undefined, order: sliceOrder(this.visible, nz), backbone: this.options.backbone, headKind: this.options.headKind, priorHead: this.priorHead ?? undefined },
        {
          onHead: (json) => {
            if (signal.aborted) return;
            this.lastHead = json;
          },
          // Not gated on `signal`: the features outlive a replaced update (the compute caches them for the
          // next one), and only this job's callback hears their progress.
          onProgress: (p) => {
            if (!this.closed) this.emit('featureProgress', { volumeId: this.volumeId, done: p.done, total: p.total, provider: p.provider ?? 'cpu' });
          },
          onSlice: (k, sliceLabels, sliceUnc) => {
            if (signal.aborted || k < 0 || k >= nz || sliceLabels.length !== plane) return;
            const off = k * plane;
            for (let p = 0; p < plane; p++) {
              const v = off + p;
              let out = sliceLabels[p];
              const s = scribbles[v];
              // What the user painted is the truth on those voxels.
              if (s !== 0) out = s === BACKGROUND_ID ? 0 : s;
              // Locked classes keep exactly the voxels they had: nothing leaves them and nothing joins them.
              // Before any prediction a locked class is exactly its painted (or imported) voxels.
              if (base && (lockedSet[base[v]] || lockedSet[out])) out = base[v];
              else if (!base && lockedSet[out] && s !== out) out = 0;
              labels[v] = out;
            }
            uncert.set(sliceUnc.subarray(0, plane), off);
            seen[k] = 1;
            this.emit('prediction', {
              volumeId: this.volumeId, version, k,
              labels: labels.slice(off, off + plane), uncertainty: uncert.slice(off, off + plane),
            });
          },
        },
        signal,
      );
    } catch (e) {
      const err = toMedSegError(e);
      if (err.code === 'CANCELLED' || signal.aborted) return;
      this.emit('error', { ...err.toJSON(), volumeId: this.volumeId });
      return;
    }
    if (signal.aborted) return;
    if (seen.some((x) => x === 0)) {
      this.emit('error', { code: 'INTERNAL', message: 'The model update stopped before every slice was predicted.', volumeId: this.volumeId });
      return;
    }
    this.prediction = { version, data: labels };
    this.uncertainty = { version, data: uncert };
    if (this.workspace && this.lastHead) this.track(this.workspace.saveBlob('head.json', this.lastHead));
    this.emit('predictionDone', { volumeId: this.volumeId, version, ms: Math.round(performance.now() - t0) });
  }

  private settleIdle(): void {
    if (this.timer || this.running) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
