/**
 * The UI's state and its actions, as one runes-based store. Large buffers (voxels, scribble map, prediction)
 * are kept out of reactivity; views are told what changed through listeners so that a streamed prediction
 * slice redraws one overlay, not the component tree.
 *
 * Test hooks: the store is exposed as `window.__medseg` (read-only use by Playwright) so e2e tests wait for
 * states (a version number, a phase) instead of sleeping.
 */
import {
  BACKGROUND_ID, DEFAULT_COLORS, UNLABELED, indexToWorld, toMedSegError,
  type ClassSpec, type LabelDiff, type MedSegErrorInfo, type RecentItem, type SeriesSummary, type SystemStatus,
  type Vec3, type VolumeHeader, type VoxelArray, type WindowLevel, type OpenedVolume, type SequenceInfo, type AddedSequence, type Modality, type ScanResult,
} from '../../../src-shared';
import { connect, type Connection } from '../api';
import { ScribbleLayer } from '../data/history';
import { rasterizeStroke, type BrushShape } from '../data/brush';
import { classVolumes, type ClassVolume } from '../data/volumes';
import { autoWindow, presetsFor } from '../data/windowing';
import type { ViewKind, Axis } from '../data/viewgeom';
import type { OverlayStyle } from '../data/overlay';
import { dropSize, type Drop } from '../data/dropped';
import { addInOrder, resumeRun, type AddOutcome, type PendingRun, type QueuedSequence } from '../data/sequence-queue';

export type Tool = 'navigate' | 'wl' | 'brush' | 'eraser';
/** 'sequences': the same axial slice of every sequence side by side (multi-sequence studies). */
export type Layout = '1x1' | '2x2' | '1+3' | 'sequences';
export type ViewId = ViewKind | '3d';
export type Phase = 'connecting' | 'idle' | 'scanning' | 'opening' | 'ready';

/** What changed in the label layers: 'all', or the axial slices (k) that changed. */
export type OverlayChange = { kind: 'all' } | { kind: 'slices'; ks: number[] };

const UPLOAD_BATCH_BYTES = 32 * 1024 * 1024;

export class Workstation {
  conn: Connection | null = null;
  phase = $state<Phase>('connecting');
  mode = $state<'web' | 'electron' | ''>('');
  /** The visible error banner (code + message). */
  error = $state<MedSegErrorInfo | null>(null);
  series = $state<SeriesSummary[]>([]);
  scanErrors = $state<MedSegErrorInfo[]>([]);
  recent = $state<RecentItem[]>([]);
  header = $state.raw<VolumeHeader | null>(null);
  voxels: VoxelArray | null = null;
  openProgress = $state(0);

  classes = $state<ClassSpec[]>([]);
  /** Class id being painted, or BACKGROUND_ID. */
  active = $state(1);
  backgroundColor: [number, number, number] = [120, 200, 255];
  tool = $state<Tool>('brush');
  brushMm = $state(4);
  brushShape = $state<BrushShape>('2d');
  overlayStyle = $state<OverlayStyle>('fill');
  opacity = $state(0.4);
  showPrediction = $state(true);
  showScribbles = $state(true);
  showUncertainty = $state(false);

  cursor = $state<Vec3>([0, 0, 0]);
  window = $state<WindowLevel>({ center: 40, width: 400 });
  layout = $state<Layout>('1+3');
  focused = $state<ViewId>('axial');
  help = $state(false);

  system = $state<SystemStatus | null>(null);
  features = $state({ done: 0, total: 0, provider: '' });
  /** The engine prepares a study's features as soon as it opens, before this page has adopted it: the latest
   * progress of a study not shown yet, applied when it is. */
  private earlyFeatures: { volumeId: string; done: number; total: number; provider: string } | null = null;
  lastUpdateMs = $state<number | null>(null);
  /** Version returned by the last applyLabelDiff; the prediction is current when predictedVersion ≥ it. */
  sentVersion = $state(0);
  predictedVersion = $state(0);
  /** Version of the slices last drawn (may be partial). */
  streamingVersion = 0;
  volumes = $state<ClassVolume[]>([]);
  hover = $state<{ ijk: Vec3; world: Vec3; value: number; seq?: string } | null>(null);
  suggestion = $state<{ k: number; uncertainty: number } | null>(null);
  undoDepth = $state(0);
  redoDepth = $state(0);

