/**
 * Multi-sequence segmentation from files to a label map: open the sequences, assemble them on the first one's grid,
 * crop to where there is signal, fuse per-sequence features, train with sequence dropout, predict (optionally with
 * sequences left out) and paste the result back on the full reference grid. The CLI (segment, bench) and, later,
 * the session call this; it knows nothing about command lines.
 */
import type { Vec3, Volume } from '../../../src-shared';
import { openVolume } from '../../io';
import type { ExtractOptions, FeatureBackbone, FeatureVolume } from '../../features/types';
import { createMultiSequenceBackbone, type GuideKind, type MultiSequenceBackbone, type SequenceInput } from '../../features/multiseq';
import { composeLateFusion, presenceHead, segmentMultiSequence, trainLateFusion, trainMultiSequenceHead, trainPresenceHeads, type LateFusionModel, type LateFusionOptions, type PresenceHeads, type SequenceDropoutOptions } from '../../fewshot/multiseq';
import { MedSegError } from '../../../src-shared';
import type { HeadKind, RefineLevel, SegmentResult, TrainedHead } from '../../fewshot';
import type { LoadedHead } from '../../fewshot/serialize';
import { IMPUTE_WEIGHT } from '../../fewshot/impute';
import { backgroundMask, contentBox, cropArray, cropSequences, pasteArray, type CropBox } from './crop';
import { resolveSequenceNames, type SequenceSpec } from './spec';
import { assembleStudy, guessSequenceName, type MultiSequenceStudy, type Sequence, type SequenceName } from './study';

/** How a multi-sequence head is trained and applied. */
export interface MultiSequenceMethod {
  /** Short label for reports. */
  name: string;
  /** 'early': one head on the fused features; 'late': that head averaged with one head per sequence. */
  fusion: 'early' | 'late';
  guide: GuideKind;
  dropout: SequenceDropoutOptions | false;
  late?: LateFusionOptions;
  /**
   * Presence-specific heads (fewshot/multiseq.ts trainPresenceHeads): one head per pattern with at most one sequence
   * missing, the dropout-trained head for the rest. 'own': the all-present pattern has its own head; 'fallback': it
   * uses the dropout-trained head. Absent: one dropout-trained head for every pattern.
   */
  presence?: 'own' | 'fallback';
  /**
   * With presence heads: the share of the imputed head (fewshot/impute.ts) for a study missing one sequence, blended
   * with its leave-one-out head; 0 or absent = the leave-one-out head alone.
   */
  impute?: number;
  /** One line for the report: what this method changes. */
  about: string;
}

/**
 * The method used by `medseg segment`/`bench` with several images: presence-specific heads (one for all sequences,
 * one per sequence left out, each fitted on the rows that pattern gives) over the fused features, the
 * dropout-trained head (one dropout copy per labeled voxel with one sequence missing, sequences in turn) for any
 * other pattern, stroke-discriminant guide; a study missing one sequence is served by the all-present head on that
 * sequence's imputed features blended with its leave-one-out head (fewshot/impute.ts). Chosen on the measured
 * ablation in bench/report.md; the blend weight IMPUTE_WEIGHT (0.75 against 0.5, 0.9 and 1) was chosen on the worst
 * loss over k = 2…5 in both modes (the "across annotations" table), not on the k = 3 rows alone.
 * `dropout` and `guide` are what the app's interactive runner reads.
 */
export const DEFAULT_METHOD: MultiSequenceMethod = {
  name: 'presence heads + imputed missing sequence', fusion: 'early', guide: 'strokes', dropout: { maxDropped: 1, copiesPerSample: 1 }, presence: 'own', impute: IMPUTE_WEIGHT,
  about: `one fused head for all sequences present and one per sequence left out, fitted on the same labeled voxels (other patterns: the dropout-trained head); a study missing one sequence gets the all-present head applied to that sequence's features predicted from the others (a ridge regression fitted on the training study's voxels, no labels needed), blended ${IMPUTE_WEIGHT} : ${1 - IMPUTE_WEIGHT} with the leave-one-out head, and the predicted intensity joins the guide; propagation guided by the stroke-discriminant combination of the sequences`,
};

/** The result before imputation (stop 12): presence-specific heads alone, kept for the ablation. */
export const PRESENCE_METHOD: MultiSequenceMethod = {
  name: 'previous result: presence-specific heads + stroke guide', fusion: 'early', guide: 'strokes', dropout: { maxDropped: 1, copiesPerSample: 1 }, presence: 'own',
  about: 'one fused head per presence pattern with at most one sequence missing (all present; each sequence left out), fitted on the same labeled voxels with that sequence removed; other patterns use the dropout-trained head (each labeled voxel also seen once with one sequence missing, rate 1/2); propagation guided by the stroke-discriminant combination of the sequences present',
};

