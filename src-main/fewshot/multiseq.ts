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
import { MedSegError, type Vec3 } from '../../src-shared';
import type { FeatureVolume } from '../features/types';
import { dropInRow, dropSequencesInPlace, fusedGuide, presenceChannel, type FusedLayout, type SequenceInput } from '../features/multiseq';
import type { HeadKind, TrainedHead } from './head';
import type { SampleSet } from './samples';
import { segment, type SegmentInput, type SegmentResult } from './segment';
import { trainHead, type TrainOptions } from './train';

export interface SequenceDropoutOptions {
  /** Largest number of sequences dropped together in one copy (1 = each sequence alone). Default: all but one. */
  maxDropped?: number;
  /** Cap on the augmented set's size (rows); copies are thinned evenly above it. Default 60000. */
  maxSamples?: number;
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
  for (let r = 0; r < n; r++) {
    for (const set of sets) {
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

/** trainHead on fused features, with sequence dropout by default. */
export function trainMultiSequenceHead(kind: HeadKind, fused: FeatureVolume, layout: FusedLayout, scribbles: Uint8Array, dims: Vec3, opts: MultiSequenceTrainOptions = {}): TrainedHead {
  if (fused.dim !== layout.dim) throw new MedSegError('HEAD_MISMATCH', `The fused features have ${fused.dim} channels; this study's layout needs ${layout.dim}.`);
  const { dropout, ...rest } = opts;
  const augment = dropout === false ? undefined : (s: SampleSet) => sequenceDropout(s, layout, dropout ?? {});
  return trainHead(kind, fused, scribbles, dims, { ...rest, augment });
}

export interface MultiSequenceSegmentInput extends Omit<SegmentInput, 'volume'> {
  layout: FusedLayout;
  /** The study's sequences on the reference grid (the guide is built from those not dropped). */
  sequences: SequenceInput[];
  /** Sequences to leave out at prediction time (their features are zeroed as if missing). */
  drop?: string[];
}

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
  // Sequences of the layout that this study lacks are already zero; only the ones present need dropping.
  const restore = dropSequencesInPlace(inp.features, inp.layout, [...drop].filter((d) => inp.layout.sequences.some((s) => s.toLowerCase() === d)));
  try {
    const { layout: _l, sequences: _s, drop: _d, ...rest } = inp;
    const r = await segment({ ...rest, volume: fusedGuide(kept) });
    return { ...r, guide: kept.map((s) => s.name) };
  } finally {
    restore();
  }
}
