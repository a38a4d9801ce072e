/**
 * lib/api: the one object the UI talks to. Same typed client (generated from SERVICE_TABLE) over either
 * Electron's window.api or the web bridge's WebSocket; components never know which.
 */
import { createServiceClient, type MedSegApi } from '../../../src-shared';
import { desktopTransport, type ElectronWindowApi, type RemoteDesktop } from '../../../src-shared/desktop';
import { wsTransport } from './ws-transport';

export interface Connection {
  api: MedSegApi;
  /** Native dialogs etc.; null in web mode. */
  desktop: RemoteDesktop | null;
  mode: 'electron' | 'web';
}

declare global {
  interface Window {
    api?: ElectronWindowApi;
  }
}

/** The bridge serves the page; the access token comes in the page URL (?token=…) and is kept only in memory. */
export function bridgeUrl(loc: Location): string {
  const token = new URLSearchParams(loc.search).get('token') ?? '';
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}/ws?token=${encodeURIComponent(token)}`;
}

export async function connect(): Promise<Connection> {
  if (window.api) {
    return { api: createServiceClient(desktopTransport(window.api)), desktop: window.api.desktop, mode: 'electron' };
  }
  const t = wsTransport(bridgeUrl(window.location));
  await t.ready;
  return { api: createServiceClient(t), desktop: null, mode: 'web' };
}
