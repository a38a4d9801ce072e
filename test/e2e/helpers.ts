/**
 * Shared steps of the e2e scenarios: data location (skip locally / fail in CI when absent), opening a series
 * through the UI, painting with the real mouse, waiting for states (never for fixed times), reading label maps
 * through the service contract.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { Vec3 } from '../../src-shared';

export const DATA_DIR = resolve(process.env.MEDSEG_DATA ?? join(process.cwd(), '..', 'shared', 'data'));
export const dataPath = (...p: string[]): string => join(DATA_DIR, ...p);

/** Skip with the reason locally, fail in CI, when test data is missing. */
export function requireData(...parts: string[]): void {
  const missing = parts.filter((p) => !existsSync(dataPath(p)));
  if (missing.length === 0) return;
  const reason = `test data missing under ${DATA_DIR}: ${missing.join(', ')} (set MEDSEG_DATA)`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(reason);
  test.skip(true, reason);
}

export async function openApp(page: Page): Promise<void> {
  if (!process.env.MEDSEG_WEB_URL) throw new Error('MEDSEG_WEB_URL is not set: run the e2e tests with `npm run test:e2e`.');
  await page.goto(process.env.MEDSEG_WEB_URL);
  await page.waitForFunction(() => window.__medseg?.phase === 'idle');
}

export async function scan(page: Page, path: string): Promise<void> {
  await page.getByTestId('path').fill(path);
  await page.getByTestId('scan').click();
  await page.waitForFunction(() => window.__medseg.phase !== 'scanning');
}

export async function openSeries(page: Page, folder: string, description: RegExp): Promise<void> {
  await scan(page, folder);
  await page.getByTestId('series-list').locator('button[data-kind=image]', { hasText: description }).click();
  await page.waitForFunction(() => window.__medseg.phase === 'ready');
  for (const v of ['axial', 'coronal', 'sagittal']) await expect(page.locator(`[data-view=${v}][data-ready=true]`)).toBeVisible();
}

export async function goToAxialSlice(page: Page, k: number): Promise<void> {
  await page.locator('[data-view=axial]').hover();
  for (;;) {
    const cur = Number(await page.locator('[data-view=axial]').getAttribute('data-slice'));
    if (cur === k) return;
    await page.keyboard.press(cur < k ? 'ArrowUp' : 'ArrowDown');
    await expect(page.locator('[data-view=axial]')).not.toHaveAttribute('data-slice', String(cur));
  }
}

/** Drag the mouse along voxel positions on a view (one stroke), then wait until the stroke reached the engine. */
export async function stroke(page: Page, view: string, points: Vec3[]): Promise<void> {
  const before = await page.evaluate(() => window.__medseg.undoDepth + window.__medseg.sentVersion);
  const client = await page.evaluate(([v, pts]) => pts.map((p) => window.__medseg.views[v]!.toClient(p)), [view, points] as const);
  await page.mouse.move(client[0].x, client[0].y);
  await page.mouse.down();
  for (const c of client.slice(1)) await page.mouse.move(c.x, c.y, { steps: 12 });
  await page.mouse.up();
  // the stroke changed something (undo depth grew) and its diff was acknowledged (sent version grew)
  await page.waitForFunction((b) => window.__medseg.undoDepth + window.__medseg.sentVersion > b, before);
}

/** Wait until the prediction reflects every edit sent so far. */
export async function waitForPrediction(page: Page): Promise<number> {
  // generous: the whole-volume update runs on the shared CPU (no GPU) and includes first-time feature extraction
  await page.waitForFunction(() => window.__medseg.sentVersion > 0 && window.__medseg.predictedVersion >= window.__medseg.sentVersion, null, { timeout: 420_000 }); // the first update computes the whole filter bank: minutes on a slow shared CPU
  return page.evaluate(() => window.__medseg.predictedVersion);
}

export async function prediction(page: Page): Promise<Uint8Array> {
  const data = await page.evaluate(async () => {
    const ws = window.__medseg;
    const p = await ws.conn!.api.segmentation.getPrediction(ws.header!.volumeId);
    return p ? p.data : null;
  });
  if (!data) throw new Error('no prediction yet');
  return data;
}

export async function labels(page: Page): Promise<Uint8Array> {
  return page.evaluate(async () => {
    const ws = window.__medseg;
    return (await ws.conn!.api.segmentation.getLabels(ws.header!.volumeId)).data;
  });
}
