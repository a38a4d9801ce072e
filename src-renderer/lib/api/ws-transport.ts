/**
 * The client end of the web bridge: service calls and events over one loopback WebSocket, binary frames in
 * the shared wire format (src-shared/protocol.ts). Works in any environment with a WHATWG WebSocket.
 */
import { MedSegError, decodeMessage, encodeMessage, type ServiceTransport, type Unsubscribe, type WireMessage } from '../../../src-shared';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface WsTransport extends ServiceTransport {
  readonly ready: Promise<void>;
  close(): void;
}

export function wsTransport(url: string, WS: typeof WebSocket = WebSocket): WsTransport {
  const ws = new WS(url);
  ws.binaryType = 'arraybuffer';
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let nextId = 1;
  let closedError: MedSegError | null = null;

  const ready = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener(
      'error',
      () => reject(new MedSegError('SERVER_UNREACHABLE', 'The MedSeg service could not be reached. Is the web bridge running?', { detail: url.replace(/token=[^&]+/, 'token=…') })),
      { once: true },
    );
  });

  ws.addEventListener('close', (ev) => {
    closedError = new MedSegError(
      ev.code === 1008 || ev.code === 4401 ? 'UNAUTHORIZED' : 'SERVER_UNREACHABLE',
      ev.code === 1008 || ev.code === 4401 ? 'The connection to the MedSeg service was refused (bad or missing access token).' : 'The connection to the MedSeg service was lost.',
      { detail: `close code ${ev.code} ${ev.reason}` },
    );
    for (const p of pending.values()) p.reject(closedError);
    pending.clear();
  });

  ws.addEventListener('message', (ev: MessageEvent) => {
    if (!(ev.data instanceof ArrayBuffer)) return; // the bridge only sends binary frames
    let msg: WireMessage;
    try {
      msg = decodeMessage(new Uint8Array(ev.data));
    } catch (e) {
      console.error('bridge: undecodable frame', e);
      return;
    }
    if (msg.t === 'result') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(msg.error);
    } else if (msg.t === 'event') {
      for (const l of listeners.get(msg.ch) ?? []) l(msg.payload);
    }
  });

  return {
    ready,
    async invoke(channel: string, args: unknown[]): Promise<unknown> {
      await ready;
      if (closedError) throw closedError;
      const id = nextId++;
      const frame = encodeMessage({ t: 'call', id, ch: channel, args });
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        ws.send(frame as Uint8Array<ArrayBuffer>);
      });
    },
    subscribe(channel: string, listener: (p: unknown) => void): Unsubscribe {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    close: () => ws.close(),
  };
}
