/**
 * Exchange through the UI on the dcmqi 3-slice CT: import a hand-made liver NRRD as a locked class, paint one
 * background stroke so a prediction exists, export it as NIfTI (and confirm the replace prompt on a second
 * export), read the file back in Node; reopen the study and find the locked class restored from the autosave. Waits for states only, never for fixed times.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { openVolume } from '../../src-main/io';
import { dataPath, labels, openApp, openSeries, prediction, requireData, stroke, waitForPrediction } from './helpers';

const SERIES = 'dcmqi_seg/ct-3slice';
const LIVER = 'dcmqi_seg/liver_seg.nrrd';

test('import labels as a locked class, then export the segmentation as NIfTI', async ({ page }) => {
  test.setTimeout(120_000);
  requireData(SERIES, LIVER);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  const ref = await openVolume(dataPath(LIVER));
  let refCount = 0;
  for (const v of ref.data) if (v !== 0) refCount++;
  expect(refCount).toBeGreaterThan(1000); // a real liver mask, not an empty file

  await openApp(page);
  await openSeries(page, dataPath(SERIES), /./);
  const dims = await page.evaluate(() => window.__medseg.header!.dims);
  expect(dims).toEqual([512, 512, 3]);

  // import as locked classes through the panel
  await page.getByTestId('import-as-locked').check();
  await page.getByTestId('import-path').fill(dataPath(LIVER));
  await page.getByTestId('import').click();
  await expect(page.getByTestId('exchange-done')).toContainText(`Imported ${refCount} voxels`);
  const locked = page.getByTestId('class-list').locator('li[data-locked=true]');
  await expect(locked).toHaveCount(1);
  const liverId = Number(await locked.getAttribute('data-class-id'));
  expect(liverId).toBeGreaterThan(0);
  // the engine's scribble map holds exactly the NRRD's voxels, and the UI's copy matches it
  const lab = await labels(page);
  expect(lab.reduce((a, v) => a + (v === liverId ? 1 : 0), 0)).toBe(refCount);
  expect(lab.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0)).toBe(refCount);
  expect(await page.evaluate((id) => window.__medseg.scribble!.data.reduce((a, v) => a + (v === id ? 1 : 0), 0), liverId)).toBe(refCount);

  // one background stroke away from the liver makes two classes, so a prediction (what is exported) follows
  const k = await page.evaluate(() => window.__medseg.cursor[2]);
  await page.getByTestId('class-background').click();
  await page.locator('[data-view=axial]').hover();
  await stroke(page, 'axial', [[60, 60, k], [200, 60, k]]);
  await waitForPrediction(page);
  const pred = await prediction(page);
  // a locked class keeps exactly its imported voxels
  expect(pred.reduce((a, v) => a + (v === liverId ? 1 : 0), 0)).toBe(refCount);

  const out = join(mkdtempSync(join(tmpdir(), 'medseg-e2e-export-')), 'liver.nii.gz');
  await page.getByTestId('export-path').fill(out);
  await expect(page.getByTestId('export-format')).toHaveValue('nifti');
  await page.getByTestId('export').click();
  await expect(page.getByTestId('exchange-done')).toContainText('Exported');
  expect(existsSync(out)).toBe(true);
  const back = await openVolume(out);
  expect(back.dims).toEqual([512, 512, 3]);
  let exported = 0;
  for (const v of back.data) if (v === liverId) exported++;
  expect(exported).toBe(refCount);

  // a second export to the same file asks before replacing it
  await page.getByTestId('export').click();
  await expect(page.getByTestId('exchange-confirm')).toHaveAttribute('data-code', 'FILE_EXISTS');
  await page.getByTestId('exchange-confirm-yes').click();
  await expect(page.getByTestId('exchange-done')).toContainText('Exported');
  await expect(page.getByTestId('error')).toHaveCount(0);

  // opening the study again restores the earlier work: the warning is shown and the locked class is not replaced
  await page.evaluate(async () => {
    const ws = window.__medseg;
    await ws.conn!.api.study.close(ws.header!.volumeId);
  });
  await openSeries(page, dataPath(SERIES), /./);
  await expect(page.getByTestId('header-warnings')).toContainText('Your earlier work on this study was restored');
  await expect(page.getByTestId('class-list').locator(`li[data-class-id="${liverId}"]`)).toHaveAttribute('data-locked', 'true');
  const restored = await labels(page);
  expect(restored.reduce((a, v) => a + (v === liverId ? 1 : 0), 0)).toBe(refCount);
});
