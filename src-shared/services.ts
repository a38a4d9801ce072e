/**
 * The service contract between the UI (renderer) and the main side (Electron main or the web bridge).
 * Pure TypeScript: imports only src-shared.
 *
 * - Each service is an interface of Promise-returning methods with positional arguments, plus a typed event map.
 * - SERVICE_TABLE is the runtime description of the same thing (method and event names per service). Electron IPC
 *   channels, bridge routes and the renderer's client Proxy are all DERIVED from it: nobody writes a channel by
 *   hand. The compile-time checks at the bottom fail the type check when table and interfaces drift apart.
 * - Argument validators live in src-main/services/validate.ts (zod, keyed by this table) because src-shared may
 *   not import packages and hand-written validators here would duplicate what zod does well. Every transport
 *   validates incoming arguments with them before calling an implementation.
 * - Typed arrays (voxels, label maps, thumbnails) travel as binary: structured clone over Electron IPC,
 *   binary frames on the WebSocket (see protocol.ts). Never JSON, never base64.
 * - Errors cross the boundary as MedSegErrorInfo and are re-thrown on the client as MedSegError (see
 *   createServiceClient).
 */
import { MedSegError, isMedSegError, ERROR_CODES, type MedSegErrorInfo, type ErrorCode } from './errors';
import type { Grid, Vec3 } from './geometry';
import type { ClassSpec, LabelDiff } from './labels';
import type { Modality, VolumeMeta, VoxelArray, VoxelType, WindowLevel } from './volume';

// ───────────────────────────── data types ─────────────────────────────

/** A small 8-bit grayscale preview image (row-major, width*height bytes). */
export interface Thumbnail {
  width: number;
  height: number;
  gray: Uint8Array;
}

/** One openable (or listed-only) series found by a scan. */
export interface SeriesSummary {
  /** Opaque id, valid for this run of the app; pass it to study.open(). */
  id: string;
  format: 'dicom' | 'nifti' | 'nrrd' | 'mgh';
  /** 'image' can be opened; the others are listed so the user sees them, but not opened as images. */
  kind: 'image' | 'seg' | 'rtstruct' | 'other';
  description: string;
  modality: Modality;
  dims?: Vec3;
  frameCount?: number;
  fileCount: number;
  patientName?: string;
  patientId?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  warnings: string[];
  thumbnail?: Thumbnail;
}

export interface ScanResult {
  series: SeriesSummary[];
  /** Files that could not be read, each with a typed reason. Never dropped silently. */
  errors: MedSegErrorInfo[];
}

/** Everything about an opened volume except its voxels. */
export interface VolumeHeader extends Grid {
  /** Id of the open volume in this run; every segmentation call refers to it. */
  volumeId: string;
  voxelType: VoxelType;
  modality: Modality;
  meta: VolumeMeta;
  window: WindowLevel;
  /** [min, max] of the voxel values. */
  range: [number, number];
  warnings: string[];
  /** Typed warnings (e.g. a saved sequence left out because its file is gone); each is also in `warnings`. */
  notices?: MedSegErrorInfo[];
}

export interface OpenedVolume {
  header: VolumeHeader;
  /** Rescaled voxel values (HU for CT), i fastest; the array type matches header.voxelType. */
  voxels: VoxelArray;
}

export interface RecentItem {
  path: string;
  description: string;
  /** ISO 8601 time of the last open. */
  openedAt: string;
}

/** A file dropped on the page in web mode, uploaded as bytes (Electron passes real paths instead). */
export interface UploadedFile {
  /** File name, or a relative path inside a dropped folder ("series1/IM0001"); no "..", no absolute paths. */
  name: string;
  bytes: Uint8Array;
  /** Append to the file of that name in this upload instead of creating it: lets one big file go in chunks. */
  append?: boolean;
}

export interface UploadReceipt {
  /** Id of the upload folder; send more batches with the same id, then call study.scanUpload(uploadId). */
  uploadId: string;
  /** Files received so far in this upload. */
  fileCount: number;
  byteCount: number;
}

/** Label-map data at a given engine version. */
export interface VersionedMap {
  /** The version (from applyLabelDiff) this map reflects. */
  version: number;
  /** One byte per voxel on the volume's grid, i fastest. */
  data: Uint8Array;
}

export interface SliceSuggestion {
  /** Axial slice index (k) where the model is least certain. */
  k: number;
  /** Mean uncertainty on that slice, 0..1. */
  uncertainty: number;
}

