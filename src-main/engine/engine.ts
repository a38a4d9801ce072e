/**
 * The Engine: open volumes and their segmentation sessions, the current settings, and the compute they share.
 * Services are thin wrappers around it; the CLI can drive it directly.
 */
import {
  MedSegError, blockFactors, toMedSegError,
  type ChoiceInfo, type MedSegErrorInfo, type SegmentationOptions, type SegmentationSettings, type SequenceInfo, type VoxelArray, type Volume,
} from '../../src-shared';
import { WORK_VOXELS } from '../io';
import type { Compute } from './compute';
import type { Kernel } from './kernel';
import { SegmentationSession, type SessionEmit } from './session';
import { Workspace, workspaceDirFor, workspaceKeyFor } from './workspace';
import { SessionStudy, type AddSequenceOptions } from './multiseq/interactive';
import { parseSavedStudy, reloadSequence, type SavedStudy } from './multiseq/persist';

export interface EngineOptions {
  compute: Compute;
  /** `backbone` is needed only for multi-sequence studies (their fused features are computed here). */
  kernel: Pick<Kernel, 'leastCertainSlice' | 'headKinds'> & Partial<Pick<Kernel, 'backbone'>>;
  emit: SessionEmit;
  settings?: Partial<SegmentationSettings>;
  /** Extra backbones (e.g. imported DINOv2 models); 'filters' is always there. */
  backbones?: () => Promise<ChoiceInfo[]>;
  /** User data folder (MEDSEG_HOME / Electron userData): each study's autosaved workspace lives under it. */
  dataDir?: string;
  /** Largest grid features are computed on (io/workgrid.ts); only tests lower it. */
  workVoxels?: number;
  /**
   * Compute a study's features as soon as it is opened (and when the backbone changes), before the first stroke.
   * Default true. Turn it off when the compute runs on the caller's thread (in-process LocalCompute): there a
   * synchronous extraction would hold the UI/IPC thread right after opening, before the user asked for anything.
   */
  prewarm?: boolean;
}

export interface OpenResult {
  volumeId: string;
  session: SegmentationSession;
  /** Strokes restored from the study's workspace (0 for a first open). */
  restoredStrokes: number;
  /** What restoring had to do, for the user. */
  warnings: string[];
  /** What restoring had to leave out (sequences whose file is gone or changed), typed; also in `warnings`. */
  issues: MedSegErrorInfo[];
}

export const DEFAULT_SETTINGS: SegmentationSettings = { backbone: 'filters', head: 'linear', debounceMs: 150 };

const HEAD_LABELS: Record<string, string> = { linear: 'Linear (fast, smooth)', proto: 'Prototypes (many small regions)' };

export class Engine {
  private readonly sessions = new Map<string, SegmentationSession>();
  private settings: SegmentationSettings;
  private nextId = 1;

  constructor(private readonly opts: EngineOptions) {
    this.settings = { ...DEFAULT_SETTINGS, ...opts.settings };
    this.loadBackbone();
  }

  /**
   * The chosen backbone is loaded now rather than by the first study's features (an imported model's session takes
   * 0.5–1 s on CPU). A failure is not reported here: the study's preparation or first update meets it again (the
   * kernel forgets failed loads) and shows it.
   */
  private loadBackbone(): void {
    if (this.opts.prewarm === false || this.settings.backbone === 'filters') return;
    this.opts.compute.loadBackbone?.(this.settings.backbone).catch(() => undefined);
  }

  get openCount(): number {
    return this.sessions.size;
  }

  open(volume: Volume): { volumeId: string; session: SegmentationSession } {
    const opened = this.openSession(volume);
    this.prewarm(opened.session);
    return opened;
  }

  private openSession(volume: Volume): { volumeId: string; session: SegmentationSession } {
    const volumeId = `vol-${this.nextId++}`;
    const session = new SegmentationSession(volumeId, volume, this.opts.compute, this.opts.kernel, this.opts.emit, this.sessionOptions());
    this.sessions.set(volumeId, session);
    return { volumeId, session };
  }

  /** Features for the first update start now, while the user paints (session.prepareFeatures). */
  private prewarm(session: SegmentationSession): void {
    if (this.opts.prewarm !== false) void session.prepareFeatures();
  }

