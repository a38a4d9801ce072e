/**
 * The sequences of one open study in the app: the reference (the volume that was opened) plus the sequences the
 * user adds, each resampled onto the reference grid with assembleStudy (which also makes the SEQUENCE_MISMATCH,
 * SEQUENCE_4D and NO_OVERLAP decisions). With two or more sequences the session's updates use fused features and a
 * multi-sequence head: one scribble map, one prediction, whatever sequence the user paints on.
 *
 * SessionStudy is the catalogue (main thread: names, ids, resampling, refusals); MultiSequenceRunner does the heavy
 * part where the compute runs (the compute worker, through Compute.setSequences). Features are computed once per
 * backbone for a given sequence set and reused by every later edit, so only the first update pays for them.
 */
import { MedSegError, valueRange, type SequenceInfo, type Vec3, type Volume } from '../../../src-shared';
import { downsampleVolume, labelsToFull, labelsToWork, workingGrid, WORK_VOXELS, type WorkGrid } from '../../io';
import type { FeatureBackbone, FeatureProgress, FeatureVolume } from '../../features/types';
import { createMultiSequenceBackbone, type MultiSequenceBackbone, type SequenceInput } from '../../features/multiseq';
import { FUSED_STANDARDIZE, segmentMultiSequence, trainMultiSequenceHead } from '../../fewshot/multiseq';
import type { HeadKind } from '../../fewshot';
import { presenceHeadsToJson } from '../../fewshot/serialize';
import type { JobCallbacks, SegmentJob } from '../compute';
import { CarriedHead, checkCarriedHead, type CheckedHead, fitPresenceAfter, headForStudy, relayoutFeatures } from './carried';
import { cropArray, pasteArray } from './crop';
import { DEFAULT_METHOD, prepareStudy, sequenceInputs, type PreparedStudy } from './pipeline';
import { canonicalSequenceName } from './spec';
import { assembleStudy, guessSequenceName, type Sequence } from './study';
import { sequenceKey, type SavedStudy, type SequenceSource } from './persist';

export interface StudySequence {
  id: string;
  name: string;
  /** As read from disk (the reference: as opened). */
  original: Volume;
  /** On the reference grid. */
  sequence: Sequence;
  range: [number, number];
  /** Where it was read from (absent: not reloadable, e.g. added by a test from memory) and its content key. */
  source?: SequenceSource;
  key?: string;
  confirmMismatch?: boolean;
}

export interface AddSequenceOptions {
  name?: string;
  confirmMismatch?: boolean;
  /** Where the volume was read from, so that the study can reload it when it is reopened. */
  source?: SequenceSource;
  /** The source is a temporary upload: the workspace keeps a copy of its files. */
  keepCopy?: boolean;
}

/**
 * The compute side of a multi-sequence study: fused features (cached per backbone) and one update per job, in the
 * same `segment(job, callbacks, signal)` shape as Compute. Lives in the compute worker (LocalCompute) or, for a
 * Compute that cannot host studies, on the calling thread.
 */
export class MultiSequenceRunner {
  private cache: FeatureState | null = null;
  private empty: Uint8Array | null | undefined;
  private work: { grid: WorkGrid; list: SequenceInput[] } | null = null;
  private readonly carried = new CarriedHead();
  /** This study's features laid out by a carried head's sequences (see segment). */
  private priorFeatures: { json: string; features: FeatureVolume; relaid: FeatureVolume } | null = null;

  /**
   * `workVoxels`: as LocalCompute's. A study above it is segmented on the same block-averaged working grid as the
   * study alone (io/workgrid.ts): every sequence is brought onto it, strokes go down to it and the prediction comes
   * back to every voxel, so that the fused features of a 79 M-voxel study with four sequences fit in memory.
   */
  constructor(
    private readonly list: SequenceInput[],
    private readonly backbone: (id: string) => Promise<FeatureBackbone>,
    private readonly workVoxels = WORK_VOXELS,
  ) {
    if (list.length < 2) throw new MedSegError('INVALID_ARGUMENT', 'A multi-sequence study needs at least two sequences.');
  }

  /** The sequences on the working grid (the list itself when the study fits). */
  private workList(): { grid: WorkGrid; list: SequenceInput[] } {
    if (this.work) return this.work;
    const grid = workingGrid(this.reference, this.workVoxels);
    const f = grid.f;
    const list = grid.volume === this.reference ? this.list : this.list.map((s, i) => ({
      name: s.name,
      volume: i === 0 ? grid.volume : downsampleVolume(s.volume, f),
      // A block counts as covered when most of its voxels are: features of a half-covered block are mostly fill.
      coverage: s.coverage && blockMajority(s.coverage, this.reference, f),
    }));
    this.work = { grid, list };
    return this.work;
  }

