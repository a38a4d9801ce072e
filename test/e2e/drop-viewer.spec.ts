/**
 * Files dropped outside the panels (on the viewer, on the empty page), in Chromium against web mode. The browser's
 * default for such a drop is to navigate to the file, and the app would vanish; the window catches it instead.
 * BraTS TCGA-FG-6692 resampled to 5 mm (48×48×31; not the 3 or 4 mm of the other specs, whose workspaces would be
 * found by the same image) and its T2 at 6 mm (40×40×25), written to a temp folder:
 *   no study open: T1 dropped on the empty viewer area → scanned and listed like a drop on the Open panel, no question;
 *   T1 open: FLAIR dropped on the axial view → the question; Tab + Enter on "Add as a sequence" → listed as FLAIR;
 *   T2 dropped on the Sequences panel → added by the panel, no question (the window leaves handled drops alone);
 *   T2 dropped, Escape → nothing changes; T2 dropped, "Open as a new study" → the 40×40×25 T2 is the open study.
 * Every drop must be cancelled (defaultPrevented), which is what stops a real drop from navigating away.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { indexToWorld, type Vec3, type Volume } from '../../src-shared';
import { openVolume, resampleVolume, writeVolume } from '../../src-main/io';
import { dataPath, openApp, requireData } from './helpers';

const T1 = 'brats_tcga_fg6692/OtherEXampleFromTCIA_t1_bet.nii.gz';
const FLAIR = 'brats_tcga_fg6692/OtherEXampleFromTCIA_fla_bet.nii.gz';
const T2 = 'brats_tcga_fg6692/OtherEXampleFromTCIA_t2_bet.nii.gz';

/** The volume block-resampled by `f` (voxel centres of the coarse grid inside the fine one). */
function coarse(v: Volume, f: number): Volume {
  const h = (f - 1) / 2;
  return resampleVolume(v, {
    dims: v.dims.map((d) => Math.floor(d / f)) as Vec3, spacing: v.spacing.map((x) => x * f) as Vec3,
    origin: indexToWorld(v, [h, h, h]), direction: v.direction,
  });
}

interface DragResult {
  /** The event was cancelled (preventDefault): for a real drop, the browser does not navigate to the file. */
  prevented: boolean;
  /** The drop hint overlay was shown right after the event. */
  hint: boolean;
}

/** Dispatch dragover then drop of one file (bytes read here, a File made in the page) on the first element matching `selector`. */
async function dropOn(page: Page, selector: string, file: string): Promise<{ over: DragResult; drop: DragResult }> {
  const b64 = readFileSync(file).toString('base64');
  return page.evaluate(async ({ selector, b64, name }) => {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name));
    const el = document.querySelector(selector);
    if (!el) throw new Error(`no element ${selector}`);
    const fire = async (type: string) => {
      const prevented = !el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      await new Promise((r) => setTimeout(r, 0)); // Svelte's DOM update runs before any timer
      return { prevented, hint: document.querySelector('[data-testid=drop-hint]') !== null };
    };
    return { over: await fire('dragover'), drop: await fire('drop') };
  }, { selector, b64, name: basename(file) });
}

