/**
 * Head files: one small JSON document (typed arrays as base64 of little-endian bytes). JSON keeps the file
 * readable and diffable; the arrays are a few kB, so base64's overhead does not matter here. Validated with zod
 * on load so a damaged or foreign file gives HEAD_INVALID, never a crash later.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { MedSegError } from '../../src-shared';
import type { TrainedHead } from './head';
import { fusedLayout } from '../features/multiseq';
import type { PresenceHeads } from './multiseq';
import type { SequenceImputation } from './impute';

const FORMAT = 'medseg-head';
const VERSION = 1;

function b64(a: Float32Array | Uint8Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}
function f32(s: string, len: number, what: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  if (b.byteLength !== len * 4) throw new MedSegError('HEAD_INVALID', 'The trained model file is damaged.', { detail: `${what}: ${b.byteLength} bytes, expected ${len * 4}` });
  const out = new Float32Array(len);
  new Uint8Array(out.buffer).set(b);
  return out;
}

const settingValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.number())]);
const base = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  classes: z.array(z.number().int().min(0).max(254)).min(2),
  counts: z.array(z.number().int().min(0)),
  backbone: z.object({ id: z.string(), dim: z.number().int().positive(), names: z.array(z.string()), settings: z.record(z.string(), settingValue).optional() }),
  positionChannels: z.number().int().min(0).max(64).default(0),
  mean: z.string(),
  std: z.string(),
});
const schema = z.discriminatedUnion('kind', [
  base.extend({ kind: z.literal('linear'), weights: z.string(), bias: z.string(), lambda: z.number() }),
  base.extend({ kind: z.literal('proto'), prototypes: z.string(), protoClass: z.string(), temperature: z.number().positive() }),
]);

export function headToJson(h: TrainedHead): string {
  const common = { format: FORMAT, version: VERSION, kind: h.kind, classes: h.classes, counts: h.counts, backbone: h.backbone, positionChannels: h.positionChannels, mean: b64(h.mean), std: b64(h.std) };
  if (h.kind === 'linear') return JSON.stringify({ ...common, weights: b64(h.weights), bias: b64(h.bias), lambda: h.lambda });
  return JSON.stringify({ ...common, prototypes: b64(h.prototypes), protoClass: b64(h.protoClass), temperature: h.temperature });
}

function parseJson(text: string, path?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MedSegError('HEAD_INVALID', 'This file is not a trained segmentation model (it is not valid JSON).', { path, cause: e });
  }
}

export function headFromJson(text: string, path?: string): TrainedHead {
  return headFromObject(parseJson(text, path), path);
}

function headFromObject(raw: unknown, path?: string): TrainedHead {
  const r = schema.safeParse(raw);
  if (!r.success) throw new MedSegError('HEAD_INVALID', 'This file is not a trained segmentation model of this program, or it is damaged.', { path, detail: r.error.message.slice(0, 500) });
  const h = r.data;
  const D = h.backbone.dim + h.positionChannels, C = h.classes.length;
  if (h.backbone.names.length !== h.backbone.dim) throw new MedSegError('HEAD_INVALID', 'The trained model file is damaged.', { path, detail: 'names length ≠ dim' });
  const bb = { id: h.backbone.id, dim: h.backbone.dim, names: h.backbone.names, settings: h.backbone.settings };
  const common = { classes: h.classes, counts: h.counts, backbone: bb, positionChannels: h.positionChannels, mean: f32(h.mean, D, 'mean'), std: f32(h.std, D, 'std') };
  if (h.kind === 'linear') return { ...common, kind: 'linear', weights: f32(h.weights, C * D, 'weights'), bias: f32(h.bias, C, 'bias'), lambda: h.lambda };
  const pcB = Buffer.from(h.protoClass, 'base64');
  const protoClass = Uint8Array.from(pcB);
  if (protoClass.some((c) => c >= C)) throw new MedSegError('HEAD_INVALID', 'The trained model file is damaged.', { path, detail: 'prototype class out of range' });
  return { ...common, kind: 'proto', prototypes: f32(h.prototypes, protoClass.length * D, 'prototypes'), protoClass, temperature: h.temperature };
}

export async function saveHead(head: TrainedHead, path: string): Promise<void> {
  await writeText(headToJson(head), path);
}

async function writeText(text: string, path: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (e) {
    throw new MedSegError('WRITE_FAILED', `Could not save the trained model to ${path}.`, { path, cause: e, detail: e instanceof Error ? e.message : String(e) });
  }
}

export async function loadHead(path: string): Promise<TrainedHead> {
  return headFromJson(await readText(path), path);
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE';
    throw new MedSegError(code, `Could not read the trained model file ${path}.`, { path, cause: e });
  }
}

/**
 * Multi-sequence head files. The document IS an ordinary head file (the dropout-trained head, which serves every
 * presence pattern), so readers that know nothing of sequences still load a working head; added to it:
 * `sequences` (the names, in the fused layout's order) and `presence` (the presence-specific heads, each a complete
 * head document). zod drops unknown keys, so older files load here and newer files load in older readers.
 */
const presenceSchema = z.object({
  sequences: z.array(z.string().min(1)).min(1),
  presence: z.object({
    full: z.unknown().optional(),
    leaveOneOut: z.record(z.string(), z.unknown()),
    missing: z.record(z.string(), z.unknown()).optional(),
    imputed: z.record(z.string(), z.object({ kept: z.array(z.string()).min(1), weights: z.string(), r2: z.string() })).optional(),
    imputeWeight: z.number().min(0).max(1).optional(),
  }).optional(),
});

