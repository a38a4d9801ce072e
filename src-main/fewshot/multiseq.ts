/**
 * Heads on fused multi-sequence features (features/multiseq.ts): training with whole-sequence dropout, and
 * prediction on a study where some sequences are missing or left out.
 *
 * Dropout: each labeled sample is also shown to the trainer with one sequence's whole group zeroed and its
 * presence flag 0 — exactly what that voxel looks like in a study without the sequence. This is the sample-level
 * counterpart of MM-DINOv2's full-modality masking: a head cannot lean on one sequence alone, so a head trained on
 * four sequences keeps working on three. Copies are systematic (every sequence dropped once, and optionally every
 * pair), not random, so training stays deterministic and every missing case is seen equally often.
 */
import { BACKGROUND_ID, MedSegError, type Vec3 } from '../../src-shared';
import type { FeatureVolume } from '../features/types';
import { dropInRow, dropSequencesInPlace, groupOffset, makeGuide, presenceChannel, type FusedLayout, type GuideKind, type SequenceInput } from '../features/multiseq';
import type { HeadKind, LinearHead, TrainedHead } from './head';
import type { SampleSet } from './samples';
import { segment, type SegmentInput, type SegmentResult } from './segment';
import { trainHead, type TrainOptions } from './train';
import { rawLinearHead, unstandardise } from './linear-fold';
import { blendLinearHeads, fitImputations, imputedHead, imputedIntensity, type SequenceImputation } from './impute';

export interface SequenceDropoutOptions {
  /** Largest number of sequences dropped together in one copy (1 = each sequence alone). Default: all but one. */
  maxDropped?: number;
  /** Cap on the augmented set's size (rows); copies are thinned evenly above it. Default 60000. */
  maxSamples?: number;
  /**
   * Dropout copies per labeled sample (the dropout rate: c copies make c/(c+1) of the rows incomplete). The drop
   * sets are dealt round-robin over the samples, so each is still seen equally often. Default: every drop set.
   */
  copiesPerSample?: number;
}

/** All non-empty subsets of 0..S-1 with at most m members that leave at least one sequence. */
function dropSets(S: number, m: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, cur: number[]): void => {
    if (cur.length > 0) out.push(cur.slice());
    if (cur.length === m) return;
    for (let s = start; s < S; s++) { cur.push(s); rec(s + 1, cur); cur.pop(); }
  };
  rec(0, []);
  return out.filter((d) => d.length < S);
}

/**
 * The labeled samples plus, for each drop set, a copy with those sequences' groups zeroed and presence 0.
 * Rows whose dropped sequences were already absent there (coverage 0) add nothing and are skipped.
 */
export function sequenceDropout(s: SampleSet, layout: FusedLayout, opts: SequenceDropoutOptions = {}): SampleSet {
  const S = layout.sequences.length;
  if (S < 2) return s;
  const sets = dropSets(S, Math.max(1, Math.min(S - 1, opts.maxDropped ?? S - 1)));
  const { dim, n } = s;
  const rows: { r: number; set: number[] }[] = [];
  // Row-major over samples so that thinning (below) still gives every sample a spread of drop sets.
  const per = Math.max(1, Math.min(sets.length, opts.copiesPerSample ?? sets.length));
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < per; t++) {
      const set = sets[(r * per + t) % sets.length];
      // Only copies that change something: at least one dropped sequence present at this voxel.
      if (set.some((q) => s.x[r * dim + presenceChannel(layout, q)] !== 0)) rows.push({ r, set });
    }
  }
  const cap = Math.max(n, opts.maxSamples ?? 60000) - n;
  const step = rows.length > cap ? rows.length / cap : 1;
  const m = rows.length > cap ? cap : rows.length;
  const x = new Float32Array((n + m) * dim);
  const y = new Uint8Array(n + m);
  x.set(s.x.subarray(0, n * dim));
  y.set(s.y.subarray(0, n));
  for (let t = 0; t < m; t++) {
    const { r, set } = rows[Math.floor(t * step)];
    const o = (n + t) * dim;
    x.set(s.x.subarray(r * dim, (r + 1) * dim), o);
    dropInRow(x, o, layout, set);
    y[n + t] = s.y[r];
  }
  return { ...s, x, y, n: n + m };
}