  // ───── multi-sequence studies ─────
  /** The study's sequences, reference first (one for a single image). */
  sequences = $state<SequenceInfo[]>([]);
  /** The sequence the main views show; `voxels` and `window` are always this sequence's. */
  activeSeq = $state('seq-1');
  /** Window/level of each sequence that is not active (the active one's is `window`). */
  seqWindows = $state<Record<string, WindowLevel>>({});
  /**
   * A sequence waiting for the user's "combine anyway" (SEQUENCE_MISMATCH: other patient or exam), with the series
   * queued behind it when several were being added (they go on after the answer).
   */
  pendingSequence = $state<(PendingRun & { message: string }) | null>(null);
  addingSequence = $state(false);
  /** Scanned series ids already in the open study (so the panel does not offer them again). */
  seriesInStudy = $state<string[]>([]);
  /** Voxels of every sequence on the reference grid; not reactive (large). */
  private seqVoxels = new Map<string, VoxelArray>();

  /** Per view: voxel → client (page) pixel, for tests that paint with the real mouse. Not reactive. */
  views: Partial<Record<string, { toClient(ijk: Vec3): { x: number; y: number } }>> = {};
  scribble: ScribbleLayer | null = null;
  prediction: Uint8Array | null = null;
  uncertainty: Uint8Array | null = null;
  private overlayListeners = new Set<(c: OverlayChange) => void>();
  private labelsListeners = new Set<() => void>();
  private visibleTimer: ReturnType<typeof setTimeout> | null = null;
  private unsubs: (() => void)[] = [];

  async start(): Promise<void> {
    try {
      this.conn = await connect();
      this.mode = this.conn.mode;
      this.phase = 'idle';
      this.subscribe();
      // Leaving the page frees the engine's session (and the compute worker) for whoever opens next.
      window.addEventListener('pagehide', () => {
        if (this.header) void this.conn?.api.study.close(this.header.volumeId).catch(() => undefined);
      });
      void this.refreshRecent();
      this.conn.api.system.status().then((s) => (this.system = s), () => undefined);
    } catch (e) {
      this.showError(e);
    }
  }

  private subscribe(): void {
    const api = this.conn!.api;
    this.unsubs.push(
      api.study.on('openProgress', (p) => (this.openProgress = p.fraction)),
      api.segmentation.on('featureProgress', (p) => {
        if (p.volumeId !== this.header?.volumeId) {
          this.earlyFeatures = { volumeId: p.volumeId, done: p.done, total: p.total, provider: p.provider };
          return;
        }
        this.features = { done: p.done, total: p.total, provider: p.provider };
      }),
      api.segmentation.on('prediction', (p) => this.onPredictionSlice(p)),
      api.segmentation.on('predictionDone', (p) => {
        if (p.volumeId !== this.header?.volumeId) return;
        if (p.version >= this.predictedVersion) {
          this.predictedVersion = p.version;
          this.lastUpdateMs = p.ms;
          this.updateVolumes();
          for (const l of this.labelsListeners) l();
        }
      }),
      api.segmentation.on('error', (e) => this.showError(e)),
      api.system.on('status', (s) => (this.system = s)),
    );
  }

  /** Public for the smoothness benchmark, which injects slices the way socket events deliver them. */
  onPredictionSlice(p: { volumeId: string; version: number; k: number; labels: Uint8Array; uncertainty: Uint8Array }): void {
    const h = this.header;
    if (!h || p.volumeId !== h.volumeId || !this.prediction || !this.uncertainty) return;
    if (p.version < this.streamingVersion) return; // an outdated update still streaming
    this.streamingVersion = p.version;
    const n = h.dims[0] * h.dims[1];
    if (p.k < 0 || p.k >= h.dims[2] || p.labels.length !== n) return;
    this.prediction.set(p.labels, p.k * n);
    if (p.uncertainty.length === n) this.uncertainty.set(p.uncertainty, p.k * n);
    this.emitOverlay({ kind: 'slices', ks: [p.k] });
  }