/** The method before presence-specific heads (one dropout-trained head for every pattern), kept for the ablation. */
export const DROPOUT_METHOD: MultiSequenceMethod = {
  name: 'fused + stroke guide + one single-drop copy', fusion: 'early', guide: 'strokes', dropout: { maxDropped: 1, copiesPerSample: 1 },
  about: 'one fused head for every pattern; each labeled voxel also seen once with one sequence missing (the sequences taken in turn, dropout rate 1/2); propagation guided by the stroke-discriminant combination of the sequences',
};

export interface OpenStudyOptions {
  confirmMismatch?: boolean;
}

/** Open each file and assemble the study (SEQUENCE_MISMATCH / SEQUENCE_4D / NO_OVERLAP are thrown from here). */
export async function openStudy(specs: SequenceSpec[], opts: OpenStudyOptions = {}): Promise<MultiSequenceStudy> {
  const volumes: Volume[] = [];
  for (const s of specs) volumes.push(await openVolume(s.path));
  const names = resolveSequenceNames(specs, volumes.map((v) => guessSequenceName(v)));
  return assembleStudy(volumes, { names, confirmMismatch: opts.confirmMismatch });
}

export function sequenceInputs(sequences: Sequence[]): SequenceInput[] {
  return sequences.map((s) => ({ name: s.name, volume: s.volume, coverage: s.coveredFraction >= 1 ? undefined : s.coverage }));
}

/** A study cropped to its content (and the strokes), ready for feature extraction. */
export interface PreparedStudy {
  box: CropBox;
  sequences: Sequence[];
  inputs: SequenceInput[];
  dims: Vec3;
  spacing: Vec3;
}

export function prepareStudy(study: MultiSequenceStudy, strokes?: Uint8Array, crop = true): PreparedStudy {
  const full = study.reference.dims as Vec3;
  const box = crop ? contentBox(study.sequences, strokes) : { lo: [0, 0, 0] as Vec3, size: [...full] as Vec3, full: [...full] as Vec3 };
  const sequences = crop ? cropSequences(study.sequences, box) : study.sequences;
  return { box, sequences, inputs: sequenceInputs(sequences), dims: [...box.size], spacing: study.reference.spacing as Vec3 };
}

export function cropToStudy(a: Uint8Array, p: PreparedStudy): Uint8Array {
  return cropArray(a, p.box);
}

export function pasteFromStudy(a: Uint8Array, p: PreparedStudy): Uint8Array {
  return pasteArray(a, p.box, 0);
}

/** A head trained by a method: the fused head, and the late-fusion model when the method uses one. */
export interface MethodFit {
  head: TrainedHead;
  fusion?: LateFusionModel;
  presence?: PresenceHeads;
}

/** Train the method's head(s) on fused features (strokes on the prepared grid). */
export function fitMethod(m: MultiSequenceMethod, kind: HeadKind, features: FeatureVolume, mb: MultiSequenceBackbone, scribbles: Uint8Array, prep: PreparedStudy, o: { maxMissing?: number } = {}): MethodFit {
  const opts = { backbone: { id: mb.id, settings: mb.settings }, spacing: prep.spacing, dropout: m.dropout };
  // Late fusion composes linear heads; a prototype head stays a fused head.
  if (m.fusion === 'late' && kind === 'linear') {
    const fusion = trainLateFusion(features, mb.layout, scribbles, prep.dims, { ...opts, ...m.late });
    return { head: fusion.fused, fusion };
  }
  if (m.presence) {
    const presence = trainPresenceHeads(kind, features, mb.layout, scribbles, prep.dims, { ...opts, full: m.presence, maxMissing: o.maxMissing, impute: m.impute });
    return { head: presence.fallback, presence };
  }
  return { head: trainMultiSequenceHead(kind, features, mb.layout, scribbles, prep.dims, opts) };
}

/** Predict with a fitted method, the `drop` sequences left out (features untouched). */
export function applyMethod(m: MultiSequenceMethod, fit: MethodFit, features: FeatureVolume, mb: MultiSequenceBackbone, scribbles: Uint8Array, prep: PreparedStudy, o: { drop?: string[]; refine?: RefineLevel; signal?: AbortSignal } = {}): Promise<SegmentResult & { guide: string[] }> {
  return segmentMultiSequence({ features, layout: mb.layout, sequences: prep.inputs, scribbles, head: fit.head, fusion: fit.fusion, presence: fit.presence, guide: m.guide, drop: o.drop, refine: o.refine, signal: o.signal });
}

export interface MultiSequenceRunOptions {
  backbone: FeatureBackbone;
  head?: HeadKind;
  /** Strokes on the full reference grid (0 unlabeled, 255 background, class ids). */
  scribbles: Uint8Array;
  /** Sequences left out at prediction time (trained with all). */
  drop?: SequenceName[];
  /**
   * Fit a presence head for every pattern (not only those with at most one sequence missing): for a head that is
   * saved and may be applied to studies with few of the sequences.
   */
  everyPattern?: boolean;
  /** Default DEFAULT_METHOD. */
  method?: MultiSequenceMethod;
  refine?: RefineLevel;
  crop?: boolean;
  onProgress?: ExtractOptions['onProgress'];
  signal?: AbortSignal;
}

