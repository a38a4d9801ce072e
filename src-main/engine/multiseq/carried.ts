/**
 * Multi-sequence heads in the app: the file an update reports (sequence names + presence-specific heads, what
 * `medseg segment --save-head` writes) and a head carried over from another study onto this one's fused features.
 * The rules are `medseg apply`'s (pipeline.ts applyToStudy): a head sequence this study lacks is missing (its group
 * zero, presence 0, the presence head of that pattern predicts); a study sequence the head never saw, or a
 * single-image head, is refused with HEAD_MISMATCH before anything is computed.
 */
import { MedSegError, type Vec3 } from '../../../src-shared';
import type { FeatureVolume } from '../../features/types';
import { emptyFused, fusedChannelNames, fusedLayout, groupOffset, presenceChannel, type FusedLayout } from '../../features/multiseq';
import { trainHead, type HeadKind, type TrainedHead, type TrainOptions } from '../../fewshot';
import { presenceHead, withoutSequences, type PresenceHeads } from '../../fewshot/multiseq';
import { fitImputations, IMPUTE_WEIGHT } from '../../fewshot/impute';
import { loadedHeadFromJson, type LoadedHead } from '../../fewshot/serialize';

/** The inner backbone of a fused id "multiseq[T1,T2]:filters" (the id itself for a single-image head). */
export function innerBackboneId(id: string): string {
  const m = /^multiseq\[[^\]]*\]:(.*)$/.exec(id);
  return m ? m[1] : id;
}

/**
 * Can `loaded` predict a combined study holding `names` with features of `backboneId`? Throws HEAD_MISMATCH naming
 * what is wrong. Used when the head is applied (exchange.ts, so the user hears it at once) and by every update (the
 * sequences may have changed since).
 */
export type CheckedHead = LoadedHead & { sequences: string[] };

export function checkCarriedHead(loaded: LoadedHead, names: string[], backboneId: string): asserts loaded is CheckedHead {
  const seqs = loaded.sequences;
  if (!seqs) {
    throw new MedSegError('HEAD_MISMATCH', `This model was trained on a single image; it cannot be used on a study with combined sequences (${names.join(', ')}). Remove the added sequences to use it, or paint here to train a new one.`);
  }
  const inner = innerBackboneId(loaded.head.backbone.id);
  if (inner !== backboneId) {
    throw new MedSegError('HEAD_MISMATCH', `This model was trained on other features (${inner}) than the ones selected (${backboneId}). Choose the same feature type, then apply it again.`);
  }
  const unknown = names.filter((n) => !seqs.some((s) => s.toLowerCase() === n.toLowerCase()));
  if (unknown.length) {
    const what = unknown.map((n) => `"${n}"`).join(', ');
    throw new MedSegError('HEAD_MISMATCH', `This model was trained on ${seqs.join(', ')}; it has never seen ${unknown.length > 1 ? 'sequences called' : 'a sequence called'} ${what}. Rename ${unknown.length > 1 ? 'them' : 'it'} in the Sequences panel as when the model was trained, or remove ${unknown.length > 1 ? 'them' : 'it'} from the study.`);
  }
}

/** A parsed carried head, kept per JSON text (the same text arrives with every update). */
export class CarriedHead {
  private last: { json: string; loaded: LoadedHead } | null = null;

  parse(json: string): LoadedHead {
    if (this.last?.json !== json) this.last = { json, loaded: loadedHeadFromJson(json) };
    return this.last.loaded;
  }
}

/** The head of `loaded` for a study holding `names` (a checked head): the presence head of that pattern. */
export function headForStudy(loaded: CheckedHead, names: string[]): { head: TrainedHead; layout: FusedLayout; pattern: string } {
  const p = loaded.presence;
  if (p) return { ...presenceHead(p, names), layout: p.layout };
  // A head file without presence heads: the dropout-trained head serves every pattern.
  const G = loaded.head.backbone.dim / loaded.sequences.length - 1;
  const prefix = `${loaded.sequences[0]}:`;
  const groups = loaded.head.backbone.names.slice(0, G).map((n) => (n.startsWith(prefix) ? n.slice(prefix.length) : n));
  return { head: loaded.head, layout: fusedLayout(loaded.sequences, groups), pattern: 'dropout' };
}

