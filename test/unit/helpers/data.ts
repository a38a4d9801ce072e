/**
 * Where the shared public test data lives (MEDSEG_DATA, default ../shared/data) and how tests that need it
 * behave when it is absent: skipped with a clear reason locally, FAILED in CI (CI=true).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const DATA_DIR = resolve(process.env.MEDSEG_DATA ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'data'));

export function dataPath(...parts: string[]): string {
  return join(DATA_DIR, ...parts);
}

export function hasData(...parts: string[]): boolean {
  return existsSync(dataPath(...parts));
}

/**
 * describe() that needs files under the data folder. Without them: skip locally with the reason,
 * but in CI register a failing test so a missing data set can never pass silently.
 */
export function describeWithData(name: string, required: string[], fn: () => void): void {
  const missing = required.filter((p) => !hasData(p));
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const reason = `test data missing under ${DATA_DIR}: ${missing.join(', ')} (set MEDSEG_DATA)`;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    describe(name, () => {
      it('has its test data', () => {
        throw new Error(reason);
      });
    });
  } else {
    describe.skip(`${name} — skipped: ${reason}`, fn);
  }
}