export interface MultiSequenceRunResult {
  /** On the full reference grid. */
  labels: Uint8Array;
  head: TrainedHead;
  /** The presence-specific heads when the method has them (what `--save-head` stores with the head). */
  presence?: PresenceHeads;
  backbone: MultiSequenceBackbone;
  timings: Record<string, number>;
  guide: string[];
  box: CropBox;
}

/** Features → head (with dropout) → prediction, on one study. Used by `medseg segment --image a --image b`. */
export async function runMultiSequence(study: MultiSequenceStudy, o: MultiSequenceRunOptions): Promise<MultiSequenceRunResult> {
  const prep = prepareStudy(study, o.scribbles, o.crop ?? true);
  const mb = createMultiSequenceBackbone(o.backbone, prep.sequences.map((s) => s.name));
  const t0 = performance.now();
  const features: FeatureVolume = await mb.extract(prep.inputs, { onProgress: o.onProgress, signal: o.signal });
  const t1 = performance.now();
  const scribbles = cropToStudy(o.scribbles, prep);
  const method = o.method ?? DEFAULT_METHOD;
  const fit = fitMethod(method, o.head ?? 'linear', features, mb, scribbles, prep, { maxMissing: o.everyPattern ? mb.layout.sequences.length - 1 : undefined });
  const t2 = performance.now();
  const r = await applyMethod(method, fit, features, mb, scribbles, prep, { drop: o.drop, refine: o.refine, signal: o.signal });
  // The saved head is the one that predicted with every sequence: the late-fusion composite when there is one.
  const head = fit.fusion ? composeLateFusion(fit.fusion, mb.layout.sequences) : fit.head;
  return {
    labels: pasteFromStudy(r.labels, prep), head, presence: fit.presence, backbone: mb, guide: r.guide, box: prep.box,
    timings: { features: t1 - t0, train: t2 - t1, ...r.timings },
  };
}

export interface ApplyToStudyOptions {
  backbone: FeatureBackbone;
  onProgress?: ExtractOptions['onProgress'];
  signal?: AbortSignal;
}

export interface ApplyToStudyResult {
  /** On the full reference grid. */
  labels: Uint8Array;
  /** The head's sequences the study lacks (treated as missing). */
  missing: string[];
  /** Which head served the study: 'all', 'without <name>' or 'dropout' (see presenceHead). */
  pattern: string;
  backbone: MultiSequenceBackbone;
  timings: Record<string, number>;
}

/**
 * A saved multi-sequence head on another study that holds some of its sequences (no strokes there, so the head's
 * per-voxel answer, as `medseg apply` gives for one image). The features are laid out by the HEAD's sequences, the
 * ones the study lacks left zero with presence 0, and the presence-specific head of that pattern predicts. A
 * sequence the head never saw is refused (HEAD_MISMATCH naming it) before any feature is computed.
 */
export async function applyToStudy(study: MultiSequenceStudy, loaded: LoadedHead, o: ApplyToStudyOptions): Promise<ApplyToStudyResult> {
  const seqs = loaded.sequences;
  if (!seqs) throw new MedSegError('HEAD_MISMATCH', 'This trained model was made on a single image; apply it with one --image.');
  const names = study.sequences.map((s) => s.name);
  for (const n of names) {
    if (!seqs.some((s) => s.toLowerCase() === n.toLowerCase())) {
      throw new MedSegError('HEAD_MISMATCH', `This model was trained on ${seqs.join(', ')}; it has never seen a sequence called "${n}". Name the images as when it was trained (e.g. --image t2=…), or leave that one out.`);
    }
  }
  const missing = seqs.filter((s) => !names.some((n) => n.toLowerCase() === s.toLowerCase()));
  const head = loaded.presence ? presenceHead(loaded.presence, names) : { head: loaded.head, pattern: 'dropout' };
  const prep = prepareStudy(study);
  const mb = createMultiSequenceBackbone(o.backbone, seqs);
  const t0 = performance.now();
  const features = await mb.extract(prep.inputs, { onProgress: o.onProgress, signal: o.signal });
  const t1 = performance.now();
  const r = await segmentMultiSequence({ features, layout: mb.layout, sequences: prep.inputs, scribbles: new Uint8Array(0), head: head.head, refine: 'none', backboneId: mb.id, signal: o.signal });
  const empty = backgroundMask(prep.sequences);
  if (empty) for (let v = 0; v < r.labels.length; v++) if (empty[v]) r.labels[v] = 0;
  return { labels: pasteFromStudy(r.labels, prep), missing, pattern: head.pattern, backbone: mb, timings: { features: t1 - t0, ...r.timings } };
}
