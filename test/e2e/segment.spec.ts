/**
 * The workstation scenario in Chromium against web mode, on the real TotalSegmentator CT DICOM series:
 * open → paint liver and background with the mouse on two slices → prediction → Dice against the reference
 * liver (label 5 of example_seg_dicom.nii.gz, mapped onto the DICOM grid through world coordinates) → undo →
 * locked class. Waits for states only (versions, phases), never for fixed times.
 */
import { expect, test, type Page } from '@playwright/test';
import { openVolume, resampleLabels } from '../../src-main/io';
import type { Grid, Vec3 } from '../../src-shared';
import { backgroundStrokes, dice, targetStrokes, type Seg } from './annotator';
import { dataPath, goToAxialSlice, labels, openApp, openSeries, prediction, requireData, stroke, waitForPrediction } from './helpers';

const LIVER_REF = 5;
const SERIES = 'totalseg_ct_dicom';
const REF = 'totalseg_ct_dicom/example_seg_dicom.nii.gz';

test.describe.serial('segment the liver on real CT', () => {
  test.describe.configure({ timeout: 900_000 });
  let page: Page;
  let grid: Grid;
  let ref: Uint8Array; // reference labels on the DICOM grid
  let liverId = 0;
  let slices: number[] = [];
  let afterFirst: { pred: Uint8Array; labels: Uint8Array };

  test.beforeAll(async ({ browser }) => {
    requireData(SERIES, REF);
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await openApp(page);
    // Record what the status bar's feature progress shows from before the study opens: its features are prepared
    // as soon as it is open, while the user paints (every change, not a sampled value: the engine's progress
    // events each become one DOM update).
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid=feature-progress]')!;
      const seen: [number, number][] = [];
      (window as unknown as { __featureLog: [number, number][] }).__featureLog = seen;
      const rec = () => seen.push([Number(el.getAttribute('data-done')), Number(el.getAttribute('data-total'))]);
      rec();
      new MutationObserver(rec).observe(el, { attributes: true, attributeFilter: ['data-done', 'data-total'] });
    });
    await openSeries(page, dataPath(SERIES), /CT Body/);
    grid = await page.evaluate(() => {
      const h = window.__medseg.header!;
      return { dims: h.dims, spacing: h.spacing, origin: h.origin, direction: h.direction };
    });
    const refVol = await openVolume(dataPath(REF));
    const onGrid = resampleLabels({ dims: refVol.dims, spacing: refVol.spacing, origin: refVol.origin, direction: refVol.direction, data: Uint8Array.from(refVol.data) }, grid);
    ref = onGrid.data;
  });

  test.afterAll(async () => {
    await page?.close();
  });

  test('the reference lands on the DICOM grid (flipped y and z handled through world coordinates)', async () => {
    expect(grid.dims).toEqual([512, 512, 20]);
    let liver = 0;
    for (const v of ref) if (v === LIVER_REF) liver++;
    // liver present on this series: tens of thousands of voxels, not an empty or shifted map
    expect(liver).toBeGreaterThan(50_000);
  });

  test('paint liver and background with the mouse on two slices; the prediction matches the reference (Dice ≥ 0.80)', async () => {
    const [nx, ny, nz] = grid.dims;
    const n = nx * ny;
    const area = Array.from({ length: nz }, (_, k) => {
      let a = 0;
      for (let p = k * n; p < (k + 1) * n; p++) if (ref[p] === LIVER_REF) a++;
      return a;
    });
    const k1 = area.indexOf(Math.max(...area));
    const k2 = area.map((a, k) => (Math.abs(k - k1) >= 8 ? a : -1)).reduce((best, a, k, arr) => (a > arr[best] ? k : best), 0);
    slices = [k1, k2];

    // name the class as a radiologist would
    await page.locator('[data-class-id="1"] [data-testid=class-pick]').dblclick();
    await page.getByTestId('class-name').fill('Liver');
    await page.getByTestId('class-name').press('Enter');
    await expect(page.locator('[data-class-id="1"] [data-testid=class-pick]')).toHaveText('Liver');
    liverId = 1;
    await page.keyboard.press('b');

    for (const k of slices) {
      await goToAxialSlice(page, k);
      const mask = new Uint8Array(n);
      for (let p = 0; p < n; p++) mask[p] = ref[k * n + p] === LIVER_REF ? 1 : 0;
      const hu = await page.evaluate(([kk, nn]) => window.__medseg.voxels!.slice(kk * nn, (kk + 1) * nn), [k, n] as const);
      const toPts = (s: Seg): Vec3[] => [[s[0][0], s[0][1], k], [s[1][0], s[1][1], k]];
      await page.locator('[data-class-id="1"] [data-testid=class-pick]').click();
      for (const s of targetStrokes(mask, nx, ny, 6)) await stroke(page, 'axial', toPts(s));
      await page.getByTestId('class-background').click();
      for (const s of backgroundStrokes(mask, hu, nx, ny, 10, 40)) await stroke(page, 'axial', toPts(s));
    }
    const tWait = Date.now();
    await waitForPrediction(page);
    // the feature progress bar went through intermediate values and ended full
    const seen = await page.evaluate(() => (window as unknown as { __featureLog: [number, number][] }).__featureLog);
    expect(seen[0]).toEqual([0, 0]);
    expect(seen.some(([done, total]) => total > 0 && done > 0 && done < total)).toBe(true);
    const [lastDone, lastTotal] = seen[seen.length - 1];
    expect(lastTotal).toBeGreaterThan(1);
    expect(lastDone).toBe(lastTotal);
    await expect(page.getByTestId('feature-progress').locator('progress')).toHaveJSProperty('value', lastTotal);
    console.log(`prediction after the last stroke: ${((Date.now() - tWait) / 1000).toFixed(1)} s (engine: ${await page.evaluate(() => window.__medseg.lastUpdateMs)} ms)`);
    const pred = await prediction(page);
    const d = dice(pred, liverId, ref, LIVER_REF);
    console.log(`liver Dice (filters backbone, ${slices.length} slices k=${slices.join(',')}): ${d.toFixed(3)}`);
    expect(d).toBeGreaterThanOrEqual(0.8);
    afterFirst = { pred, labels: await labels(page) };

    // the volume table shows the predicted liver volume in mL (voxels × voxel volume)
    const voxels = pred.reduce((a, v) => a + (v === liverId ? 1 : 0), 0);
    const ml = (voxels * grid.spacing[0] * grid.spacing[1] * grid.spacing[2]) / 1000;
    await expect(page.locator(`[data-testid=volume-table] tr[data-class-id="${liverId}"] td`).nth(1)).toHaveText(String(voxels));
    expect(ml).toBeGreaterThan(100);

    // a screenshot of each view, kept as test artifacts
    for (const v of ['axial', 'coronal', 'sagittal', '3d']) {
      await page.locator(`[data-view="${v}"]`).screenshot({ path: test.info().outputPath(`view-${v}.png`) });
    }
    await page.screenshot({ path: test.info().outputPath('workstation.png') });
    if (process.env.MEDSEG_README_SCREENSHOT) await page.screenshot({ path: process.env.MEDSEG_README_SCREENSHOT });
  });

  test('undo removes the last stroke and the prediction follows', async () => {
    const [nx, ny] = grid.dims;
    const n = nx * ny;
    const k = slices[0];
    await goToAxialSlice(page, k);
    // a deliberately wrong liver stroke through background tissue
    const mask = new Uint8Array(n);
    for (let p = 0; p < n; p++) mask[p] = ref[k * n + p] === LIVER_REF ? 1 : 0;
    const hu = await page.evaluate(([kk, nn]) => window.__medseg.voxels!.slice(kk * nn, (kk + 1) * nn), [k, n] as const);
    const wrong = backgroundStrokes(mask, hu, nx, ny, 10, 40).sort((a, b) => b[1][0] - b[0][0] - (a[1][0] - a[0][0]))[0];
    await page.locator('[data-class-id="1"] [data-testid=class-pick]').click();
    await stroke(page, 'axial', [[wrong[0][0], wrong[0][1], k], [wrong[1][0], wrong[1][1], k]]);
    const withStroke = await labels(page);
    const strokeVoxels: number[] = [];
    for (let p = 0; p < withStroke.length; p++) if (withStroke[p] !== afterFirst.labels[p]) strokeVoxels.push(p);
    expect(strokeVoxels.length).toBeGreaterThan(20);
    expect(strokeVoxels.every((p) => withStroke[p] === liverId)).toBe(true);
    await waitForPrediction(page);
    const predWith = await prediction(page);
    const liverAt = (pred: Uint8Array): number => strokeVoxels.filter((p) => pred[p] === liverId).length / strokeVoxels.length;

    const sentBefore = await page.evaluate(() => window.__medseg.sentVersion);
    await page.keyboard.press('Control+z');
    await page.waitForFunction((s) => window.__medseg.sentVersion > s, sentBefore);
    // the scribble map is exactly what it was before the stroke
    expect(Buffer.from(await labels(page)).equals(Buffer.from(afterFirst.labels))).toBe(true);
    await waitForPrediction(page);
    const predUndone = await prediction(page);
    console.log(`stroke voxels predicted liver: with stroke ${liverAt(predWith).toFixed(2)}, after undo ${liverAt(predUndone).toFixed(2)}`);
    expect(liverAt(predWith)).toBeGreaterThan(liverAt(predUndone));
    expect(dice(predUndone, liverId, ref, LIVER_REF)).toBeGreaterThanOrEqual(0.8);

    // redo brings it back, undo again leaves the clean state for the next test
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(async () => (await labels(page))[strokeVoxels[0]]).toBe(liverId);
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await labels(page))[strokeVoxels[0]]).toBe(afterFirst.labels[strokeVoxels[0]]);
  });

  test('a locked class stays untouched when painted over', async () => {
    const [nx, ny] = grid.dims;
    const n = nx * ny;
    const k = slices[0];
    await goToAxialSlice(page, k);
    const before = await labels(page);
    const liverVoxels: number[] = [];
    for (let p = k * n; p < (k + 1) * n; p++) if (before[p] === liverId) liverVoxels.push(p);
    expect(liverVoxels.length).toBeGreaterThan(50);
    await page.locator(`[data-class-id="${liverId}"] [data-testid=class-lock]`).click();
    await expect(page.getByTestId('class-list').locator(`[data-class-id="${liverId}"]`)).toHaveAttribute('data-locked', 'true');
    // paint background right across the liver strokes: a horizontal line through a liver stroke voxel
    const p0 = liverVoxels[Math.floor(liverVoxels.length / 2)] - k * n;
    const i0 = p0 % nx, j0 = Math.floor(p0 / nx);
    await page.getByTestId('class-background').click();
    await stroke(page, 'axial', [[i0 - 30, j0, k], [i0 + 30, j0, k]]);
    const after = await labels(page);
    expect(liverVoxels.every((p) => after[p] === liverId)).toBe(true);
    // the stroke did paint where it was allowed to
    let painted = 0;
    for (let p = k * n; p < (k + 1) * n; p++) if (after[p] !== before[p]) painted++;
    expect(painted).toBeGreaterThan(10);
    await page.locator(`[data-class-id="${liverId}"] [data-testid=class-lock]`).click();
  });
});