  // ───────────── opening ─────────────

  showError(e: unknown): void {
    const err = toMedSegError(e);
    this.error = { code: err.code, message: err.message, detail: err.detail, path: err.path };
  }

  async refreshRecent(): Promise<void> {
    try {
      this.recent = await this.conn!.api.study.recent();
    } catch {
      this.recent = []; // the recent list is a convenience; a failure to read it must not block opening
    }
  }

  async scan(paths: string[]): Promise<void> {
    if (!this.conn || paths.length === 0) return;
    this.error = null;
    this.phase = 'scanning';
    try {
      const r = await this.conn.api.study.scan(paths);
      this.acceptScan(r.series, r.errors);
    } catch (e) {
      this.showError(e);
    } finally {
      this.phase = this.header ? 'ready' : 'idle';
    }
  }

  private acceptScan(series: SeriesSummary[], errors: MedSegErrorInfo[]): void {
    this.series = series;
    this.scanErrors = errors;
    if (series.length === 0 && errors.length > 0) this.error = errors[0];
    else if (series.length === 0) this.error = { code: 'NO_IMAGES', message: 'No images were found there.' };
  }

  /** Web mode drag-and-drop: upload the dropped files in batches, then scan the upload. */
  async uploadAndScan(files: { name: string; file: Blob }[]): Promise<void> {
    if (!this.conn || files.length === 0) return;
    this.error = null;
    this.phase = 'scanning';
    try {
      const uploadId = await this.upload(files);
      if (uploadId) {
        const r = await this.conn.api.study.scanUpload(uploadId);
        this.acceptScan(r.series, r.errors);
      }
    } catch (e) {
      this.showError(e);
    } finally {
      this.phase = this.header ? 'ready' : 'idle';
    }
  }

  /**
   * Files dropped to open a study (on the Open panel, or anywhere else in the window): scanned like a typed path,
   * their series listed. `openSingle`: the user chose "Open as a new study", so a drop holding exactly one image
   * series opens it at once (several are listed to choose from, as after a scan).
   */
  async openDropped(drop: Drop, opts: { openSingle?: boolean } = {}): Promise<void> {
    if (!this.conn) return;
    if (dropSize(drop) === 0) {
      // An empty folder: say so rather than leave the previous scan's list standing as if it were the answer.
      this.error = { code: 'NO_IMAGES', message: 'No files were found in what was dropped, so nothing was opened.' };
      return;
    }
    if ('paths' in drop) await this.scan(drop.paths);
    else await this.uploadAndScan(drop.files);
    if (!opts.openSingle || this.error) return;
    const images = this.series.filter((s) => s.kind === 'image');
    if (images.length === 1) await this.openSeries(images[0].id);
  }

  /** Send dropped files to the bridge's private upload folder in batches; the upload id, or undefined for none. */
  private async upload(files: { name: string; file: Blob }[]): Promise<string | undefined> {
    let uploadId: string | undefined;
    let batch: { name: string; bytes: Uint8Array }[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const r = await this.conn!.api.study.upload(batch, uploadId);
      uploadId = r.uploadId;
      batch = [];
      bytes = 0;
    };
    for (const f of files) {
      const b = new Uint8Array(await f.file.arrayBuffer());
      batch.push({ name: f.name, bytes: b });
      bytes += b.byteLength;
      if (bytes > UPLOAD_BATCH_BYTES) await flush();
    }
    await flush();
    return uploadId;
  }

  async openSeries(id: string): Promise<void> {
    await this.openWith(() => this.conn!.api.study.open(id));
    if (this.phase === 'ready' && !this.error) this.seriesInStudy = [id];
  }