  private get reference(): Volume {
    return this.list[0].volume;
  }

  /**
   * One update on fused features: train the multi-sequence head on the strokes, predict, deliver every slice. With a
   * head carried over from another study (job.priorHead, a multi-sequence head file) and no strokes of two classes
   * yet, that head alone predicts, with its presence head for the sequences this study has.
   */
  async segment(job: SegmentJob, cb: JobCallbacks, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw cancelled();
    const names = this.list.map((s) => s.name);
    let prior: CheckedHead | null = null;
    if (job.priorHead) {
      const p = this.carried.parse(job.priorHead);
      checkCarriedHead(p, names, job.backbone);
      prior = p;
    }
    const st = this.featureState(job.backbone, cb.onProgress);
    const { mb, features } = await st.ready;
    if (signal.aborted) throw cancelled();
    const { prep } = st;
    const { grid } = this.workList();
    const scribbles = cropArray(labelsToWork(job.scribbles, grid), prep.box);
    if (prior && job.priorHead && distinctLabels(scribbles) < 2) {
      const { head, layout } = headForStudy(prior, names);
      // Laid out by the head's sequences (cached while the same head is carried). Once the user has painted two
      // classes the update trains on this study's strokes alone and the carried head stops there (its confident
      // voxels are not added as sparse labels, as fewshotKernel.ts does for one image: that would keep this second
      // copy of the fused features and one more prediction in every update), and this copy is let go.
      let pf = this.priorFeatures;
      if (pf?.json !== job.priorHead || pf.features !== features) {
        pf = this.priorFeatures = { json: job.priorHead, features, relaid: relayoutFeatures(features, mb.layout, layout) };
      }
      cb.onHead?.(job.priorHead);
      const r = await segmentMultiSequence({ features: pf.relaid, layout, sequences: prep.inputs, scribbles: new Uint8Array(0), head, refine: 'none', signal });
      if (signal.aborted) throw cancelled();
      this.deliver(job, cb, signal, r.labels, r.uncertainty, prep.box);
      return;
    }
    this.priorFeatures = null;
    // The CLI's measured method (pipeline.ts DEFAULT_METHOD: one single-sequence-dropout copy per labeled voxel, the
    // stroke-discriminant guide), without position channels as everywhere in the app.
    const kind = job.headKind as HeadKind;
    const trainOpts = { backbone: { id: mb.id, settings: mb.settings }, spacing: prep.spacing, position: false, standardizeBy: FUSED_STANDARDIZE };
    const head = trainMultiSequenceHead(kind, features, mb.layout, scribbles, prep.dims, { ...trainOpts, dropout: DEFAULT_METHOD.dropout });
    if (signal.aborted) throw cancelled();
    // Reported at once in the multi-sequence file format without presence heads (the dropout-trained head then
    // serves every pattern), so that a head saved during the next step is already a working multi-sequence head.
    cb.onHead?.(presenceHeadsToJson({ layout: mb.layout, fallback: head, leaveOneOut: {} }));
    const r = await segmentMultiSequence({ features, layout: mb.layout, sequences: prep.inputs, scribbles, head, guide: DEFAULT_METHOD.guide, signal });
    if (signal.aborted) throw cancelled();
    this.deliver(job, cb, signal, r.labels, r.uncertainty, prep.box);
    // The presence heads only matter once the head is saved and carried to another study, and fitting all of them
    // before predicting (2^S − 1 heads) would hold every stroke's update: measured on BraTS at 3 mm with four
    // sequences (2-core CPU), 0.9 s to the last slice, then 1.4–1.6 s for the fifteen heads (0.2 s for the three of
    // two sequences). So they are fitted after every slice was delivered, one head at a time, and a newer edit
    // cancels them (the dropout-trained head reported above stays the current head then).
    const presence = await fitPresenceAfter(kind, features, mb.layout, scribbles, prep.dims, trainOpts, head, signal);
    if (presence && !signal.aborted) cb.onHead?.(presenceHeadsToJson(presence));
  }

