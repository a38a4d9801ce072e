/**
 * The BUILT Electron main bundle (what `electron .` would run), started in plain Node against a recording stub of
 * the Electron API (test/unit/app-stub): the window it makes, the session policy, the IPC it registers and how
 * those handlers answer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP_TABLE, allMethodChannels, methodChannel } from '../../src-shared';
import { PRODUCTION_CSP } from '../../src-main/app/csp';
import { buildTarget } from './app-build';

const stubDir = fileURLToPath(new URL('./app-stub/', import.meta.url));

interface Report {
  webPreferences: Record<string, unknown>;
  show: boolean;
  loadedURL: string;
  lockRequested: number;
  privileged: { scheme: string; privileges: Record<string, boolean> }[];
  protocolSchemes: string[];
  pageStatus: number;
  pageCsp: string | null;
  channels: string[];
  windowOpen: unknown;
  navigationPrevented: boolean;
  webviewPrevented: boolean;
  permissionGranted: boolean;
  permissionCheck: boolean;
  status: { ok: boolean; value?: { mode: string }; error?: { code: string } };
  foreign: { ok: boolean; error?: { code: string } };
  invalid: { ok: boolean; error?: { code: string } };
  ungranted: { ok: boolean; error?: { code: string } };
  menu: string[];
  sent: [string, unknown][];
}

let report: Report;
let built = '';

afterAll(() => {
  if (built) rmSync(dirname(built), { recursive: true, force: true });
});

beforeAll(async () => {
  const bundle = (built = await buildTarget('main'));
  const r = spawnSync(process.execPath, ['--import', join(stubDir, 'register.mjs'), join(stubDir, 'harness.mjs'), bundle], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, STUB_USERDATA: mkdtempSync(join(tmpdir(), 'medseg-userdata-')) },
  });
  if (r.status !== 0) throw new Error(`harness failed (${r.status}): ${r.stderr}`);
  report = JSON.parse(r.stdout) as Report;
}, 180_000);

describe('built main bundle', () => {
  it('makes its window with isolation, sandbox and no node integration, preload pinned', () => {
    expect(report.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, webSecurity: true });
    expect(String(report.webPreferences.preload)).toMatch(/[\\/]preload[\\/]index\.cjs$/);
    expect(report.show).toBe(false); // shown on ready-to-show, no white flash
  });

  it('is a single instance serving the page from app:// with the strict CSP', () => {
    expect(report.lockRequested).toBe(1);
    expect(report.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
    expect(report.protocolSchemes).toEqual(['app']);
    expect(report.loadedURL).toBe('app://medseg/index.html');
    expect(report.pageCsp).toBe(PRODUCTION_CSP);
  });

  it('denies window.open, navigation, <webview> and permissions', () => {
    expect(report.windowOpen).toEqual({ action: 'deny' });
    expect(report.navigationPrevented).toBe(true);
    expect(report.webviewPrevented).toBe(true);
    expect(report.permissionGranted).toBe(false);
    expect(report.permissionCheck).toBe(false);
  });

  it('registers exactly the table channels', () => {
    const expected = [...allMethodChannels().map((c) => c.channel), ...DESKTOP_TABLE.methods.map((m) => methodChannel('desktop', m))].sort();
    expect(report.channels).toEqual(expected);
  });

  it('answers our window, refuses others, validates arguments and the path allow-list', () => {
    expect(report.status).toMatchObject({ ok: true, value: { mode: 'electron' } });
    expect(report.foreign).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(report.invalid).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(report.ungranted).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });

  it('has the File/Edit/View/Help menu whose items send typed commands', () => {
    expect(report.menu).toEqual(['File', 'Edit', 'View', 'Help']);
    expect(report.sent).toEqual([
      ['desktop:command', { type: 'undo' }],
      ['desktop:command', { type: 'layout', layout: 'mpr' }],
    ]);
  });
});
