/**
 * IPC registration, derived from the service table and the desktop table: one ipcMain.handle per table entry,
 * none written by hand. Every handler checks the sender, validates its arguments, and resolves with an
 * IpcResult, so a failure reaches the page as a MedSegErrorInfo with its code intact.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import {
  DESKTOP_NAMESPACE, DESKTOP_TABLE, MedSegError, allMethodChannels, methodChannel,
  type IpcResult, type Unsubscribe,
} from '../../src-shared';
import type { Dispatch } from '../services/host';
import { toErrorInfo } from '../services/host';
import { validateArgs } from '../services/validate';
import type { PathGrants } from './path-grants';
import { isTrustedSender, type SenderPolicy } from './sender';

/** A channel's implementation: raw arguments in, result out (throws MedSegError). */
export type ChannelHandler = (args: unknown[]) => Promise<unknown>;

export type IpcRegistrar = Pick<IpcMain, 'handle' | 'removeHandler'>;

/**
 * Methods whose arguments are file paths, and where the paths are. The page may only pass paths the user
 * granted (dialog, drop, recent list). Keyed by channel so a renamed method fails the test that lists them.
 */
export const PATH_ARGUMENTS: Readonly<Record<string, (args: unknown[]) => string[]>> = {
  'study.openPath': (args) => [args[0] as string],
  'study.scan': (args) => args[0] as string[],
  'study.addSequence': (args) => [args[1] as string],
  'models.import': (args) => [args[0] as string],
  'exchange.importLabels': (args) => [args[1] as string],
  'exchange.applyHead': (args) => [args[1] as string],
};

/** Methods that write to a path: allowed only for paths the user chose in a save dialog. */
export const WRITE_PATH_ARGUMENTS: Readonly<Record<string, (args: unknown[]) => string[]>> = {
  'exchange.exportSegmentation': (args) => [args[1] as string],
  'exchange.saveHead': (args) => [args[1] as string],
};

/** Handlers for every service method in the table, going through the shared dispatcher (validation inside). */
export function serviceHandlers(dispatch: Dispatch, grants: PathGrants): Map<string, ChannelHandler> {
  const handlers = new Map<string, ChannelHandler>();
  for (const { channel, service, method } of allMethodChannels()) {
    const pathsOf = PATH_ARGUMENTS[channel];
    const writePathsOf = WRITE_PATH_ARGUMENTS[channel];
    handlers.set(channel, async (args) => {
      if (pathsOf) {
        // Validate first so the grant check sees well-formed strings; the dispatcher validates again (cheap).
        for (const p of pathsOf(validateArgs(service, method, args))) grants.require(p, 'read');
      }
      if (writePathsOf) for (const p of writePathsOf(validateArgs(service, method, args))) grants.require(p, 'write');
      return dispatch(channel, args);
    });
  }
  return handlers;
}

/** The desktop part: one handler per DESKTOP_TABLE method, implemented by the caller. */
export type DesktopHandlers = { [M in (typeof DESKTOP_TABLE)['methods'][number]]: ChannelHandler };

export function desktopHandlers(impl: DesktopHandlers): Map<string, ChannelHandler> {
  const handlers = new Map<string, ChannelHandler>();
  for (const method of DESKTOP_TABLE.methods) handlers.set(methodChannel(DESKTOP_NAMESPACE, method), impl[method]);
  return handlers;
}

/** Register handlers on ipcMain with the sender check and the IpcResult envelope. Returns an unregister. */
export function registerIpcHandlers(
  ipcMain: IpcRegistrar,
  handlers: Map<string, ChannelHandler>,
  policy: SenderPolicy,
  log: (message: string) => void = () => {},
): Unsubscribe {
  for (const [channel, handler] of handlers) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<IpcResult> => {
      try {
        if (!isTrustedSender(event, policy)) {
          log(`refused ${channel} from webContents ${event.sender.id} (${event.senderFrame?.url ?? 'no frame'})`);
          throw new MedSegError('UNAUTHORIZED', 'This request did not come from the MedSeg window and was refused.');
        }
        return { ok: true, value: await handler(args) };
      } catch (e) {
        return { ok: false, error: toErrorInfo(e) };
      }
    });
  }
  return () => {
    for (const channel of handlers.keys()) ipcMain.removeHandler(channel);
  };
}

/** Where events go: the webContents of our windows, looked up per event. */
export type EventTargets = () => Iterable<Pick<WebContents, 'send' | 'isDestroyed'>>;

/**
 * Forward every service event to our windows as (channel, payload). The page never sees Electron's event
 * object: the preload hands listeners the payload only.
 */
export function forwardEvents(hub: { subscribe(listener: (channel: string, payload: unknown) => void): Unsubscribe }, targets: EventTargets): Unsubscribe {
  return hub.subscribe((channel, payload) => {
    for (const contents of targets()) if (!contents.isDestroyed()) contents.send(channel, payload);
  });
}