  /** The prediction (on the cropped working grid) to every voxel and to the caller, slice by slice in job order. */
  private deliver(job: SegmentJob, cb: JobCallbacks, signal: AbortSignal, cropLabels: Uint8Array, cropUnc: Uint8Array, box: PreparedStudy['box']): void {
    const { grid } = this.workList();
    // Outside the content box every sequence is empty: background, certain. Inside it, so is every voxel where
    // all sequences hold their background value (the air around a skull-stripped brain) and nothing was painted:
    // a user paints background on tissue, not on the empty frame, and the head has nothing to tell that frame by.
    const labels = labelsToFull(pasteArray(cropLabels, box, 0), grid);
    const uncertainty = labelsToFull(pasteArray(cropUnc, box, 0), grid);
    // At full resolution: the edge of the empty frame follows the voxels, not the working grid's blocks.
    this.empty ??= emptyVoxels(this.list);
    if (this.empty) {
      const e = this.empty;
      for (let v = 0; v < labels.length; v++) {
        if (e[v] && job.scribbles[v] === 0) {
          labels[v] = 0;
          uncertainty[v] = 0;
        }
      }
    }
    const [nx, ny] = this.reference.dims;
    const plane = nx * ny;
    for (const k of job.order) {
      if (signal.aborted) throw cancelled();
      cb.onSlice(k, labels.subarray(k * plane, (k + 1) * plane), uncertainty.subarray(k * plane, (k + 1) * plane));
    }
  }

  /**
   * Features are NOT cancelled with the job that asked for them (as in LocalCompute): the next edit needs them.
   * The crop box ignores strokes so that painting never invalidates the features.
   */
  private featureState(backboneId: string, onProgress: (p: FeatureProgress) => void): FeatureState {
    const key = backboneId;
    if (this.cache?.key === key) return this.cache;
    const work = this.workList().list;
    const ref = work[0].volume;
    const n = ref.data.length;
    const sequences: Sequence[] = work.map((s) => {
      const coverage = s.coverage ?? new Uint8Array(n).fill(1);
      let covered = 0;
      for (let p = 0; p < n; p++) covered += coverage[p];
      return { name: s.name, volume: s.volume, coverage, coveredFraction: covered / n };
    });
    const prep = prepareStudy({ reference: { dims: ref.dims, spacing: ref.spacing, origin: ref.origin, direction: ref.direction }, sequences, warnings: [] });
    const ready = this.backbone(backboneId).then(async (b) => {
      const mb = createMultiSequenceBackbone(b, prep.sequences.map((s) => s.name));
      return { mb, features: await mb.extract(prep.inputs, { onProgress }) };
    });
    const state: FeatureState = { key, prep, ready };
    ready.catch(() => {
      if (this.cache === state) this.cache = null;
    });
    this.cache = state;
    return state;
  }
}

interface FeatureState {
  key: string;
  prep: PreparedStudy;
  ready: Promise<{ mb: MultiSequenceBackbone; features: FeatureVolume }>;
}

export class SessionStudy {
  private readonly list: StudySequence[] = [];
  private nextId = 2;
  /** Warnings of the last add (coverage, confirmed mismatch) for the user. */
  lastWarnings: string[] = [];

  constructor(reference: Volume) {
    const n = reference.data.length;
    this.list.push({
      id: 'seq-1', name: guessSequenceName(reference), original: reference,
      sequence: { name: guessSequenceName(reference), volume: reference, coverage: new Uint8Array(n).fill(1), coveredFraction: 1 },
      range: valueRange(reference.data),
    });
  }

  get count(): number {
    return this.list.length;
  }

  get reference(): Volume {
    return this.list[0].original;
  }

  sequences(): readonly StudySequence[] {
    return this.list;
  }

  info(): SequenceInfo[] {
    return this.list.map((s, i) => ({
      id: s.id, name: s.name, description: describe(s.original), modality: s.original.modality,
      window: { ...s.original.window }, range: [...s.range], coveredFraction: s.sequence.coveredFraction, reference: i === 0,
      resampled: s.sequence.volume !== s.original, // assembleStudy keeps a volume already on the reference grid as is
    }));
  }

  /**
   * Bring `volume` onto the reference grid. Checks against the reference only: the reference is what every
   * sequence is aligned to, and a confirmed mismatch stays confirmed for that sequence.
   */
  add(volume: Volume, opts: AddSequenceOptions = {}): StudySequence {
    const wanted = opts.name ? canonicalSequenceName(opts.name) : guessSequenceName(volume);
    const name = this.uniqueName(wanted);
    const study = assembleStudy([this.reference, volume], { confirmMismatch: opts.confirmMismatch, names: [this.list[0].name, name] });
    const sequence = study.sequences[1];
    const entry: StudySequence = {
      id: `seq-${this.nextId++}`, name, original: volume, sequence, range: valueRange(sequence.volume.data),
      source: opts.source, key: opts.source ? sequenceKey(volume) : undefined, confirmMismatch: opts.confirmMismatch || undefined,
    };
    this.list.push(entry);
    this.lastWarnings = [...study.warnings];
    if (name !== wanted) this.lastWarnings.push(`This study already has a ${wanted}; the new sequence is called ${name} (rename it if you like).`);
    return entry;
  }

