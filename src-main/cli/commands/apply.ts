/**
 * `medseg apply`: a saved head on a new image (no strokes, so no propagation: the head's per-voxel answer,
 * kept to 3D components large enough to matter is future work). The features must come from the backbone the
 * head names, else HEAD_MISMATCH.
 */
import { MedSegError } from '../../../src-shared';
import { checkOutputPath, labelsToFull, openVolume, workingGrid } from '../../io';
import { loadHead, segment } from '../../fewshot';
import type { CliCommand } from '../command';
import { classVoxelCounts, extractWithProgress, makeBackbone, writeSegmentation, type BackboneName } from './segment';

function backboneOf(id: string): BackboneName {
  if (id === 'filters') return 'filters';
  if (id.startsWith('hybrid')) return 'hybrid';
  if (id.startsWith('dinov2')) return 'dinov2';
  throw new MedSegError('HEAD_MISMATCH', `This trained model needs features of type "${id}", which this program cannot compute.`);
}

export const applyCommand: CliCommand = {
  name: 'apply',
  register(program, ctx) {
    program
      .command('apply')
      .description('apply a saved head to an image (JSON on stdout)')
      .requiredOption('--image <path>', 'image file or DICOM folder')
      .requiredOption('--head <file>', 'head saved by `medseg segment --save-head`')
      .requiredOption('--out <path>', 'output: .dcm (DICOM SEG), .nii.gz, .nii or .nrrd')
      .option('--force', 'replace an existing output file')
      .option('--model <onnx>', 'DINOv2 ONNX model, when the head was trained on dinov2 / hybrid features')
      .action(async (o: { image: string; head: string; out: string; model?: string; force?: boolean }) => {
        await checkOutputPath(o.out, o.force);
        const head = await loadHead(o.head);
        const bb = await makeBackbone(backboneOf(head.backbone.id), o.model);
        const image = await openVolume(o.image);
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
