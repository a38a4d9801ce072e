/**
 * Crash-safe file writes: write a temp file, flush it to disk, rename over the target, flush the folder.
 * After a crash the target holds either the old or the new content, never a torn mix.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { MedSegError } from '../../../src-shared';

export async function fsyncDir(dir: string): Promise<void> {
  // Directory fsync makes the rename itself durable; not supported on Windows, where rename is already durable.
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw writeError(e, path);
  }
}

export function writeError(e: unknown, path: string): MedSegError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new MedSegError('WRITE_FAILED', 'The disk is full. Your work is kept in memory and nothing already saved was lost; free some space and it will be saved.', { path, detail: String(e) });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new MedSegError('WRITE_FAILED', 'The workspace folder cannot be written (no permission or read-only disk). Nothing already saved was lost.', { path, detail: String(e) });
  }
  return new MedSegError('WRITE_FAILED', 'Saving failed. Nothing already saved was lost.', { path, detail: String(e) });
}
