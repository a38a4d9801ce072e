/** Bad input reaches the user as a visible, typed message (code + words a radiologist understands). */
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { dataPath, openApp, requireData, scan } from './helpers';

test('a truncated NIfTI shows its typed error', async ({ page }) => {
  requireData('totalseg_ct/example_ct_sm.nii.gz');
  const dir = mkdtempSync(join(tmpdir(), 'medseg-e2e-'));
  const bad = join(dir, 'broken.nii.gz');
  // the first 300 bytes of a real gzip'd NIfTI: a valid start that ends in the middle of the stream
  writeFileSync(bad, readFileSync(dataPath('totalseg_ct/example_ct_sm.nii.gz')).subarray(0, 300));
  await openApp(page);
  await scan(page, bad);
  // the scan lists it (its header is intact, with a warning); opening it is what fails
  const entry = page.getByTestId('series-list').locator('button', { hasText: 'broken.nii.gz' });
  await expect(entry).toContainText('incomplete');
  await entry.click();
  const banner = page.getByTestId('error');
  await expect(banner).toBeVisible();
  const code = await banner.getAttribute('data-code');
  expect(code).toBe('FILE_TRUNCATED');
  await expect(banner.locator('.msg')).not.toBeEmpty();
  await page.screenshot({ path: test.info().outputPath('error.png') });
});

test('a path that does not exist shows FILE_NOT_FOUND', async ({ page }) => {
  await openApp(page);
  await scan(page, join(tmpdir(), 'medseg-does-not-exist', 'study'));
  await expect(page.getByTestId('error')).toHaveAttribute('data-code', 'FILE_NOT_FOUND');
});