export interface MultiSequenceTrainOptions extends TrainOptions {
  /** Whole-sequence dropout during fitting; default on ({}). false trains on the fused samples as they are. */
  dropout?: SequenceDropoutOptions | false;
}

/**
 * Heads on fused features are standardised by their training rows, not by the study (train.ts standardizeBy): the
 * dropout copies and the rows of a missing pattern hold zeroed groups that no voxel of the study has, so the study's
 * spread would scale them arbitrarily (measured: on the synthetic three-sequence study, dropout then no longer kept
 * a left-out sequence's Dice ≥ 0.9).
 */
export const FUSED_STANDARDIZE = 'samples' as const;

/** trainHead on fused features, with sequence dropout by default. */
export function trainMultiSequenceHead(kind: HeadKind, fused: FeatureVolume, layout: FusedLayout, scribbles: Uint8Array, dims: Vec3, opts: MultiSequenceTrainOptions = {}): TrainedHead {
  if (fused.dim !== layout.dim) throw new MedSegError('HEAD_MISMATCH', `The fused features have ${fused.dim} channels; this study's layout needs ${layout.dim}.`);
  const { dropout, ...rest } = opts;
  const augment = dropout === false ? undefined : (s: SampleSet) => sequenceDropout(s, layout, dropout ?? {});
  return trainHead(kind, fused, scribbles, dims, { standardizeBy: FUSED_STANDARDIZE, ...rest, augment });
}

/**
 * PRESENCE-SPECIFIC HEADS. One dropout-trained head must serve the all-present rows and every one-missing row at
 * once; a linear head cannot weigh the sequences the best way for all of those patterns together (measured on the
 * BraTS case: FLAIR-out with the shared head scored below T2 alone). So, from the SAME labeled voxels (drawn with
 * every sequence present, the protocol), one head per pattern is fitted on exactly the rows that pattern produces:
 * the full head on the fused rows as they are, and one head per left-out sequence on the rows with that sequence's
 * group and presence removed (dropInRow: the remaining groups rescaled S/(S−1), as a study without it gives). At
 * prediction the head of the study's pattern is picked; any other pattern (two or more missing) uses the
 * dropout-trained head, which has seen them all.
 */
export interface PresenceHeads {
  layout: FusedLayout;
  /** Dropout-trained head: the fallback for patterns without their own head (and what older readers load). */
  fallback: TrainedHead;
  /** Head for all sequences present; absent = the fallback serves that pattern too. */
  full?: TrainedHead;
  /** Per left-out sequence name (layout spelling): the head fitted on rows without it. */
  leaveOneOut: Record<string, TrainedHead>;
  /**
   * Patterns with two or more sequences missing, keyed by the missing names in layout order joined by ","
   * (e.g. "T1,T1c,FLAIR" for a study with T2 alone); only trained when asked for (maxMissing), e.g. for a saved head
   * that may meet studies with few sequences.
   */
  missing?: Record<string, TrainedHead>;
  /**
   * Per sequence (layout spelling): its features predicted from the others' (fewshot/impute.ts). With these and
   * `imputeWeight` > 0, a study missing one sequence is served by the all-present head on the predicted features,
   * blended with that sequence's leave-one-out head.
   */
  imputed?: Record<string, SequenceImputation>;
  /** Share of the imputed head in that blend (0..1); absent or 0 = the leave-one-out head alone. */
  imputeWeight?: number;
}

export interface PresenceHeadOptions extends MultiSequenceTrainOptions {
  /** 'own' (default): the all-present pattern gets a head fitted on the fused rows alone; 'fallback': it uses the dropout-trained head. */
  full?: 'own' | 'fallback';
  /** Largest number of missing sequences that gets its own head (default 1; S − 1 = every pattern). */
  maxMissing?: number;
  /** Share of the imputed head for a study missing one sequence (see PresenceHeads.imputed); 0 or absent = none. */
  impute?: number;
}

/** Every gathered row with the sequences `idx` removed (the rows a study lacking them would give). */
export function withoutSequences(s: SampleSet, layout: FusedLayout, idx: number[]): SampleSet {
  const x = s.x.slice(0, s.n * s.dim);
  for (let r = 0; r < s.n; r++) dropInRow(x, r * s.dim, layout, idx);
  return { ...s, x };
}

