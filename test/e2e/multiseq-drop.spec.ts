/**
 * Sequences by drag and drop, and sequences that come back with the study, in Chromium against web mode. The BraTS
 * case TCGA-FG-6692 at 4 mm (60×60×38, written to a temp folder; not 3 mm, whose T1 multiseq.spec opens: the same
 * image finds the same workspace, and with it the sequences saved here): open T1 → drop the FLAIR file on the Sequences
 * panel (web mode: the browser gives File objects, which are uploaded through the bridge) → the panel lists FLAIR,
 * named from the file name, with its voxels on the T1 grid → rename it, close, reopen T1 → the panel lists T1 and
 * the renamed FLAIR again, with its voxels, and says that the sequences were restored.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { indexToWorld, type Grid, type Vec3 } from '../../src-shared';
import { openVolume, resampleVolume, writeVolume } from '../../src-main/io';
import { dataPath, openApp, openSeries, requireData } from './helpers';

const T1 = 'brats_tcga_fg6692/OtherEXampleFromTCIA_t1_bet.nii.gz';
const FLAIR = 'brats_tcga_fg6692/OtherEXampleFromTCIA_fla_bet.nii.gz';
const FLAIR_NAME = 'OtherEXampleFromTCIA_fla_bet.nii.gz';

/** Dispatch a drop of one file (its bytes read here, a File made in the page) on an element. */
async function dropFile(page: Page, testId: string, file: string, name: string): Promise<void> {
  const b64 = readFileSync(file).toString('base64');
  const dt = await page.evaluateHandle(({ b64, name }) => {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const d = new DataTransfer();
    d.items.add(new File([bytes], name));
    return d;
  }, { b64, name });
  const target = page.getByTestId(testId);
  await target.dispatchEvent('dragover', { dataTransfer: dt });
  await target.dispatchEvent('drop', { dataTransfer: dt });
}

test.describe.serial('sequences dropped on the Sequences panel, restored with the study (BraTS T1 + FLAIR at 4 mm)', () => {
  test.describe.configure({ timeout: 300_000 });
  let page: Page;
  let dir = '';
  let t1Path = '';
  let flairPath = '';
  let grid: Grid;

  test.beforeAll(async ({ browser }) => {
    requireData(T1, FLAIR);
    dir = mkdtempSync(join(tmpdir(), 'medseg-e2e-multiseq-drop-'));
    const t1 = await openVolume(dataPath(T1));
    grid = { dims: t1.dims.map((d) => Math.floor(d / 4)) as Vec3, spacing: t1.spacing.map((x) => x * 4) as Vec3, origin: indexToWorld(t1, [1.5, 1.5, 1.5]), direction: t1.direction };
    t1Path = join(dir, 'OtherEXampleFromTCIA_t1_bet.nii.gz');
    flairPath = join(dir, 'source', FLAIR_NAME);
    mkdirSync(join(dir, 'source'));
    await writeVolume(resampleVolume(t1, grid), t1Path);
    await writeVolume(resampleVolume(await openVolume(dataPath(FLAIR)), grid), flairPath);
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await openApp(page);
    await openSeries(page, t1Path, /./);
  });

  test.afterAll(async () => {
    await page?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a NIfTI file dropped on the Sequences panel joins the study, named FLAIR from its file name', async () => {
    const list = page.getByTestId('sequence-list');
    await expect(list.locator('li')).toHaveCount(1);
    await dropFile(page, 'sequence-panel', flairPath, FLAIR_NAME);
    await expect(list.locator('li')).toHaveCount(2);
    await expect(list.locator('li').nth(1)).toHaveAttribute('data-name', 'FLAIR');
    await expect(list.locator('li').nth(1).locator('.desc')).toContainText('fla');
    await expect(page.getByTestId('error')).toHaveCount(0);
    // The study is still the T1 one (the drop did not open the FLAIR as a new study), and FLAIR is on its grid.
    expect(await page.evaluate(() => window.__medseg.header!.meta.sourceFiles?.[0] ?? '')).toMatch(/t1_bet/);
    const [n, nonZero] = await page.evaluate(() => {
      const v = window.__medseg.voxelsOf('seq-2')!;
      let nz = 0;
      for (let i = 0; i < v.length; i++) if (v[i] !== 0) nz++;
      return [v.length, nz];
    });
    expect(n).toBe(60 * 60 * 38);
    expect(nonZero).toBeGreaterThan(5_000); // the brain, not an empty resample
  });

  test('renamed, closed and reopened: the study comes back with T1 and the renamed FLAIR', async () => {
    const name = page.getByTestId('sequence-list').locator('li').nth(1).getByTestId('seq-name');
    await name.fill('FLAIR 3mm');
    await name.press('Enter');
    await expect(page.getByTestId('sequence-list').locator('li').nth(1)).toHaveAttribute('data-name', 'FLAIR 3mm');
    const before = await page.evaluate(() => Array.from(window.__medseg.voxelsOf('seq-2')!.slice(19 * 3600, 20 * 3600)));
    // Close through the service (it resolves once the workspace is on disk), then open the same file again.
    await page.evaluate(async () => {
      const ws = window.__medseg;
      await ws.conn!.api.study.close(ws.header!.volumeId);
    });
    await openSeries(page, t1Path, /./);
    const list = page.getByTestId('sequence-list');
    await expect(list.locator('li')).toHaveCount(2);
    await expect(list.locator('li').nth(0)).toHaveAttribute('data-name', 'T1');
    await expect(list.locator('li').nth(1)).toHaveAttribute('data-name', 'FLAIR 3mm');
    await expect(page.getByTestId('header-warnings')).toContainText('sequences were restored: T1, FLAIR 3mm');
    const after = await page.evaluate(() => Array.from(window.__medseg.voxelsOf('seq-2')?.slice(19 * 3600, 20 * 3600) ?? []));
    expect(after).toEqual(before);
    await page.screenshot({ path: test.info().outputPath('multiseq-restored.png') });
  });
});