export interface SegmentationSettings {
  /** Backbone id: 'filters', 'dinov2:<modelId>' or 'hybrid:<modelId>'. */
  backbone: string;
  /** Head kind id, one of SegmentationOptions.heads. */
  head: string;
  /** Delay after the last edit before the model updates, in ms. */
  debounceMs: number;
}

export interface ChoiceInfo {
  id: string;
  label: string;
  available: boolean;
  /** Why a choice is unavailable (e.g. "no DINOv2 model imported"), written for the user. */
  reason?: string;
}

export interface SegmentationOptions {
  backbones: ChoiceInfo[];
  heads: ChoiceInfo[];
}

export interface ModelInfo {
  id: string;
  name: string;
  kind: 'dinov2';
  /** Embedding size (384 for ViT-S…). */
  dim: number;
  patchSize: number;
  sizeBytes: number;
  sha256: string;
  /** ISO 8601 import time. */
  importedAt: string;
}

export interface SystemStatus {
  mode: 'electron' | 'web';
  /** Backbone currently selected and the execution provider it runs on ('cpu', 'cuda', 'webgpu', 'js'). */
  backbone: string;
  provider: string;
  versions: { app: string; node: string; electron?: string; onnxruntime?: string; chrome?: string };
  /** Volumes currently open. */
  openVolumes: number;
  /** Transport limits the UI must respect (web mode: the largest message the bridge accepts; batch uploads below it). */
  limits?: { maxMessageBytes?: number };
}

/** One sequence (series) of a multi-sequence study, all shown and segmented on the reference (first) grid. */
export interface SequenceInfo {
  /** Stable id within the open study ('seq-1' is the reference); names may change, ids do not. */
  id: string;
  /** T1, T1c, T2, FLAIR, CT, other, or what the user typed. */
  name: string;
  /** Series description or file name, for the user to tell sequences apart. */
  description: string;
  modality: Modality;
  /** Suggested window of this sequence (each sequence keeps its own). */
  window: WindowLevel;
  /** [min, max] of the voxel values on the reference grid. */
  range: [number, number];
  /** Fraction of the reference grid this sequence covers, 0..1 (1 for the reference). */
  coveredFraction: number;
  /** Its own grid differed from the reference, so its voxels were interpolated onto the reference grid. */
  resampled: boolean;
  /** The sequence whose grid the study uses. */
  reference: boolean;
}

export interface AddedSequence {
  sequence: SequenceInfo;
  /** The sequence resampled onto the reference grid (i fastest), 0 where it does not cover it. */
  voxels: VoxelArray;
  /** Every sequence of the study after the add. */
  sequences: SequenceInfo[];
  warnings: string[];
}

// ───────────────────────────── services ─────────────────────────────

export interface StudyService {
  /** Open the single image volume at a file or folder. MULTIPLE_SERIES when there are several: scan instead. */
  openPath(path: string): Promise<OpenedVolume>;
  /** Find every series in files/folders, with thumbnails. */
  scan(paths: string[]): Promise<ScanResult>;
  /** Open a series found by the last scans. */
  open(seriesId: string): Promise<OpenedVolume>;
  /** Forget an open volume and its session (labels are autosaved elsewhere). */
  close(volumeId: string): Promise<void>;
  recent(): Promise<RecentItem[]>;
  /** Web mode drag-and-drop: store a batch of files in a private temp folder (call again with the id for more). */
  upload(files: UploadedFile[], uploadId?: string): Promise<UploadReceipt>;
  /** Scan everything uploaded under uploadId. */
  scanUpload(uploadId: string): Promise<ScanResult>;
  /**
   * Add another sequence (file or folder) to the open study; it is resampled onto the study's grid and named from
   * its description or file name unless `name` is given. SEQUENCE_MISMATCH (different patient/study) asks the
   * user: call again with confirmMismatch = true. SEQUENCE_4D and NO_OVERLAP are refusals.
   */
  addSequence(volumeId: string, path: string, name?: string, confirmMismatch?: boolean): Promise<AddedSequence>;
  /** The same for a series found by scan (a folder holding several sequences). */
  addSequenceSeries(volumeId: string, seriesId: string, name?: string, confirmMismatch?: boolean): Promise<AddedSequence>;
  /** The study's sequences, reference first (a single-image study lists one). */
  listSequences(volumeId: string): Promise<SequenceInfo[]>;
  renameSequence(volumeId: string, sequenceId: string, name: string): Promise<SequenceInfo[]>;
  /** Take a sequence out of the study (not the reference); the strokes stay. */
  removeSequence(volumeId: string, sequenceId: string): Promise<SequenceInfo[]>;
  /** A sequence's voxels on the study's grid (for sequences restored with a reopened study). */
  sequenceVoxels(volumeId: string, sequenceId: string): Promise<VoxelArray>;
}

