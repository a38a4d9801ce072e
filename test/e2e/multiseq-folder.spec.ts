/**
 * A folder that holds a study's sequences opens as ONE multi-sequence study, in Chromium against web mode. The BraTS
 * case TCGA-FG-6692 written to a temp folder: T1 at 7 mm (34×34×22) and T1c, T2, FLAIR at 8 mm (30×30×19) over
 * the same field of view → scan the folder → "Open the 4 image series as one study" → the finest series (T1) is the
 * reference and the other three join it as sequences, named from their file names, resampled onto its 34×34×22 grid.
 * The sizes differ from every other spec's (3, 4, 5 and 6 mm): a study is found again by its image content, and one
 * that comes back with saved sequences keeps them instead of the folder's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { indexToWorld, type Grid, type Vec3, type Volume } from '../../src-shared';
import { openVolume, resampleVolume, writeVolume } from '../../src-main/io';
import { dataPath, openApp, requireData, scan } from './helpers';

const FILES = {
  T1: 'brats_tcga_fg6692/OtherEXampleFromTCIA_t1_bet.nii.gz',
  T1c: 'brats_tcga_fg6692/OtherEXampleFromTCIA_t1c_bet.nii.gz',
  T2: 'brats_tcga_fg6692/OtherEXampleFromTCIA_t2_bet.nii.gz',
  FLAIR: 'brats_tcga_fg6692/OtherEXampleFromTCIA_fla_bet.nii.gz',
};

function coarser(v: Volume, f: number): Grid {
  const c = (f - 1) / 2;
  return { dims: v.dims.map((d) => Math.floor(d / f)) as Vec3, spacing: v.spacing.map((x) => x * f) as Vec3, origin: indexToWorld(v, [c, c, c]), direction: v.direction };
}

test.describe.serial('a folder of sequences opened as one study (BraTS T1, T1c, T2, FLAIR)', () => {
  test.describe.configure({ timeout: 300_000 });
  let page: Page;
  let dir = '';

  test.beforeAll(async ({ browser }) => {
    requireData(...Object.values(FILES));
    dir = mkdtempSync(join(tmpdir(), 'medseg-e2e-multiseq-folder-'));
    for (const [name, file] of Object.entries(FILES)) {
      const v = await openVolume(dataPath(file));
      await writeVolume(resampleVolume(v, coarser(v, name === 'T1' ? 7 : 8)), join(dir, file.split('/').pop()!));
    }
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await openApp(page);
  });

  test.afterAll(async () => {
    await page?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('one click: the finest series is the reference, the other three join it as named sequences on its grid', async () => {
    await scan(page, dir);
    await expect(page.getByTestId('series-list').locator('button[data-kind=image]')).toHaveCount(4);
    const together = page.getByTestId('open-together');
    await expect(together).toHaveText(/Open the 4 image series as one study/);
    await together.click();
    const list = page.getByTestId('sequence-list');
    await expect(list.locator('li')).toHaveCount(4, { timeout: 120_000 });
    await expect(page.getByTestId('error')).toHaveCount(0);
    await expect(list.locator('li').first()).toHaveAttribute('data-name', 'T1');
    const names = await list.locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
    expect([...names].sort()).toEqual(['FLAIR', 'T1', 'T1c', 'T2']);
    const header = await page.evaluate(() => window.__medseg.header!.dims);
    expect(header).toEqual([34, 34, 22]);
    // Every added sequence is on the reference grid, with the brain in it (not an empty resample).
    for (const id of ['seq-2', 'seq-3', 'seq-4']) {
      const [n, nonZero] = await page.evaluate((sid) => {
        const v = window.__medseg.voxelsOf(sid)!;
        let nz = 0;
        for (let i = 0; i < v.length; i++) if (v[i] !== 0) nz++;
        return [v.length, nz];
      }, id);
      expect(n).toBe(34 * 34 * 22);
      expect(nonZero).toBeGreaterThan(5_000);
    }
    await expect(together).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('multiseq-folder.png') });
  });

  test('closed and opened as one study again: it comes back with its four saved sequences, none added twice', async () => {
    await page.evaluate(async () => {
      const ws = window.__medseg;
      await ws.conn!.api.study.close(ws.header!.volumeId);
    });
    await page.getByTestId('open-together').click();
    await expect(page.getByTestId('header-warnings')).toContainText('sequences were restored');
    const list = page.getByTestId('sequence-list');
    await expect(list.locator('li')).toHaveCount(4);
    // Give a wrongly running add loop the time to show itself before counting again.
    await page.waitForFunction(() => !window.__medseg.addingSequence);
    await expect(list.locator('li')).toHaveCount(4);
    await expect(page.getByTestId('error')).toHaveCount(0);
  });
});
