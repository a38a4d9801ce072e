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
import { composeLateFusion, segmentMultiSequence, trainLateFusion, trainMultiSequenceHead, type LateFusionModel, type LateFusionOptions, type SequenceDropoutOptions } from '../../fewshot/multiseq';
import type { HeadKind, RefineLevel, SegmentResult, TrainedHead } from '../../fewshot';
import { contentBox, cropArray, cropSequences, pasteArray, type CropBox } from './crop';
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
  /** One line for the report: what this method changes. */
  about: string;
}

/**
 * The method used by `medseg segment`/`bench` with several images: fused head, one dropout copy per labeled voxel
 * with one sequence missing (not pairs or triples; sequences in turn), stroke-discriminant guide. Chosen on the measured ablation in bench/report.md
 * (scribble mode first), by principle rather than by searching settings on the reference.
 */
export const DEFAULT_METHOD: MultiSequenceMethod = {
  name: 'fused + stroke guide + one single-drop copy', fusion: 'early', guide: 'strokes', dropout: { maxDropped: 1, copiesPerSample: 1 },
  about: 'fused head; each labeled voxel also seen once with one sequence missing (the sequences taken in turn, dropout rate 1/2); propagation guided by the stroke-discriminant combination of the sequences',
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
}

/** Train the method's head(s) on fused features (strokes on the prepared grid). */
export function fitMethod(m: MultiSequenceMethod, kind: HeadKind, features: FeatureVolume, mb: MultiSequenceBackbone, scribbles: Uint8Array, prep: PreparedStudy): MethodFit {
  const opts = { backbone: { id: mb.id, settings: mb.settings }, spacing: prep.spacing, dropout: m.dropout };
  // Late fusion composes linear heads; a prototype head stays a fused head.
  if (m.fusion === 'late' && kind === 'linear') {
    const fusion = trainLateFusion(features, mb.layout, scribbles, prep.dims, { ...opts, ...m.late });
    return { head: fusion.fused, fusion };
  }
  return { head: trainMultiSequenceHead(kind, features, mb.layout, scribbles, prep.dims, opts) };
}

/** Predict with a fitted method, the `drop` sequences left out (features untouched). */
export function applyMethod(m: MultiSequenceMethod, fit: MethodFit, features: FeatureVolume, mb: MultiSequenceBackbone, scribbles: Uint8Array, prep: PreparedStudy, o: { drop?: string[]; refine?: RefineLevel; signal?: AbortSignal } = {}): Promise<SegmentResult & { guide: string[] }> {
  return segmentMultiSequence({ features, layout: mb.layout, sequences: prep.inputs, scribbles, head: fit.head, fusion: fit.fusion, guide: m.guide, drop: o.drop, refine: o.refine, signal: o.signal });
}

export interface MultiSequenceRunOptions {
  backbone: FeatureBackbone;
  head?: HeadKind;
  /** Strokes on the full reference grid (0 unlabeled, 255 background, class ids). */
  scribbles: Uint8Array;
  /** Sequences left out at prediction time (trained with all). */
  drop?: SequenceName[];
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
  const fit = fitMethod(method, o.head ?? 'linear', features, mb, scribbles, prep);
  const t2 = performance.now();
  const r = await applyMethod(method, fit, features, mb, scribbles, prep, { drop: o.drop, refine: o.refine, signal: o.signal });
  // The saved head is the one that predicted with every sequence: the late-fusion composite when there is one.
  const head = fit.fusion ? composeLateFusion(fit.fusion, mb.layout.sequences) : fit.head;
  return {
    labels: pasteFromStudy(r.labels, prep), head, backbone: mb, guide: r.guide, box: prep.box,
    timings: { features: t1 - t0, train: t2 - t1, ...r.timings },
  };
}
