/**
 * The app's lifecycle: single instance, privileged app:// scheme, session policy (permissions, CSP), one
 * window, IPC from the tables, menu, files handed over by the OS. Electron's modules come in as a parameter so
 * the whole sequence runs against a stub in tests; only main.ts imports 'electron' itself.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type * as Electron from 'electron';
import {
  DESKTOP_NAMESPACE, eventChannel,
  type AppCommand, type RecentItem, type Unsubscribe,
} from '../../src-shared';
import type { EventHub, ServiceHost } from '../services';
import { devCsp, installCspHeader } from './csp';
import { createDesktopHandlers, type DialogApi } from './desktop';
import { desktopHandlers, forwardEvents, registerIpcHandlers, serviceHandlers, type ChannelHandler } from './ipc';
import { buildMenuTemplate } from './menu';
import { PathGrants } from './path-grants';
import { denyAllPermissions } from './permissions';
import { APP_ENTRY_URL, APP_ORIGIN, APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './protocol';
import { originOf } from './sender';
import { createSecureWindow, hardenContents } from './window';

/** The Electron main-process modules the shell uses. */
export interface ElectronMain {
  app: Electron.App;
  BrowserWindow: typeof Electron.BrowserWindow;
  ipcMain: Electron.IpcMain;
  dialog: Electron.Dialog;
  Menu: typeof Electron.Menu;
  protocol: Electron.Protocol;
  session: typeof Electron.session;
}

/** What the shell needs of the services (createServices() gives it), made once the app is ready. */
export type ShellServiceHost = Pick<ServiceHost, 'services' | 'dispatch' | 'dispose'> & { hub: Pick<EventHub, 'subscribe'> };

export interface AppOptions {
  /** Absolute path of out/preload/index.cjs. */
  preload: string;
  /** Folder of the built renderer (out/renderer). */
  rendererRoot: string;
  /** electron-vite's dev server URL (ELECTRON_RENDERER_URL) in development. */
  devUrl?: string;
  /** Command-line arguments (process.argv). */
  argv: string[];
  createHost(): Promise<ShellServiceHost>;
  log?(message: string): void;
}

/** Files named on the command line ("Open with…", drag onto the dock icon, `medseg-workstation scan.nii.gz`). */
export function pathsFromArgv(argv: string[], cwd: string = process.cwd()): string[] {
  return argv
    .slice(1)
    .filter((a) => a.length > 0 && !a.startsWith('-') && a !== '.')
    .map((a) => (isAbsolute(a) ? a : resolve(cwd, a)))
    .filter((p) => existsSync(p) && !/[\\/](electron|app\.asar|resources)$/i.test(p) && !p.endsWith('.js'));
}

