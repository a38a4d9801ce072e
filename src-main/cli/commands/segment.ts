/**
 * `medseg segment`: strokes file + image → segmentation file (and optionally the trained head).
 * Also home of the helpers the apply/bench commands share: backbone choice and label maps on the image grid.
 */
import { BACKGROUND_ID, MedSegError, sameGrid, type Volume } from '../../../src-shared';
import { checkOutputPath, exportSegmentation, labelsToFull, labelsToWork, openVolume, resampleLabels, workingGrid } from '../../io';
import type { FeatureBackbone, FeatureVolume } from '../../features/types';
import { createFilterBackbone, saveHead, segment, trainHead, type HeadKind } from '../../fewshot';
import type { CliCommand, CliContext } from '../command';
import { parseSequenceSpec, resolveDrop, type SequenceSpec } from '../../engine/multiseq/spec';
import { openStudy, runMultiSequence } from '../../engine/multiseq/pipeline';
import { savePresenceHeads } from '../../fewshot/serialize';

export type BackboneName = 'filters' | 'dinov2' | 'hybrid';

export function parseBackbone(s: string | undefined): BackboneName {
  const b = s ?? 'filters';
  if (b !== 'filters' && b !== 'dinov2' && b !== 'hybrid') throw new MedSegError('INVALID_ARGUMENT', `Unknown feature type "${b}": use filters, dinov2 or hybrid.`);
  return b;
}

export function parseHeadKind(s: string | undefined): HeadKind {
  const h = s ?? 'linear';
  if (h !== 'linear' && h !== 'proto') throw new MedSegError('INVALID_ARGUMENT', `Unknown head "${h}": use linear or proto.`);
  return h;
}

/**
 * The DINOv2 modules are imported only when asked for, so the default filter path never loads onnxruntime.
 * Without a model file the user gets MODEL_NOT_FOUND, not a stack trace.
 */
export async function makeBackbone(name: BackboneName, modelPath?: string): Promise<FeatureBackbone> {
  if (name === 'filters') return createFilterBackbone();
  const model = modelPath ?? process.env.MEDSEG_DINOV2_MODEL;
  if (!model) throw new MedSegError('MODEL_NOT_FOUND', `The ${name} features need a DINOv2 ONNX model: pass --model <file.onnx> (or set MEDSEG_DINOV2_MODEL).`);
  if (name === 'dinov2') {
    const m = await import('../../features/dinov2');
    return m.createDinov2Backbone({ modelPath: model });
  }
  const h = await import('../../features/hybrid');
  return h.createHybridBackbone({ modelPath: model });
}

/** A label file as a Uint8Array on the image's grid: same grid as is, otherwise resampled through world space. */
export async function labelsOnImage(path: string, image: Volume): Promise<Uint8Array> {
  const lab = await openVolume(path);
  const src = lab.data;
  const n = src.length;
  const u8 = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (!(v >= 0 && v <= 255) || v !== Math.round(v)) {
      throw new MedSegError('INVALID_ARGUMENT', `The label file holds the value ${v}; labels must be whole numbers from 0 to 255.`, { path });
    }
    u8[i] = v;
  }
  if (sameGrid(lab, image)) return u8;
  const r = resampleLabels({ dims: lab.dims, spacing: lab.spacing, origin: lab.origin, direction: lab.direction, data: u8 }, image);
  if (!r.data.some((v) => v !== 0) && u8.some((v) => v !== 0)) {
    throw new MedSegError('GRID_MISMATCH', 'The labels do not overlap the image in patient space, so they cannot be placed on it.', { path });
  }
  return r.data;
}

export async function extractWithProgress(bb: FeatureBackbone, vol: Volume, ctx: CliContext): Promise<FeatureVolume> {
  const bar = ctx.progress(1, `Features (${bb.id})`);
  try {
    return await bb.extract(vol, { onProgress: (p) => bar.update(p.total ? p.done / p.total : 0) });
  } finally {
    bar.stop();
  }
}

