/**
 * The preload (sandboxed, context-isolated, built as CommonJS to out/preload/index.cjs): exposes window.api,
 * generated from the contract tables in src-shared, and nothing else. May import only electron and src-shared.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { buildWindowApi } from './api';

contextBridge.exposeInMainWorld('api', buildWindowApi(ipcRenderer, webUtils));
