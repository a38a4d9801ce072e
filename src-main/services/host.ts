/**
 * Transport-neutral hosting of the services: a dispatcher that turns "<service>.<method>" + raw args into a
 * validated call, and an event hub the implementations emit into. Electron IPC and the web bridge both sit on
 * top of this, so validation and error mapping happen in exactly one place.
 */
import {
  MedSegError, eventChannel, parseMethodChannel, toMedSegError,
  type EventName, type MedSegErrorInfo, type ServiceEvents, type ServiceName, type Services, type Unsubscribe,
} from '../../src-shared';
import { validateArgs } from './validate';

export type EmitFn = <S extends ServiceName, E extends EventName<S>>(service: S, event: E, payload: ServiceEvents[S][E]) => void;

export type ChannelListener = (channel: string, payload: unknown) => void;

export class EventHub {
  private readonly listeners = new Set<ChannelListener>();

  readonly emit: EmitFn = (service, event, payload) => {
    const channel = eventChannel(service, event);
    for (const l of [...this.listeners]) {
      try {
        l(channel, payload);
      } catch {
        // A broken listener (e.g. a closed socket) must not stop delivery to the others; transports clean up.
      }
    }
  };

  /** Receive every event as (channel, payload). */
  subscribe(listener: ChannelListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export type Dispatch = (channel: string, args: unknown) => Promise<unknown>;

/** Build the one entry point transports call. Rejects only with MedSegError. */
export function createDispatcher(impls: Services): Dispatch {
  return async (channel, args) => {
    const target = parseMethodChannel(channel);
    if (!target) throw new MedSegError('INVALID_ARGUMENT', `The app asked for an unknown action "${channel}".`);
    const parsed = validateArgs(target.service, target.method, args);
    const service = impls[target.service] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    try {
      return await service[target.method].apply(service, parsed);
    } catch (e) {
      throw toMedSegError(e);
    }
  };
}

/** What crosses the boundary for a failure. */
export function toErrorInfo(e: unknown): MedSegErrorInfo {
  const err = toMedSegError(e);
  const info: MedSegErrorInfo = { code: err.code, message: err.message };
  if (err.detail !== undefined) info.detail = err.detail;
  if (err.path !== undefined) info.path = err.path;
  return info;
}
