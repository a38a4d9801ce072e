import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The user's data folder: $MEDSEG_HOME, else ~/.medseg (Electron passes app.getPath('userData') explicitly). */
export function medsegHome(): string {
  return process.env.MEDSEG_HOME ?? join(homedir(), '.medseg');
}

/** A stable workspace folder for a study: keyed by series UID when there is one, else by a content key. */
export function workspaceDirFor(key: string, home = medsegHome()): string {
  const h = createHash('sha256').update(key).digest('hex').slice(0, 24);
  return join(home, 'workspaces', h);
}
