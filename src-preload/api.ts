/**
 * Builds window.api from the service table and the desktop table: one function per method (invoke on the
 * derived channel) and one `on` per namespace. Nothing else is reachable from the page: no ipcRenderer, no
 * channel names, and listeners get the event payload only, never Electron's event object (its `sender` would
 * hand the page the whole ipcRenderer).
 */
import type { IpcRenderer, WebUtils } from 'electron';
import {
  DESKTOP_NAMESPACE, DESKTOP_TABLE, SERVICE_TABLE, eventChannel, methodChannel,
  type DroppedFileLike, type IpcResult, type MedSegErrorInfo, type Unsubscribe,
} from '../src-shared';

export type PreloadIpc = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;
export type PreloadWebUtils = Pick<WebUtils, 'getPathForFile'>;

type Fn = (...args: unknown[]) => unknown;
type Namespace = Record<string, Fn>;

function isIpcResult(v: unknown): v is IpcResult {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
}

/** Plain objects cross contextBridge intact; Error instances would lose their code. */
function internalError(e: unknown): MedSegErrorInfo {
  return {
    code: 'INTERNAL',
    message: 'The app could not reach its background process.',
    // Duck-typed: an Error from another realm fails instanceof.
    detail: typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : String(e),
  };
}

async function call(ipc: PreloadIpc, channel: string, args: unknown[]): Promise<unknown> {
  let result: unknown;
  try {
    result = await ipc.invoke(channel, ...args);
  } catch (e) {
    throw internalError(e);
  }
  if (!isIpcResult(result)) throw internalError(new Error(`malformed reply on ${channel}`));
  if (result.ok) return result.value;
  throw result.error;
}

function subscriber(ipc: PreloadIpc, namespace: string, events: readonly string[]) {
  return (event: unknown, listener: unknown): Unsubscribe => {
    if (typeof event !== 'string' || !events.includes(event)) {
      throw { code: 'INVALID_ARGUMENT', message: `Unknown event ${namespace}:${String(event)}.` } satisfies MedSegErrorInfo;
    }
    if (typeof listener !== 'function') {
      throw { code: 'INVALID_ARGUMENT', message: 'An event listener must be a function.' } satisfies MedSegErrorInfo;
    }
    const channel = eventChannel(namespace, event);
    const handler = (_event: unknown, payload: unknown) => (listener as (p: unknown) => void)(payload);
    ipc.on(channel, handler);
    return () => {
      ipc.removeListener(channel, handler);
    };
  };
}

/** Files → real paths (files constructed in JS have none and are left out). */
function droppedPaths(webUtils: PreloadWebUtils, files: unknown): string[] {
  if (files === null || typeof files !== 'object' || typeof (files as ArrayLike<unknown>).length !== 'number') {
    throw { code: 'INVALID_ARGUMENT', message: 'Expected the list of dropped files.' } satisfies MedSegErrorInfo;
  }
  const paths: string[] = [];
  for (const file of Array.from(files as ArrayLike<DroppedFileLike>)) {
    let path = '';
    try {
      path = webUtils.getPathForFile(file as File);
    } catch {
      // Not a File: ignore it like a JS-made file; main reports when nothing real was dropped.
    }
    if (path) paths.push(path);
  }
  return paths;
}

export function buildWindowApi(ipc: PreloadIpc, webUtils: PreloadWebUtils): Record<string, Namespace> {
  const api: Record<string, Namespace> = {};
  for (const [service, entry] of Object.entries(SERVICE_TABLE) as [string, { methods: readonly string[]; events: readonly string[] }][]) {
    const ns: Namespace = {};
    for (const method of entry.methods) ns[method] = (...args: unknown[]) => call(ipc, methodChannel(service, method), args);
    ns.on = subscriber(ipc, service, entry.events);
    api[service] = ns;
  }
  const desktop: Namespace = {};
  for (const method of DESKTOP_TABLE.methods) {
    const channel = methodChannel(DESKTOP_NAMESPACE, method);
    desktop[method] =
      method === 'pathsForDroppedFiles'
        ? (files: unknown) => {
            let paths: string[];
            try {
              paths = droppedPaths(webUtils, files);
            } catch (e) {
              return Promise.reject(e);
            }
            return call(ipc, channel, [paths]);
          }
        : (...args: unknown[]) => call(ipc, channel, args);
  }
  desktop.on = subscriber(ipc, DESKTOP_NAMESPACE, DESKTOP_TABLE.events);
  api[DESKTOP_NAMESPACE] = desktop;
  return api;
}
