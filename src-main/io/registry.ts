/**
 * The io registry: finds what is in files and folders (sniffing content, not trusting extensions), groups
 * files per format and opens entries. One loader per format; the order below decides ties (DICOM last
 * because files without a preamble are recognised by a looser test).
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MedSegError, toMedSegError, type MedSegErrorInfo, type Volume } from '../../src-shared';
import type { Loader, LoadOptions, SeriesEntry } from './types';
import { readHeadBytes } from './bytes';
import { niftiLoader } from './nifti';
import { nrrdLoader } from './nrrd';
import { mghLoader } from './mgh';
import { dicomLoader } from './dicom';

export const LOADERS: Loader[] = [niftiLoader, nrrdLoader, mghLoader, dicomLoader];

/** Enough raw bytes for a DICOM preamble + meta and for a gzip prefix that expands past a NIfTI-2 header. */
const SNIFF_BYTES = 4096;
const CONCURRENCY = 16;

export interface ScanOptions {
  /** Descend into sub-folders (default true). */
  recursive?: boolean;
  signal?: AbortSignal;
  /** Called as files are sniffed: (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface ScanResult {
  entries: SeriesEntry[];
  /** Per-path problems (missing, empty, unreadable, unknown format when named explicitly, unreadable headers). */
  errors: MedSegErrorInfo[];
  /** Files inside scanned folders that no loader recognised (reports, thumbnails…): not errors, but counted. */
  skipped: string[];
}

export async function scanPaths(paths: string[], opts: ScanOptions = {}): Promise<ScanResult> {
  const errors: MedSegErrorInfo[] = [];
  const candidates: { path: string; explicit: boolean }[] = [];
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch {
      errors.push(new MedSegError('FILE_NOT_FOUND', `${p} does not exist.`, { path: p }).toJSON());
      continue;
    }
    if (st.isDirectory()) for (const f of await listFiles(p, opts.recursive ?? true, errors)) candidates.push({ path: f, explicit: false });
    else candidates.push({ path: p, explicit: true });
  }

  const byLoader = new Map<Loader, string[]>();
  const skipped: string[] = [];
  let done = 0;
  await forEachLimited(candidates, CONCURRENCY, async ({ path, explicit }) => {
    if (opts.signal?.aborted) return;
    try {
      const head = await readHeadBytes(path, SNIFF_BYTES);
      if (head.length === 0) {
        errors.push(new MedSegError('FILE_EMPTY', `The file ${path} is empty (0 bytes).`, { path }).toJSON());
        return;
      }
      const loader = LOADERS.find((l) => safeSniff(l, path, head));
      if (loader) {
        const list = byLoader.get(loader) ?? [];
        list.push(path);
        byLoader.set(loader, list);
      } else if (explicit) {
        errors.push(new MedSegError('UNKNOWN_FORMAT', `${path} is not a medical image this program can read (DICOM, NIfTI, NRRD or MGH/MGZ).`, { path }).toJSON());
      } else skipped.push(path);
    } catch (e) {
      errors.push({ ...toMedSegError(e, 'FILE_UNREADABLE', `The file ${path} could not be read.`).toJSON(), path });
    } finally {
      opts.onProgress?.(++done, candidates.length);
    }
  });
  if (opts.signal?.aborted) throw new MedSegError('CANCELLED', 'The scan was cancelled.');

  const entries: SeriesEntry[] = [];
  for (const loader of LOADERS) {
    const files = byLoader.get(loader);
    if (!files) continue;
    files.sort();
    const r = await loader.scan(files);
    entries.push(...r.entries);
    errors.push(...r.errors);
  }
  return { entries, errors, skipped: skipped.sort() };
}

/** Open one scanned entry. Any failure is a MedSegError naming the entry's file. */
export async function loadEntry(entry: SeriesEntry, opts?: LoadOptions): Promise<Volume> {
  const loader = LOADERS.find((l) => l.format === entry.format);
  if (!loader) throw new MedSegError('UNKNOWN_FORMAT', `No reader is available for ${entry.format} files.`, { path: entry.files[0] });
  if (entry.kind !== 'image') {
    throw new MedSegError('NOT_AN_IMAGE', `"${entry.description}" is a ${entry.kind === 'seg' ? 'segmentation' : entry.kind === 'rtstruct' ? 'structure set' : 'non-image object'}, not an image; open the images it belongs to.`, { path: entry.files[0] });
  }
  try {
    return await loader.load(entry, opts);
  } catch (e) {
    if (e instanceof RangeError && /allocation|memory|Invalid typed array length/i.test(e.message)) {
      throw new MedSegError('OUT_OF_MEMORY', `There is not enough memory to open "${entry.description}".`, { path: entry.files[0], detail: e.message, cause: e });
    }
    const err = toMedSegError(e, 'INTERNAL', `"${entry.description}" could not be opened because of an internal error.`);
    throw err.path ? err : new MedSegError(err.code, err.message, { detail: err.detail, path: entry.files[0], cause: e });
  }
}

/** The single image volume at a path (file or folder). */
export async function openVolume(path: string, opts?: LoadOptions): Promise<Volume> {
  try {
    await stat(path);
  } catch {
    throw new MedSegError('FILE_NOT_FOUND', `${path} does not exist.`, { path });
  }
  const scan = await scanPaths([path], { signal: opts?.signal });
  const images = scan.entries.filter((e) => e.kind === 'image');
  if (images.length === 0) {
    const first = scan.errors[0];
    if (first) throw new MedSegError(first.code, first.message, { detail: first.detail, path: first.path ?? path });
    if (scan.entries.length > 0) {
      throw new MedSegError('NOT_AN_IMAGE', `${path} holds no image, only: ${scan.entries.map((e) => e.description).join('; ')}.`, { path });
    }
    throw new MedSegError('NO_IMAGES', `No images were found in ${path}${scan.skipped.length ? ` (${scan.skipped.length} files of other kinds were ignored)` : ''}.`, { path });
  }
  if (images.length > 1) {
    const list = images.map((e) => `• ${e.description}${e.dims ? ` (${e.dims.join('×')})` : ''}`).join('\n');
    throw new MedSegError('MULTIPLE_SERIES', `${path} holds ${images.length} image series; choose one:\n${list}`, { path, detail: images.map((e) => e.id).join('\n') });
  }
  return loadEntry(images[0], opts);
}

function safeSniff(l: Loader, path: string, head: Uint8Array): boolean {
  try {
    return l.sniff(path, head);
  } catch {
    return false;
  }
}

/** Regular files under a folder; hidden entries skipped; symlinked folders not followed (no cycles). */
async function listFiles(dir: string, recursive: boolean, errors: MedSegErrorInfo[]): Promise<string[]> {
  const out: string[] = [];
  let names;
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    errors.push(new MedSegError('FILE_UNREADABLE', `The folder ${dir} could not be read.`, { path: dir, detail: String((e as Error)?.message) }).toJSON());
    return out;
  }
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of names) {
    if (d.name.startsWith('.')) continue;
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      if (recursive) out.push(...(await listFiles(p, recursive, errors)));
    } else if (d.isFile()) out.push(p);
    else if (d.isSymbolicLink()) {
      const st = await lstat(p).then(() => stat(p)).catch(() => null);
      if (st?.isFile()) out.push(p);
    }
  }
  return out;
}

async function forEachLimited<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
