/**
 * Export a segmentation by file extension: DICOM SEG (.dcm, one segment per class, referencing the source series
 * when it is DICOM) or a label map (.nii, .nii.gz, .nrrd) with the source geometry. Never overwrites an existing
 * file unless asked.
 */
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import { DEFAULT_COLORS, MedSegError, type ClassSpec, type Volume } from '../../src-shared';
import { buildSeg } from './seg';
import { outputFormat, writeVolume, WRITE_EXTENSIONS } from './write';

export const EXPORT_EXTENSIONS = ['.dcm', ...WRITE_EXTENSIONS] as const;

export function isSegPath(path: string): boolean {
  return /\.dcm$/i.test(path);
}

/** Fail early (before any long computation) when the output cannot be written as asked. */
export async function checkOutputPath(path: string, overwrite = false): Promise<void> {
  if (!isSegPath(path) && !outputFormat(path)) {
    throw new MedSegError('INVALID_ARGUMENT', `Cannot write "${path}": the file name must end in ${EXPORT_EXTENSIONS.join(', ')}.`, { path });
  }
  if (!overwrite && (await stat(path).then(() => true, () => false))) {
    throw new MedSegError('FILE_EXISTS', `${path} already exists and was not overwritten. Choose another name or confirm replacing it (--force).`, { path });
  }
}

/** Classes for every id present in a label map, named and coloured from `known` where given. */
export function classesFor(labels: Uint8Array, known: ClassSpec[] = []): ClassSpec[] {
  const seen = new Uint8Array(256);
  for (let i = 0; i < labels.length; i++) seen[labels[i]] = 1;
  const out: ClassSpec[] = [];
  for (let id = 1; id <= 254; id++) {
    if (!seen[id]) continue;
    out.push(known.find((c) => c.id === id) ?? { id, name: `Class ${id}`, color: DEFAULT_COLORS[(id - 1) % DEFAULT_COLORS.length] });
  }
  return out;
}

export interface ExportResult {
  path: string;
  format: 'dicom-seg' | 'nii' | 'nii.gz' | 'nrrd';
  warnings: string[];
  seriesInstanceUid?: string;
}

export async function exportSegmentation(image: Volume, labels: Uint8Array, out: string, opts: { classes?: ClassSpec[]; overwrite?: boolean; seriesDescription?: string } = {}): Promise<ExportResult> {
  await checkOutputPath(out, opts.overwrite);
  if (isSegPath(out)) {
    const seg = buildSeg({ volume: image, labels, classes: classesFor(labels, opts.classes), seriesDescription: opts.seriesDescription });
    const tmp = `${out}.${process.pid}.${Date.now()}.part`;
    try {
      await writeFile(tmp, seg.bytes);
      await rename(tmp, out);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw new MedSegError('WRITE_FAILED', `Could not write ${out}: check that the folder exists and is writable, and that the disk has space.`, { path: out, detail: String(e) });
    }
    return { path: out, format: 'dicom-seg', warnings: seg.warnings, seriesInstanceUid: seg.seriesInstanceUid };
  }
  await writeVolume({ dims: image.dims, spacing: image.spacing, origin: image.origin, direction: image.direction, data: labels, meta: image.meta }, out, { overwrite: opts.overwrite });
  return { path: out, format: outputFormat(out)!, warnings: [] };
}
