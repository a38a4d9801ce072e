/**
 * The page's Content-Security-Policy, delivered as a response header: by our app:// protocol handler for the
 * packaged page and by onHeadersReceived for the dev server. (file:// responses carry no headers, which is one
 * reason the page is served from app:// instead.)
 */
import type { Session } from 'electron';

const BASE_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'none'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  // Svelte writes style="" attributes and vtk.js sets element styles; inline CSS cannot run code.
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'worker-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-src': ["'none'"],
  'frame-ancestors': ["'none'"],
};

function serialize(directives: Record<string, string[]>): string {
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

/** The policy for the packaged page (served from app://). */
export const PRODUCTION_CSP = serialize(BASE_DIRECTIVES);

/** The dev server's page also needs its HMR websocket and module URLs on the dev origin. */
export function devCsp(devOrigin: string): string {
  const ws = devOrigin.replace(/^http/, 'ws');
  return serialize({
    ...BASE_DIRECTIVES,
    'script-src': [...(BASE_DIRECTIVES['script-src'] ?? []), devOrigin],
    'connect-src': ["'self'", devOrigin, ws],
  });
}

export type HeaderSession = Pick<Session, 'webRequest'>;

/**
 * Put the policy on every response of the given origin, replacing whatever CSP the server sent (header names are
 * case-insensitive, so any casing of an existing one is removed first).
 */
export function installCspHeader(session: HeaderSession, origin: string, policy: string): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    if (!details.url.startsWith(origin)) {
      callback({});
      return;
    }
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [policy];
    callback({ responseHeaders: headers });
  });
}
