/**
 * `medseg apply`: a saved head on a new image (no strokes, so no propagation: the head's per-voxel answer,
 * kept to 3D components large enough to matter is future work). The features must come from the backbone the
 * head names, else HEAD_MISMATCH.
 */
import { MedSegError } from '../../../src-shared';
import { checkOutputPath, labelsToFull, openVolume, workingGrid } from '../../io';
import { segment } from '../../fewshot';
import { loadHeadFile, type LoadedHead } from '../../fewshot/serialize';
import { applyToStudy } from '../../engine/multiseq/pipeline';
import { parseSequenceSpec, type SequenceSpec } from '../../engine/multiseq/spec';
import type { CliCommand, CliContext } from '../command';
import { classVoxelCounts, collectImages, extractWithProgress, makeBackbone, openStudyForCli, writeSegmentation, type BackboneName } from './segment';

function backboneOf(id: string): BackboneName {
  if (id === 'filters') return 'filters';
  if (id.startsWith('hybrid')) return 'hybrid';
  if (id.startsWith('dinov2')) return 'dinov2';
  throw new MedSegError('HEAD_MISMATCH', `This trained model needs features of type "${id}", which this program cannot compute.`);
}

/** The features under a fused id "multiseq[T1,T2]:filters" are the inner backbone's, per sequence. */
function innerBackboneId(id: string): string {
  const m = /^multiseq\[[^\]]*\]:(.*)$/.exec(id);
  return m ? m[1] : id;
}

/**
 * A multi-sequence head on a study of one or more sequences (missing ones handled as at prediction time). A single
 * bare --image is named from its description/file name as in `segment`.
 */
async function applyStudy(specs: SequenceSpec[], loaded: LoadedHead, o: { out: string; model?: string; force?: boolean; confirmMismatch?: boolean }, ctx: CliContext): Promise<void> {
  const bb = await makeBackbone(backboneOf(innerBackboneId(loaded.head.backbone.id)), o.model);
  const study = await openStudyForCli(specs, o.confirmMismatch);
  const bar = ctx.progress(1, `Features (${study.sequences.map((s) => s.name).join(', ')})`);
  let r;
  try {
    r = await applyToStudy(study, loaded, { backbone: bb, onProgress: (p) => bar.update(p.total ? p.done / p.total : 0) });
  } finally {
    bar.stop();
  }
  const reference = study.sequences[0].volume;
  const warnings = [...study.warnings, ...(await writeSegmentation(reference, r.labels, o.out, o.force))];
  await bb.dispose?.();
  ctx.json({
    written: o.out, warnings, backbone: r.backbone.id, provider: bb.provider, classes: loaded.head.classes,
    sequences: study.sequences.map((s) => s.name), missing: r.missing, head: r.pattern, voxels: classVoxelCounts(r.labels),
    timings: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v)])),
  });
}

export const applyCommand: CliCommand = {
  name: 'apply',
  register(program, ctx) {
    program
      .command('apply')
      .description('apply a saved head to an image (JSON on stdout)')
      .requiredOption('--image <path>', 'image file or DICOM folder; for a multi-sequence head repeat it once per sequence (t1=…, flair=…)', collectImages)
      .requiredOption('--head <file>', 'head saved by `medseg segment --save-head`')
      .requiredOption('--out <path>', 'output: .dcm (DICOM SEG), .nii.gz, .nii or .nrrd')
      .option('--force', 'replace an existing output file')
      .option('--model <onnx>', 'DINOv2 ONNX model, when the head was trained on dinov2 / hybrid features')
      .option('--confirm-mismatch', 'several sequences: combine them even if they belong to different patients or studies')
      .action(async (o: { image: string[]; head: string; out: string; model?: string; force?: boolean; confirmMismatch?: boolean }) => {
        await checkOutputPath(o.out, o.force);
        const loaded = await loadHeadFile(o.head);
        const specs = o.image.map(parseSequenceSpec);
        if (loaded.sequences) return applyStudy(specs, loaded, o, ctx);
        if (specs.length > 1) throw new MedSegError('HEAD_MISMATCH', 'This trained model was made on a single image; apply it with one --image.');
        const head = loaded.head;
        const bb = await makeBackbone(backboneOf(head.backbone.id), o.model);
        const image = await openVolume(specs[0].path);
        const wg = workingGrid(image);
        const features = await extractWithProgress(bb, wg.volume, ctx);
        const r = await segment({ volume: wg.volume, features, scribbles: new Uint8Array(0), head, refine: 'none', backboneId: bb.id });
        const labels = labelsToFull(r.labels, wg);
        const warnings = await writeSegmentation(image, labels, o.out, o.force);
        await bb.dispose?.();
        ctx.json({ written: o.out, warnings, backbone: bb.id, provider: bb.provider, classes: head.classes, voxels: classVoxelCounts(labels), timings: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v)])) });
      });
  },
};
