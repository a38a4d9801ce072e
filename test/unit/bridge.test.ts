import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  IDENTITY3, createServiceClient, decodeMessage, encodeMessage, type MedSegApi, type ServiceTransport, type Volume, type WireMessage,
} from '../../src-shared';
import { writeVolume } from '../../src-main/io';
import { createServices, type ServiceHost } from '../../src-main/services';
import { startBridge, type Bridge } from '../../src-main/bridge/server';

let host: ServiceHost;
let bridge: Bridge;
let dir: string;
const MAX = 64 * 1024;

function origin(): string {
  return `http://127.0.0.1:${bridge.port}`;
}

/** Open a socket; resolves with it once open, or with how it was refused. */
function connect(opts: { token?: string | null; origin?: string | null; path?: string } = {}): Promise<
  { ws: WebSocket } | { status: number } | { close: number; reason: string }
> {
  const t = opts.token === undefined ? bridge.token : opts.token;
  const q = t === null ? '' : `?token=${encodeURIComponent(t)}`;
  const headers: Record<string, string> = {};
  const o = opts.origin === undefined ? origin() : opts.origin;
  if (o !== null) headers.Origin = o;
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}${opts.path ?? '/ws'}${q}`, { headers });
  return new Promise((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('close', (code, reason) => resolve({ close: code, reason: reason.toString() }));
    ws.on('open', () => {
      // A refused token is closed right after the handshake: give the close frame a moment to arrive first.
      setTimeout(() => resolve({ ws }), 50);
    });
    ws.on('error', () => undefined);
  });
}

function nextMessage(ws: WebSocket): Promise<WireMessage | { close: number }> {
  return new Promise((resolve) => {
    ws.once('message', (d: Buffer) => resolve(decodeMessage(new Uint8Array(d))));
    ws.once('close', (code) => resolve({ close: code }));
  });
}

/** A ServiceTransport over the Node ws client, the same frames the renderer sends. */
function nodeTransport(ws: WebSocket): ServiceTransport {
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  ws.on('message', (d: Buffer) => {
    const m = decodeMessage(new Uint8Array(d));
    if (m.t === 'result') {
      const p = pending.get(m.id)!;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(m.error);
    } else if (m.t === 'event') for (const l of listeners.get(m.ch) ?? []) l(m.payload);
  });
  return {
    invoke: (ch, args) => new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      ws.send(encodeMessage({ t: 'call', id, ch, args }));
    }),
    subscribe: (ch, l) => {
      if (!listeners.has(ch)) listeners.set(ch, new Set());
      listeners.get(ch)!.add(l);
      return () => listeners.get(ch)!.delete(l);
    },
  };
}

const DIMS: [number, number, number] = [20, 16, 6];
const voxels = new Int16Array(DIMS[0] * DIMS[1] * DIMS[2]).map((_, i) => ((i * 37) % 2001) - 1000);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'medseg-bridge-test-'));
  const staticDir = join(dir, 'renderer');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>MedSeg</title>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside the root');
  const vol: Volume = {
    dims: DIMS, spacing: [0.8, 0.8, 2.5], origin: [-10, 20, 30], direction: [...IDENTITY3] as Volume['direction'], data: voxels,
    voxelType: 'int16', modality: 'CT', meta: {}, window: { center: 40, width: 400 }, warnings: [],
  };
  await writeVolume(vol, join(dir, 'ct.nii.gz'));
  host = createServices({ system: { mode: 'web', versions: { app: 'test', node: process.version } }, settings: { debounceMs: 10_000 } });
  bridge = await startBridge({ dispatch: host.dispatch, hub: host.hub, staticDir, maxPayload: MAX });
});

afterAll(async () => {
  await bridge?.close();
  await host?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('web bridge: HTTP', () => {
  it('listens on 127.0.0.1 only and prints a tokenised loopback URL', () => {
    const a = bridge.server.address() as AddressInfo;
    expect(a.address).toBe('127.0.0.1');
    expect(bridge.url).toBe(`http://127.0.0.1:${a.port}/?token=${bridge.token}`);
    expect(bridge.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses the page without a token (401) or with a wrong one (403)', async () => {
    expect((await fetch(`http://127.0.0.1:${bridge.port}/`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${bridge.port}/?token=nope`)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${bridge.port}/assets/app.js`)).status).toBe(401);
  });

  it('serves the page with a strict CSP and a cookie that unlocks its assets', async () => {
    const r = await fetch(bridge.url);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<title>MedSeg</title>');
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toBe(`medseg_${bridge.port}=${bridge.token}`);
    const js = await fetch(`http://127.0.0.1:${bridge.port}/assets/app.js`, { headers: { cookie } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
  });

  it('never serves files outside the renderer folder', async () => {
    const t = `token=${bridge.token}`;
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%5csecret.txt']) {
      const r = await fetch(`http://127.0.0.1:${bridge.port}${p}?${t}`);
      expect(r.status, p).toBe(404);
      expect(await r.text()).not.toContain('outside the root');
    }
  });

  it('refuses raw traversal paths that no URL parser normalised first', async () => {
    const http = await import('node:http');
    const get = (path: string) => new Promise<{ status: number; body: string }>((resolve) => {
      http.get({ host: '127.0.0.1', port: bridge.port, path, headers: { Host: `127.0.0.1:${bridge.port}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/..%5csecret.txt', '/%00/../secret.txt']) {
      const r = await get(`${p}?token=${bridge.token}`);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('outside the root');
    }
    expect((await get(`/assets/app.js?token=${bridge.token}`)).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const http = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: bridge.port, path: `/?token=${bridge.token}`, headers: { Host: `evil.example:${bridge.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
    });
    expect(status).toBe(403);
  });
});

describe('web bridge: WebSocket', () => {
  it('closes a socket with a missing or wrong token (4401)', async () => {
    expect(await connect({ token: null })).toEqual({ close: 4401, reason: 'access token missing' });
    expect(await connect({ token: 'x'.repeat(32) })).toEqual({ close: 4401, reason: 'wrong access token' });
  });

  it('refuses a foreign or missing Origin at the handshake (403)', async () => {
    expect(await connect({ origin: 'http://evil.example' })).toEqual({ status: 403 });
    expect(await connect({ origin: `http://127.0.0.1:${bridge.port + 1}` })).toEqual({ status: 403 });
    expect(await connect({ origin: null })).toEqual({ status: 403 });
  });

  it('closes on an oversized frame (1009) and on a malformed one (1007)', async () => {
    const a = await connect();
    if (!('ws' in a)) throw new Error('expected an open socket');
    const closed = nextMessage(a.ws);
    a.ws.send(new Uint8Array(MAX + 1));
    expect(await closed).toEqual({ close: 1009 });

    const b = await connect();
    if (!('ws' in b)) throw new Error('expected an open socket');
    const closedB = nextMessage(b.ws);
    b.ws.send(new TextEncoder().encode('MSG1\u00ff\u00ff\u00ff\u00ffgarbage'));
    expect(await closedB).toEqual({ close: 1007 });

    const c = await connect();
    if (!('ws' in c)) throw new Error('expected an open socket');
    const closedC = nextMessage(c.ws);
    c.ws.send('{"t":"call"}');
    expect(await closedC).toEqual({ close: 1007 });
  });

  it('answers an unknown method and invalid arguments with typed INVALID_ARGUMENT', async () => {
    const s = await connect();
    if (!('ws' in s)) throw new Error('expected an open socket');
    const ask = async (ch: string, args: unknown[]) => {
      const reply = nextMessage(s.ws);
      s.ws.send(encodeMessage({ t: 'call', id: 7, ch, args }));
      return reply;
    };
    const unknown = await ask('study.deleteEverything', []);
    expect(unknown).toMatchObject({ t: 'result', id: 7, ok: false, error: { code: 'INVALID_ARGUMENT' } });
    const proto = await ask('study.__proto__', []);
    expect(proto).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    const badArgs = await ask('segmentation.setVisibleSlice', ['vol-1', -3]);
    expect(badArgs).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect((badArgs as { error: { message: string } }).error.message).toContain('argument 1');
    const badDiff = await ask('segmentation.applyLabelDiff', ['vol-1', { indices: Uint32Array.of(1, 2), values: Uint8Array.of(1) }]);
    expect(badDiff).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    const traversal = await ask('study.upload', [[{ name: '../../etc/passwd', bytes: Uint8Array.of(1) }]]);
    expect(traversal).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    s.ws.close();
  });

  it('a correct client opens a volume and gets its voxels back byte-identical, typed, and errors as MedSegError', async () => {
    const s = await connect();
    if (!('ws' in s)) throw new Error('expected an open socket');
    const api: MedSegApi = createServiceClient(nodeTransport(s.ws));
    const opened = await api.study.openPath(join(dir, 'ct.nii.gz'));
    expect(opened.header.dims).toEqual(DIMS);
    expect(opened.header.spacing.map((x) => Math.round(x * 1000) / 1000)).toEqual([0.8, 0.8, 2.5]);
    expect(opened.voxels).toBeInstanceOf(Int16Array);
    expect(Buffer.from(opened.voxels.buffer, opened.voxels.byteOffset, opened.voxels.byteLength).equals(Buffer.from(voxels.buffer))).toBe(true);
    expect(opened.header.range).toEqual([-1000, 1000]);

    const id = opened.header.volumeId;
    const diff = { indices: Uint32Array.of(0, 5, 1919), values: Uint8Array.of(1, 255, 2) };
    expect(await api.segmentation.applyLabelDiff(id, diff)).toEqual({ version: 1 });
    const labels = await api.segmentation.getLabels(id);
    expect(labels.data).toBeInstanceOf(Uint8Array);
    expect(labels.data.length).toBe(DIMS[0] * DIMS[1] * DIMS[2]);
    expect([labels.data[0], labels.data[5], labels.data[1919], labels.data[1]]).toEqual([1, 255, 2, 0]);
    expect(await api.segmentation.getPrediction(id)).toBeNull();

    // Events stream over the same socket as binary: every slice, then done; scribbled voxels keep their class.
    const slices: { k: number; labels: Uint8Array; version: number }[] = [];
    const done = new Promise<{ version: number }>((resolve) => api.segmentation.on('predictionDone', resolve));
    const offEvents = api.segmentation.on('prediction', (p) => slices.push(p));
    const { version: v } = await api.segmentation.predictNow(id);
    expect(await done).toMatchObject({ volumeId: id, version: v });
    offEvents();
    expect(slices.map((x) => x.k).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    const k0 = slices.find((x) => x.k === 0)!;
    expect(k0.labels).toBeInstanceOf(Uint8Array);
    expect(k0.labels.length).toBe(DIMS[0] * DIMS[1]);
    expect([k0.labels[0], k0.labels[5]]).toEqual([1, 0]);
    const k5 = slices.find((x) => x.k === 5)!;
    expect(k5.labels[1919 - 5 * DIMS[0] * DIMS[1]]).toBe(2);
    expect((await api.segmentation.getPrediction(id))?.version).toBe(v);

    await expect(api.study.openPath(join(dir, 'missing.nii'))).rejects.toMatchObject({ name: 'MedSegError', code: 'FILE_NOT_FOUND' });
    const status = await api.system.status();
    expect(status).toMatchObject({ mode: 'web', backbone: 'filters', openVolumes: 1 });
    s.ws.close();
  });
});
