/**
 * IPC registered from the tables: sender checks, argument validation, the path allow-list, errors as
 * MedSegErrorInfo, desktop dialogs and event forwarding — against a fake ipcMain and recording services.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DESKTOP_TABLE, MedSegError, SERVICE_TABLE, allMethodChannels, methodChannel,
  type IpcResult, type Services,
} from '../../src-shared';
import { createDesktopHandlers, type DialogApi } from '../../src-main/app/desktop';
import { PATH_ARGUMENTS, desktopHandlers, forwardEvents, registerIpcHandlers, serviceHandlers } from '../../src-main/app/ipc';
import { PathGrants } from '../../src-main/app/path-grants';
import { createDispatcher, EventHub } from '../../src-main/services/host';

type Invoke = (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<IpcResult>;

const OUR_ID = 7;
const ORIGIN = 'app://medseg';

function event(opts: { id?: number; url?: string; parent?: unknown; noFrame?: boolean } = {}): IpcMainInvokeEvent {
  return {
    sender: { id: opts.id ?? OUR_ID },
    senderFrame: opts.noFrame ? null : { url: opts.url ?? `${ORIGIN}/index.html`, parent: opts.parent ?? null },
  } as unknown as IpcMainInvokeEvent;
}

/** Services whose every method records its call and answers with its channel name (or throws if told to). */
function recordingServices(calls: { channel: string; args: unknown[] }[], throwing = new Map<string, Error>()): Services {
  const impls: Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>> = {};
  for (const [service, entry] of Object.entries(SERVICE_TABLE)) {
    impls[service] = {};
    for (const method of entry.methods) {
      const channel = methodChannel(service, method);
      impls[service][method] = async (...args) => {
        calls.push({ channel, args });
        const err = throwing.get(channel);
        if (err) throw err;
        return channel === 'study.recent' ? [] : channel;
      };
    }
  }
  return impls as unknown as Services;
}

