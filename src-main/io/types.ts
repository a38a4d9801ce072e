/**
 * The one loader interface every format implements. io/ is the ONLY place that imports format libraries
 * (dcmjs, codecs, nifti-reader-js…). It imports src-shared and node built-ins, never features/ or engine/.
 */
import type { Volume, Vec3, Modality } from '../../src-shared';

/** What a scan of files/folders finds: one entry per openable series (or non-image object, listed as such). */
export interface SeriesEntry {
  /** Stable id within one scan (format-specific: SeriesInstanceUID, a geometry key, or the file path). */
  id: string;
  format: 'dicom' | 'nifti' | 'nrrd' | 'mgh';
  /** 'image' opens as a Volume; the rest are listed but not opened as images. */
  kind: 'image' | 'seg' | 'rtstruct' | 'other';
  description: string;
  modality: Modality;
  /** Files that make up this entry (DICOM: every slice file; others: the single file). */
  files: string[];
  dims?: Vec3;
  /** Number of frames/slices, when known without decoding. */
  frameCount?: number;
  patientName?: string;
  patientId?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  /** Reader remarks that the user should see (e.g. "split into 10 time points"). */
  warnings: string[];
  /** Set when a 4D series was split into one entry per time point: how many there are. */
  timePoints?: number;
  /** Format-private data the loader needs to open the entry later (kept in memory only). */
  handle?: unknown;
}

export interface LoadOptions {
  /** Called with 0..1 while decoding. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface Loader {
  readonly format: SeriesEntry['format'];
  /** Cheap test on the path and the first bytes of the file (at least 1024 bytes when the file is that long). */
  sniff(path: string, head: Uint8Array): boolean;
  /** Scan files (already expanded from folders, all sniffed as this format) into series entries. */
  scan(files: string[]): Promise<{ entries: SeriesEntry[]; errors: import('../../src-shared').MedSegErrorInfo[] }>;
  /** Open one entry as a Volume. Throws MedSegError. */
  load(entry: SeriesEntry, opts?: LoadOptions): Promise<Volume>;
}
