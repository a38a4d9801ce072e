/**
 * The Engine: open volumes and their segmentation sessions, the current settings, and the compute they share.
 * Services are thin wrappers around it; the CLI can drive it directly.
 */
import {
  MedSegError,
  type ChoiceInfo, type SegmentationOptions, type SegmentationSettings, type SequenceInfo, type Volume,
} from '../../src-shared';
import type { Compute } from './compute';
import type { Kernel } from './kernel';
import { SegmentationSession, type SessionEmit } from './session';
import { Workspace, workspaceDirFor, workspaceKeyFor } from './workspace';
import { SessionStudy, type AddSequenceOptions } from './multiseq/interactive';

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
}

export interface OpenResult {
  volumeId: string;
  session: SegmentationSession;
  /** Strokes restored from the study's workspace (0 for a first open). */
  restoredStrokes: number;
  /** What restoring had to do, for the user. */
  warnings: string[];
}

export const DEFAULT_SETTINGS: SegmentationSettings = { backbone: 'filters', head: 'linear', debounceMs: 150 };

const HEAD_LABELS: Record<string, string> = { linear: 'Linear (fast, smooth)', proto: 'Prototypes (many small regions)' };

export class Engine {
  private readonly sessions = new Map<string, SegmentationSession>();
  private settings: SegmentationSettings;
  private nextId = 1;

  constructor(private readonly opts: EngineOptions) {
    this.settings = { ...DEFAULT_SETTINGS, ...opts.settings };
  }

  get openCount(): number {
    return this.sessions.size;
  }

  open(volume: Volume): { volumeId: string; session: SegmentationSession } {
    const volumeId = `vol-${this.nextId++}`;
    const session = new SegmentationSession(volumeId, volume, this.opts.compute, this.opts.kernel, this.opts.emit, this.sessionOptions());
    this.sessions.set(volumeId, session);
    return { volumeId, session };
  }

  /**
   * Open a volume with its autosaved workspace: earlier strokes, classes and carried-over head come back as they
   * were (after a normal close or a crash). Without a data folder it is a plain open.
   */
  async openWithWorkspace(volume: Volume): Promise<OpenResult> {
    const { volumeId, session } = this.open(volume);
    if (!this.opts.dataDir) return { volumeId, session, restoredStrokes: 0, warnings: [] };
    const dir = workspaceDirFor(workspaceKeyFor(volume), this.opts.dataDir);
    const r = await Workspace.open(dir, volume.data.length, { defaultMeta: { classes: [], source: { series: volume.meta.seriesInstanceUid, files: volume.meta.sourceFiles?.slice(0, 3) } } });
    const head = r.restored ? (await r.workspace.readBlob('prior-head.json'))?.toString('utf8') ?? null : null;
    session.attachWorkspace(r.workspace, r.restored, head);
    let strokes = 0;
    if (r.restored) for (let i = 0; i < r.workspace.labels.length; i++) if (r.workspace.labels[i]) strokes++;
    const warnings = [...r.warnings];
    if (strokes > 0) warnings.unshift(`Your earlier work on this study was restored (${strokes} labeled voxels).`);
    return { volumeId, session, restoredStrokes: strokes, warnings };
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
    const sequences = study.info();
    return { sequence: sequences.find((s) => s.id === added.id)!, volume: added.sequence.volume, sequences, warnings: [...study.lastWarnings] };
  }

  sequences(volumeId: string): SequenceInfo[] {
    return this.studyOf(this.session(volumeId)).info();
  }

  renameSequence(volumeId: string, sequenceId: string, name: string): SequenceInfo[] {
    const session = this.session(volumeId);
    const study = this.studyOf(session);
    const before = study.find(sequenceId).name;
    study.rename(sequenceId, name);
    if (study.count > 1 && study.find(sequenceId).name !== before) session.sequencesChanged(this.backboneFor);
    return study.info();
  }

  removeSequence(volumeId: string, sequenceId: string): SequenceInfo[] {
    const session = this.session(volumeId);
    const study = this.studyOf(session);
    study.remove(sequenceId);
    session.sequencesChanged(this.backboneFor);
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
    this.settings = next;
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
