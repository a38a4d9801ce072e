/**
 * Pure helpers of the export / import / PACS panels: which file format a typed path means, and how a
 * confirmation ("the file exists: replace?") is retried. Kept out of the components so they are unit-tested.
 */
import type { ExportFormat } from '../../../src-shared/desktop';
import { isMedSegError, type ErrorCode } from '../../../src-shared';

export interface ExportChoice {
  format: ExportFormat;
  /** Extension written when the typed path has none of ours. */
  ext: string;
  label: string;
}

export const EXPORT_CHOICES: readonly ExportChoice[] = [
  { format: 'dicom-seg', ext: '.dcm', label: 'DICOM SEG (.dcm)' },
  { format: 'nifti', ext: '.nii.gz', label: 'NIfTI (.nii.gz)' },
  { format: 'nrrd', ext: '.nrrd', label: 'NRRD (.nrrd)' },
];

/** The export format a path's extension names (the services pick the writer by extension too), or null. */
export function exportFormatOf(path: string): ExportFormat | null {
  const p = path.trim().toLowerCase();
  if (p.endsWith('.dcm')) return 'dicom-seg';
  if (p.endsWith('.nii.gz') || p.endsWith('.nii')) return 'nifti';
  if (p.endsWith('.nrrd')) return 'nrrd';
  return null;
}

/** The path to write: as typed when its extension is one of ours, else with the chosen format's extension. */
export function exportPath(path: string, format: ExportFormat): string {
  const p = path.trim();
  if (exportFormatOf(p)) return p;
  const ext = EXPORT_CHOICES.find((c) => c.format === format)!.ext;
  return p.replace(/[\\/]+$/, '') + ext;
}

/** A file name suggested in save dialogs: series description without characters file systems dislike. */
export function suggestedName(description: string | undefined, format: ExportFormat): string {
  const base = (description ?? '').replace(/[^\w\- ]+/g, '').trim().replace(/\s+/g, '_') || 'segmentation';
  return exportPath(`${base}_seg`, format);
}

/** Error codes the user can resolve by confirming, and what the retry changes. */
export const CONFIRMABLE: Partial<Record<ErrorCode, string>> = {
  FILE_EXISTS: 'Replace',
  GRID_MISMATCH: 'Import anyway',
};

/** The code of a failure when confirming would resolve it, else null (then it is shown as an error). */
export function confirmableCode(e: unknown): ErrorCode | null {
  if (!isMedSegError(e) && !(typeof e === 'object' && e !== null && 'code' in e)) return null;
  const code = (e as { code: ErrorCode }).code;
  return CONFIRMABLE[code] ? code : null;
}

/** 0..1 for a progress bar; 0 while the total is not known yet. */
export function progressFraction(p: { done: number; total: number } | null): number {
  if (!p || p.total <= 0) return 0;
  return Math.max(0, Math.min(1, p.done / p.total));
}