describe('IPC handlers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medseg-ipc-'));
  const granted = join(dir, 'granted');
  const other = join(dir, 'granted-not'); // shares a prefix with the granted folder
  mkdirSync(granted);
  mkdirSync(other);
  writeFileSync(join(granted, 'ct.nii.gz'), 'x');
  writeFileSync(join(other, 'secret.nii.gz'), 'x');
  symlinkSync(join(other, 'secret.nii.gz'), join(granted, 'link.nii.gz'));

  let handlers: Map<string, Invoke>;
  let calls: { channel: string; args: unknown[] }[];
  let grants: PathGrants;
  let refused: string[];
  let dialogAnswers: { open: { canceled: boolean; filePaths: string[] }; save: { canceled: boolean; filePath: string } };

  beforeEach(() => {
    handlers = new Map();
    calls = [];
    refused = [];
    grants = new PathGrants();
    dialogAnswers = { open: { canceled: true, filePaths: [] }, save: { canceled: true, filePath: '' } };
    const ipcMain = {
      handle: (channel: string, h: Invoke) => {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        handlers.set(channel, h);
      },
      removeHandler: (channel: string) => handlers.delete(channel),
    };
    const throwing = new Map<string, Error>([['study.open', new MedSegError('FILE_NOT_FOUND', 'The series files are gone.', { path: '/gone' })]]);
    const dispatch = createDispatcher(recordingServices(calls, throwing));
    const dialog: DialogApi = {
      showOpenDialog: async () => dialogAnswers.open,
      showSaveDialog: async () => dialogAnswers.save,
    };
    registerIpcHandlers(
      ipcMain as never,
      new Map([...serviceHandlers(dispatch, grants), ...desktopHandlers(createDesktopHandlers(dialog, grants))]),
      { origin: ORIGIN, windowContentsIds: () => [OUR_ID] },
      (m) => refused.push(m),
    );
  });

  const call = (channel: string, args: unknown[], ev = event()) => handlers.get(channel)!(ev, ...args);

  it('registers exactly one handler per table method, none by hand', () => {
    const expected = [
      ...allMethodChannels().map((c) => c.channel),
      ...DESKTOP_TABLE.methods.map((m) => methodChannel('desktop', m)),
    ].sort();
    expect([...handlers.keys()].sort()).toEqual(expected);
    // Every path-taking method named in the policy exists in the table.
    for (const channel of Object.keys(PATH_ARGUMENTS)) expect(handlers.has(channel), channel).toBe(true);
  });

  it('answers a trusted call with the result', async () => {
    await expect(call('system.status', [])).resolves.toEqual({ ok: true, value: 'system.status' });
    expect(calls).toEqual([{ channel: 'system.status', args: [] }]);
  });

  it.each([
    ['another webContents', event({ id: 99 })],
    ['a subframe', event({ parent: { url: `${ORIGIN}/index.html` } })],
    ['a page from another origin', event({ url: 'https://evil.example/index.html' })],
    ['a file:// page', event({ url: 'file:///tmp/index.html' })],
    ['a destroyed frame', event({ noFrame: true })],
  ])('refuses %s with UNAUTHORIZED and never reaches the service', async (_what, ev) => {
    const r = await call('system.status', [], ev);
    expect(r).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(calls).toEqual([]);
    expect(refused).toHaveLength(1);
  });

  it.each([
    ['segmentation.setVisibleSlice', ['vol-1', -3]],
    ['segmentation.setVisibleSlice', ['vol-1']],
    ['segmentation.applyLabelDiff', ['vol-1', { indices: [1, 2], values: [1, 1] }]],
    ['segmentation.setSettings', [{ debounceMs: 100, evil: true }]],
    ['study.open', [42]],
    ['study.openPath', ['/tmp/a\0b']],
  ])('validates %s arguments: INVALID_ARGUMENT', async (channel, args) => {
    const r = await call(channel, args);
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(calls).toEqual([]);
  });

  it('passes typed arrays through as typed arrays', async () => {
    const diff = { indices: new Uint32Array([3, 4]), values: new Uint8Array([1, 255]) };
    await expect(call('segmentation.applyLabelDiff', ['vol-1', diff])).resolves.toMatchObject({ ok: true });
    const got = calls[0]!.args[1] as typeof diff;
    expect(got.indices).toBeInstanceOf(Uint32Array);
    expect(Array.from(got.values)).toEqual([1, 255]);
  });

  it('a service error crosses as MedSegErrorInfo with code, message and path', async () => {
    await expect(call('study.open', ['series-1'])).resolves.toEqual({
      ok: false,
      error: { code: 'FILE_NOT_FOUND', message: 'The series files are gone.', path: '/gone' },
    });
  });

  it('refuses paths the user did not choose, accepts granted files and folders', async () => {
    const file = join(granted, 'ct.nii.gz');
    expect(await call('study.openPath', [file])).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED', path: file } });
    expect(await call('models.import', ['/etc/passwd'])).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    grants.grant(granted);
    expect(await call('study.openPath', [file])).toEqual({ ok: true, value: 'study.openPath' });
    expect(await call('study.openPath', [join(granted, '..', 'granted-not', 'secret.nii.gz')])).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await call('study.openPath', [join(other, 'secret.nii.gz')])).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await call('study.openPath', [join(granted, 'link.nii.gz')])).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await call('study.scan', [[file, join(other, 'secret.nii.gz')]])).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await call('study.openPath', ['relative/ct.nii.gz'])).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(calls.map((c) => c.channel)).toEqual(['study.openPath']);
  });

  it('the open dialog grants what the user picked; cancel grants nothing', async () => {
    const file = join(granted, 'ct.nii.gz');
    expect(await call('desktop.showOpenDialog', [{ kind: 'files' }])).toEqual({ ok: true, value: [] });
    expect(grants.isGranted(file)).toBe(false);
    dialogAnswers.open = { canceled: false, filePaths: [file] };
    expect(await call('desktop.showOpenDialog', [{ kind: 'files' }])).toEqual({ ok: true, value: [file] });
    expect(await call('study.openPath', [file])).toEqual({ ok: true, value: 'study.openPath' });
    expect(grants.isGranted(join(granted, 'other.nii.gz'))).toBe(false);
  });

  it('the save dialog grants the target for writing only after the user chose it', async () => {
    const target = join(dir, 'out', 'seg.dcm');
    expect(await call('desktop.showSaveDialog', [{ format: 'dicom-seg' }])).toEqual({ ok: true, value: null });
    dialogAnswers.save = { canceled: false, filePath: target };
    expect(await call('desktop.showSaveDialog', [{ format: 'dicom-seg', defaultName: 'liver.dcm' }])).toEqual({ ok: true, value: target });
    expect(grants.isGranted(target, 'write')).toBe(true);
    expect(grants.isGranted(join(dir, 'out', 'other.dcm'), 'write')).toBe(false);
  });

  it.each([
    ['desktop.showOpenDialog', [{ kind: 'anything' }]],
    ['desktop.showOpenDialog', [{ kind: 'files', properties: ['openDirectory'] }]],
    ['desktop.showSaveDialog', [{ format: 'dicom-seg', defaultName: '../../.bashrc' }]],
    ['desktop.showSaveDialog', [{ format: 'exe' }]],
    ['desktop.pathsForDroppedFiles', ['/etc/passwd']],
  ])('validates %s arguments: INVALID_ARGUMENT', async (channel, args) => {
    expect(await call(channel, args)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });

  it('dropped files are granted when they exist; made-up paths are refused', async () => {
    const file = join(granted, 'ct.nii.gz');
    expect(await call('desktop.pathsForDroppedFiles', [[file]])).toEqual({ ok: true, value: [file] });
    expect(grants.isGranted(file)).toBe(true);
    expect(await call('desktop.pathsForDroppedFiles', [['/no/such/file.nii']])).toMatchObject({ ok: false, error: { code: 'FILE_NOT_FOUND' } });
    expect(grants.isGranted('/no/such/file.nii')).toBe(false);
  });

  it('desktop calls from a foreign sender are refused too', async () => {
    dialogAnswers.open = { canceled: false, filePaths: ['/etc'] };
    expect(await call('desktop.showOpenDialog', [{ kind: 'folder' }], event({ id: 1 }))).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(grants.isGranted('/etc/passwd')).toBe(false);
  });
});

describe('event forwarding', () => {
  it('sends (channel, payload) to live windows only', () => {
    const hub = new EventHub();
    const sent: unknown[][] = [];
    const live = { send: (...a: unknown[]) => sent.push(a), isDestroyed: () => false } as unknown as WebContents;
    const dead = { send: () => { throw new Error('sent to a destroyed window'); }, isDestroyed: () => true } as unknown as WebContents;
    const off = forwardEvents(hub, () => [live, dead]);
    const payload = { volumeId: 'vol-1', version: 2, ms: 40 };
    hub.emit('segmentation', 'predictionDone', payload);
    expect(sent).toEqual([['segmentation:predictionDone', payload]]);
    off();
    hub.emit('segmentation', 'predictionDone', payload);
    expect(sent).toHaveLength(1);
  });
});
