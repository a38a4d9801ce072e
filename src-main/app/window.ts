/**
 * The one way to make a window. Security-relevant webPreferences are forced here, after the caller's options,
 * so no caller (nor a later refactor) can turn isolation, sandbox or node integration back on.
 */
import type { BrowserWindowConstructorOptions, WebContents, WebPreferences } from 'electron';

/** Preferences no caller may change. Values are what Electron's security checklist asks for. */
export const LOCKED_WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
} as const satisfies WebPreferences);

/** Options that could smuggle in code or re-enable features; dropped whatever the caller passed. */
const STRIPPED_WEB_PREFERENCES = ['enableBlinkFeatures', 'additionalArguments', 'session', 'partition'] as const;

/**
 * The caller's options with the locked preferences on top and the preload pinned to ours. Returns a new object;
 * the caller's object is not modified.
 */
export function secureWindowOptions(requested: BrowserWindowConstructorOptions, preloadPath: string): BrowserWindowConstructorOptions {
  const prefs: Record<string, unknown> = { ...(requested.webPreferences ?? {}) };
  for (const key of STRIPPED_WEB_PREFERENCES) delete prefs[key];
  return {
    ...requested,
    webPreferences: { ...(prefs as WebPreferences), ...LOCKED_WEB_PREFERENCES, preload: preloadPath },
  };
}

/** The parts of a WebContents the hardening touches (tests pass a fake). */
export type HardenableContents = Pick<WebContents, 'setWindowOpenHandler' | 'on'>;

export type WindowPolicyLog = (message: string) => void;

/**
 * Deny every navigation, redirect, new window and <webview>. The app is a single page: nothing legitimate ever
 * navigates a frame, so an attempt means a bug or injected content. (Dropping a file on a spot the page does not
 * handle would otherwise navigate to file://.)
 */
export function hardenContents(contents: HardenableContents, log: WindowPolicyLog = () => {}): void {
  contents.setWindowOpenHandler(({ url }) => {
    log(`blocked window.open(${url})`);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => {
    event.preventDefault();
    log(`blocked navigation to ${event.url}`);
  });
  contents.on('will-frame-navigate', (event) => {
    event.preventDefault();
    log(`blocked frame navigation to ${event.url}`);
  });
  contents.on('will-redirect', (event) => {
    event.preventDefault();
    log(`blocked redirect to ${event.url}`);
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('blocked <webview>');
  });
}

/** A BrowserWindow constructor, real or fake. */
export interface WindowConstructor<W extends { webContents: HardenableContents }> {
  new (options: BrowserWindowConstructorOptions): W;
}

/** Create a window with forced security preferences and hardened web contents. */
export function createSecureWindow<W extends { webContents: HardenableContents }>(
  BrowserWindow: WindowConstructor<W>,
  requested: BrowserWindowConstructorOptions,
  preloadPath: string,
  log?: WindowPolicyLog,
): W {
  const win = new BrowserWindow(secureWindowOptions(requested, preloadPath));
  hardenContents(win.webContents, log);
  return win;
}