export interface StudyEvents {
  /** Decoding progress of an open, 0..1. */
  openProgress: { path: string; fraction: number };
}

export interface SegmentationService {
  setClasses(volumeId: string, classes: ClassSpec[]): Promise<void>;
  getClasses(volumeId: string): Promise<ClassSpec[]>;
  /** Apply a sparse scribble edit (undo/redo are diffs too). Returns the new version; an update follows. */
  applyLabelDiff(volumeId: string, diff: LabelDiff): Promise<{ version: number }>;
  /** The scribble map (0 unlabeled, 255 background, 1..254 classes). */
  getLabels(volumeId: string): Promise<VersionedMap>;
  /** The latest complete prediction (0 background, 1..254 classes), or null before the first one. */
  getPrediction(volumeId: string): Promise<VersionedMap | null>;
  /** Uncertainty of the latest complete prediction (0 certain … 255 uncertain), or null before the first one. */
  getUncertainty(volumeId: string): Promise<VersionedMap | null>;
  /** The axial slice the user looks at: predicted first. */
  setVisibleSlice(volumeId: string, k: number): Promise<void>;
  /** Where labelling would help most next, or null without a prediction. */
  suggestNextSlice(volumeId: string): Promise<SliceSuggestion | null>;
  /** Run an update now instead of waiting for the debounce. Resolves with the version being predicted. */
  predictNow(volumeId: string): Promise<{ version: number }>;
  getSettings(): Promise<{ settings: SegmentationSettings; options: SegmentationOptions }>;
  setSettings(patch: Partial<SegmentationSettings>): Promise<SegmentationSettings>;
}

export interface SegmentationEvents {
  featureProgress: { volumeId: string; done: number; total: number; provider: string };
  /** One predicted axial slice (k); labels/uncertainty are nx*ny bytes. Visible slice arrives first. */
  prediction: { volumeId: string; version: number; k: number; labels: Uint8Array; uncertainty: Uint8Array };
  /** Every slice of `version` has been sent. A cancelled (outdated) version never gets this. */
  predictionDone: { volumeId: string; version: number; ms: number };
  error: MedSegErrorInfo & { volumeId?: string };
}

export interface ModelService {
  list(): Promise<ModelInfo[]>;
  /** Import an ONNX DINOv2 model file into the app's model store (copied and checksummed). */
  import(path: string): Promise<ModelInfo>;
  remove(id: string): Promise<void>;
}

export interface ModelEvents {
  changed: { models: ModelInfo[] };
}

export interface SystemService {
  status(): Promise<SystemStatus>;
}

export interface SystemEvents {
  status: SystemStatus;
}

export interface ExportResult {
  path: string;
  format: 'dicom-seg' | 'nii' | 'nii.gz' | 'nrrd';
  warnings: string[];
}

export interface ImportLabelsResult {
  /** Classes added or updated by the import (locked when imported as locked). */
  classes: ClassSpec[];
  /** Scribble-map version after the import (the imported voxels are one edit, journaled like a stroke). */
  version: number;
  labeledVoxels: number;
  warnings: string[];
}

/** Export, import and carrying a trained head from study to study. Paths are chosen by the user (Electron: dialogs). */
export interface ExchangeService {
  /** Write the current prediction: .dcm (DICOM SEG) or .nii/.nii.gz/.nrrd. FILE_EXISTS unless overwrite. */
  exportSegmentation(volumeId: string, path: string, overwrite?: boolean): Promise<ExportResult>;
  /** Existing labels from DICOM SEG / NIfTI / NRRD as starting strokes, or as locked classes. */
  importLabels(volumeId: string, path: string, mode: 'labels' | 'locked', allowOtherSeries?: boolean): Promise<ImportLabelsResult>;
  /** Save the head of the latest update (classes, backbone, settings, weights) to a file. */
  saveHead(volumeId: string, path: string, overwrite?: boolean): Promise<{ path: string; classes: number[] }>;
  /** Apply a head saved from another study of the same kind; painting here keeps refining it. HEAD_MISMATCH when it cannot serve this study. */
  applyHead(volumeId: string, path: string): Promise<{ classes: ClassSpec[]; version: number }>;
}

export interface ExchangeEvents {
  /** Nothing streams yet; kept so every service has an event map. */
  saved: { path: string };
}

export type PacsAuth = { type: 'none' } | { type: 'basic'; username: string; password?: string } | { type: 'bearer'; token?: string };