/** The dropout-trained head plus one head per presence pattern with at most one sequence missing. */
export function trainPresenceHeads(kind: HeadKind, fused: FeatureVolume, layout: FusedLayout, scribbles: Uint8Array, dims: Vec3, opts: PresenceHeadOptions = {}): PresenceHeads {
  const { full, maxMissing, impute, ...given } = opts;
  const rest = { standardizeBy: FUSED_STANDARDIZE, ...given };
  const fallback = trainMultiSequenceHead(kind, fused, layout, scribbles, dims, rest);
  const { dropout: _d, ...plain } = rest;
  const leaveOneOut: Record<string, TrainedHead> = {};
  if (layout.sequences.length >= 2) {
    layout.sequences.forEach((name, s) => {
      leaveOneOut[name] = trainHead(kind, fused, scribbles, dims, { ...plain, augment: (g) => withoutSequences(g, layout, [s]) });
    });
  }
  const own = (full ?? 'own') === 'own' ? trainHead(kind, fused, scribbles, dims, plain) : undefined;
  const S = layout.sequences.length;
  const imputation = impute && kind === 'linear' && S >= 2 ? { imputed: fitImputations(fused, layout), imputeWeight: impute } : {};
  const most = Math.min(S - 1, maxMissing ?? 1);
  if (most < 2) return { layout, fallback, full: own, leaveOneOut, ...imputation };
  const missing: Record<string, TrainedHead> = {};
  for (const set of dropSets(S, most)) {
    if (set.length < 2) continue;
    missing[set.map((q) => layout.sequences[q]).join(',')] = trainHead(kind, fused, scribbles, dims, { ...plain, augment: (g) => withoutSequences(g, layout, set) });
  }
  return { layout, fallback, full: own, leaveOneOut, missing, ...imputation };
}

/**
 * The head for a study in which the sequences `present` (names) are there: the full head, the leave-one-out head
 * of the one missing sequence (blended with the all-present head on that sequence's imputed features when the heads
 * carry imputations: `imputation` is then returned for the guide), or the dropout-trained fallback. Names are matched
 * case-insensitively; a present sequence the heads never saw is a HEAD_MISMATCH naming it.
 */
export function presenceHead(p: PresenceHeads, present: string[]): { head: TrainedHead; pattern: string; imputation?: SequenceImputation } {
  const L = p.layout;
  const low = new Set(present.map((x) => x.toLowerCase()));
  for (const x of present) {
    if (!L.sequences.some((s) => s.toLowerCase() === x.toLowerCase())) {
      throw new MedSegError('HEAD_MISMATCH', `This model was trained on ${L.sequences.join(', ')}; it has never seen a sequence called "${x}". Name the sequences as when it was trained, or leave that one out.`);
    }
  }
  const missing = L.sequences.filter((s) => !low.has(s.toLowerCase()));
  if (missing.length === L.sequences.length) throw new MedSegError('INVALID_ARGUMENT', `None of the model's sequences (${L.sequences.join(', ')}) is in this study.`);
  if (missing.length === 0) return { head: p.full ?? p.fallback, pattern: p.full ? 'all' : 'dropout' };
  if (missing.length === 1 && p.leaveOneOut[missing[0]]) {
    const loo = p.leaveOneOut[missing[0]];
    const imp = p.imputeWeight ? p.imputed?.[missing[0]] : undefined;
    const full = p.full ?? p.fallback;
    if (imp && full.kind === 'linear') {
      const blended = blendLinearHeads(imputedHead(full, L, imp), loo, Math.min(1, p.imputeWeight!));
      if (blended) return { head: blended, pattern: `without ${missing[0]} (imputed)`, imputation: imp };
    }
    return { head: loo, pattern: `without ${missing[0]}` };
  }
  const own = p.missing?.[missing.join(',')];
  if (own) return { head: own, pattern: `without ${missing.join(', ')}` };
  return { head: p.fallback, pattern: 'dropout' };
}

export interface MultiSequenceSegmentInput extends Omit<SegmentInput, 'volume'> {
  layout: FusedLayout;
  /** The study's sequences on the reference grid (the guide is built from those not dropped). */
  sequences: SequenceInput[];
  /** Sequences to leave out at prediction time (their features are zeroed as if missing). */
  drop?: string[];
  /** Late fusion: when given, `head` is ignored and the head composed for the sequences present is used. */
  fusion?: LateFusionModel;
  /** Guide image for the propagation (default 'mean'). */
  guide?: GuideKind;
  /** Presence-specific heads: when given, `head` is ignored and the head of the pattern present is used. */
  presence?: PresenceHeads;
}