export function startApp(electron: ElectronMain, options: AppOptions): void {
  const { app, BrowserWindow, ipcMain, dialog, Menu, protocol, session } = electron;
  const log = options.log ?? ((m: string) => console.warn(`[medseg] ${m}`));

  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  const grants = new PathGrants();
  const windows = new Set<Electron.BrowserWindow>();
  const pendingOpen: string[] = [];
  const origin = options.devUrl ? (originOf(options.devUrl) ?? APP_ORIGIN) : APP_ORIGIN;
  const entryUrl = options.devUrl ?? APP_ENTRY_URL;
  let host: ShellServiceHost | null = null;
  const cleanups: Unsubscribe[] = [];

  const mainWindow = (): Electron.BrowserWindow | null => [...windows][0] ?? null;
  const sendCommand = (command: AppCommand) => {
    const win = mainWindow();
    if (win && !win.webContents.isDestroyed()) win.webContents.send(eventChannel(DESKTOP_NAMESPACE, 'command'), command);
  };
  const openFromOs = (paths: string[]) => {
    if (paths.length === 0) return;
    for (const p of paths) grants.grant(p, 'read');
    if (mainWindow()?.webContents.isLoading() === false) sendCommand({ type: 'open', paths });
    else pendingOpen.push(...paths);
  };

  // Defence in depth: whatever webContents ever appears (devtools, a future window) gets the same hardening.
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, log));
  app.on('second-instance', (_event, argv, workingDirectory) => {
    const win = mainWindow();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
    openFromOs(pathsFromArgv(argv, workingDirectory));
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    for (const c of cleanups.splice(0)) c();
    void host?.dispose();
  });

  const boundDialog = (): DialogApi => ({
    showOpenDialog: (o) => {
      const win = mainWindow();
      return win ? dialog.showOpenDialog(win, o) : dialog.showOpenDialog(o);
    },
    showSaveDialog: (o) => {
      const win = mainWindow();
      return win ? dialog.showSaveDialog(win, o) : dialog.showSaveDialog(o);
    },
  });

  const refreshMenu = async () => {
    let recent: RecentItem[] = [];
    try {
      recent = host ? await host.services.study.recent() : [];
    } catch (e) {
      log(`recent list unavailable: ${e instanceof Error ? e.message : String(e)}`);
    }
    const desktop = createDesktopHandlers(boundDialog(), grants);
    const template = buildMenuTemplate(
      { platform: process.platform, appName: app.getName(), recent, dev: !app.isPackaged },
      {
        send: sendCommand,
        chooseAndGrant: async (request) => (await desktop.showOpenDialog([request])) as string[],
        grantRecent: (p) => grants.grant(p, 'read'),
        log,
      },
    );
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  };

  const createWindow = (): Electron.BrowserWindow => {
    const win = createSecureWindow(
      BrowserWindow,
      { width: 1400, height: 900, minWidth: 900, minHeight: 600, show: false, title: 'MedSeg Workstation', backgroundColor: '#111111' },
      options.preload,
      log,
    );
    windows.add(win);
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => windows.delete(win));
    win.webContents.on('did-finish-load', () => {
      if (pendingOpen.length > 0) sendCommand({ type: 'open', paths: pendingOpen.splice(0) });
    });
    void win.loadURL(entryUrl);
    return win;
  };

  void app.whenReady().then(async () => {
    const ses = session.defaultSession;
    denyAllPermissions(ses, log);
    if (options.devUrl) installCspHeader(ses, origin, devCsp(origin));
    else protocol.handle(APP_SCHEME, createAppProtocolHandler(options.rendererRoot));

    host = await options.createHost();
    const handlers = new Map<string, ChannelHandler>([
      ...recentGranting(serviceHandlers(host.dispatch, grants), grants),
      ...desktopHandlers(createDesktopHandlers(boundDialog(), grants)),
    ]);
    const policy = { origin, windowContentsIds: () => [...windows].map((w) => w.webContents.id) };
    cleanups.push(registerIpcHandlers(ipcMain, handlers, policy, log));
    cleanups.push(forwardEvents(host.hub, () => [...windows].map((w) => w.webContents)));

    openFromOs(pathsFromArgv(options.argv));
    createWindow();
    await refreshMenu();
    app.on('browser-window-focus', () => void refreshMenu());
    app.on('activate', () => {
      if (windows.size === 0) createWindow();
    });
  }).catch((e: unknown) => {
    log(`start-up failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    dialog.showErrorBox('MedSeg Workstation could not start', e instanceof Error ? e.message : String(e));
    app.exit(1);
  });
}

/**
 * The recent list comes from main's own store, never from the page, so its paths may be opened again: grant
 * them when the page reads the list.
 */
function recentGranting(handlers: Map<string, ChannelHandler>, grants: PathGrants): Map<string, ChannelHandler> {
  const recent = handlers.get('study.recent');
  if (recent) {
    handlers.set('study.recent', async (args) => {
      const items = (await recent(args)) as RecentItem[];
      for (const item of items) if (isAbsolute(item.path)) grants.grant(item.path, 'read');
      return items;
    });
  }
  return handlers;
}