  /**
   * The scanned image series as ONE multi-sequence study (a folder holding T1, T1c, T2, FLAIR, …): the series with
   * the most voxels is the reference (the others are resampled onto its grid, so the finest sampling is kept; ties
   * go to the list order), the others join it as sequences in list order, named from their descriptions. A series
   * of another patient or exam stops there and waits in `pendingSequence` for the user's answer, as when adding
   * one by hand; the series after it wait with it and are added once the user combines or skips it. A study that
   * comes back with sequences saved in its workspace keeps those instead.
   */
  async openSeriesTogether(ids: string[]): Promise<void> {
    const picked = ids.map((id) => this.series.find((s) => s.id === id)).filter((s): s is SeriesSummary => !!s && s.kind === 'image');
    if (picked.length === 0) return;
    const voxels = (s: SeriesSummary): number => (s.dims ? s.dims[0] * s.dims[1] * s.dims[2] : 0);
    const ref = picked.reduce((a, b) => (voxels(b) > voxels(a) ? b : a));
    await this.openSeries(ref.id);
    if (this.phase !== 'ready' || this.error || !this.header) return;
    // Restored with its saved sequences (the header says which): adding the folder's series again would double them.
    if (this.sequences.length > 1) return;
    await this.addSequencesInOrder(picked.filter((s) => s !== ref && !this.seriesInStudy.includes(s.id)).map((s) => ({ source: { seriesId: s.id } })));
  }

  async openPath(path: string): Promise<void> {
    await this.openWith(() => this.conn!.api.study.openPath(path));
  }

  /** A series from the PACS opens exactly like a local one (same adopt path, same restore of earlier work). */
  async openPacsSeries(studyUid: string, seriesUid: string): Promise<void> {
    await this.openWith(() => this.conn!.api.pacs.openSeries(studyUid, seriesUid));
  }

  private async openWith(fn: () => Promise<OpenedVolume>): Promise<void> {
    if (!this.conn) return;
    this.error = null;
    this.phase = 'opening';
    this.openProgress = 0;
    try {
      const v = await fn();
      if (this.header) void this.conn.api.study.close(this.header.volumeId).catch(() => undefined);
      await this.adopt(v);
      void this.refreshRecent();
    } catch (e) {
      this.showError(e);
      this.phase = this.header ? 'ready' : 'idle';
    }
  }

  private async adopt(v: OpenedVolume): Promise<void> {
    const h = v.header;
    const n = h.dims[0] * h.dims[1] * h.dims[2];
    this.voxels = v.voxels;
    this.scribble = new ScribbleLayer(n);
    this.prediction = new Uint8Array(n);
    this.uncertainty = new Uint8Array(n);
    this.streamingVersion = 0;
    this.predictedVersion = 0;
    this.sentVersion = 0;
    this.lastUpdateMs = null;
    this.volumes = [];
    this.suggestion = null;
    this.features = { done: 0, total: 0, provider: '' };
    this.window = h.modality === 'CT' ? { ...presetsFor('CT')[0] } : autoWindow(h.modality, v.voxels);
    this.window = { center: this.window.center, width: this.window.width };
    this.cursor = [Math.floor(h.dims[0] / 2), Math.floor(h.dims[1] / 2), Math.floor(h.dims[2] / 2)];
    const api = this.conn!.api.segmentation;
    let classes = await api.getClasses(h.volumeId).catch(() => [] as ClassSpec[]);
    if (classes.length === 0) {
      classes = [{ id: 1, name: 'Structure 1', color: DEFAULT_COLORS[0] }];
      await api.setClasses(h.volumeId, classes);
    }
    this.classes = classes;
    this.active = classes[0].id;
    const labels = await api.getLabels(h.volumeId).catch(() => null);
    if (labels && labels.data.length === n) this.scribble.replace(labels.data);
    const pred = await api.getPrediction(h.volumeId).catch(() => null);
    if (pred && pred.data.length === n) {
      this.prediction.set(pred.data);
      this.predictedVersion = pred.version;
    }
    this.seqVoxels = new Map([['seq-1', v.voxels]]);
    this.activeSeq = 'seq-1';
    this.seqWindows = {};
    this.pendingSequence = null;
    this.seriesInStudy = [];
    if (this.layout === 'sequences') this.layout = '1+3';
    const fallback: SequenceInfo = { id: 'seq-1', name: h.modality, description: h.meta.seriesDescription ?? '', modality: h.modality, window: h.window, range: h.range, coveredFraction: 1, reference: true, resampled: false };
    const sequences = await this.conn!.api.study.listSequences(h.volumeId).catch(() => [fallback]);
    // Sequences saved with the study came back with it: fetch their voxels (on the study's grid), each with its own window.
    const windows: Record<string, WindowLevel> = {};
    for (const s of sequences.slice(1)) {
      const vox = await this.conn!.api.study.sequenceVoxels(h.volumeId, s.id).catch(() => null);
      if (!vox) continue;
      this.seqVoxels.set(s.id, vox);
      windows[s.id] = this.autoWindowOf(s.modality, vox);
    }
    this.seqWindows = windows;
    this.sequences = sequences;
    this.header = h;
    if (this.earlyFeatures?.volumeId === h.volumeId) this.features = { done: this.earlyFeatures.done, total: this.earlyFeatures.total, provider: this.earlyFeatures.provider };
    this.earlyFeatures = null;
    this.phase = 'ready';
    this.syncHistory();
    this.updateVolumes();
    this.emitOverlay({ kind: 'all' });
    this.visibleSliceChanged();
  }