/** The guide volume of each predicted intensity (impute.ts imputedIntensity), one object per array. */
const imputedGuides = new WeakMap<Float32Array, SequenceInput['volume']>();

/**
 * segment() on fused features with the named sequences left out, following the fused guide of the remaining ones.
 * The features are zeroed in place for the call and restored afterwards, also on error or cancel.
 */

export async function segmentMultiSequence(inp: MultiSequenceSegmentInput): Promise<SegmentResult & { guide: string[] }> {
  const drop = new Set((inp.drop ?? []).map((d) => d.toLowerCase()));
  const kept = inp.sequences.filter((s) => !drop.has(s.name.toLowerCase()));
  for (const d of inp.drop ?? []) {
    if (!inp.sequences.some((s) => s.name.toLowerCase() === d.toLowerCase())) {
      throw new MedSegError('INVALID_ARGUMENT', `Cannot leave out "${d}": the sequences are ${inp.sequences.map((s) => s.name).join(', ')}.`);
    }
  }
  if (kept.length === 0) throw new MedSegError('INVALID_ARGUMENT', 'Every sequence was left out; keep at least one.');
  const { layout: _l, sequences: _s, drop: _d, fusion, guide, presence, ...rest } = inp;
  // Sequences of the layout that this study lacks are already zero; only the ones present need dropping.
  const dropNames = [...drop].filter((d) => inp.layout.sequences.some((s) => s.toLowerCase() === d));
  const present = inp.layout.sequences.filter((s) => !dropNames.includes(s.toLowerCase()));
  // The pattern is what the study holds after the drop: a layout sequence the study lacks counts as missing too.
  let imputation: SequenceImputation | undefined;
  if (presence) ({ head: rest.head, imputation } = presenceHead(presence, kept.map((s) => s.name)));
  // A missing sequence that was imputed joins the guide with its predicted intensity (when the backbone has one).
  const guideInputs = kept.slice();
  const predicted = imputation && inp.refine !== 'none' && kept.length > 0 ? imputedIntensity(inp.features, inp.layout, imputation) : null;
  if (predicted) {
    // One volume object per prediction, so that its normalised intensities are computed once (features/multiseq.ts).
    let volume = imputedGuides.get(predicted);
    if (!volume) imputedGuides.set(predicted, (volume = { ...kept[0].volume, data: predicted, voxelType: 'float32' }));
    guideInputs.push({ name: `${imputation!.missing} (imputed)`, volume });
  }
  const volume = makeGuide(guide ?? 'mean', guideInputs, inp.scribbles);
  // The feature volume itself for every guide and drop set: a linear head is folded instead of the features being
  // touched, so the block features segment() derives and caches (multires.ts) serve every pattern, while the block
  // barriers, which follow the guide image, are computed again for each new guide (keyed by the edge image).
  const features = inp.features;
  if (fusion) {
    const r = await segment({ ...rest, features, head: composeLateFusion(fusion, present), volume });
    return { ...r, guide: kept.map((s) => s.name) };
  }
  if (rest.head.kind === 'linear' || dropNames.length === 0) {
    const head = dropNames.length && rest.head.kind === 'linear' ? dropFromHead(rest.head, inp.layout, dropNames) : rest.head;
    const r = await segment({ ...rest, features, head, volume });
    return { ...r, guide: kept.map((s) => s.name) };
  }
  // Prototype heads cannot be folded: zero the features in place for the call (restored afterwards, also on error).
  const restore = dropSequencesInPlace(inp.features, inp.layout, dropNames);
  try {
    const r = await segment({ ...rest, features: { ...inp.features }, head: rest.head, volume });
    return { ...r, guide: kept.map((s) => s.name) };
  } finally {
    restore();
  }
}

/**
 * LATE FUSION. Besides the fused head, one linear head per sequence on that sequence's own channels; prediction
 * averages the heads' log-probabilities over the sequences PRESENT, so a missing sequence simply drops out of the
 * average instead of leaving a hole in a feature vector that a head was fitted to. Because every head is linear,
 * the normalised mean of their log-probabilities is softmax(mean of their logits) (the log-normalisers are equal
 * for all classes at a voxel and cancel), and a mean of linear functions of the fused features is itself a linear
 * head on the fused layout: composeLateFusion builds that one head, so prediction costs one linear pass and the
 * result is an ordinary TrainedHead (saved, applied and checked like any other).
 */
