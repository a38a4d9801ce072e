/**
 * The built preload (CommonJS, as Electron loads it) run in a vm with a stub require('electron'): it must expose
 * exactly the contract's methods from the tables, nothing raw, and hand listeners the payload only.
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP_TABLE, SERVICE_TABLE, windowApiKeys } from '../../src-shared';
import { buildTarget } from './app-build';

type Listener = (event: unknown, ...args: unknown[]) => void;
type Api = Record<string, Record<string, (...a: unknown[]) => unknown>>;

interface Harness {
  api: Api;
  exposedKey: string;
  required: string[];
  invokes: { channel: string; args: unknown[] }[];
  listeners: Map<string, Set<Listener>>;
  reply: (channel: string, args: unknown[]) => unknown;
}

let code = '';

function loadPreload(reply: Harness['reply']): Harness {
  const h: Harness = { api: {}, exposedKey: '', required: [], invokes: [], listeners: new Map(), reply };
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => {
      h.invokes.push({ channel, args });
      return h.reply(channel, args);
    },
    on(channel: string, l: Listener) {
      if (!h.listeners.has(channel)) h.listeners.set(channel, new Set());
      h.listeners.get(channel)!.add(l);
      return this;
    },
    removeListener(channel: string, l: Listener) {
      h.listeners.get(channel)?.delete(l);
      return this;
    },
    send: () => {
      throw new Error('preload must not use ipcRenderer.send');
    },
  };
  const electron = {
    contextBridge: {
      exposeInMainWorld(key: string, api: Api) {
        h.exposedKey = key;
        h.api = api;
      },
    },
    ipcRenderer,
    webUtils: { getPathForFile: (f: { path?: string }) => f.path ?? '' },
  };
  const module = { exports: {} };
  const sandboxRequire = (id: string) => {
    h.required.push(id);
    if (id === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${id}`);
  };
  vm.runInNewContext(code, { require: sandboxRequire, module, exports: module.exports, console });
  return h;
}

let built = '';
beforeAll(async () => {
  built = await buildTarget('preload');
  code = readFileSync(built, 'utf8');
}, 120_000);
afterAll(() => {
  if (built) rmSync(dirname(built), { recursive: true, force: true });
});

describe('built preload', () => {
  it('requires nothing but electron and exposes window.api', () => {
    const h = loadPreload(() => ({ ok: true, value: null }));
    expect(h.exposedKey).toBe('api');
    expect([...new Set(h.required)]).toEqual(['electron']);
  });

  it('exposes exactly the service table plus desktop, each with its methods and on()', () => {
    const { api } = loadPreload(() => ({ ok: true, value: null }));
    expect(Object.keys(api).sort()).toEqual(windowApiKeys().sort());
    for (const [service, entry] of Object.entries(SERVICE_TABLE)) {
      expect(Object.keys(api[service]!).sort()).toEqual([...entry.methods, 'on'].sort());
    }
    expect(Object.keys(api.desktop!).sort()).toEqual([...DESKTOP_TABLE.methods, 'on'].sort());
    for (const ns of Object.values(api)) for (const v of Object.values(ns)) expect(typeof v).toBe('function');
    const all = JSON.stringify(Object.fromEntries(Object.entries(api).map(([k, ns]) => [k, Object.keys(ns)])));
    for (const raw of ['ipcRenderer', 'invoke', 'send', 'sendSync', 'postMessage']) expect(all).not.toContain(`"${raw}"`);
  });

  it('calls go to the derived channel and typed arrays pass through untouched', async () => {
    const h = loadPreload((channel, args) => ({ ok: true, value: { channel, n: args.length } }));
    const indices = new Uint32Array([5, 9]);
    const values = new Uint8Array([1, 255]);
    await expect(h.api.segmentation!.applyLabelDiff!('vol-1', { indices, values })).resolves.toEqual({ channel: 'segmentation.applyLabelDiff', n: 2 });
    const sent = h.invokes[0]!.args[1] as { indices: Uint32Array; values: Uint8Array };
    expect(sent.indices).toBe(indices);
    expect(Array.from(sent.values)).toEqual([1, 255]);
  });

  it('a failure rejects with the MedSegErrorInfo (code intact), a broken channel with INTERNAL', async () => {
    const h = loadPreload((channel) =>
      channel === 'study.openPath'
        ? { ok: false, error: { code: 'FILE_NOT_FOUND', message: 'The file does not exist.', path: '/x.nii' } }
        : Promise.reject(new Error("No handler registered for 'system.status'")),
    );
    await expect(h.api.study!.openPath!('/x.nii')).rejects.toEqual({ code: 'FILE_NOT_FOUND', message: 'The file does not exist.', path: '/x.nii' });
    await expect(h.api.system!.status!()).rejects.toMatchObject({ code: 'INTERNAL', detail: "No handler registered for 'system.status'" });
  });

  it('listeners get the payload only, never the Electron event; unsubscribe removes them', () => {
    const h = loadPreload(() => ({ ok: true, value: null }));
    const got: unknown[][] = [];
    const off = h.api.segmentation!.on!('predictionDone', (...args: unknown[]) => got.push(args)) as () => void;
    const ipcEvent = { sender: { send: () => {} }, ports: [] };
    const payload = { volumeId: 'vol-1', version: 3, ms: 12 };
    for (const l of h.listeners.get('segmentation:predictionDone') ?? []) l(ipcEvent, payload);
    expect(got).toEqual([[payload]]);
    off();
    expect(h.listeners.get('segmentation:predictionDone')?.size).toBe(0);
  });

  it('unknown events are refused with INVALID_ARGUMENT', () => {
    const h = loadPreload(() => ({ ok: true, value: null }));
    const thrown = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      return 'did not throw';
    };
    expect(thrown(() => h.api.study!.on!('prediction', () => {}))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(thrown(() => h.api.desktop!.on!('ipc', () => {}))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(h.listeners.size).toBe(0);
  });

  it('dropped files become real paths in the preload; JS-made files are left out', async () => {
    const h = loadPreload((_c, args) => ({ ok: true, value: args[0] }));
    const real = { name: 'ct.nii.gz', path: '/data/ct.nii.gz' };
    const madeUp = { name: 'fake.nii.gz' };
    await expect(h.api.desktop!.pathsForDroppedFiles!([real, madeUp])).resolves.toEqual(['/data/ct.nii.gz']);
    expect(h.invokes).toEqual([{ channel: 'desktop.pathsForDroppedFiles', args: [['/data/ct.nii.gz']] }]);
    await expect(h.api.desktop!.pathsForDroppedFiles!('not a list')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
