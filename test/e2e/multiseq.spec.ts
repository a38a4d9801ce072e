/**
 * A multi-sequence study in Chromium against web mode, on the BraTS case TCGA-FG-6692 (240×240×155, 1 mm):
 * open T1 → add FLAIR by path (named from its file) → switch the views between them, each keeping its own
 * window/level → side-by-side axial views of both, slice-linked → a stroke painted on the FLAIR view lands in the
 * one shared scribble map. No model update is awaited here (the unit test scores the fused prediction); the
 * debounce is raised for the stroke and the study closed before it fires, to keep this spec short.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { indexToWorld, type Grid, type Vec3, type WindowLevel } from '../../src-shared';
import { openVolume, resampleData, resampleVolume, writeVolume } from '../../src-main/io';
import { niftiHeader } from '../../src-main/io/nifti/write';
import { backgroundStrokes, dice, targetStrokes, type Seg } from './annotator';
import { dataPath, goToAxialSlice, labels, openApp, openSeries, prediction, requireData, stroke, waitForPrediction } from './helpers';

const T1 = 'brats_tcga_fg6692/OtherEXampleFromTCIA_t1_bet.nii.gz';
const FLAIR = 'brats_tcga_fg6692/OtherEXampleFromTCIA_fla_bet.nii.gz';
const TUMOUR = 'brats_tcga_fg6692/fusion/simple.nii.gz';
const CT_99000 = 'dcmqi_seg/ct-3slice';
const PYDICOM = 'dicom_edge/pydicom';

async function windowNow(page: Page): Promise<WindowLevel> {
  return page.evaluate(() => ({ center: window.__medseg.window.center, width: window.__medseg.window.width }));
}

/** Right-drag on the main axial view: the radiologist's window/level gesture. */
async function dragWindow(page: Page, dx: number, dy: number): Promise<void> {
  const box = (await page.locator('[data-view=axial]').first().boundingBox())!;
  const x = box.x + box.width / 2, y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down({ button: 'right' });
  await page.mouse.move(x + dx, y + dy, { steps: 6 });
  await page.mouse.up({ button: 'right' });
}

async function showSequence(page: Page, name: string): Promise<void> {
  await page.locator(`[data-testid=sequence-list] li[data-name="${name}"] [data-testid=seq-show]`).click();
  await expect(page.locator(`[data-testid=sequence-list] li[data-name="${name}"]`)).toHaveClass(/active/);
}

