/**
 * `medseg bench`: the simulated-annotator benchmark of BENCHMARK.md on one case, JSON on stdout.
 * runBench() is shared with `bench-report`, which runs many cases and settings in one process.
 */
import { cpus, totalmem } from 'node:os';
import { MedSegError, type Volume } from '../../../src-shared';
import { openVolume } from '../../io';
import type { FeatureBackbone, FeatureVolume } from '../../features/types';
import { chooseSlices, diceAll, segment, simulateAnnotation, trainHead, type AnnotatorMode, type HeadKind, type RefineLevel } from '../../fewshot';
import type { CliCommand, CliContext } from '../command';
import { collectImages, extractWithProgress, labelsOnImage, makeBackbone, openStudyForCli, parseBackbone, parseHeadKind } from './segment';
import { parseSequenceSpec, resolveDrop, type SequenceSpec } from '../../engine/multiseq/spec';
import { runMultiSequenceCase } from '../../engine/multiseq/bench';
import { headKernelName } from '../../fewshot/simd/linear-batch';
import { FUSED_STANDARDIZE } from '../../fewshot/multiseq';

export interface BenchResult {
  dice: Record<string, number>;
  meanDice: number;
  featureMs: number;
  updateMs: { median: number; p95: number; train: number; predict: number };
  peakRssMb: number;
  provider: string;
  /** What computed the linear head's dot products (scoring and training): 'wasm-simd' or 'js' (same results). */
  headKernel: 'wasm-simd' | 'js';
  backbone: string;
  head: HeadKind;
  refine: RefineLevel;
  /** 'auto': coarse-to-fine propagation when the volume is large enough (the default); 'full': every voxel. */
  resolution?: 'auto' | 'full';
  /** How the head standardised its channels: by the study's statistics (the default) or the strokes' own. */
  standardizeBy: 'volume' | 'samples';
  /** 'modality': the band balance of the study's modality (the default, CT_BAND_BALANCE for CT); 'none': one balance on every level. */
  bandBalance: 'modality' | 'none';
  mode: AnnotatorMode;
  k: number;
  slices: number[];
  labeledVoxels: number;
  dims: number[];
  spacing: number[];
  machine: string;
}

