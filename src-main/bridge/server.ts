/**
 * The web bridge: the built renderer and the service table over ONE loopback WebSocket with binary frames.
 * Listens on 127.0.0.1 only. Locks: per-launch token (page load and WS), Host and Origin of this very server,
 * message size limit, frame and argument validation (shared dispatcher), strict CSP, no path traversal.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { decodeMessage, encodeMessage, type WireMessage } from '../../src-shared';
import { toErrorInfo, type Dispatch, type EventHub } from '../services';
import { allowedHosts, allowedOrigins, checkToken, contentSecurityPolicy, cookieName, newToken, readCookie } from './security';
import { readStatic, resolveStatic } from './static';

export interface BridgeOptions {
  dispatch: Dispatch;
  hub: EventHub;
  /** Folder with the built renderer (out/renderer); without it only the WebSocket is served. */
  staticDir?: string;
  /** 0 = any free port. */
  port?: number;
  token?: string;
  /** Largest incoming message in bytes (uploads are batched by the client to stay under it). */
  maxPayload?: number;
  /** Close a client that lets this many bytes of outgoing events pile up (a frozen tab must not eat RAM). */
  maxBufferedBytes?: number;
}

export interface Bridge {
  readonly url: string;
  readonly token: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

export const DEFAULT_MAX_PAYLOAD = 256 * 2 ** 20;

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_MALFORMED = 1007;

export async function startBridge(o: BridgeOptions): Promise<Bridge> {
  const token = o.token ?? newToken();
  const maxBuffered = o.maxBufferedBytes ?? 2 * 2 ** 30;
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload ?? DEFAULT_MAX_PAYLOAD, perMessageDeflate: false });
  const clients = new Set<WebSocket>();
  let port = 0;

  const hostOk = (req: IncomingMessage) => allowedHosts(port).includes(req.headers.host ?? '');

  server.on('request', (req, res) => void handleHttp(req, res));
  server.on('upgrade', (req, socket, head) => handleUpgrade(req, socket, head));

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', ...headers });
      res.end(text);
    };
    if (!hostOk(req)) return send(403, 'Forbidden: unknown host.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method not allowed.', { Allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const given = url.searchParams.get('token') ?? readCookie(req.headers.cookie, cookieName(port));
    const auth = checkToken(given, token);
    if (auth === 'missing') return send(401, 'Access token missing: open the address printed by "npm run web".');
    if (auth === 'wrong') return send(403, 'Wrong access token: open the address printed by "npm run web" for this launch.');
    if (!o.staticDir) return send(404, 'Not found.');
    const file = resolveStatic(o.staticDir, url.pathname);
    const found = file && (await readStatic(file));
    if (!found) return send(404, 'Not found.');
    res.writeHead(200, {
      'Content-Type': found.type,
      'Content-Length': String(found.body.byteLength),
      'Content-Security-Policy': contentSecurityPolicy(port),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'X-Frame-Options': 'DENY',
      'Cache-Control': 'no-store',
      'Set-Cookie': `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    });
    res.end(req.method === 'HEAD' ? undefined : found.body);
  }

  function refuse(socket: Duplex, status: number, text: string): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    // A foreign page (cross-site WebSocket hijacking) or a rebinding host never gets a socket at all.
    if (!hostOk(req)) return refuse(socket, 403, 'Forbidden');
    if (!allowedOrigins(port).includes(req.headers.origin ?? '')) return refuse(socket, 403, 'Forbidden');
    if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found');
    const auth = checkToken(url.searchParams.get('token'), token);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (auth !== 'ok') {
        // Our own page with a stale or missing token: say so with a close code the client maps to UNAUTHORIZED.
        ws.close(CLOSE_UNAUTHORIZED, auth === 'missing' ? 'access token missing' : 'wrong access token');
        return;
      }
      attach(ws);
    });
  }

  function sendMsg(ws: WebSocket, msg: WireMessage): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > maxBuffered) {
      ws.close(1013, 'client is not reading');
      return;
    }
    ws.send(encodeMessage(msg), { binary: true });
  }

  function attach(ws: WebSocket): void {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) return ws.close(CLOSE_MALFORMED, 'binary frames only');
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      let msg: WireMessage;
      try {
        msg = decodeMessage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } catch {
        return ws.close(CLOSE_MALFORMED, 'malformed message');
      }
      if (msg.t !== 'call') return ws.close(CLOSE_MALFORMED, 'only calls are accepted');
      const { id } = msg;
      o.dispatch(msg.ch, msg.args).then(
        (value) => sendMsg(ws, { t: 'result', id, ok: true, value: value === undefined ? null : value }),
        (e: unknown) => sendMsg(ws, { t: 'result', id, ok: false, error: toErrorInfo(e) }),
      );
    });
  }

  const unsubscribe = o.hub.subscribe((ch, payload) => {
    if (clients.size === 0) return;
    const frame = encodeMessage({ t: 'event', ch, payload });
    for (const ws of clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (ws.bufferedAmount > maxBuffered) ws.close(1013, 'client is not reading');
      else ws.send(frame, { binary: true });
    }
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    token,
    port,
    server,
    async close() {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