  /**
   * Take classes and scribbles from the engine after it changed them itself (label import, applied head): the
   * engine is the truth, so the local undo history (which no longer matches) starts over.
   */
  async reloadFromEngine(version?: number): Promise<void> {
    const h = this.header;
    if (!h || !this.conn || !this.scribble) return;
    const api = this.conn.api.segmentation;
    const [classes, labels] = await Promise.all([api.getClasses(h.volumeId), api.getLabels(h.volumeId)]);
    if (this.header?.volumeId !== h.volumeId) return;
    this.classes = classes;
    if (!classes.some((c) => c.id === this.active)) this.active = classes[0]?.id ?? BACKGROUND_ID;
    if (labels.data.length === this.scribble.data.length) this.scribble.replace(labels.data);
    this.sentVersion = Math.max(this.sentVersion, version ?? labels.version);
    this.syncHistory();
    this.updateVolumes();
    this.emitOverlay({ kind: 'all' });
  }

  // ───────────── sequences ─────────────

  /** Add a sequence from a file or folder; a different patient/exam waits in `pendingSequence` for confirmation. */
  async addSequence(path: string, name?: string, confirmMismatch = false): Promise<boolean> {
    return (await this.addOne({ source: { path }, name }, confirmMismatch)) === 'added';
  }

  /** Add a series found by a scan (a folder holding several sequences) as a sequence. */
  async addSequenceSeries(seriesId: string, name?: string, confirmMismatch = false): Promise<boolean> {
    return (await this.addOne({ source: { seriesId }, name }, confirmMismatch)) === 'added';
  }

  /** Several series in order (sequence-queue.ts): one of another patient/exam waits with those behind it. */
  private async addSequencesInOrder(items: QueuedSequence[]): Promise<void> {
    this.holdRun(await addInOrder(items, (it, confirm) => this.addOne(it, confirm)));
  }

  private holdRun(run: PendingRun | null): void {
    if (run && this.pendingSequence) this.pendingSequence = { ...this.pendingSequence, rest: run.rest };
  }

