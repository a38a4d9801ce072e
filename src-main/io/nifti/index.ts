/**
 * NIfTI-1 / NIfTI-2 (.nii, .nii.gz) loader and writer. Imports nifti-reader-js (header layout), src-shared and
 * io helpers only.
 */
import { basename } from 'node:path';
import { MedSegError, type MedSegErrorInfo, type Volume, toMedSegError } from '../../../src-shared';
import type { Loader, LoadOptions, SeriesEntry } from '../types';
import { decodeSamples, gunzipPrefix, isGzip, readContent, readContentHead } from '../bytes';
import { gridFromAffine, shearWarning } from '../affine';
import { buildVolume } from '../finish';
import { niftiKind, parseNiftiHeader } from './header';
import { applyScaling } from './scale';

export { writeNifti } from './write';

export const niftiLoader: Loader = {
  format: 'nifti',
  sniff(_path: string, head: Uint8Array): boolean {
    const b = isGzip(head) ? gunzipPrefix(head) : head;
    return niftiKind(b) !== null;
  },
  async scan(files: string[]) {
    const entries: SeriesEntry[] = [];
    const errors: MedSegErrorInfo[] = [];
    for (const f of files) {
      try {
        const info = parseNiftiHeader(await readContentHead(f, 4096), f);
        entries.push({
          id: f, format: 'nifti', kind: 'image', modality: 'OT', files: [f], dims: info.dims, frameCount: info.dims[2],
          description: info.description ? `${basename(f)} — ${info.description}` : basename(f),
          warnings: info.warnings,
        });
      } catch (e) {
        errors.push({ ...toMedSegError(e).toJSON(), path: f });
      }
    }
    return { entries, errors };
  },
  async load(entry: SeriesEntry, opts?: LoadOptions): Promise<Volume> {
    return loadNifti(entry.files[0], opts);
  },
};

export async function loadNifti(path: string, opts?: LoadOptions): Promise<Volume> {
  const content = await readContent(path, 'NIFTI_INVALID');
  opts?.onProgress?.(0.5);
  if (opts?.signal?.aborted) throw new MedSegError('CANCELLED', 'Loading was cancelled.', { path });
  const info = parseNiftiHeader(content, path);
  const n = info.dims[0] * info.dims[1] * info.dims[2];
  const raw = decodeSamples(content, info.voxOffset, info.voxelType, n, info.littleEndian, path);
  const data = applyScaling(raw, info.slope, info.inter);
  const { grid, sheared } = gridFromAffine(info.affineLps, info.dims, 'NIFTI_INVALID', path);
  const warnings = [...info.warnings];
  if (sheared) warnings.push(shearWarning());
  const vol = buildVolume(grid, data, {
    format: 'nifti', sourceFiles: [path], seriesDescription: info.description || basename(path).replace(/\.nii(\.gz)?$/i, ''),
    ...(info.volumes > 1 ? { timePoints: info.volumes } : {}),
  }, warnings);
  opts?.onProgress?.(1);
  return vol;
}
