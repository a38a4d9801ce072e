/**
 * app/: Electron only (lifecycle, window, menu, dialogs, IPC registration from the service table). The only
 * place that imports 'electron' at run time; may import services/ and src-shared. Nothing imports app/.
 * This file is the Electron entry, built to out/main/index.js.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, Menu, app, dialog, ipcMain, protocol, safeStorage, session } from 'electron';
import { ModelStore } from '../features/models';
import { createServices, EncryptedSecretStore, FileSecretStore } from '../services';
import { startApp } from './lifecycle';

const here = fileURLToPath(new URL('.', import.meta.url));

startApp(
  { app, BrowserWindow, ipcMain, dialog, Menu, protocol, session },
  {
    preload: join(here, '../preload/index.cjs'),
    rendererRoot: join(here, '../renderer'),
    devUrl: !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined,
    argv: process.argv,
    async createHost() {
      return createServices({
        system: {
          mode: 'electron',
          versions: { app: app.getVersion(), node: process.versions.node, electron: process.versions.electron, chrome: process.versions.chrome },
        },
        recentFile: join(app.getPath('userData'), 'recent.json'),
        // Autosaved workspaces, PACS settings and imported models live in the user's data folder.
        dataDir: app.getPath('userData'),
        modelStore: new ModelStore(join(app.getPath('userData'), 'models')),
        // Server passwords/tokens: the OS keychain where Electron can reach it, else a private file.
        secrets: safeStorage?.isEncryptionAvailable?.()
          ? new EncryptedSecretStore(join(app.getPath('userData'), 'secrets.json'), (t) => safeStorage.encryptString(t), (b) => safeStorage.decryptString(b))
          : new FileSecretStore(join(app.getPath('userData'), 'secrets.json')),
        // onnxruntime's run() blocks its thread: all heavy work goes to the compute worker (out/main/worker.js).
        workerFile: join(here, 'worker.js'),
      });
    },
  },
);