  rename(id: string, name: string): void {
    const s = this.find(id);
    const n = canonicalSequenceName(name);
    if (!n) throw new MedSegError('INVALID_ARGUMENT', 'A sequence needs a name.');
    if (this.list.some((o) => o !== s && o.name.toLowerCase() === n.toLowerCase())) {
      throw new MedSegError('INVALID_ARGUMENT', `This study already has a sequence called ${n}; choose another name.`);
    }
    if (s.name === n) return;
    s.name = n;
    s.sequence = { ...s.sequence, name: n };
  }

  remove(id: string): void {
    const s = this.find(id);
    if (s === this.list[0]) throw new MedSegError('INVALID_ARGUMENT', `${s.name} is the study's reference sequence (its grid is the study's grid); it cannot be removed.`);
    this.list.splice(this.list.indexOf(s), 1);
  }

  find(id: string): StudySequence {
    const s = this.list.find((x) => x.id === id);
    if (!s) throw new MedSegError('INVALID_ARGUMENT', 'This sequence is not part of the study (it may have been removed).', { detail: id });
    return s;
  }

  /** What the workspace keeps (added sequences that can be reloaded from their files, in order). */
  saved(): SavedStudy {
    return {
      referenceName: this.list[0].name,
      sequences: this.list.slice(1).flatMap((s) => (s.source && s.key
        ? [{ name: s.name, source: s.source, key: s.key, ...(s.confirmMismatch ? { confirmMismatch: true } : {}) }]
        : [])),
    };
  }

  /** The sequences as the compute needs them (all on the reference grid); coverage only where partial. */
  inputs(): SequenceInput[] {
    return sequenceInputs(this.list.map((x) => x.sequence));
  }

  private uniqueName(wanted: string): string {
    const taken = (n: string) => this.list.some((s) => s.name.toLowerCase() === n.toLowerCase());
    if (!taken(wanted)) return wanted;
    for (let i = 2; ; i++) if (!taken(`${wanted} ${i}`)) return `${wanted} ${i}`;
  }
}

/**
 * 1 where every sequence holds its background value or does not cover the voxel; null when some sequence has no
 * clear background. Background = the value all eight corners share (as contentBox in crop.ts decides it).
 */
export function emptyVoxels(list: SequenceInput[]): Uint8Array | null {
  const [nx, ny, nz] = list[0].volume.dims;
  const n = nx * ny * nz;
  const out = new Uint8Array(n).fill(1);
  for (const s of list) {
    const d = s.volume.data;
    const c = [0, nx - 1].flatMap((i) => [0, ny - 1].flatMap((j) => [0, nz - 1].map((k) => d[i + nx * (j + ny * k)])));
    if (!c.every((v) => v === c[0])) return null;
    const bg = c[0];
    const cov = s.coverage;
    for (let p = 0; p < n; p++) if (d[p] !== bg && (!cov || cov[p])) out[p] = 0;
  }
  return out;
}

/** 1 where at least half of a block's voxels are 1 (coverage onto the working grid). */
function blockMajority(mask: Uint8Array, full: Volume, f: Vec3): Uint8Array {
  const mean = downsampleVolume({ ...full, data: mask, voxelType: 'uint8', warnings: [] }, f).data;
  return Uint8Array.from(mean, (m) => (m >= 0.5 ? 1 : 0));
}

// Not compute.ts's cancelled(): compute.ts imports this module (LocalCompute hosts the runner).
function cancelled(): MedSegError {
  return new MedSegError('CANCELLED', 'The update was replaced by a newer edit.');
}

function describe(v: Volume): string {
  return v.meta.seriesDescription || (v.meta.sourceFiles?.[0] ?? '').split(/[\\/]/).pop() || v.modality;
}

/** Number of different labels painted (background counts as one), up to 2. */
function distinctLabels(scribbles: Uint8Array): number {
  let first = 0;
  for (let i = 0; i < scribbles.length; i++) {
    const v = scribbles[i];
    if (!v) continue;
    if (!first) first = v;
    else if (v !== first) return 2;
  }
  return first ? 1 : 0;
}