  /**
   * Open a volume with its autosaved workspace: earlier strokes, classes and carried-over head come back as they
   * were (after a normal close or a crash). Without a data folder it is a plain open.
   */
  async openWithWorkspace(volume: Volume): Promise<OpenResult> {
    const { volumeId, session } = this.openSession(volume);
    if (!this.opts.dataDir) {
      this.prewarm(session);
      return { volumeId, session, restoredStrokes: 0, warnings: [], issues: [] };
    }
    const dir = workspaceDirFor(workspaceKeyFor(volume), this.opts.dataDir);
    const r = await Workspace.open(dir, volume.data.length, { defaultMeta: { classes: [], source: { series: volume.meta.seriesInstanceUid, files: volume.meta.sourceFiles?.slice(0, 3) } } });
    const head = r.restored ? (await r.workspace.readBlob('prior-head.json'))?.toString('utf8') ?? null : null;
    // Sequences first: the update that restored strokes start must already see every sequence.
    const seq = await this.restoreSequences(session, r.workspace.meta.study);
    session.attachWorkspace(r.workspace, r.restored, head);
    // After the sequences: a restored multi-sequence study has no single-image features to prepare.
    this.prewarm(session);
    let strokes = 0;
    if (r.restored) for (let i = 0; i < r.workspace.labels.length; i++) if (r.workspace.labels[i]) strokes++;
    const warnings = [...r.warnings, ...seq.warnings, ...seq.issues.map((i) => i.message)];
    if (strokes > 0) warnings.unshift(`Your earlier work on this study was restored (${strokes} labeled voxels).`);
    return { volumeId, session, restoredStrokes: strokes, warnings, issues: seq.issues };
  }

  /**
   * Bring back the sequences saved with the study. One whose file is gone or now holds another image is left out
   * and reported; the rest come back with their names, in their order. The saved list itself is kept as it was
   * until the user changes the sequences, so a file on a drive that is not mounted yet is found next time.
   */
  private async restoreSequences(session: SegmentationSession, raw: unknown): Promise<{ warnings: string[]; issues: MedSegErrorInfo[] }> {
    const { study: saved, issue } = parseSavedStudy(raw);
    const issues: MedSegErrorInfo[] = issue ? [issue] : [];
    const warnings: string[] = [];
    if (!saved) return { warnings, issues };
    const study = this.studyOf(session);
    try {
      study.rename('seq-1', saved.referenceName);
    } catch {
      // A name the current rules refuse: keep the guessed one (a name is not work).
    }
    let added = 0;
    for (const s of saved.sequences) {
      try {
        const volume = await reloadSequence(s);
        study.add(volume, { name: s.name, confirmMismatch: s.confirmMismatch, source: s.source });
        warnings.push(...study.lastWarnings.filter((w) => !/^This study already has/.test(w)));
        added++;
      } catch (e) {
        const err = toMedSegError(e);
        issues.push({ ...err.toJSON(), message: err.message.includes(s.name) ? err.message : `${s.name} was left out: ${err.message}` });
      }
    }
    if (added > 0) {
      session.sequencesChanged(this.backboneFor);
      warnings.unshift(`The study's sequences were restored: ${study.info().map((x) => x.name).join(', ')}.`);
    }
    return { warnings, issues };
  }

  session(volumeId: string): SegmentationSession {
    const s = this.sessions.get(volumeId);
    if (!s) throw new MedSegError('INVALID_ARGUMENT', 'This image is not open (it may have been closed).', { detail: `volume ${volumeId}` });
    return s;
  }

  /** Close a volume; resolves once its autosaved work is on disk. */
  close(volumeId: string): Promise<void> {
    const done = this.session(volumeId).close();
    this.sessions.delete(volumeId);
    return done;
  }

  // ───── multi-sequence studies ─────