  /**
   * Files dropped on the Sequences panel join the open study: web mode uploads them (as a drop on the Open panel
   * does), Electron passes their paths; every image series found in them is added as a sequence, in order.
   */
  async addDroppedSequences(drop: { files: { name: string; file: Blob }[] } | { paths: string[] }): Promise<void> {
    const h = this.header;
    if (!h || !this.conn) return;
    if (dropSize(drop) === 0) {
      this.error = { code: 'NO_IMAGES', message: 'No files were found in what was dropped, so no sequence was added.' };
      return;
    }
    this.error = null;
    this.addingSequence = true;
    let scanned: ScanResult;
    try {
      if ('paths' in drop) scanned = await this.conn.api.study.scan(drop.paths);
      else {
        const uploadId = await this.upload(drop.files);
        if (!uploadId) return;
        scanned = await this.conn.api.study.scanUpload(uploadId);
      }
    } catch (e) {
      this.showError(e);
      return;
    } finally {
      this.addingSequence = false;
    }
    if (this.header?.volumeId !== h.volumeId) return;
    const images = scanned.series.filter((s) => s.kind === 'image');
    if (images.length === 0) {
      this.error = scanned.errors[0] ?? { code: 'NO_IMAGES', message: 'No images were found in the dropped files, so no sequence was added.' };
      return;
    }
    await this.addSequencesInOrder(images.map((s) => ({ source: { seriesId: s.id } })));
  }

  /** "Combine anyway": the waiting series is added, then the ones queued behind it. */
  async confirmPendingSequence(): Promise<void> {
    const p = this.pendingSequence;
    if (!p) return;
    this.pendingSequence = null;
    this.holdRun(await resumeRun(p, 'combine', (it, confirm) => this.addOne(it, confirm)));
  }

  /** "Skip": the waiting series is left out; the ones queued behind it are still added. */
  async skipPendingSequence(): Promise<void> {
    const p = this.pendingSequence;
    if (!p) return;
    this.pendingSequence = null;
    this.holdRun(await resumeRun(p, 'skip', (it, confirm) => this.addOne(it, confirm)));
  }

  private async addOne(item: QueuedSequence, confirmMismatch: boolean): Promise<AddOutcome> {
    const { source, name } = item;
    const h = this.header;
    if (!h || !this.conn) return 'failed';
    this.error = null;
    this.pendingSequence = null;
    this.addingSequence = true;
    this.openProgress = 0;
    try {
      const api = this.conn.api.study;
      const r: AddedSequence = 'path' in source
        ? await api.addSequence(h.volumeId, source.path, name || undefined, confirmMismatch || undefined)
        : await api.addSequenceSeries(h.volumeId, source.seriesId, name || undefined, confirmMismatch || undefined);
      if (this.header?.volumeId !== h.volumeId) return 'failed';
      this.seqVoxels.set(r.sequence.id, r.voxels);
      this.seqWindows = { ...this.seqWindows, [r.sequence.id]: this.autoWindowOf(r.sequence.modality, r.voxels) };
      this.sequences = r.sequences;
      if ('seriesId' in source) this.seriesInStudy = [...this.seriesInStudy, source.seriesId];
      if (r.warnings.length) this.header = { ...h, warnings: [...h.warnings, ...r.warnings] };
      return 'added';
    } catch (e) {
      const err = toMedSegError(e);
      if (err.code === 'SEQUENCE_MISMATCH') {
        this.pendingSequence = { item, rest: [], message: err.message };
        return 'mismatch';
      }
      this.showError(err);
      return 'failed';
    } finally {
      this.addingSequence = false;
    }
  }

  private autoWindowOf(modality: Modality, voxels: VoxelArray): WindowLevel {
    const w = modality === 'CT' ? { ...presetsFor('CT')[0] } : autoWindow(modality, voxels);
    return { center: w.center, width: w.width };
  }

  /** Show another sequence in the main views; each keeps its own window/level. */
  selectSequence(id: string): void {
    const vox = this.seqVoxels.get(id);
    if (!vox || id === this.activeSeq) return;
    const prev = this.activeSeq;
    const next = this.seqWindows[id] ?? this.window;
    const rest = { ...this.seqWindows, [prev]: { center: this.window.center, width: this.window.width } };
    delete rest[id];
    this.seqWindows = rest;
    this.voxels = vox;
    this.activeSeq = id;
    this.window = { center: next.center, width: next.width };
  }

  voxelsOf(id: string): VoxelArray | null {
    return this.seqVoxels.get(id) ?? null;
  }

  windowOf(id: string): WindowLevel {
    return id === this.activeSeq ? this.window : (this.seqWindows[id] ?? this.window);
  }