test.describe.serial('multi-sequence study (BraTS T1 + FLAIR)', () => {
  test.describe.configure({ timeout: 300_000 });
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    requireData(T1, FLAIR);
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await openApp(page);
    await openSeries(page, dataPath(T1), /./);
  });

  test.afterAll(async () => {
    await page?.close();
  });

  test('add FLAIR to the open T1: named from the file, on the same 240×240×155 grid', async () => {
    const list = page.getByTestId('sequence-list');
    await expect(list.locator('li')).toHaveCount(1);
    await expect(list.locator('li').first()).toHaveAttribute('data-name', 'T1');
    await page.getByTestId('seq-path').fill(dataPath(FLAIR));
    await page.getByTestId('seq-add').click();
    await expect(list.locator('li')).toHaveCount(2);
    await expect(list.locator('li').nth(1)).toHaveAttribute('data-name', 'FLAIR');
    await expect(page.getByTestId('error')).toHaveCount(0);
    const n = await page.evaluate(() => window.__medseg.voxelsOf('seq-2')?.length);
    expect(n).toBe(240 * 240 * 155);
  });

  test('switching sequence swaps the image and each sequence keeps its own window/level', async () => {
    await dragWindow(page, 60, -40);
    const t1 = await windowNow(page);
    await showSequence(page, 'FLAIR');
    await expect(page.locator('[data-view=axial]')).toHaveAttribute('data-seq', 'seq-2');
    const flairAuto = await windowNow(page);
    expect(flairAuto).not.toEqual(t1); // FLAIR comes with its own automatic window, not T1's
    // The hover value reads FLAIR's voxels now: the same voxel in T1 and FLAIR differs.
    const [vT1, vFl] = await page.evaluate(() => {
      const ws = window.__medseg;
      const [nx, ny] = ws.header!.dims;
      const p = 120 + 120 * nx + 77 * nx * ny;
      return [ws.voxelsOf('seq-1')![p], ws.voxels![p]];
    });
    expect(vFl).not.toBe(vT1);
    await dragWindow(page, -50, 30);
    const flair = await windowNow(page);
    expect(flair).not.toEqual(flairAuto);
    await showSequence(page, 'T1');
    expect(await windowNow(page)).toEqual(t1);
    await expect(page.locator('[data-view=axial] .bl')).toHaveText(`W ${Math.round(t1.width)} L ${Math.round(t1.center)}`);
    await page.keyboard.press('q'); // next sequence
    await expect(page.locator('[data-view=axial]')).toHaveAttribute('data-seq', 'seq-2');
    expect(await windowNow(page)).toEqual(flair);
  });

  test('side by side: both sequences on the same axial slice, slices linked, each with its own W/L; a stroke on FLAIR lands in the shared map', async () => {
    await page.getByTestId('side-by-side').click();
    const views = page.locator('[data-view=axial][data-ready=true]');
    await expect(views).toHaveCount(2);
    await expect(views.nth(0)).toHaveAttribute('data-seq', 'seq-1');
    await expect(views.nth(1)).toHaveAttribute('data-seq', 'seq-2');
    const k = await views.nth(0).getAttribute('data-slice');
    await expect(views.nth(1)).toHaveAttribute('data-slice', k!);
    await views.nth(1).hover();
    await page.keyboard.press('ArrowUp');
    await expect(views.nth(0)).toHaveAttribute('data-slice', String(Number(k) + 1));
    await expect(views.nth(1)).toHaveAttribute('data-slice', String(Number(k) + 1));
    const wins = await page.evaluate(() => [window.__medseg.windowOf('seq-1'), window.__medseg.windowOf('seq-2')].map((w) => Math.round(w.width)));
    await expect(views.nth(0).locator('.bl')).toHaveText(new RegExp(`^W ${wins[0]} `));
    await expect(views.nth(1).locator('.bl')).toHaveText(new RegExp(`^W ${wins[1]} `));

    // Paint on the FLAIR side; the debounce holds the (slow, CPU-only) update back while we read the map.
    const before = await page.evaluate(async () => (await window.__medseg.conn!.api.segmentation.getSettings()).settings.debounceMs);
    await page.evaluate(() => window.__medseg.conn!.api.segmentation.setSettings({ debounceMs: 10_000 }));
    try {
      await page.keyboard.press('b');
      const kk = Number(k) + 1;
      await stroke(page, 'axial:seq-2', [[100, 110, kk], [130, 112, kk]]);
      const map = await labels(page);
      let painted = 0;
      for (let p = kk * 240 * 240; p < (kk + 1) * 240 * 240; p++) if (map[p] === 1) painted++;
      expect(painted).toBeGreaterThan(20);
      await page.screenshot({ path: test.info().outputPath('multiseq-side-by-side.png') });
    } finally {
      // Closing the study drops the pending update before it starts; then the bridge's setting goes back.
      await page.evaluate(async () => {
        const ws = window.__medseg;
        await ws.conn!.api.study.close(ws.header!.volumeId);
      });
      await page.evaluate((ms) => window.__medseg.conn!.api.segmentation.setSettings({ debounceMs: ms }), before);
    }
  });
});

/**
 * The fused update end to end: the same case at 3 mm (80×80×51, written to a temp folder so the CPU-only update
 * stays short), T1 + FLAIR, tumour strokes painted on the FLAIR view and background strokes on the T1 view of
 * the side-by-side layout, one slice; the prediction comes back through the compute worker.
 */