export interface LoadedHead {
  head: TrainedHead;
  /** The sequence names of a multi-sequence head (fused layout order); absent for a single-image head. */
  sequences?: string[];
  presence?: PresenceHeads;
}

export function presenceHeadsToJson(p: PresenceHeads): string {
  const doc = (h: TrainedHead): unknown => JSON.parse(headToJson(h));
  const docs = (r: Record<string, TrainedHead>) => Object.fromEntries(Object.entries(r).map(([k, h]) => [k, doc(h)]));
  const imputed = p.imputed && p.imputeWeight
    ? Object.fromEntries(Object.entries(p.imputed).map(([k, m]) => [k, { kept: m.kept, weights: b64(m.weights), r2: b64(m.r2) }]))
    : undefined;
  const presence = {
    full: p.full ? doc(p.full) : undefined, leaveOneOut: docs(p.leaveOneOut), missing: p.missing ? docs(p.missing) : undefined,
    imputed, imputeWeight: imputed ? p.imputeWeight : undefined,
  };
  return JSON.stringify({ ...(doc(p.fallback) as object), sequences: p.layout.sequences, presence });
}

/** Sequence names from a fused backbone id "multiseq[T1,T2]:filters" (head files saved before `sequences` existed). */
function sequencesFromId(id: string): string[] | undefined {
  const m = /^multiseq\[([^\]]*)\]:/.exec(id);
  return m ? m[1].split(',').filter((x) => x.length > 0) : undefined;
}

export function loadedHeadFromJson(text: string, path?: string): LoadedHead {
  const raw = parseJson(text, path);
  const head = headFromObject(raw, path);
  const extra = presenceSchema.safeParse(raw);
  const sequences = extra.success ? extra.data.sequences : sequencesFromId(head.backbone.id);
  if (!sequences) return { head };
  const damaged = (detail: string): MedSegError => new MedSegError('HEAD_INVALID', 'The trained model file is damaged.', { path, detail });
  const S = sequences.length, dim = head.backbone.dim;
  if (dim % S !== 0 || dim / S < 2) throw damaged(`${dim} channels do not split into ${S} sequences`);
  const G = dim / S - 1;
  const prefix = `${sequences[0]}:`;
  const groupNames = head.backbone.names.slice(0, G).map((n) => (n.startsWith(prefix) ? n.slice(prefix.length) : n));
  const layout = fusedLayout(sequences, groupNames);
  const pres = extra.success ? extra.data.presence : undefined;
  if (!pres) return { head, sequences };
  const sub = (raw2: unknown, what: string): TrainedHead => {
    const h = headFromObject(raw2, path);
    if (h.backbone.dim !== dim || h.classes.join() !== head.classes.join() || h.kind !== head.kind) throw damaged(`${what}: another layout or classes than the main head`);
    return h;
  };
  const leaveOneOut: Record<string, TrainedHead> = {};
  for (const [name, raw2] of Object.entries(pres.leaveOneOut)) {
    const s = sequences.find((q) => q.toLowerCase() === name.toLowerCase());
    if (!s) throw damaged(`leave-one-out head for unknown sequence ${name}`);
    leaveOneOut[s] = sub(raw2, `without ${name}`);
  }
  let missing: Record<string, TrainedHead> | undefined;
  for (const [key, raw2] of Object.entries(pres.missing ?? {})) {
    // Keys are the missing names in layout order; anything else could never be looked up and means damage.
    const names = key.split(',');
    const idx = names.map((n) => sequences.indexOf(n));
    if (names.length < 2 || idx.some((i, t) => i < 0 || (t > 0 && i <= idx[t - 1]))) throw damaged(`head for unknown pattern ${key}`);
    (missing ??= {})[key] = sub(raw2, `without ${key}`);
  }
  const full = pres.full === undefined ? undefined : sub(pres.full, 'full');
  let imputed: Record<string, SequenceImputation> | undefined;
  for (const [name, m] of Object.entries(pres.imputed ?? {})) {
    const known = (x: string): string => {
      const q = sequences.find((t) => t.toLowerCase() === x.toLowerCase());
      if (!q) throw damaged(`imputation of ${name}: unknown sequence ${x}`);
      return q;
    };
    const missingName = known(name);
    const kept = m.kept.map(known);
    if (kept.includes(missingName)) throw damaged(`imputation of ${name} from itself`);
    (imputed ??= {})[missingName] = { missing: missingName, kept, weights: f32(m.weights, (kept.length * G + 1) * G, `imputation of ${name}`), r2: f32(m.r2, G, `imputation of ${name} (R²)`) };
  }
  const imputation = imputed && pres.imputeWeight ? { imputed, imputeWeight: pres.imputeWeight } : {};
  return { head, sequences, presence: { layout, fallback: head, full, leaveOneOut, missing, ...imputation } };
}

export async function savePresenceHeads(p: PresenceHeads, path: string): Promise<void> {
  await writeText(presenceHeadsToJson(p), path);
}

/** A head file of either kind: single-image, or multi-sequence with its sequences and presence-specific heads. */
export async function loadHeadFile(path: string): Promise<LoadedHead> {
  return loadedHeadFromJson(await readText(path), path);
}