  setWindowOf(id: string, w: WindowLevel): void {
    if (id === this.activeSeq) this.window = w;
    else this.seqWindows = { ...this.seqWindows, [id]: w };
  }

  sequenceName(id: string): string {
    return this.sequences.find((s) => s.id === id)?.name ?? '';
  }

  async renameSequence(id: string, name: string): Promise<void> {
    const h = this.header;
    if (!h || !this.conn || !name.trim()) return;
    try {
      this.sequences = await this.conn.api.study.renameSequence(h.volumeId, id, name.trim());
    } catch (e) {
      this.showError(e);
      this.sequences = [...this.sequences]; // put the old name back in the field
    }
  }

  async removeSequence(id: string): Promise<void> {
    const h = this.header;
    if (!h || !this.conn) return;
    try {
      this.sequences = await this.conn.api.study.removeSequence(h.volumeId, id);
      if (this.activeSeq === id) this.selectSequence('seq-1');
      this.seqVoxels.delete(id);
      const rest = { ...this.seqWindows };
      delete rest[id];
      this.seqWindows = rest;
      if (this.sequences.length < 2 && this.layout === 'sequences') this.layout = '1+3';
    } catch (e) {
      this.showError(e);
    }
  }

  // ───────────── classes ─────────────

  private async pushClasses(): Promise<void> {
    if (!this.header || !this.conn) return;
    try {
      await this.conn.api.segmentation.setClasses(this.header.volumeId, $state.snapshot(this.classes) as ClassSpec[]);
    } catch (e) {
      this.showError(e);
    }
    this.emitOverlay({ kind: 'all' });
    this.updateVolumes();
  }

  addClass(name?: string): number {
    const used = new Set(this.classes.map((c) => c.id));
    let id = 1;
    while (used.has(id) && id < 254) id++;
    this.classes.push({ id, name: name?.trim() || `Structure ${id}`, color: DEFAULT_COLORS[(id - 1) % DEFAULT_COLORS.length] });
    this.active = id;
    void this.pushClasses();
    return id;
  }

  updateClass(id: number, patch: Partial<Omit<ClassSpec, 'id'>>): void {
    const c = this.classes.find((x) => x.id === id);
    if (!c) return;
    Object.assign(c, patch);
    void this.pushClasses();
  }

  removeClass(id: number): void {
    this.classes = this.classes.filter((c) => c.id !== id);
    if (this.active === id) this.active = this.classes[0]?.id ?? BACKGROUND_ID;
    void this.pushClasses();
  }

  lockedIds(): Set<number> {
    return new Set(this.classes.filter((c) => c.locked).map((c) => c.id));
  }

  // ───────────── painting ─────────────

  /**
   * Paint a stroke segment (continuous voxel positions) with the current tool. `continueStroke` merges it into
   * the previous undo step so that one mouse stroke is one undo.
   */
  paintStroke(points: Vec3[], sliceAxis: Axis, continueStroke: boolean): Uint32Array | null {
    const h = this.header;
    if (!h || !this.scribble) return null;
    const value = this.tool === 'eraser' ? UNLABELED : this.active;
    const idx = rasterizeStroke(h.dims, h.spacing, points, { radiusMm: this.brushMm, shape: this.brushShape, sliceAxis });
    const changed = this.scribble.paint(idx, value, this.lockedIds(), continueStroke);
    if (!changed) return null;
    this.emitOverlay({ kind: 'all' });
    return changed.indices;
  }

  /** Send the finished stroke (the last undo step) to the engine. */
  async commitStroke(): Promise<void> {
    const diff = this.scribble?.lastEdit();
    this.syncHistory();
    if (diff) await this.send(diff);
  }

  async undo(): Promise<void> {
    const d = this.scribble?.undo();
    this.syncHistory();
    if (!d) return;
    this.emitOverlay({ kind: 'all' });
    await this.send(d);
  }

  async redo(): Promise<void> {
    const d = this.scribble?.redo();
    this.syncHistory();
    if (!d) return;
    this.emitOverlay({ kind: 'all' });
    await this.send(d);
  }

