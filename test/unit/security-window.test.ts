/**
 * Window factory, navigation/window.open/webview denial, permission denial, CSP and the app:// protocol,
 * against fakes of the Electron objects.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { PRODUCTION_CSP, devCsp, installCspHeader } from '../../src-main/app/csp';
import { denyAllPermissions } from '../../src-main/app/permissions';
import { createAppProtocolHandler, resolveAppUrl } from '../../src-main/app/protocol';
import { createSecureWindow, secureWindowOptions, type WindowConstructor } from '../../src-main/app/window';

type Handler = (...args: unknown[]) => unknown;

class FakeContents {
  readonly handlers = new Map<string, Handler>();
  openHandler: Handler | null = null;
  setWindowOpenHandler(h: Handler) {
    this.openHandler = h;
  }
  on(event: string, h: Handler) {
    this.handlers.set(event, h);
    return this;
  }
}

class FakeWindow {
  static last: FakeWindow | null = null;
  readonly webContents = new FakeContents() as unknown as WebContents & FakeContents;
  constructor(readonly options: BrowserWindowConstructorOptions) {
    FakeWindow.last = this;
  }
}

function preventable(url = 'https://evil.example/') {
  const e = { url, prevented: false, preventDefault() { e.prevented = true; } };
  return e;
}

describe('window factory', () => {
  it('forces isolation, sandbox and no node integration whatever the caller passes', () => {
    const requested: BrowserWindowConstructorOptions = {
      width: 800,
      webPreferences: {
        nodeIntegration: true,
        sandbox: false,
        contextIsolation: false,
        webSecurity: false,
        webviewTag: true,
        nodeIntegrationInWorker: true,
        allowRunningInsecureContent: true,
        enableBlinkFeatures: 'CSSPseudoHas',
        preload: '/tmp/evil.js',
      },
    };
    const o = secureWindowOptions(requested, '/app/out/preload/index.cjs');
    expect(o.width).toBe(800);
    expect(o.webPreferences).toMatchObject({
      nodeIntegration: false,
      sandbox: true,
      contextIsolation: true,
      webSecurity: true,
      webviewTag: false,
      nodeIntegrationInWorker: false,
      allowRunningInsecureContent: false,
      preload: '/app/out/preload/index.cjs',
    });
    expect(o.webPreferences).not.toHaveProperty('enableBlinkFeatures');
    // The caller's object is left as it was.
    expect(requested.webPreferences?.nodeIntegration).toBe(true);
  });

  it('creates the window with those options and denies window.open, navigation, redirects and <webview>', () => {
    const blocked: string[] = [];
    const win = createSecureWindow(FakeWindow as unknown as WindowConstructor<FakeWindow>, { webPreferences: { sandbox: false } }, '/p.cjs', (m) => blocked.push(m));
    expect(win).toBe(FakeWindow.last);
    expect(win.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false });
    const wc = win.webContents;
    expect(wc.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    for (const ev of ['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview']) {
      const e = preventable();
      wc.handlers.get(ev)!(e, e.url);
      expect(e.prevented, ev).toBe(true);
    }
    expect(blocked).toContain('blocked window.open(https://evil.example/)');
    expect(blocked).toContain('blocked navigation to https://evil.example/');
  });
});

describe('permissions', () => {
  it('denies every permission request and check', () => {
    let request: Handler | null = null;
    let check: Handler | null = null;
    let device: Handler | null = null;
    const session = {
      setPermissionRequestHandler: (h: Handler) => (request = h),
      setPermissionCheckHandler: (h: Handler) => (check = h),
      setDevicePermissionHandler: (h: Handler) => (device = h),
    } as unknown as Session;
    denyAllPermissions(session);
    for (const permission of ['media', 'notifications', 'geolocation', 'openExternal', 'clipboard-read']) {
      const answers: boolean[] = [];
      request!({}, permission, (granted: boolean) => answers.push(granted), {});
      expect(answers, permission).toEqual([false]);
      expect(check!({}, permission, 'app://medseg', {})).toBe(false);
    }
    expect(device!({ deviceType: 'usb' })).toBe(false);
  });
});

describe('content security policy', () => {
  const directives = (csp: string) => new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));

  it('is strict: nothing by default, scripts only from our bundle, no eval, no plugins, no framing', () => {
    const d = directives(PRODUCTION_CSP);
    expect(d.get('default-src')).toEqual(["'none'"]);
    expect(d.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(PRODUCTION_CSP).not.toMatch(/'unsafe-eval'|script-src[^;]*'unsafe-inline'|\*/);
  });

  it('the dev policy adds only the dev server (and its HMR socket)', () => {
    const d = directives(devCsp('http://localhost:5173'));
    expect(d.get('connect-src')).toEqual(["'self'", 'http://localhost:5173', 'ws://localhost:5173']);
    expect(d.get('default-src')).toEqual(["'none'"]);
  });

  it('replaces the dev server CSP header (any casing) on our origin only', () => {
    let listener: Handler | null = null;
    const session = { webRequest: { onHeadersReceived: (h: Handler) => (listener = h) } } as unknown as Session;
    installCspHeader(session, 'http://localhost:5173', 'default-src \'none\'');
    const out: unknown[] = [];
    listener!({ url: 'http://localhost:5173/index.html', responseHeaders: { 'content-security-policy': ['*'], 'Content-Type': ['text/html'] } }, (r: unknown) => out.push(r));
    listener!({ url: 'https://cdn.example/x.js', responseHeaders: {} }, (r: unknown) => out.push(r));
    expect(out[0]).toEqual({ responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': ["default-src 'none'"] } });
    expect(out[1]).toEqual({});
  });
});

describe('app:// protocol', () => {
  const root = mkdtempSync(join(tmpdir(), 'medseg-renderer-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>MedSeg</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'export {}');

  it('maps URLs inside the renderer folder and refuses everything else', () => {
    expect(resolveAppUrl(root, 'app://medseg/')).toBe(join(root, 'index.html'));
    expect(resolveAppUrl(root, 'app://medseg/assets/app.js')).toBe(join(root, 'assets', 'app.js'));
    // The URL parser folds encoded dot segments at the root, so this stays inside the folder.
    expect(resolveAppUrl(root, 'app://medseg/%2e%2e/%2e%2e/etc/passwd')).toBe(join(root, 'etc', 'passwd'));
    expect(resolveAppUrl(root, 'app://medseg/assets/..%2f..%2f..%2fetc%2fpasswd')).toBeNull();
    expect(resolveAppUrl(root, 'app://other/index.html')).toBeNull();
    expect(resolveAppUrl(root, 'file:///etc/passwd')).toBeNull();
    expect(resolveAppUrl(root, 'app://medseg/%00')).toBeNull();
  });

  it('serves files with the CSP header and a content type; 404 for missing or outside files', async () => {
    const handle = createAppProtocolHandler(root);
    const ok = await handle(new Request('app://medseg/index.html'));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toBe(PRODUCTION_CSP);
    expect(ok.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await ok.text()).toContain('<title>MedSeg</title>');
    const js = await handle(new Request('app://medseg/assets/app.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await handle(new Request('app://medseg/missing.js'))).status).toBe(404);
    expect((await handle(new Request('app://medseg/%2e%2e/%2e%2e/etc/passwd'))).status).toBe(404);
  });
});