/** Write the result by extension (.dcm = DICOM SEG referencing the source series; .nii/.nii.gz/.nrrd label map). */
export async function writeSegmentation(image: Volume, labels: Uint8Array, out: string, overwrite = false): Promise<string[]> {
  return (await exportSegmentation(image, labels, out, { overwrite })).warnings;
}

export function classVoxelCounts(labels: Uint8Array): Record<string, number> {
  const h = new Array<number>(256).fill(0);
  for (let i = 0; i < labels.length; i++) h[labels[i]]++;
  const r: Record<string, number> = {};
  h.forEach((c, id) => { if (c && id) r[String(id)] = c; });
  return r;
}

/** Commander collector for repeatable options (--image, --drop). */
export function collectImages(v: string, prev?: string[]): string[] {
  return [...(prev ?? []), v];
}

function mapBackground(scribbles: Uint8Array, bgl: number, path: string): void {
  if (bgl === BACKGROUND_ID) return;
  for (let i = 0; i < scribbles.length; i++) {
    if (scribbles[i] === bgl) scribbles[i] = BACKGROUND_ID;
    else if (scribbles[i] === BACKGROUND_ID) throw new MedSegError('INVALID_ARGUMENT', `The strokes use 255 while background is ${bgl}; class ids must be 1–254.`, { path });
  }
}

/** Sequences of other patients/studies: keep the typed error, and tell the user how to go ahead. */
export async function openStudyForCli(specs: SequenceSpec[], confirmMismatch?: boolean): ReturnType<typeof openStudy> {
  try {
    return await openStudy(specs, { confirmMismatch });
  } catch (e) {
    if (e instanceof MedSegError && e.code === 'SEQUENCE_MISMATCH') {
      throw new MedSegError('SEQUENCE_MISMATCH', `${e.message} If they belong together, run again with --confirm-mismatch.`, { detail: e.detail });
    }
    throw e;
  }
}

/** `segment` with several --image: fused features of all sequences, a head trained with sequence dropout. */
async function segmentStudy(specs: SequenceSpec[], o: { labels: string; out: string; backbone: string; model?: string; saveHead?: string; force?: boolean; drop?: string[]; confirmMismatch?: boolean }, kind: HeadKind, bgl: number, ctx: CliContext): Promise<void> {
  const study = await openStudyForCli(specs, o.confirmMismatch);
  const names = study.sequences.map((s) => s.name);
  const drop = resolveDrop(o.drop ?? [], names);
  const reference = study.sequences[0].volume;
  const scribbles = await labelsOnImage(o.labels, reference);
  mapBackground(scribbles, bgl, o.labels);
  const bb = await makeBackbone(parseBackbone(o.backbone), o.model);
  const bar = ctx.progress(1, `Features (${names.join(', ')})`);
  let r;
  try {
    r = await runMultiSequence(study, { backbone: bb, head: kind, scribbles, drop, everyPattern: o.saveHead !== undefined, onProgress: (p) => bar.update(p.total ? p.done / p.total : 0) });
  } finally {
    bar.stop();
  }
  const warnings = [...study.warnings, ...(await writeSegmentation(reference, r.labels, o.out, o.force))];
  // The file is an ordinary head file (the dropout-trained head) plus the sequence names and presence-specific heads.
  if (o.saveHead) await savePresenceHeads(r.presence ?? { layout: r.backbone.layout, fallback: r.head, leaveOneOut: {} }, o.saveHead);
  await bb.dispose?.();
  ctx.json({
    written: o.out, warnings, head: o.saveHead ?? null, backbone: r.backbone.id, provider: bb.provider, headKind: kind, classes: r.head.classes,
    sequences: study.sequences.map((s) => ({ name: s.name, coveredFraction: Math.round(s.coveredFraction * 1000) / 1000 })), dropped: drop, guide: r.guide,
    labeledVoxels: Object.fromEntries(r.head.classes.map((c, i) => [String(c), r.head.counts[i]])), voxels: classVoxelCounts(r.labels),
    featureMs: Math.round(r.timings.features), trainMs: Math.round(r.timings.train), timings: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v)])),
  });
}