  private syncHistory(): void {
    this.undoDepth = this.scribble?.undoDepth ?? 0;
    this.redoDepth = this.scribble?.redoDepth ?? 0;
  }

  private async send(diff: LabelDiff): Promise<void> {
    if (!this.header || !this.conn) return;
    try {
      const r = await this.conn.api.segmentation.applyLabelDiff(this.header.volumeId, diff);
      this.sentVersion = Math.max(this.sentVersion, r.version);
    } catch (e) {
      this.showError(e);
    }
  }

  async predictNow(): Promise<void> {
    if (!this.header || !this.conn) return;
    try {
      const r = await this.conn.api.segmentation.predictNow(this.header.volumeId);
      this.sentVersion = Math.max(this.sentVersion, r.version);
    } catch (e) {
      this.showError(e);
    }
  }

  async labelHereNext(): Promise<void> {
    if (!this.header || !this.conn) return;
    try {
      const s = await this.conn.api.segmentation.suggestNextSlice(this.header.volumeId);
      this.suggestion = s;
      if (s) this.setCursor([this.cursor[0], this.cursor[1], s.k]);
    } catch (e) {
      this.showError(e);
    }
  }

  // ───────────── navigation ─────────────

  setCursor(ijk: Vec3): void {
    const h = this.header;
    if (!h) return;
    const c: Vec3 = [0, 0, 0];
    for (let a = 0; a < 3; a++) c[a] = Math.max(0, Math.min(h.dims[a] - 1, Math.round(ijk[a])));
    const kChanged = c[2] !== this.cursor[2];
    this.cursor = c;
    if (kChanged) this.visibleSliceChanged();
  }

  scrollSlice(axis: Axis, delta: number): void {
    const c: Vec3 = [...this.cursor];
    c[axis] += delta;
    this.setCursor(c);
  }

  /** `seq`: the sequence of the view under the mouse (side-by-side views show other sequences than the active one). */
  setHover(ijk: Vec3 | null, seq?: string): void {
    const h = this.header;
    const vox = (seq && this.seqVoxels.get(seq)) || this.voxels;
    if (!h || !ijk || !vox) {
      this.hover = null;
      return;
    }
    const r: Vec3 = [Math.round(ijk[0]), Math.round(ijk[1]), Math.round(ijk[2])];
    if (r.some((v, a) => v < 0 || v >= h.dims[a])) {
      this.hover = null;
      return;
    }
    const value = vox[r[0] + r[1] * h.dims[0] + r[2] * h.dims[0] * h.dims[1]];
    this.hover = { ijk: r, world: indexToWorld(h, r), value, seq: this.sequences.length > 1 ? this.sequenceName(seq ?? this.activeSeq) : undefined };
  }

  /** Tell the engine which axial slice is on screen (predicted first), debounced while scrolling. */
  private visibleSliceChanged(): void {
    if (this.visibleTimer) clearTimeout(this.visibleTimer);
    this.visibleTimer = setTimeout(() => {
      const h = this.header;
      if (h && this.conn) void this.conn.api.segmentation.setVisibleSlice(h.volumeId, this.cursor[2]).catch(() => undefined);
    }, 120);
  }

  // ───────────── overlays ─────────────

  onOverlay(fn: (c: OverlayChange) => void): () => void {
    this.overlayListeners.add(fn);
    return () => this.overlayListeners.delete(fn);
  }
  /** Called when a complete prediction arrived (3D surfaces, tables). */
  onPredictionComplete(fn: () => void): () => void {
    this.labelsListeners.add(fn);
    return () => this.labelsListeners.delete(fn);
  }
  emitOverlay(c: OverlayChange): void {
    for (const l of this.overlayListeners) l(c);
  }

  updateVolumes(): void {
    const h = this.header;
    if (!h || !this.prediction) return;
    this.volumes = classVolumes(this.prediction, h.spacing, this.classes.map((c) => c.id));
  }

  dispose(): void {
    for (const u of this.unsubs) u();
  }
}