export function machineLine(): string {
  const c = cpus();
  return `${c.length}× ${c[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export interface BenchCase {
  image: Volume;
  reference: Uint8Array;
  classes: number[];
  k: number;
  mode: AnnotatorMode;
  head: HeadKind;
  refine?: RefineLevel;
  resolution?: 'auto' | 'full';
  standardizeBy?: 'volume' | 'samples';
  bandBalance?: 'modality' | 'none';
  repeats?: number;
}

/** One benchmark run on warm features (featureMs is measured by the caller, cold). */
export async function runBench(c: BenchCase, bb: FeatureBackbone, features: FeatureVolume, featureMs: number): Promise<BenchResult> {
  const { image, reference, classes, k, mode } = c;
  const { scribbles, slices } = simulateAnnotation({ reference, image: image.data, dims: image.dims, modality: image.modality, classes, k, mode });
  let labeled = 0;
  for (let i = 0; i < scribbles.length; i++) if (scribbles[i]) labeled++;
  const repeats = Math.max(5, c.repeats ?? 5);
  const times: number[] = [], trains: number[] = [], preds: number[] = [];
  let labels: Uint8Array | undefined;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const head = trainHead(c.head, features, scribbles, image.dims, { backbone: { id: bb.id, settings: bb.settings }, spacing: image.spacing, standardizeBy: c.standardizeBy });
    const t1 = performance.now();
    const res = await segment({ volume: image, features, scribbles, head, refine: c.refine, resolution: c.resolution, ...(c.bandBalance === 'none' ? { bandBalance: null } : {}) });
    const t2 = performance.now();
    times.push(t2 - t0); trains.push(t1 - t0); preds.push(t2 - t1);
    labels = res.labels;
  }
  const sorted = times.slice().sort((a, b) => a - b);
  const med = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  const d = diceAll(labels!, reference, classes);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    dice: Object.fromEntries(Object.entries(d.dice).map(([kk, v]) => [kk, r3(v)])),
    meanDice: r3(d.meanDice),
    featureMs: Math.round(featureMs),
    updateMs: { median: Math.round(quantile(sorted, 0.5)), p95: Math.round(quantile(sorted, 0.95)), train: Math.round(med(trains)), predict: Math.round(med(preds)) },
    peakRssMb: peakRssMb(),
    provider: bb.provider,
    headKernel: headKernelName(),
    backbone: bb.id,
    head: c.head,
    refine: c.refine ?? 'propagate',
    resolution: c.resolution ?? 'auto',
    standardizeBy: c.standardizeBy ?? 'volume',
    bandBalance: c.bandBalance ?? 'modality',
    mode, k, slices, labeledVoxels: labeled,
    dims: [...image.dims], spacing: [...image.spacing],
    machine: machineLine(),
  };
}

export function parseClasses(s: string): number[] {
  const ids = s.split(',').map((x) => Number(x.trim()));
  if (!ids.length || ids.some((x) => !Number.isInteger(x) || x < 1 || x > 254)) throw new MedSegError('INVALID_ARGUMENT', `--classes must be a comma-separated list of ids 1–254 (got "${s}").`);
  return ids;
}

/** Reference from one label map, or from binary masks painted in the order given (a later mask wins). */
export async function loadReference(image: Volume, labels?: string, masks: string[] = []): Promise<Uint8Array> {
  if (labels && masks.length) throw new MedSegError('INVALID_ARGUMENT', 'Give either --labels or --mask, not both.');
  if (labels) return labelsOnImage(labels, image);
  if (!masks.length) throw new MedSegError('INVALID_ARGUMENT', 'A reference is needed: --labels <file> or --mask <file>:<id> (repeatable).');
  const ref = new Uint8Array(image.data.length);
  for (const m of masks) {
    const at = m.lastIndexOf(':');
    const id = Number(m.slice(at + 1));
    if (at <= 0 || !Number.isInteger(id) || id < 1 || id > 254) throw new MedSegError('INVALID_ARGUMENT', `--mask expects <file>:<class id 1–254>, got "${m}".`);
    const mk = await labelsOnImage(m.slice(0, at), image);
    for (let i = 0; i < ref.length; i++) if (mk[i]) ref[i] = id;
  }
  return ref;
}

interface BenchOptions {
  image: string[]; labels?: string; mask: string[]; classes: string; k: string; mode: string; backbone: string; model?: string; head: string; refine: string; repeats: string;
  drop?: string[]; confirmMismatch?: boolean;
}

/**
 * Several --image: the study is assembled on the first image's grid, the reference is placed on that grid, the head
 * is trained with every sequence and the --drop ones are left out when predicting. Same JSON as one image, plus
 * `sequences` and `dropped`.
 */
async function benchStudy(specs: SequenceSpec[], o: BenchOptions, k: number, mode: AnnotatorMode, classes: number[], head: HeadKind, ctx: CliContext): Promise<void> {
  if (o.refine !== 'propagate') throw new MedSegError('INVALID_ARGUMENT', '--refine other than propagate is for one image only; several sequences always propagate.');
  const study = await openStudyForCli(specs, o.confirmMismatch);
  const names = study.sequences.map((s) => s.name);
  const dropped = resolveDrop(o.drop ?? [], names);
  const image = study.sequences[0].volume;
  const reference = await loadReference(image, o.labels, o.mask);
  chooseSlices(reference, image.dims, classes, k); // fail on absent targets before the costly features
  const bb = await makeBackbone(parseBackbone(o.backbone), o.model);
  const bar = ctx.progress(1, `Features (${names.join(', ')})`);
  let r;
  try {
    r = await runMultiSequenceCase({ study, reference, classes, k, mode, backbone: bb, head, drop: dropped, repeats: Number(o.repeats) || 5, onProgress: (f) => bar.update(f) });
  } finally {
    bar.stop();
  }
  await bb.dispose?.();
  const res: BenchResult & Record<string, unknown> = {
    dice: r.dice, meanDice: r.meanDice, featureMs: r.featureMs, updateMs: r.updateMs, peakRssMb: peakRssMb(), provider: bb.provider, headKernel: headKernelName(), backbone: r.fusedBackbone,
    // Fused multi-sequence heads standardise by their training rows (fewshot/multiseq.ts FUSED_STANDARDIZE).
    head, refine: 'propagate', standardizeBy: FUSED_STANDARDIZE, bandBalance: 'modality', mode, k, slices: r.slices, labeledVoxels: r.labeledVoxels, dims: [...image.dims], spacing: [...image.spacing], machine: machineLine(),
    sequences: study.sequences.map((s) => ({ name: s.name, coveredFraction: Math.round(s.coveredFraction * 1000) / 1000 })), dropped, guide: r.guide,
    method: r.method, featureMsPerSequence: r.featureMsPerSequence, cropDims: r.cropDims, warnings: study.warnings,
  };
  ctx.json(res);
}

export const benchCommand: CliCommand = {
  name: 'bench',
  register(program, ctx) {
    program
      .command('bench')
      .description('simulated-annotator benchmark (BENCHMARK.md) on one case; JSON on stdout')
      .requiredOption('--image <path>', 'image file or DICOM folder; repeat once per sequence (name=path, e.g. flair=FLAIR.nii.gz)', collectImages)
      .option('--drop <name>', 'several sequences: leave this one out at prediction time (trained with all; repeatable)', collectImages)
      .option('--confirm-mismatch', 'several sequences: combine them even if they belong to different patients or studies')
      .option('--labels <path>', 'reference label map')
      .option('--mask <file:id>', 'binary reference mask with its class id (repeatable, painted in order)', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .requiredOption('--classes <ids>', 'target class ids, comma-separated')
      .requiredOption('--k <n>', 'number of annotated axial slices')
      .option('--mode <mode>', 'scribble | slice', 'scribble')
      .option('--backbone <name>', 'filters | dinov2 | hybrid', 'filters')
      .option('--model <onnx>', 'DINOv2 ONNX model (dinov2 / hybrid)')
      .option('--head <kind>', 'linear | proto', 'linear')
      .option('--refine <level>', 'none | connected | propagate', 'propagate')
      .option('--repeats <n>', 'timed updates (at least 5)', '5')
      .option('--json', 'JSON on stdout (always on; accepted for clarity)')
      .action(async (o: BenchOptions) => {
        const k = Number(o.k);
        if (!Number.isInteger(k) || k < 1) throw new MedSegError('INVALID_ARGUMENT', `--k must be a whole number ≥ 1 (got "${o.k}").`);
        if (o.mode !== 'scribble' && o.mode !== 'slice') throw new MedSegError('INVALID_ARGUMENT', `--mode must be scribble or slice (got "${o.mode}").`);
        if (!['none', 'connected', 'propagate'].includes(o.refine)) throw new MedSegError('INVALID_ARGUMENT', `--refine must be none, connected or propagate.`);
        const classes = parseClasses(o.classes);
        const head = parseHeadKind(o.head);
        const specs = o.image.map(parseSequenceSpec);
        if (specs.length > 1) return benchStudy(specs, o, k, o.mode, classes, head, ctx);
        if (o.drop?.length) throw new MedSegError('INVALID_ARGUMENT', '--drop needs several sequences (--image given more than once).');
        const bb = await makeBackbone(parseBackbone(o.backbone), o.model);
        const image = await openVolume(specs[0].path);
        const reference = await loadReference(image, o.labels, o.mask);
        chooseSlices(reference, image.dims, classes, k); // fail on absent targets before the costly features
        const t0 = performance.now();
        const features = await extractWithProgress(bb, image, ctx);
        const featureMs = performance.now() - t0;
        const res = await runBench({ image, reference, classes, k, mode: o.mode, head, refine: o.refine as RefineLevel, repeats: Number(o.repeats) || 5 }, bb, features, featureMs);
        await bb.dispose?.();
        ctx.json(res);
      });
  },
};
