/**
 * The desktop-only part of the contract: what the Electron shell adds on top of the services (native dialogs,
 * dropped-file paths, menu commands). Web mode has none of it. Pure TypeScript: imports only src-shared.
 *
 * In Electron the preload exposes `window.api` = every service of SERVICE_TABLE plus `desktop` (DESKTOP_TABLE),
 * generated from the two tables. Rejections that cross contextBridge are plain MedSegErrorInfo objects (class
 * instances cannot cross); `desktopTransport(window.api)` + createServiceClient turns them back into MedSegError.
 */
import { MedSegError, type MedSegErrorInfo } from './errors';
import type { MedSegApi, ServiceName, ServiceTransport, Unsubscribe } from './services';
import { SERVICE_TABLE } from './services';

export const VIEW_LAYOUTS = ['single', 'mpr', 'mpr3d'] as const;
export type ViewLayout = (typeof VIEW_LAYOUTS)[number];

/** What a save dialog can be asked for: a segmentation format, or a trained model (head) file. */
export const EXPORT_FORMATS = ['dicom-seg', 'nifti', 'nrrd', 'head'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What a menu item (or a file handed to the app by the OS) asks the UI to do. */
export type AppCommand =
  /** Paths the user chose (dialog, recent list, OS "open with"); already granted to the services. */
  | { type: 'open'; paths: string[] }
  | { type: 'export'; format: ExportFormat }
  | { type: 'closeVolume' }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'layout'; layout: ViewLayout }
  | { type: 'help'; topic: 'shortcuts' | 'about' };

export interface OpenDialogRequest {
  /** 'files': image files or DICOM files; 'folder': a DICOM folder; 'model': an ONNX model file. */
  kind: 'files' | 'folder' | 'model';
  title?: string;
}

export interface SaveDialogRequest {
  format: ExportFormat;
  /** Suggested file name (no folders). */
  defaultName?: string;
  title?: string;
}

/** Structural stand-in for a DOM File, so src-shared needs no DOM types; a real File satisfies it. */
export interface DroppedFileLike {
  readonly name: string;
}

export interface DesktopService {
  /** Native open dialog. The chosen paths are granted to the services for this run; [] when cancelled. */
  showOpenDialog(request: OpenDialogRequest): Promise<string[]>;
  /** Native save dialog. The chosen path is granted for writing; null when cancelled. */
  showSaveDialog(request: SaveDialogRequest): Promise<string | null>;
  /** Real paths of files dropped on the page (resolved in the preload); granted like dialog choices. */
  pathsForDroppedFiles(files: ArrayLike<DroppedFileLike>): Promise<string[]>;
}

export interface DesktopEvents {
  command: AppCommand;
}

export const DESKTOP_NAMESPACE = 'desktop';

export const DESKTOP_TABLE = {
  methods: ['showOpenDialog', 'showSaveDialog', 'pathsForDroppedFiles'],
  events: ['command'],
} as const;

// Compile-time proof that the table lists exactly the interface members.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type _DesktopTableMatches = Assert<Same<(typeof DESKTOP_TABLE)['methods'][number], keyof DesktopService>>;
export type _DesktopEventsMatch = Assert<Same<(typeof DESKTOP_TABLE)['events'][number], keyof DesktopEvents>>;

export type RemoteDesktop = DesktopService & {
  on<E extends keyof DesktopEvents>(event: E, listener: (payload: DesktopEvents[E]) => void): Unsubscribe;
};

/** The shape of `window.api` in Electron. */
export type ElectronWindowApi = MedSegApi & { desktop: RemoteDesktop };

/** Every top-level key window.api has: the service names plus 'desktop'. */
export function windowApiKeys(): string[] {
  return [...Object.keys(SERVICE_TABLE), DESKTOP_NAMESPACE];
}

/**
 * A ServiceTransport over window.api, so the renderer's createServiceClient works the same in Electron and web
 * mode (and re-throws MedSegError from the plain error objects the preload rejects with).
 */
export function desktopTransport(api: ElectronWindowApi): ServiceTransport {
  const table = SERVICE_TABLE as Record<string, { methods: readonly string[]; events: readonly string[] }>;
  const service = (name: string): Record<string, unknown> => {
    if (!Object.prototype.hasOwnProperty.call(table, name)) throw new MedSegError('INVALID_ARGUMENT', `Unknown service ${name}.`);
    return (api as unknown as Record<ServiceName, Record<string, unknown>>)[name as ServiceName];
  };
  return {
    invoke(channel, args) {
      const [name, method] = channel.split('.');
      const fn = service(name ?? '')[method ?? ''];
      if (typeof fn !== 'function') return Promise.reject(new MedSegError('INVALID_ARGUMENT', `Unknown method ${channel}.`));
      return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
    },
    subscribe(channel, listener) {
      const [name, event] = channel.split(':');
      const on = service(name ?? '').on as (e: string, l: (p: unknown) => void) => Unsubscribe;
      return on(event ?? '', listener);
    },
  };
}

/**
 * What every Electron IPC handler resolves with. Electron flattens a thrown error to "Error invoking remote
 * method…" and loses its code, so failures travel as data and the preload rejects with the MedSegErrorInfo.
 */
export type IpcResult<T = unknown> = { ok: true; value: T } | { ok: false; error: MedSegErrorInfo };
