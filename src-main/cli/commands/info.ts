/**
 * `medseg info <path…>`: one JSON record per series found (geometry, voxel type, value range, load time,
 * warnings); non-image objects are listed with kind and description only.
 */
import { resolve } from 'node:path';
import { MedSegError, toMedSegError, valueRange, type MedSegErrorInfo } from '../../../src-shared';
import { loadEntry, scanPaths, type SeriesEntry } from '../../io';
import { EXIT, type CliCommand } from '../command';

export interface InfoRecord {
  path: string;
  format: SeriesEntry['format'];
  kind: SeriesEntry['kind'];
  description: string;
  dims?: [number, number, number];
  spacing?: [number, number, number];
  origin?: [number, number, number];
  direction?: number[];
  modality?: string;
  voxelType?: string;
  range?: [number, number];
  fileCount?: number;
  loadMs?: number;
  warnings?: string[];
}

const round = (x: number, d = 6) => Math.round(x * 10 ** d) / 10 ** d + 0;

export const infoCommand: CliCommand = {
  name: 'info',
  register(program, ctx) {
    program
      .command('info')
      .description('describe every image series in files or folders (JSON on stdout)')
      .argument('<paths...>', 'files or folders (DICOM, NIfTI, NRRD, MGH/MGZ)')
      .option('--no-load', 'only scan headers (no value range or load time)')
      .action(async (paths: string[], opts: { load: boolean }) => {
        const scan = await scanPaths(paths);
        const entries: InfoRecord[] = [];
        const errors: MedSegErrorInfo[] = [...scan.errors];
        const bar = ctx.progress(scan.entries.length, 'Loading');
        for (const [n, e] of scan.entries.entries()) {
          const base: InfoRecord = { path: e.files.length === 1 ? e.files[0] : commonFolder(e.files), format: e.format, kind: e.kind, description: e.description };
          if (e.kind !== 'image' || !opts.load) {
            entries.push(e.kind === 'image' ? { ...base, dims: e.dims, fileCount: e.files.length, warnings: e.warnings } : base);
            continue;
          }
          const t0 = performance.now();
          try {
            const v = await loadEntry(e, { onProgress: (f) => bar.update(n + f, e.description) });
            const loadMs = Math.round(performance.now() - t0);
            entries.push({
              ...base, dims: v.dims, spacing: v.spacing.map((x) => round(x)) as [number, number, number],
              origin: v.origin.map((x) => round(x, 4)) as [number, number, number], direction: v.direction.map((x) => round(x)),
              modality: v.modality, voxelType: v.voxelType, range: valueRange(v.data), fileCount: e.files.length, loadMs,
              warnings: [...new Set([...e.warnings, ...v.warnings])],
            });
          } catch (err) {
            errors.push({ ...toMedSegError(err).toJSON(), path: toMedSegError(err).path ?? e.files[0] });
          }
        }
        bar.stop();
        if (entries.length === 0 && errors.length === 0) {
          throw new MedSegError('NO_IMAGES', `No images were found in ${paths.join(', ')}.`, { path: paths[0] });
        }
        ctx.json({ entries, errors: errors.map(clean), skipped: scan.skipped.length });
        // A problem with a path the user named fails the run; a stray bad file inside a folder does not.
        const named = new Set(paths.map((p) => resolve(p)));
        const loaded = entries.some((e) => e.kind === 'image');
        if (!loaded || errors.some((e) => e.path !== undefined && named.has(resolve(e.path)))) ctx.setExitCode(EXIT.INPUT);
        for (const e of errors) ctx.note(`medseg: ${e.message}`);
      });
  },
};

function clean(e: MedSegErrorInfo): MedSegErrorInfo {
  const r: MedSegErrorInfo = { code: e.code, message: e.message };
  if (e.path) r.path = e.path;
  if (e.detail) r.detail = e.detail;
  return r;
}

function commonFolder(files: string[]): string {
  const parts = files.map((f) => resolve(f).split('/'));
  const out: string[] = [];
  for (let i = 0; i < parts[0].length - 1; i++) {
    if (parts.every((p) => p[i] === parts[0][i])) out.push(parts[0][i]);
    else break;
  }
  return out.join('/') || '/';
}