export interface PacsServerSettings {
  /** DICOMweb root, e.g. http://pacs.local:8042/dicom-web */
  url: string;
  auth: PacsAuth;
}

/** What the UI may read back: never the password or token, only whether one is stored. */
export interface PacsServerInfo {
  url: string;
  authType: PacsAuth['type'];
  username?: string;
  secretStored: boolean;
  /** 'keychain' (Electron safeStorage) or 'file' (web mode / CLI: a private file in the user's folder). */
  secretStorage: 'keychain' | 'file' | 'none';
}

export interface PacsStudy {
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  studyDate: string;
  description: string;
  modalities: string[];
  seriesCount?: number;
}

export interface PacsSeries {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  description: string;
  seriesNumber?: number;
  instanceCount?: number;
}

/** A PACS speaking DICOMweb: browse (QIDO-RS), open (WADO-RS), store the segmentation back (STOW-RS). */
export interface PacsService {
  getServer(): Promise<PacsServerInfo | null>;
  setServer(settings: PacsServerSettings): Promise<PacsServerInfo>;
  searchStudies(query: { patientName?: string; patientId?: string; studyDate?: string }): Promise<PacsStudy[]>;
  searchSeries(studyInstanceUid: string): Promise<PacsSeries[]>;
  openSeries(studyInstanceUid: string, seriesInstanceUid: string): Promise<OpenedVolume>;
  /** Export the current prediction as DICOM SEG and store it on the server. */
  storeSegmentation(volumeId: string): Promise<{ seriesInstanceUid: string; warnings: string[] }>;
}

export interface PacsEvents {
  progress: { done: number; total: number; stage: 'retrieve' | 'store' };
}

/** All services by name. */
export interface Services {
  study: StudyService;
  segmentation: SegmentationService;
  models: ModelService;
  system: SystemService;
  exchange: ExchangeService;
  pacs: PacsService;
}

/** All event maps by service name. */
export interface ServiceEvents {
  study: StudyEvents;
  segmentation: SegmentationEvents;
  models: ModelEvents;
  system: SystemEvents;
  exchange: ExchangeEvents;
  pacs: PacsEvents;
}

export type ServiceName = keyof Services;
export type MethodName<S extends ServiceName> = keyof Services[S] & string;
export type EventName<S extends ServiceName> = keyof ServiceEvents[S] & string;
export type MethodArgs<S extends ServiceName, M extends MethodName<S>> = Services[S][M] extends (...a: infer A) => unknown ? A : never;
export type MethodResult<S extends ServiceName, M extends MethodName<S>> = Services[S][M] extends (...a: never[]) => Promise<infer R> ? R : never;

// ───────────────────────────── the service table ─────────────────────────────

export const SERVICE_TABLE = {
  study: {
    methods: [
      'openPath', 'scan', 'open', 'close', 'recent', 'upload', 'scanUpload',
      'addSequence', 'addSequenceSeries', 'listSequences', 'renameSequence', 'removeSequence', 'sequenceVoxels',
    ],
    events: ['openProgress'],
  },
  segmentation: {
    methods: [
      'setClasses', 'getClasses', 'applyLabelDiff', 'getLabels', 'getPrediction', 'getUncertainty',
      'setVisibleSlice', 'suggestNextSlice', 'predictNow', 'getSettings', 'setSettings',
    ],
    events: ['featureProgress', 'prediction', 'predictionDone', 'error'],
  },
  models: {
    methods: ['list', 'import', 'remove'],
    events: ['changed'],
  },
  system: {
    methods: ['status'],
    events: ['status'],
  },
  exchange: {
    methods: ['exportSegmentation', 'importLabels', 'saveHead', 'applyHead'],
    events: ['saved'],
  },
  pacs: {
    methods: ['getServer', 'setServer', 'searchStudies', 'searchSeries', 'openSeries', 'storeSegmentation'],
    events: ['progress'],
  },
} as const;

export const SERVICE_NAMES = Object.keys(SERVICE_TABLE) as ServiceName[];

/** Channel of a method call: "<service>.<method>" (Electron ipcMain.handle channel, bridge route). */
export function methodChannel(service: string, method: string): string {
  return `${service}.${method}`;
}
/** Channel of an event: "<service>:<event>" (never collides with a method channel). */
export function eventChannel(service: string, event: string): string {
  return `${service}:${event}`;
}

