/**
 * The sequences of a study as they are kept in its workspace (meta.json → study): where each one came from, its
 * name, whether the user confirmed combining it, and a content key to tell whether the file still holds the same
 * image. Reopening the study reloads each source; one that is gone or changed is left out with a typed reason.
 * Only file paths and names are saved, never voxels: the source files are the data.
 */
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { MedSegError, toMedSegError, type MedSegErrorInfo, type Volume } from '../../../src-shared';
import { loadEntry, openVolume, scanPaths, type SeriesEntry } from '../../io';
import { workspaceKeyFor } from '../workspace';

/** Where a sequence was read from: one file or folder (openVolume), or a scanned series (its files + identity). */
export interface SequenceSource {
  paths: string[];
  /** Set for a series picked from a scan: which series of `paths` it is. */
  series?: { uid?: string; description: string };
}

export interface SavedSequence {
  name: string;
  source: SequenceSource;
  /** workspaceKeyFor() of the volume as read: geometry, series UID and a sample of the voxels. */
  key: string;
  confirmMismatch?: boolean;
}

export interface SavedStudy {
  referenceName: string;
  /** The added sequences in study order (the reference is the opened volume itself). */
  sequences: SavedSequence[];
}

// meta.json is a file on the user's disk: check its shape instead of trusting it.
const SAVED = z.object({
  referenceName: z.string().min(1),
  sequences: z.array(z.object({
    name: z.string().min(1),
    source: z.object({ paths: z.array(z.string().min(1)).min(1), series: z.object({ uid: z.string().optional(), description: z.string() }).optional() }),
    key: z.string().min(1),
    confirmMismatch: z.boolean().optional(),
  })),
});

/** The saved study in a workspace's meta, or null when there is none; a damaged one is reported, not thrown. */
export function parseSavedStudy(x: unknown): { study: SavedStudy | null; issue?: MedSegErrorInfo } {
  if (x === undefined || x === null) return { study: null };
  const r = SAVED.safeParse(x);
  if (r.success) return { study: r.data };
  return {
    study: null,
    issue: { code: 'INVALID_ARGUMENT', message: 'The list of this study\'s added sequences was damaged and could not be read; add them again.', detail: r.error.message },
  };
}

export function sourceOfPath(path: string): SequenceSource {
  return { paths: [path] };
}

export function sourceOfEntry(e: SeriesEntry): SequenceSource {
  return { paths: [...e.files], series: { uid: e.seriesInstanceUid, description: e.description } };
}

export function sequenceKey(v: Volume): string {
  return workspaceKeyFor(v);
}

/**
 * Read a saved sequence again. FILE_NOT_FOUND when its file is gone, SEQUENCE_SOURCE_CHANGED when it now holds
 * another image (another series, edited voxels, other geometry); the loaders' own codes otherwise.
 */
export async function reloadSequence(s: SavedSequence): Promise<Volume> {
  for (const p of s.source.paths) {
    const exists = await stat(p).then(() => true, () => false);
    if (!exists) {
      throw new MedSegError('FILE_NOT_FOUND', `${s.name} was left out: its file is no longer there (${p}). Add it again if it was moved.`, { path: p });
    }
  }
  let volume: Volume;
  try {
    volume = s.source.series ? await loadSeries(s) : await openVolume(s.source.paths[0]);
  } catch (e) {
    const err = toMedSegError(e);
    throw new MedSegError(err.code, `${s.name} was left out: ${err.message}`, { detail: err.detail, path: err.path ?? s.source.paths[0] });
  }
  if (sequenceKey(volume) !== s.key) {
    throw new MedSegError('SEQUENCE_SOURCE_CHANGED',
      `${s.name} was left out: its file now holds a different image than when it was added (${s.source.paths[0]}). Add it again if it is the right one.`,
      { path: s.source.paths[0] });
  }
  return volume;
}

async function loadSeries(s: SavedSequence): Promise<Volume> {
  const want = s.source.series!;
  const { entries } = await scanPaths(s.source.paths);
  const images = entries.filter((e) => e.kind === 'image');
  const byUid = want.uid ? images.filter((e) => e.seriesInstanceUid === want.uid) : images;
  const pick = byUid.length > 1 ? byUid.filter((e) => e.description === want.description) : byUid;
  if (pick.length !== 1) {
    throw new MedSegError('SEQUENCE_SOURCE_CHANGED', `its files no longer hold the series “${want.description}”.`, { path: s.source.paths[0] });
  }
  return loadEntry(pick[0]);
}
