/**
 * Convenience for callers that start from paths (CLI, tests): expand folders, keep files that look like DICOM,
 * scan, and open the one image series. The format-neutral equivalent lives in ../registry.ts.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MedSegError, type MedSegErrorInfo, type Volume } from '../../../src-shared';
import type { LoadOptions, SeriesEntry } from '../types';
import { loadDicom } from './load';
import { looksLikeDicom } from './parse';
import { scanDicom } from './scan';

async function head(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Files under the given paths (folders walked recursively, hidden entries skipped) that look like DICOM. */
export async function dicomFilesIn(paths: string[]): Promise<{ files: string[]; errors: MedSegErrorInfo[] }> {
  const files: string[] = [];
  const errors: MedSegErrorInfo[] = [];
  const visit = async (p: string, explicit: boolean): Promise<void> => {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      errors.push(new MedSegError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', code === 'ENOENT' ? 'The file or folder does not exist.' : 'The file or folder cannot be read.', { path: p, detail: String(code) }).toJSON());
      return;
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(p);
      } catch (e) {
        errors.push(new MedSegError('FILE_UNREADABLE', 'The folder cannot be read (check permissions).', { path: p, detail: String((e as NodeJS.ErrnoException).code) }).toJSON());
        return;
      }
      for (const n of names.sort()) if (!n.startsWith('.')) await visit(join(p, n), false);
      return;
    }
    // Files named explicitly are always handed to the reader, so a bad one yields a typed error, not silence.
    if (explicit) { files.push(p); return; }
    try {
      if (st.size > 0 && looksLikeDicom(await head(p))) files.push(p);
    } catch {
      errors.push(new MedSegError('FILE_UNREADABLE', 'The file cannot be read (check permissions).', { path: p }).toJSON());
    }
  };
  for (const p of paths) await visit(p, true);
  return { files, errors };
}

export async function scanDicomPaths(paths: string[]): Promise<{ entries: SeriesEntry[]; errors: MedSegErrorInfo[] }> {
  const found = await dicomFilesIn(paths);
  const scanned = await scanDicom(found.files);
  return { entries: scanned.entries, errors: [...found.errors, ...scanned.errors] };
}

/** The single image series under the paths: NO_IMAGES when there is none, MULTIPLE_SERIES when ambiguous. */
export async function openDicomVolume(paths: string[], opts?: LoadOptions): Promise<Volume> {
  const { entries, errors } = await scanDicomPaths(paths);
  const images = entries.filter((e) => e.kind === 'image');
  if (images.length === 0) {
    if (entries.length === 0 && errors.length === 1) throw new MedSegError(errors[0].code, errors[0].message, { detail: errors[0].detail, path: errors[0].path });
    const found = entries.length ? ` (found only: ${entries.map((e) => e.description).join(', ')})` : '';
    throw new MedSegError('NO_IMAGES', `No DICOM images were found${found}.`, { path: paths[0], detail: errors.map((e) => `${e.path}: ${e.code}`).join('; ') || undefined });
  }
  if (images.length > 1) {
    throw new MedSegError('MULTIPLE_SERIES', `${images.length} image series were found; choose one: ${images.map((e) => e.description).join('; ')}.`, { path: paths[0] });
  }
  return loadDicom(images[0], opts);
}