export const segmentCommand: CliCommand = {
  name: 'segment',
  register(program, ctx) {
    program
      .command('segment')
      .description('segment an image from a few labeled strokes (JSON on stdout)')
      .requiredOption('--image <path>', 'image file or DICOM folder; repeat once per sequence (name=path names it, e.g. flair=FLAIR.nii.gz)', collectImages)
      .requiredOption('--labels <path>', 'strokes: 0 unlabeled, class ids 1..254, background = --background-label')
      .requiredOption('--out <path>', 'output: .dcm (DICOM SEG referencing a DICOM source), .nii.gz, .nii or .nrrd (0 = background)')
      .option('--drop <name>', 'several sequences: leave this one out at prediction time (trained with all; repeatable)', collectImages)
      .option('--confirm-mismatch', 'several sequences: combine them even if they belong to different patients or studies')
      .option('--force', 'replace an existing output file')
      .option('--backbone <name>', 'filters | dinov2 | hybrid', 'filters')
      .option('--model <onnx>', 'DINOv2 ONNX model (dinov2 / hybrid)')
      .option('--head <kind>', 'linear | proto', 'linear')
      .option('--save-head <file>', 'also save the trained head (JSON)')
      .option('--background-label <n>', 'value in the strokes file that means background', '255')
      .action(async (o: { image: string[]; labels: string; out: string; backbone: string; model?: string; head: string; saveHead?: string; backgroundLabel: string; force?: boolean; drop?: string[]; confirmMismatch?: boolean }) => {
        await checkOutputPath(o.out, o.force);
        const bgl = Number(o.backgroundLabel);
        if (!Number.isInteger(bgl) || bgl < 1 || bgl > 255) throw new MedSegError('INVALID_ARGUMENT', '--background-label must be a whole number from 1 to 255.');
        const kind = parseHeadKind(o.head);
        const specs = o.image.map(parseSequenceSpec);
        if (specs.length > 1) return segmentStudy(specs, o, kind, bgl, ctx);
        if (o.drop?.length) throw new MedSegError('INVALID_ARGUMENT', '--drop needs several sequences (--image given more than once).');
        const bb = await makeBackbone(parseBackbone(o.backbone), o.model);
        const image = await openVolume(specs[0].path);
        const scribbles = await labelsOnImage(o.labels, image);
        mapBackground(scribbles, bgl, o.labels);
        // Studies too large for full-resolution features work on block-averaged voxels (io/workgrid.ts).
        const wg = workingGrid(image);
        const work = wg.volume;
        const t0 = performance.now();
        const features = await extractWithProgress(bb, work, ctx);
        const featureMs = performance.now() - t0;
        const t1 = performance.now();
        const workScribbles = labelsToWork(scribbles, wg);
        const head = trainHead(kind, features, workScribbles, work.dims, { backbone: { id: bb.id, settings: bb.settings }, spacing: work.spacing });
        const trainMs = performance.now() - t1;
        const r = await segment({ volume: work, features, scribbles: workScribbles, head });
        const labels = labelsToFull(r.labels, wg);
        const warnings = [...(work === image ? [] : work.warnings.slice(-1)), ...(await writeSegmentation(image, labels, o.out, o.force))];
        if (o.saveHead) await saveHead(head, o.saveHead);
        await bb.dispose?.();
        ctx.json({
          written: o.out, warnings, head: o.saveHead ?? null, backbone: bb.id, provider: bb.provider, headKind: kind, classes: head.classes,
          labeledVoxels: Object.fromEntries(head.classes.map((c, i) => [String(c), head.counts[i]])), voxels: classVoxelCounts(labels),
          workingGrid: work === image ? null : { dims: [...work.dims], blocks: [...wg.f] },
          featureMs: Math.round(featureMs), trainMs: Math.round(trainMs), timings: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v)])),
        });
      });
  },
};
