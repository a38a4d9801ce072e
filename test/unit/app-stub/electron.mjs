// A recording stand-in for the Electron main-process API: just enough surface for src-main/app, and every call
// the shell makes is kept in `state` for the harness to report.
export const state = {
  lockRequested: 0, privileged: [], protocolHandlers: {}, windows: [], ipc: new Map(), permission: {},
  menuTemplate: null, quit: false, userData: process.env.STUB_USERDATA ?? '/tmp', headers: null, errorBox: null,
};

class Emitter {
  constructor() { this.h = new Map(); }
  on(e, f) { if (!this.h.has(e)) this.h.set(e, []); this.h.get(e).push(f); return this; }
  once(e, f) { return this.on(e, f); }
  emit(e, ...a) { for (const f of this.h.get(e) ?? []) f(...a); }
  listeners(e) { return this.h.get(e) ?? []; }
}

let nextId = 1;
class WebContents extends Emitter {
  constructor() { super(); this.id = nextId++; this.sent = []; this.openHandler = null; this.loadedURL = null; }
  setWindowOpenHandler(h) { this.openHandler = h; }
  send(channel, payload) { this.sent.push([channel, payload]); }
  isDestroyed() { return false; }
  isLoading() { return false; }
}

class App extends Emitter {
  requestSingleInstanceLock() { state.lockRequested++; return true; }
  whenReady() { return Promise.resolve(); }
  quit() { state.quit = true; }
  exit(code) { state.exitCode = code; }
  getName() { return 'MedSeg Workstation'; }
  getVersion() { return '0.1.0'; }
  getPath() { return state.userData; }
  get isPackaged() { return true; }
}
export const app = new App();

export class BrowserWindow extends Emitter {
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new WebContents();
    state.windows.push(this);
    app.emit('web-contents-created', { preventDefault() {} }, this.webContents);
  }
  loadURL(url) { this.webContents.loadedURL = url; return Promise.resolve(); }
  show() {} isMinimized() { return false; } restore() {} focus() {}
}

export const ipcMain = {
  handle(channel, h) { if (state.ipc.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`); state.ipc.set(channel, h); },
  removeHandler(channel) { state.ipc.delete(channel); },
};
export const protocol = {
  registerSchemesAsPrivileged(schemes) { state.privileged.push(...schemes); },
  handle(scheme, h) { state.protocolHandlers[scheme] = h; },
};
export const session = {
  defaultSession: {
    setPermissionRequestHandler(h) { state.permission.request = h; },
    setPermissionCheckHandler(h) { state.permission.check = h; },
    setDevicePermissionHandler(h) { state.permission.device = h; },
    webRequest: { onHeadersReceived(h) { state.headers = h; } },
  },
};
export const dialog = {
  showOpenDialog: async () => state.nextOpen ?? { canceled: true, filePaths: [] },
  showSaveDialog: async () => ({ canceled: true }),
  showErrorBox(title, message) { state.errorBox = [title, message]; },
};
export const Menu = {
  buildFromTemplate(template) { return { template }; },
  setApplicationMenu(menu) { state.menuTemplate = menu.template; },
};
// No OS keychain in the stub: the app falls back to its private secrets file.
export const safeStorage = { isEncryptionAvailable: () => false, encryptString: () => { throw new Error('unavailable'); }, decryptString: () => '' };
export default { app, BrowserWindow, ipcMain, protocol, session, dialog, Menu, safeStorage };