export type SequenceWeighting = 'equal' | 'strokes';

export interface LateFusionOptions {
  /** Share of the fused head in the average (the per-sequence heads share the rest). Default 0.5. */
  fusedWeight?: number;
  /** 'strokes': weight each sequence by how well its own head predicts held-out strokes. Default 'equal'. */
  weighting?: SequenceWeighting;
}

export interface LateFusionModel {
  layout: FusedLayout;
  fused: TrainedHead;
  /** Per sequence (layout order): its own head, or undefined where it could not be trained (sequence absent). */
  perSequence: (LinearHead | undefined)[];
  /** Per sequence, ≥ 0 (equal, or the stroke cross-validation skill). */
  weights: number[];
  fusedWeight: number;
}

/**
 * One sequence's channels as a FeatureVolume of its own, only on the slices that carry strokes (all a trainer
 * reads), with the presence scaling undone so the head sees the values a single-sequence study would give.
 */
export function sequenceFeaturesOnStrokes(fused: FeatureVolume, layout: FusedLayout, s: number, scribbles: Uint8Array, dims: Vec3): FeatureVolume {
  const plane = dims[0] * dims[1], D = layout.perSequence, F = layout.dim, off = groupOffset(layout, s), pc = presenceChannel(layout, s);
  const slices: (Float32Array | undefined)[] = new Array(dims[2]).fill(undefined);
  for (let k = 0; k < dims[2]; k++) {
    let any = false;
    for (let p = k * plane; p < (k + 1) * plane && !any; p++) any = scribbles[p] !== 0;
    const src = fused.slices[k];
    if (!any || !src) continue;
    const dst = new Float32Array(plane * D);
    for (let p = 0; p < plane; p++) {
      const pr = src[p * F + pc];
      if (!(pr > 0)) continue;
      const inv = 1 / pr;
      for (let d = 0; d < D; d++) dst[p * D + d] = src[p * F + off + d] * inv;
    }
    slices[k] = dst;
  }
  return { dim: D, slices, names: layout.groupNames.slice() };
}

/** Strokes where sequence s is present (its presence channel > 0); elsewhere unlabeled. */
function strokesWherepresent(fused: FeatureVolume, layout: FusedLayout, s: number, scribbles: Uint8Array, dims: Vec3): Uint8Array {
  const plane = dims[0] * dims[1], F = layout.dim, pc = presenceChannel(layout, s);
  const out = new Uint8Array(scribbles.length);
  for (let v = 0; v < scribbles.length; v++) {
    if (!scribbles[v]) continue;
    const sl = fused.slices[Math.floor(v / plane)];
    if (sl && sl[(v % plane) * F + pc] > 0) out[v] = scribbles[v];
  }
  return out;
}

/** Logits of a linear head without position channels for one feature row. */
function rawLogits(h: LinearHead, f: Float32Array, o: number, out: Float64Array): void {
  const C = h.classes.length, D = h.backbone.dim + h.positionChannels;
  for (let c = 0; c < C; c++) {
    let x = h.bias[c];
    for (let d = 0; d < h.backbone.dim; d++) x += h.weights[c * D + d] * (f[o + d] - h.mean[d]) / h.std[d];
    out[c] = x;
  }
}

/**
 * How well a sequence's own head predicts strokes it was not trained on: leave one annotated slice out, train on
 * the others, and take the class-balanced geometric mean probability of the right class on the held-out strokes,
 * as skill above chance (0 = chance, 1 = certain). Strokes of one slice are strongly correlated, so whole slices
 * are held out, not random voxels. Returns undefined when fewer than two slices carry strokes.
 */
