/**
 * The allow-list of paths the page may hand to the services: only what the user chose in a native dialog,
 * dropped on the window, picked from the recent list or passed to the app by the OS. A compromised page can
 * therefore not read arbitrary files through services.openPath.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { MedSegError } from '../../src-shared';

export type GrantMode = 'read' | 'write';

function canonical(path: string): string {
  const abs = resolve(path);
  try {
    // Symlinks are resolved so a link placed inside a granted folder cannot point outside it.
    return realpathSync.native(abs);
  } catch {
    return abs; // not there (yet): a save target, or a file that vanished
  }
}

function within(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

export class PathGrants {
  private readonly grants = new Map<string, GrantMode>();

  /** Grant a user-chosen file or folder (a folder covers everything under it). Returns the path as given. */
  grant(path: string, mode: GrantMode = 'read'): string {
    if (typeof path !== 'string' || path.length === 0 || !isAbsolute(path)) {
      throw new MedSegError('INVALID_ARGUMENT', 'Only complete file paths can be opened.', { path: String(path) });
    }
    const key = canonical(path);
    // Writing implies reading back what was saved; never downgrade a write grant.
    if (this.grants.get(key) !== 'write') this.grants.set(key, mode);
    return path;
  }

  isGranted(path: string, mode: GrantMode = 'read'): boolean {
    if (typeof path !== 'string' || path.length === 0 || !isAbsolute(path)) return false;
    const target = canonical(path);
    for (const [granted, grantedMode] of this.grants) {
      if (mode === 'write' && grantedMode !== 'write') continue;
      if (within(granted, target)) return true;
    }
    return false;
  }

  /** Throw UNAUTHORIZED unless the path was granted. */
  require(path: string, mode: GrantMode = 'read'): void {
    if (!this.isGranted(path, mode)) {
      throw new MedSegError(
        'UNAUTHORIZED',
        'This file was not chosen in this session. Open it with File › Open or drop it on the window.',
        { path },
      );
    }
  }
}
