import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Volume } from '../../../src-shared';

/** The user's data folder: $MEDSEG_HOME, else ~/.medseg (Electron passes app.getPath('userData') explicitly). */
export function medsegHome(): string {
  return process.env.MEDSEG_HOME ?? join(homedir(), '.medseg');
}

/** A stable workspace folder for a study: keyed by series UID when there is one, else by a content key. */
export function workspaceDirFor(key: string, home = medsegHome()): string {
  const h = createHash('sha256').update(key).digest('hex').slice(0, 24);
  return join(home, 'workspaces', h);
}

/**
 * What identifies "the same study" across opens: the series UID and geometry when there is a UID, plus a sample of
 * the voxels (so two anonymised series with empty UIDs, or an uploaded copy of a file, still find their own work).
 */
export function workspaceKeyFor(v: Pick<Volume, 'dims' | 'spacing' | 'origin' | 'data' | 'meta'>): string {
  const h = createHash('sha256');
  h.update(`${v.meta.seriesInstanceUid ?? ''}|${v.dims.join(',')}|${v.spacing.map((x) => x.toFixed(4)).join(',')}|${v.origin.map((x) => x.toFixed(3)).join(',')}|`);
  const n = v.data.length;
  const step = Math.max(1, Math.floor(n / 65536));
  const sample = new Float64Array(Math.ceil(n / step));
  for (let i = 0, j = 0; i < n; i += step, j++) sample[j] = v.data[i];
  h.update(new Uint8Array(sample.buffer));
  return h.digest('hex');
}