test.describe.serial('files dropped on the viewer: never navigates away; opens, or asks "new study or sequence?"', () => {
  test.describe.configure({ timeout: 300_000 });
  let page: Page;
  let url = '';
  let dir = '';
  let t1Path = '';
  let flairPath = '';
  let t2Path = '';

  test.beforeAll(async ({ browser }) => {
    requireData(T1, FLAIR, T2);
    dir = mkdtempSync(join(tmpdir(), 'medseg-e2e-drop-viewer-'));
    for (const d of ['a', 'b', 'c']) mkdirSync(join(dir, d));
    t1Path = join(dir, 'a', basename(T1));
    flairPath = join(dir, 'b', basename(FLAIR));
    t2Path = join(dir, 'c', basename(T2));
    await writeVolume(coarse(await openVolume(dataPath(T1)), 5), t1Path);
    await writeVolume(coarse(await openVolume(dataPath(FLAIR)), 5), flairPath);
    await writeVolume(coarse(await openVolume(dataPath(T2)), 6), t2Path);
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await openApp(page);
    url = page.url();
  });

  test.afterAll(async () => {
    await page?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('no study open: a file dropped on the empty viewer area is scanned and listed, as on the Open panel', async () => {
    const r = await dropOn(page, 'main.views', t1Path);
    expect(r.over).toEqual({ prevented: true, hint: true });
    expect(r.drop).toEqual({ prevented: true, hint: false });
    const serie = page.getByTestId('series-list').locator('button[data-kind=image]', { hasText: /t1_bet/ });
    await expect(serie).toHaveCount(1);
    await expect(serie).toContainText('48×48×31');
    await expect(page.getByTestId('drop-prompt')).toHaveCount(0);
    expect(page.url()).toBe(url);
    await serie.click();
    await page.waitForFunction(() => window.__medseg.phase === 'ready');
    for (const v of ['axial', 'coronal', 'sagittal']) await expect(page.locator(`[data-view=${v}][data-ready=true]`)).toBeVisible();
    expect(await page.evaluate(() => window.__medseg.header!.dims)).toEqual([48, 48, 31]);
  });

  test('study open: a drop on the axial view asks; Tab, Enter on "Add as a sequence" adds it as FLAIR', async () => {
    const list = page.getByTestId('sequence-list');
    await expect(list.locator('li')).toHaveCount(1);
    const r = await dropOn(page, '[data-view=axial]', flairPath);
    expect(r.over.prevented).toBe(true);
    expect(r.drop.prevented).toBe(true);
    expect(page.url()).toBe(url);
    const prompt = page.getByTestId('drop-prompt');
    await expect(prompt).toBeVisible();
    await expect(prompt).toHaveAttribute('role', 'dialog');
    await expect(prompt).toContainText(basename(FLAIR));
    await page.screenshot({ path: test.info().outputPath('drop-viewer-prompt.png') });
    // Keyboard only: the first choice has the focus, Tab moves to the second, Enter takes it.
    await expect(page.getByTestId('drop-open')).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(page.getByTestId('drop-add')).toBeFocused();
    const layout = await page.evaluate(() => window.__medseg.layout);
    await page.keyboard.press('l'); // a viewer shortcut (cycle layout) must not act behind the dialog
    expect(await page.evaluate(() => window.__medseg.layout)).toBe(layout);
    await page.keyboard.press('Enter');
    await expect(prompt).toHaveCount(0);
    await expect(list.locator('li')).toHaveCount(2);
    await expect(list.locator('li').nth(1)).toHaveAttribute('data-name', 'FLAIR');
    await expect(page.getByTestId('error')).toHaveCount(0);
    // Still the T1 study, with the FLAIR on its grid.
    expect(await page.evaluate(() => window.__medseg.header!.meta.sourceFiles?.[0] ?? '')).toMatch(/t1_bet/);
    expect(await page.evaluate(() => window.__medseg.voxelsOf('seq-2')?.length)).toBe(48 * 48 * 31);
  });

  test('a drop on the Sequences panel is handled by the panel: added at once, no question', async () => {
    const r = await dropOn(page, '[data-testid=sequence-panel]', t2Path);
    expect(r.drop.prevented).toBe(true);
    await expect(page.getByTestId('drop-prompt')).toHaveCount(0);
    const list = page.getByTestId('sequence-list');
    await expect(list.locator('li')).toHaveCount(3);
    await expect(list.locator('li').nth(2)).toHaveAttribute('data-name', 'T2');
    await expect(page.getByTestId('drop-prompt')).toHaveCount(0);
  });

  test('Escape closes the question and nothing changes', async () => {
    const r = await dropOn(page, '[data-view=sagittal]', t2Path);
    expect(r.drop.prevented).toBe(true);
    await expect(page.getByTestId('drop-prompt')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('drop-prompt')).toHaveCount(0);
    await expect(page.getByTestId('sequence-list').locator('li')).toHaveCount(3);
    expect(await page.evaluate(() => window.__medseg.header!.dims)).toEqual([48, 48, 31]);
    expect(await page.evaluate(() => window.__medseg.phase)).toBe('ready');
  });

  test('"Open as a new study" opens the dropped T2 (40×40×25) in place of the T1 study', async () => {
    const r = await dropOn(page, '[data-view=coronal]', t2Path);
    expect(r.drop.prevented).toBe(true);
    await page.getByTestId('drop-open').click();
    await page.waitForFunction(() => window.__medseg.phase === 'ready' && window.__medseg.header?.dims[0] === 40);
    expect(await page.evaluate(() => window.__medseg.header!.dims)).toEqual([40, 40, 25]);
    expect(await page.evaluate(() => window.__medseg.header!.meta.sourceFiles?.[0] ?? '')).toMatch(/t2_bet/);
    await expect(page.locator('header .study')).toContainText('40×40×25');
    await expect(page.getByTestId('sequence-list').locator('li')).toHaveCount(1);
    await expect(page.getByTestId('error')).toHaveCount(0);
    expect(page.url()).toBe(url);
    await page.screenshot({ path: test.info().outputPath('drop-viewer-new-study.png') });
  });
});