test.describe.serial('multi-sequence prediction through the compute worker (BraTS T1 + FLAIR at 3 mm)', () => {
  test.describe.configure({ timeout: 600_000 });
  let page: Page;
  let dir = '';
  let ref: Uint8Array;
  let grid: Grid;

  test.beforeAll(async ({ browser }) => {
    requireData(T1, FLAIR, TUMOUR);
    dir = mkdtempSync(join(tmpdir(), 'medseg-e2e-multiseq-'));
    const t1 = await openVolume(dataPath(T1));
    grid = { dims: t1.dims.map((d) => Math.floor(d / 3)) as Vec3, spacing: t1.spacing.map((x) => x * 3) as Vec3, origin: indexToWorld(t1, [1, 1, 1]), direction: t1.direction };
    await writeVolume(resampleVolume(t1, grid), join(dir, 'OtherEXampleFromTCIA_t1_bet.nii.gz'));
    await writeVolume(resampleVolume(await openVolume(dataPath(FLAIR)), grid), join(dir, 'OtherEXampleFromTCIA_fla_bet.nii.gz'));
    const lab = await openVolume(dataPath(TUMOUR));
    ref = Uint8Array.from(resampleData(lab, lab.data, grid, { interpolation: 'nearest' }), (v) => (v === 1 || v === 2 || v === 4 ? 1 : 0));
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await openApp(page);
    await openSeries(page, join(dir, 'OtherEXampleFromTCIA_t1_bet.nii.gz'), /./);
  });

  test.afterAll(async () => {
    await page?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('strokes on FLAIR (tumour) and T1 (background) side by side → whole-tumour prediction (Dice ≥ 0.45)', async () => {
    await page.getByTestId('seq-path').fill(join(dir, 'OtherEXampleFromTCIA_fla_bet.nii.gz'));
    await page.getByTestId('seq-add').click();
    await expect(page.getByTestId('sequence-list').locator('li')).toHaveCount(2);
    const [nx, ny, nz] = grid.dims;
    const n = nx * ny;
    const area = Array.from({ length: nz }, (_, k) => ref.subarray(k * n, (k + 1) * n).reduce((a, v) => a + v, 0));
    const k = area.indexOf(Math.max(...area));
    await goToAxialSlice(page, k);
    await page.getByTestId('side-by-side').click();
    await expect(page.locator('[data-view=axial][data-ready=true]')).toHaveCount(2);
    await page.keyboard.press('b');
    const mask = ref.slice(k * n, (k + 1) * n);
    const flair = await page.evaluate(([kk, nn]) => Array.from(window.__medseg.voxelsOf('seq-2')!.slice(kk * nn, (kk + 1) * nn)), [k, n] as const);
    // Inside the (skull-stripped) brain counts as "body" for the background strokes; the zero outside does not.
    const body = flair.map((v) => (v > 0 ? 0 : -1000));
    const toPts = (sg: Seg): Vec3[] => [[sg[0][0], sg[0][1], k], [sg[1][0], sg[1][1], k]];
    const target = targetStrokes(mask, nx, ny, 1); // the tumour is ~11 voxels across at 3 mm
    expect(target.length).toBeGreaterThan(0);
    for (const sg of target) await stroke(page, 'axial:seq-2', toPts(sg));
    await page.getByTestId('class-background').click();
    for (const sg of backgroundStrokes(mask, body, nx, ny, 4, 12)) await stroke(page, 'axial:seq-1', toPts(sg));
    const tWait = Date.now();
    await waitForPrediction(page);
    const pred = await prediction(page);
    const d = dice(pred, 1, ref, 1);
    console.log(`multi-sequence (T1 + FLAIR, one slice) whole-tumour Dice ${d.toFixed(3)}; prediction ${((Date.now() - tWait) / 1000).toFixed(1)} s after the last stroke`);
    // Measured 0.51 from one short stroke inside the tumour on one slice (the unit test, k = 3 slices: 0.84).
    // Before the empty frame around the brain was held to background this was 0.02: the whole box lit up.
    expect(d).toBeGreaterThanOrEqual(0.45);
    await page.screenshot({ path: test.info().outputPath('multiseq-prediction.png') });
  });
});

/** Typed refusals in the panel: another patient asks first (then the geometry decides); a time series is refused. */
test.describe.serial('adding a sequence that does not belong', () => {
  test.describe.configure({ timeout: 300_000 });
  let page: Page;
  let dir = '';

  test.beforeAll(async ({ browser }) => {
    requireData(CT_99000, PYDICOM);
    dir = mkdtempSync(join(tmpdir(), 'medseg-e2e-multiseq-bad-'));
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await openApp(page);
    await openSeries(page, dataPath(CT_99000), /CT/);
  });

  test.afterAll(async () => {
    await page?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a CT of another patient asks "combine anyway?"; confirmed, its other frame of reference is refused (NO_OVERLAP)', async () => {
    // The scanned folder holds the other patient's CT; it is offered under "From the scanned series".
    await page.getByTestId('path').fill(dataPath(PYDICOM));
    await page.getByTestId('scan').click();
    await page.waitForFunction(() => window.__medseg.phase !== 'scanning');
    await page.getByTestId('sequence-panel').getByRole('button', { name: /Lv2/ }).click();
    const ask = page.getByTestId('seq-mismatch');
    await expect(ask).toContainText('different patients');
    await expect(page.getByTestId('sequence-list').locator('li')).toHaveCount(1);
    await page.getByTestId('seq-confirm').click();
    await expect(ask).toHaveCount(0);
    await expect(page.getByTestId('error')).toHaveAttribute('data-code', 'NO_OVERLAP');
    await expect(page.getByTestId('sequence-list').locator('li')).toHaveCount(1);
    await page.screenshot({ path: test.info().outputPath('multiseq-refused.png') });
  });

  test('a time series (4D NIfTI) offered as a sequence is refused with SEQUENCE_4D', async () => {
    const grid = await page.evaluate(() => {
      const h = window.__medseg.header!;
      return { dims: h.dims, spacing: h.spacing, origin: h.origin, direction: h.direction };
    });
    const h = niftiHeader({ ...grid, data: new Int16Array(1) }, 'int16');
    const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
    dv.setInt16(40, 4, true); // dim[0] = 4
    dv.setInt16(48, 2, true); // dim[4] = 2 time points
    const n = grid.dims[0] * grid.dims[1] * grid.dims[2];
    const file = new Uint8Array(352 + 2 * n * 2);
    file.set(h, 0);
    writeFileSync(join(dir, 'perfusion_4d.nii'), file);
    await page.getByTestId('seq-path').fill(join(dir, 'perfusion_4d.nii'));
    await page.getByTestId('seq-add').click();
    await expect(page.getByTestId('error')).toHaveAttribute('data-code', 'SEQUENCE_4D');
    await expect(page.getByTestId('error')).toContainText('2 time points');
    await expect(page.getByTestId('sequence-list').locator('li')).toHaveCount(1);
  });
});