  /**
   * Add a sequence to the open study (resampled onto its grid); the next update uses every sequence. Throws
   * SEQUENCE_MISMATCH (unless confirmed), SEQUENCE_4D or NO_OVERLAP as typed errors for the user.
   */
  addSequence(volumeId: string, volume: Volume, opts: AddSequenceOptions = {}): { sequence: SequenceInfo; volume: Volume; sequences: SequenceInfo[]; warnings: string[] } {
    const session = this.session(volumeId);
    const study = this.studyOf(session);
    const added = study.add(volume, opts);
    session.sequencesChanged(this.backboneFor);
    session.saveSequences(study.saved());
    if (opts.keepCopy) session.keepSequenceCopy(added);
    const sequences = study.info();
    const warnings = [...study.lastWarnings];
    // Combined sequences are segmented on the same working grid as the study alone (compute.ts): say so here too.
    const ref = session.volume;
    const f = blockFactors(ref.dims, ref.spacing, this.opts.workVoxels ?? WORK_VOXELS);
    if (f.some((x) => x > 1)) {
      warnings.push(`Large study: the combined sequences are segmented on blocks of ${f.join('×')} voxels (${ref.spacing.map((s, a) => (s * f[a]).toFixed(1)).join('×')} mm) and shown at full resolution; painting and viewing are unaffected.`);
    }
    return { sequence: sequences.find((s) => s.id === added.id)!, volume: added.sequence.volume, sequences, warnings };
  }

  /** A sequence's voxels on the study's grid (the reference: as opened), e.g. for a study reopened with its sequences. */
  sequenceVoxels(volumeId: string, sequenceId: string): VoxelArray {
    return this.studyOf(this.session(volumeId)).find(sequenceId).sequence.volume.data;
  }

  sequences(volumeId: string): SequenceInfo[] {
    return this.studyOf(this.session(volumeId)).info();
  }

  renameSequence(volumeId: string, sequenceId: string, name: string): SequenceInfo[] {
    const session = this.session(volumeId);
    const study = this.studyOf(session);
    const before = study.find(sequenceId).name;
    study.rename(sequenceId, name);
    if (study.find(sequenceId).name !== before) {
      if (study.count > 1) session.sequencesChanged(this.backboneFor);
      session.saveSequences(study.saved());
    }
    return study.info();
  }

  removeSequence(volumeId: string, sequenceId: string): SequenceInfo[] {
    const session = this.session(volumeId);
    const study = this.studyOf(session);
    study.remove(sequenceId);
    session.sequencesChanged(this.backboneFor);
    session.saveSequences(study.saved());
    return study.info();
  }

  private studyOf(session: SegmentationSession): SessionStudy {
    return session.sequenceStudy(() => new SessionStudy(session.volume));
  }

  /** Backbones for multi-sequence updates run on this thread (only when the compute cannot host studies). */
  private readonly backboneFor = async (id: string) => {
    if (!this.opts.kernel.backbone) throw new MedSegError('INTERNAL', 'This engine cannot compute features for combined sequences.');
    return this.opts.kernel.backbone(id);
  };

  getSettings(): SegmentationSettings {
    return { ...this.settings };
  }

  async options(): Promise<SegmentationOptions> {
    return {
      backbones: [{ id: 'filters', label: 'Filter bank (built in)', available: true }, ...((await this.opts.backbones?.()) ?? [])],
      heads: this.opts.kernel.headKinds.map((id) => ({ id, label: HEAD_LABELS[id] ?? id, available: true })),
    };
  }

  async setSettings(patch: Partial<SegmentationSettings>): Promise<SegmentationSettings> {
    const next = { ...this.settings, ...patch };
    const o = await this.options();
    const bb = o.backbones.find((b) => b.id === next.backbone);
    if (!bb) throw new MedSegError('MODEL_NOT_FOUND', `The feature type "${next.backbone}" is not available.`);
    if (!bb.available) throw new MedSegError('MODEL_NOT_FOUND', bb.reason ?? `The feature type "${bb.label}" cannot be used.`);
    if (!o.heads.some((h) => h.id === next.head)) {
      throw new MedSegError('INVALID_ARGUMENT', `Unknown model head "${next.head}": choose ${o.heads.map((h) => h.id).join(' or ')}.`);
    }
    const changed = next.backbone !== this.settings.backbone;
    this.settings = next;
    if (changed) this.loadBackbone();
    for (const s of this.sessions.values()) s.setOptions(this.sessionOptions());
    return { ...next };
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
    await this.opts.compute.dispose();
  }

  private sessionOptions() {
    return { debounceMs: this.settings.debounceMs, backbone: this.settings.backbone, headKind: this.settings.head };
  }
}