export function strokeSkill(features: FeatureVolume, scribbles: Uint8Array, dims: Vec3, maxPerClass = 2000): number | undefined {
  const plane = dims[0] * dims[1];
  const slices: number[] = [];
  for (let k = 0; k < dims[2]; k++) {
    for (let p = k * plane; p < (k + 1) * plane; p++) if (scribbles[p]) { slices.push(k); break; }
  }
  if (slices.length < 2) return undefined;
  const logp = new Map<number, { sum: number; n: number }>();
  const out = new Float64Array(256);
  for (const held of slices) {
    const train = scribbles.slice();
    train.fill(0, held * plane, (held + 1) * plane);
    let head: TrainedHead;
    try {
      head = trainHead('linear', features, train, dims, { position: false, maxPerClass });
    } catch (e) {
      if (e instanceof MedSegError && (e.code === 'LABELS_SINGLE_CLASS' || e.code === 'LABELS_EMPTY')) continue;
      throw e;
    }
    if (head.kind !== 'linear') continue;
    const cls = head.classes;
    const C = cls.length;
    const sl = features.slices[held]!;
    // Evenly thinned held-out strokes keep this in milliseconds for slice-mode annotations.
    let total = 0;
    for (let p = 0; p < plane; p++) if (scribbles[held * plane + p]) total++;
    const step = Math.max(1, Math.floor(total / (maxPerClass * 2)));
    let seen = 0;
    for (let p = 0; p < plane; p++) {
      const v = scribbles[held * plane + p];
      if (!v || seen++ % step) continue;
      const id = v === BACKGROUND_ID ? 0 : v;
      const ci = cls.indexOf(id);
      if (ci < 0) continue;
      rawLogits(head, sl, p * features.dim, out);
      let mx = -Infinity;
      for (let c = 0; c < C; c++) mx = Math.max(mx, out[c]);
      let se = 0;
      for (let c = 0; c < C; c++) se += Math.exp(out[c] - mx);
      const lp = out[ci] - mx - Math.log(se);
      const acc = logp.get(id) ?? { sum: 0, n: 0 };
      acc.sum += Math.max(lp, Math.log(1e-4));
      acc.n++;
      logp.set(id, acc);
    }
  }
  if (logp.size < 2) return undefined;
  let mean = 0;
  for (const { sum, n } of logp.values()) mean += sum / n / logp.size;
  const chance = 1 / logp.size;
  return Math.max(0, (Math.exp(mean) - chance) / (1 - chance));
}

/** The fused head (as trainMultiSequenceHead) plus one linear head per sequence on its own channels. */
export function trainLateFusion(fused: FeatureVolume, layout: FusedLayout, scribbles: Uint8Array, dims: Vec3, opts: MultiSequenceTrainOptions & LateFusionOptions = {}): LateFusionModel {
  const { fusedWeight, weighting, ...rest } = opts;
  const head = trainMultiSequenceHead('linear', fused, layout, scribbles, dims, rest);
  const perSequence: (LinearHead | undefined)[] = [];
  const weights: number[] = [];
  for (let s = 0; s < layout.sequences.length; s++) {
    const own = sequenceFeaturesOnStrokes(fused, layout, s, scribbles, dims);
    const strokes = strokesWherepresent(fused, layout, s, scribbles, dims);
    let h: TrainedHead | undefined;
    try {
      h = trainHead('linear', own, strokes, dims, { spacing: opts.spacing, backbone: { id: `${layout.sequences[s]}` } });
    } catch (e) {
      // A sequence missing where the strokes are cannot have a head; the others carry on.
      if (!(e instanceof MedSegError && (e.code === 'LABELS_EMPTY' || e.code === 'LABELS_SINGLE_CLASS'))) throw e;
    }
    const ok = h && h.kind === 'linear' && h.classes.join() === head.classes.join() ? h : undefined;
    perSequence.push(ok);
    weights.push(!ok ? 0 : weighting === 'strokes' ? strokeSkill(own, strokes, dims) ?? 1 : 1);
  }
  return { layout, fused: head, perSequence, weights, fusedWeight: fusedWeight ?? 0.5 };
}

/** Indices (layout order) of the named sequences that are kept; typed error for an unknown name. */
function keptIndices(L: FusedLayout, drop: string[]): number[] {
  const low = drop.map((d) => d.toLowerCase());
  for (const d of drop) {
    if (!L.sequences.some((s) => s.toLowerCase() === d.toLowerCase())) {
      throw new MedSegError('INVALID_ARGUMENT', `Cannot leave out "${d}": the sequences are ${L.sequences.join(', ')}.`);
    }
  }
  return L.sequences.map((_, s) => s).filter((s) => !low.includes(L.sequences[s].toLowerCase()));
}