/** Every method channel with its parts, derived from the table. */
export function allMethodChannels(): { channel: string; service: ServiceName; method: string }[] {
  return SERVICE_NAMES.flatMap((service) =>
    SERVICE_TABLE[service].methods.map((method) => ({ channel: methodChannel(service, method), service, method })),
  );
}
/** Every event channel with its parts, derived from the table. */
export function allEventChannels(): { channel: string; service: ServiceName; event: string }[] {
  return SERVICE_NAMES.flatMap((service) =>
    SERVICE_TABLE[service].events.map((event) => ({ channel: eventChannel(service, event), service, event })),
  );
}

/** Parse "<service>.<method>" against the table; null when it names no known method. */
export function parseMethodChannel(channel: string): { service: ServiceName; method: string } | null {
  const dot = channel.indexOf('.');
  if (dot <= 0) return null;
  const service = channel.slice(0, dot);
  const method = channel.slice(dot + 1);
  if (!Object.prototype.hasOwnProperty.call(SERVICE_TABLE, service)) return null;
  const methods: readonly string[] = SERVICE_TABLE[service as ServiceName].methods;
  return methods.includes(method) ? { service: service as ServiceName, method } : null;
}

// Compile-time proof that the table lists exactly the interface members (fails `tsc` on drift).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type TableMethods<S extends ServiceName> = (typeof SERVICE_TABLE)[S]['methods'][number];
type TableEvents<S extends ServiceName> = (typeof SERVICE_TABLE)[S]['events'][number];
type AllTrue<T extends Record<ServiceName, true>> = T;
export type _TableMatchesServices = AllTrue<{ [S in ServiceName]: Same<TableMethods<S>, MethodName<S>> }>;
export type _TableMatchesEvents = AllTrue<{ [S in ServiceName]: Same<TableEvents<S>, EventName<S>> }>;

// ───────────────────────────── client side ─────────────────────────────

export type Unsubscribe = () => void;

/** What the UI holds: each service's methods plus a typed on(event, listener). */
export type RemoteService<S extends ServiceName> = Services[S] & {
  on<E extends EventName<S>>(event: E, listener: (payload: ServiceEvents[S][E]) => void): Unsubscribe;
};
export type MedSegApi = { [S in ServiceName]: RemoteService<S> };

/**
 * What a transport must provide (Electron preload or WebSocket). invoke rejects with a MedSegErrorInfo-shaped
 * value (or anything else, which becomes INTERNAL) when the call fails.
 */
export interface ServiceTransport {
  invoke(channel: string, args: unknown[]): Promise<unknown>;
  subscribe(channel: string, listener: (payload: unknown) => void): Unsubscribe;
}

/** Turn an error info that crossed a boundary back into a MedSegError (unknown codes become INTERNAL). */
export function errorFromInfo(e: unknown): MedSegError {
  if (e instanceof MedSegError) return e;
  if (isMedSegError(e) || (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string')) {
    const info = e as Partial<MedSegErrorInfo> & { code: string };
    const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(info.code) ? (info.code as ErrorCode) : 'INTERNAL';
    return new MedSegError(code, typeof info.message === 'string' ? info.message : 'An unexpected error occurred.', {
      detail: typeof info.detail === 'string' ? info.detail : undefined,
      path: typeof info.path === 'string' ? info.path : undefined,
    });
  }
  // Electron wraps handler errors as "Error invoking remote method '…': <message>"; keep it as detail.
  return new MedSegError('INTERNAL', 'An unexpected error occurred.', { detail: e instanceof Error ? e.message : String(e) });
}

/** The typed client, generated from the table (a Proxy per service): calls become transport.invoke(channel, args). */
export function createServiceClient(transport: ServiceTransport): MedSegApi {
  const api: Record<string, unknown> = {};
  for (const service of SERVICE_NAMES) {
    const methods: readonly string[] = SERVICE_TABLE[service].methods;
    const events: readonly string[] = SERVICE_TABLE[service].events;
    api[service] = new Proxy(
      {},
      {
        get(_t, prop) {
          if (prop === 'on') {
            return (event: string, listener: (p: unknown) => void): Unsubscribe => {
              if (!events.includes(event)) throw new MedSegError('INVALID_ARGUMENT', `Unknown event ${service}:${event}.`);
              return transport.subscribe(eventChannel(service, event), listener);
            };
          }
          if (typeof prop !== 'string' || !methods.includes(prop)) return undefined;
          return (...args: unknown[]) =>
            transport.invoke(methodChannel(service, prop), args).catch((e: unknown) => {
              throw errorFromInfo(e);
            });
        },
      },
    );
  }
  return api as unknown as MedSegApi;
}
