/**
 * Argument schemas for every method of the service table (zod), used by every transport (Electron IPC, the web
 * bridge) before an implementation is called. Kept here, not in src-shared, because src-shared imports no packages.
 * The mapped type below makes a missing or extra method a type error.
 */
import { z } from 'zod';
import {
  MedSegError, MAX_CLASS_ID, SERVICE_TABLE,
  type MethodArgs, type MethodName, type ServiceName,
} from '../../src-shared';

/** Longest path we accept (Linux PATH_MAX); longer is certainly not a path the user typed or chose. */
const MAX_PATH = 4096;
const MAX_PATHS = 10_000;
/** Axial slices and diff lengths are bounded by what a volume can hold (2^31 voxels is far beyond RAM here). */
const MAX_INDEX = 2 ** 31;

const id = z.string().min(1).max(256);
const path = z.string().min(1).max(MAX_PATH).refine((p) => !p.includes('\0'), 'path contains a NUL byte');
const sliceIndex = z.number().int().min(0).max(MAX_INDEX);
const rgb = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);

const classSpec = z.object({
  id: z.number().int().min(1).max(MAX_CLASS_ID),
  name: z.string().min(1).max(200),
  color: rgb,
  locked: z.boolean().optional(),
  hidden: z.boolean().optional(),
});

const classList = z.array(classSpec).max(MAX_CLASS_ID).refine(
  (cs) => new Set(cs.map((c) => c.id)).size === cs.length,
  'class ids must be unique',
);

const labelDiff = z
  .object({ indices: z.instanceof(Uint32Array), values: z.instanceof(Uint8Array) })
  .refine((d) => d.indices.length === d.values.length, 'indices and values must have the same length');

const uploadedFile = z.object({
  name: z
    .string()
    .min(1)
    .max(1024)
    .refine((n) => !n.startsWith('/') && !n.startsWith('\\') && !/^[a-zA-Z]:/.test(n), 'file name must be relative')
    .refine((n) => !n.split(/[\\/]/).some((part) => part === '..' || part === ''), 'file name must not contain ".." or empty parts')
    .refine((n) => !n.includes('\0'), 'file name contains a NUL byte'),
  bytes: z.instanceof(Uint8Array),
  append: z.boolean().optional(),
});

/** A sequence name the user typed: short, printable, one line. */
const sequenceName = z.string().trim().min(1).max(32).refine((n) => !/[\u0000-\u001f]/.test(n), 'name contains control characters');
/** A skipped optional name in the middle of the arguments arrives as null over JSON/msgpack. */
const optionalName = sequenceName.nullish().transform((n) => n ?? undefined);

const settingsPatch = z
  .object({
    backbone: z.string().min(1).max(300),
    head: z.string().min(1).max(100),
    debounceMs: z.number().int().min(0).max(10_000),
  })
  .partial()
  .strict();

type Schemas = { [S in ServiceName]: { [M in MethodName<S>]: z.ZodType<MethodArgs<S, M>> } };

export const ARG_SCHEMAS: Schemas = {
  study: {
    openPath: z.tuple([path]),
    scan: z.tuple([z.array(path).min(1).max(MAX_PATHS)]),
    open: z.tuple([id]),
    close: z.tuple([id]),
    recent: z.tuple([]),
    upload: z.tuple([z.array(uploadedFile).min(1).max(MAX_PATHS), id.optional()]),
    scanUpload: z.tuple([id]),
    addSequence: z.tuple([id, path, optionalName, z.boolean().optional()]),
    addSequenceSeries: z.tuple([id, id, optionalName, z.boolean().optional()]),
    listSequences: z.tuple([id]),
    renameSequence: z.tuple([id, id, sequenceName]),
    removeSequence: z.tuple([id, id]),
    sequenceVoxels: z.tuple([id, id]),
  },
  segmentation: {
    setClasses: z.tuple([id, classList]),
    getClasses: z.tuple([id]),
    applyLabelDiff: z.tuple([id, labelDiff]),
    getLabels: z.tuple([id]),
    getPrediction: z.tuple([id]),
    getUncertainty: z.tuple([id]),
    setVisibleSlice: z.tuple([id, sliceIndex]),
    suggestNextSlice: z.tuple([id]),
    predictNow: z.tuple([id]),
    getSettings: z.tuple([]),
    setSettings: z.tuple([settingsPatch]),
  },
  models: {
    list: z.tuple([]),
    import: z.tuple([path]),
    remove: z.tuple([id]),
  },
  system: {
    status: z.tuple([]),
  },
  exchange: {
    exportSegmentation: z.tuple([id, path, z.boolean().optional()]),
    importLabels: z.tuple([id, path, z.enum(['labels', 'locked']), z.boolean().optional()]),
    saveHead: z.tuple([id, path, z.boolean().optional()]),
    applyHead: z.tuple([id, path]),
  },
  pacs: {
    getServer: z.tuple([]),
    setServer: z.tuple([z.object({
      url: z.string().min(1).max(2048).refine((u) => /^https?:\/\/[^\s]+$/i.test(u), 'must be an http:// or https:// address'),
      auth: z.discriminatedUnion('type', [
        z.object({ type: z.literal('none') }).strict(),
        z.object({ type: z.literal('basic'), username: z.string().min(1).max(256), password: z.string().max(1024).optional() }).strict(),
        z.object({ type: z.literal('bearer'), token: z.string().max(8192).optional() }).strict(),
      ]),
    }).strict()]),
    searchStudies: z.tuple([z.object({
      patientName: z.string().max(256).optional(),
      patientId: z.string().max(256).optional(),
      studyDate: z.string().max(64).optional(),
    }).strict()]),
    searchSeries: z.tuple([z.string().min(1).max(64)]),
    openSeries: z.tuple([z.string().min(1).max(64), z.string().min(1).max(64)]),
    storeSegmentation: z.tuple([id]),
  },
};

/**
 * Validate a call's arguments against the table. Unknown method → INVALID_ARGUMENT; bad arguments →
 * INVALID_ARGUMENT naming the argument and the problem. Returns the parsed arguments.
 */
export function validateArgs(service: string, method: string, args: unknown): unknown[] {
  if (!Object.prototype.hasOwnProperty.call(SERVICE_TABLE, service)) {
    throw new MedSegError('INVALID_ARGUMENT', `The app asked for an unknown service "${service}".`);
  }
  const table = ARG_SCHEMAS[service as ServiceName] as Record<string, z.ZodType<unknown[]>>;
  if (!Object.prototype.hasOwnProperty.call(table, method)) {
    throw new MedSegError('INVALID_ARGUMENT', `The app asked for an unknown action "${service}.${method}".`);
  }
  // Trailing undefined optional arguments may arrive as null (JSON) or be missing: treat both as absent.
  let list: unknown = args;
  if (Array.isArray(args)) {
    const a = [...args];
    while (a.length > 0 && (a[a.length - 1] === undefined || a[a.length - 1] === null)) a.pop();
    list = a;
  }
  const r = table[method].safeParse(list);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? `argument ${issue.path.join('.')}` : 'arguments';
    throw new MedSegError('INVALID_ARGUMENT', `Invalid request to ${service}.${method}: ${where}: ${issue.message}.`, {
      detail: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    });
  }
  return r.data;
}