/**
 * This study's fused features (layout `from`) laid out as the head's (`to`): each group moved to its place, the
 * head's sequences this study lacks left zero with presence 0. The study's features carry the S/P presence scaling
 * of its own S sequences; the head's layout scales by its S' (features/multiseq.ts), so every present value is
 * multiplied by S'/S: the same numbers an extraction laid out by the head's sequences gives, without extracting
 * again. Returns `features` itself when the layouts are the same.
 */
export function relayoutFeatures(features: FeatureVolume, from: FusedLayout, to: FusedLayout): FeatureVolume {
  const names = fusedChannelNames(to);
  const same = from.dim === to.dim && fusedChannelNames(from).every((n, i) => n === names[i]);
  if (same) return features;
  if (from.perSequence !== to.perSequence || from.groupNames.some((g, i) => g !== to.groupNames[i])) {
    throw new MedSegError('HEAD_MISMATCH', 'This model was trained on other image features than the ones computed for this study. Choose the same feature type, then apply it again.');
  }
  const place = from.sequences.map((s) => to.sequences.findIndex((t) => t.toLowerCase() === s.toLowerCase()));
  if (place.some((t) => t < 0)) throw new MedSegError('HEAD_MISMATCH', `This model was trained on ${to.sequences.join(', ')}; this study holds ${from.sequences.join(', ')}.`);
  const D = from.perSequence, F = from.dim, T = to.dim;
  const f = to.sequences.length / from.sequences.length;
  const nz = features.slices.length;
  const plane = features.slices[0] ? features.slices[0].length / F : 0;
  const out = emptyFused(to, [plane, 1, nz] as Vec3);
  for (let k = 0; k < nz; k++) {
    const src = features.slices[k], dst = out.slices[k];
    if (!src || !dst) continue;
    for (let p = 0; p < plane; p++) {
      const o = p * F, q = p * T;
      for (let s = 0; s < place.length; s++) {
        const a = o + groupOffset(from, s), b = q + groupOffset(to, place[s]);
        for (let d = 0; d < D; d++) dst[b + d] = src[a + d] * f;
        dst[q + presenceChannel(to, place[s])] = src[o + presenceChannel(from, s)] * f;
      }
    }
  }
  return out;
}

/**
 * The presence-specific heads of a trained update, fitted one at a time after its prediction was delivered: the
 * all-present head and one head for every pattern of missing sequences (as `--save-head`, since a carried head may
 * meet a study with few of them), each on the same labeled voxels with those sequences removed. `fallback` is the
 * update's dropout-trained head; with a linear head also each sequence's imputation from the others (fewshot/impute.ts,
 * fitted once per feature volume). Between heads the thread is given back, so that a newer edit's cancel arrives;
 * returns null when cancelled (the reported head then stays the dropout-trained one, which serves every pattern).
 */
export async function fitPresenceAfter(kind: HeadKind, features: FeatureVolume, layout: FusedLayout, scribbles: Uint8Array, dims: Vec3, opts: TrainOptions, fallback: TrainedHead, signal: AbortSignal): Promise<PresenceHeads | null> {
  const S = layout.sequences.length;
  const turn = async (): Promise<boolean> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return !signal.aborted;
  };
  if (!(await turn())) return null;
  const full = trainHead(kind, features, scribbles, dims, opts);
  const leaveOneOut: Record<string, TrainedHead> = {};
  const missing: Record<string, TrainedHead> = {};
  // Every non-empty proper subset of the sequences, as bit masks; one missing → leaveOneOut, more → missing.
  for (let m = 1; m < (1 << S) - 1; m++) {
    if (!(await turn())) return null;
    const idx = layout.sequences.map((_, s) => s).filter((s) => m & (1 << s));
    const head = trainHead(kind, features, scribbles, dims, { ...opts, augment: (g) => withoutSequences(g, layout, idx) });
    if (idx.length === 1) leaveOneOut[layout.sequences[idx[0]]] = head;
    else missing[idx.map((s) => layout.sequences[s]).join(',')] = head;
  }
  // The imputation of each sequence from the others depends on the images only (cached per feature volume).
  if (!(await turn())) return null;
  const imputation = kind === 'linear' && S >= 2 ? { imputed: fitImputations(features, layout), imputeWeight: IMPUTE_WEIGHT } : {};
  return { layout, fallback, full, leaveOneOut, ...(S > 2 ? { missing } : {}), ...imputation };
}