/** Raw weights (C×(F+3)) and bias of a linear head on the fused layout, with the dropped sequences folded out. */
function foldedFused(h: LinearHead, L: FusedLayout, kept: number[]): { W: Float64Array; B: Float64Array } {
  const S = L.sequences.length, F = L.dim, G = L.perSequence, C = h.classes.length, P = 3, D = F + P;
  const u = unstandardise(h);
  const W = new Float64Array(C * D), B = Float64Array.from(u.b);
  const r = S / Math.max(1, kept.length);
  for (let c = 0; c < C; c++) {
    for (const s of kept) {
      const off = groupOffset(L, s), pc = presenceChannel(L, s);
      for (let d = 0; d < G; d++) W[c * D + off + d] = r * u.w[c * u.D + off + d];
      W[c * D + pc] = r * u.w[c * u.D + pc];
    }
    for (let q = 0; q < Math.min(P, h.positionChannels); q++) W[c * D + F + q] = u.w[c * u.D + F + q];
  }
  return { W, B };
}

/**
 * A linear head on fused features that behaves as if the `drop` sequences were missing from the study: their
 * weights (groups and presence flags) are zero and the kept ones are multiplied by S/P, which is exactly what the
 * presence scaling would have done to the features of a voxel covered by all sequences. Changing the head instead
 * of the features leaves the (gigabyte) feature volume untouched, so nothing derived from it and cached elsewhere
 * goes stale. At voxels some sequence does not cover, the scaling is the whole-study one (S/P), an approximation.
 */
export function dropFromHead(h: LinearHead, L: FusedLayout, drop: string[]): LinearHead {
  if (h.backbone.dim !== L.dim) throw new MedSegError('HEAD_MISMATCH', `This head expects ${h.backbone.dim} channels; the study layout has ${L.dim}.`);
  const kept = keptIndices(L, drop);
  if (kept.length === 0) throw new MedSegError('INVALID_ARGUMENT', 'Every sequence was left out; keep at least one.');
  const { W, B } = foldedFused(h, L, kept);
  return rawLinearHead(h, W, B, L.dim);
}

/**
 * The late-fusion head for the sequences `present` (names; the others are treated as left out):
 * logits = β·fused + (1 − β)·Σ a_s·own_s, the a_s being the model's weights renormalised over the present sequences,
 * the fused head folded as in dropFromHead. Each sequence's own bias rides on its presence flag, so at a voxel a
 * sequence does not cover its whole term vanishes (the presence scaling then raises the others by S/P).
 */
export function composeLateFusion(m: LateFusionModel, present: string[]): LinearHead {
  const L = m.layout, F = L.dim;
  const fused = m.fused;
  if (fused.kind !== 'linear') throw new MedSegError('INVALID_ARGUMENT', 'Late fusion needs the linear head.');
  const want = new Set(present.map((p) => p.toLowerCase()));
  const kept = L.sequences.map((_, s) => s).filter((s) => want.has(L.sequences[s].toLowerCase()));
  if (kept.length === 0) throw new MedSegError('INVALID_ARGUMENT', 'Every sequence was left out; keep at least one.');
  const own = kept.filter((s) => m.perSequence[s]);
  const wsum = own.reduce((a, s) => a + m.weights[s], 0);
  const beta = own.length === 0 ? 1 : Math.min(1, Math.max(0, m.fusedWeight));
  const C = fused.classes.length, P = 3, D = F + P;
  const { W, B } = foldedFused(fused, L, kept);
  for (let i = 0; i < W.length; i++) W[i] *= beta;
  for (let c = 0; c < C; c++) B[c] *= beta;
  for (const s of own) {
    const h = m.perSequence[s]!;
    const u = unstandardise(h);
    const G = h.backbone.dim, off = groupOffset(L, s), pc = presenceChannel(L, s);
    const k = (1 - beta) * (wsum > 0 ? m.weights[s] / wsum : 1 / own.length);
    for (let c = 0; c < C; c++) {
      for (let d = 0; d < G; d++) W[c * D + off + d] += k * u.w[c * u.D + d];
      W[c * D + pc] += k * u.b[c];
      for (let q = 0; q < Math.min(P, h.positionChannels); q++) W[c * D + F + q] += k * u.w[c * u.D + G + q];
    }
  }
  return rawLinearHead(fused, W, B, F);
}
