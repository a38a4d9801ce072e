/**
 * The desktop app end to end, in a real Electron: secure window, window.api from the tables, a file chosen in
 * the (stubbed) native dialog opened through the services, ungranted paths refused, popups denied.
 * Skipped with the reason where no Electron binary exists (this machine: it cannot be downloaded).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = resolve(process.env.MEDSEG_DATA ?? join(root, '..', 'shared', 'data'));
const ct = join(dataDir, 'totalseg_ct', 'example_ct_sm.nii.gz');

/** The binary to run, or why there is none (without requiring 'electron', which would try to download it). */
function electronBinary(): { bin?: string; reason?: string } {
  const explicit = process.env.MEDSEG_ELECTRON_PATH;
  if (explicit) return existsSync(explicit) ? { bin: explicit } : { reason: `MEDSEG_ELECTRON_PATH=${explicit} does not exist` };
  if (process.env.MEDSEG_ELECTRON !== '1') return { reason: 'no Electron binary here: set MEDSEG_ELECTRON=1 (or MEDSEG_ELECTRON_PATH) where one is installed' };
  const pkgDir = dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'));
  const pathFile = join(pkgDir, 'path.txt');
  const bin = existsSync(pathFile) ? join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : '';
  return bin && existsSync(bin) ? { bin } : { reason: 'MEDSEG_ELECTRON=1 but node_modules/electron/dist has no binary' };
}

const found = electronBinary();
const built = existsSync(join(root, 'out', 'main', 'index.js')) && existsSync(join(root, 'out', 'preload', 'index.cjs'));

test.describe('desktop app (Electron)', () => {
  test.skip(!found.bin, found.reason ?? '');
  test.skip(!built, 'run `npm run build` first');

  let app: ElectronApplication;
  let page: Page;

  test.beforeAll(async () => {
    app = await electron.launch({ executablePath: found.bin, args: [root], cwd: root });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });
  test.afterAll(async () => {
    await app?.close();
  });

  test('the page is ours, under the CSP, and has no Node', async () => {
    expect(page.url()).toBe('app://medseg/index.html');
    // The CSP header from app:// is in force: no eval.
    expect(await page.evaluate(() => {
      try {
        return String(globalThis.eval('1 + 1'));
      } catch {
        return 'blocked';
      }
    })).toBe('blocked');
    expect(await page.evaluate(() => [typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process])).toEqual(['undefined', 'undefined']);
  });

  test('window.api is exactly the contract', async () => {
    const keys = await page.evaluate(() => Object.fromEntries(Object.entries((window as unknown as { api: Record<string, object> }).api).map(([k, v]) => [k, Object.keys(v).sort()])));
    expect(Object.keys(keys).sort()).toEqual(['desktop', 'models', 'segmentation', 'study', 'system']);
    expect(keys.desktop).toEqual(['on', 'pathsForDroppedFiles', 'showOpenDialog', 'showSaveDialog']);
    const status = await page.evaluate(() => (window as unknown as { api: { system: { status(): Promise<{ mode: string }> } } }).api.system.status());
    expect(status.mode).toBe('electron');
  });

  test('popups are denied', async () => {
    expect(await page.evaluate(() => window.open('https://example.org/') === null)).toBe(true);
    expect(app.windows()).toHaveLength(1);
  });

  test('a path the user did not choose is refused; the same file chosen in the dialog opens', async () => {
    test.skip(!existsSync(ct), `test data missing: ${ct} (set MEDSEG_DATA)`);
    type Api = { study: { openPath(p: string): Promise<{ header: { dims: number[] } }> }; desktop: { showOpenDialog(r: object): Promise<string[]> } };
    const refused = await page.evaluate((p) => (window as unknown as { api: Api }).api.study.openPath(p).then(() => 'opened', (e: { code: string }) => e.code), ct);
    expect(refused).toBe('UNAUTHORIZED');
    await app.evaluate(({ dialog }, p) => {
      dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [p] })) as typeof dialog.showOpenDialog;
    }, ct);
    const dims = await page.evaluate(async () => {
      const api = (window as unknown as { api: Api }).api;
      const [p] = await api.desktop.showOpenDialog({ kind: 'files' });
      return (await api.study.openPath(p!)).header.dims;
    });
    expect(dims).toEqual([122, 101, 30]);
  });
});
