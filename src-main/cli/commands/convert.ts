/**
 * `medseg convert <in> <out>`: write the image at <in> (file or folder) as .nii.gz / .nii / .nrrd with its
 * geometry intact. An existing output is never replaced without --force.
 */
import { MedSegError, isMedSegError } from '../../../src-shared';
import { loadEntry, scanPaths, writeVolume, openVolume, WRITE_EXTENSIONS } from '../../io';
import type { CliCommand } from '../command';

export const convertCommand: CliCommand = {
  name: 'convert',
  register(program, ctx) {
    program
      .command('convert')
      .description(`convert an image to ${WRITE_EXTENSIONS.join(' / ')} (geometry kept)`)
      .argument('<input>', 'file or folder holding one image series')
      .argument('<output>', `output file (${WRITE_EXTENSIONS.join(', ')})`)
      .option('-f, --force', 'replace the output file if it exists')
      .option('-s, --series <n>', 'when the input holds several series: the 1-based number of the one to convert (as listed by `medseg info`)')
      .action(async (input: string, output: string, opts: { force?: boolean; series?: string }) => {
        const t0 = performance.now();
        const bar = ctx.progress(1, 'Reading');
        let vol;
        try {
          if (opts.series !== undefined) {
            const n = Number(opts.series);
            const images = (await scanPaths([input])).entries.filter((e) => e.kind === 'image');
            if (!Number.isInteger(n) || n < 1 || n > images.length) {
              throw new MedSegError('INVALID_ARGUMENT', `--series must be a number from 1 to ${images.length}.`, { path: input });
            }
            vol = await loadEntry(images[n - 1], { onProgress: (f) => bar.update(f) });
          } else vol = await openVolume(input, { onProgress: (f) => bar.update(f) });
        } finally {
          bar.stop();
        }
        try {
          await writeVolume(vol, output, { overwrite: !!opts.force });
        } catch (e) {
          if (isMedSegError(e) && e.code === 'FILE_EXISTS') {
            throw new MedSegError('FILE_EXISTS', `${output} already exists and was not overwritten. Use --force to replace it.`, { path: output });
          }
          throw e;
        }
        for (const w of vol.warnings) ctx.note(`warning: ${w}`);
        ctx.json({ written: output, dims: vol.dims, spacing: vol.spacing, origin: vol.origin, direction: vol.direction, voxelType: vol.voxelType, warnings: vol.warnings, ms: Math.round(performance.now() - t0) });
      });
  },
};
