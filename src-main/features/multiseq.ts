/**
 * Fused multi-sequence features: every sequence of a study (T1, T1c, T2, FLAIR…) goes through the SAME backbone,
 * and the head sees one feature vector per voxel made of
 *   [ group of sequence 0 | group of sequence 1 | … | presence 0 | presence 1 | … ]
 * where a group holds that sequence's backbone channels (named "<sequence>:<channel>") and is ZERO wherever the
 * sequence does not cover the voxel or is missing from the study, and presence s is non-zero exactly where the
 * group holds real data. The layout is fixed by the list of sequences the head was trained on, so a study that
 * lacks one of them still yields features the head accepts (that group zero, its presence 0).
 *
 * Presence scaling ("inverted dropout"): at a voxel where P of the S sequences are present, their groups and
 * presence flags are multiplied by S/P (presence = 1 when all are present). A linear head then scores
 * S·mean(evidence of the present sequences) instead of their SUM, so its threshold does not shift with the number
 * of sequences a study happens to have — measured on synthetic data, an unscaled sum made a head trained with
 * dropout over-segment whenever more sequences were present than on average during training.
 * Imports src-shared, features/types and the filter bank's normalisation only (never engine/ or fewshot/).
 */
import { MedSegError, sameGrid, type Vec3, type Volume } from '../../src-shared';
import type { BackboneSettings, ExtractOptions, FeatureBackbone, FeatureVolume } from './types';
import { intensityMode, normalizeIntensity } from './filters/normalize';

/** One sequence on the study's reference grid (engine/multiseq's Sequence has this shape). */
export interface SequenceInput {
  name: string;
  volume: Volume;
  /** 1 where the sequence has data on the reference grid; absent = covers everything. */
  coverage?: Uint8Array;
}

export interface FusedLayout {
  /** Sequence names in group order (the training study's). */
  sequences: string[];
  /** Backbone channels per sequence (the size of one group). */
  perSequence: number;
  /** The backbone's channel names (one group). */
  groupNames: string[];
  /** sequences.length × (perSequence + 1). */
  dim: number;
}

export function fusedLayout(sequences: string[], groupNames: string[]): FusedLayout {
  if (sequences.length === 0) throw new MedSegError('INVALID_ARGUMENT', 'Add at least one sequence.');
  const seen = new Set<string>();
  for (const s of sequences) {
    if (seen.has(s.toLowerCase())) throw new MedSegError('INVALID_ARGUMENT', `The sequence name "${s}" is used twice; give each sequence its own name.`);
    seen.add(s.toLowerCase());
  }
  return { sequences: sequences.slice(), perSequence: groupNames.length, groupNames: groupNames.slice(), dim: sequences.length * (groupNames.length + 1) };
}

export function fusedChannelNames(l: FusedLayout): string[] {
  const names: string[] = [];
  for (const s of l.sequences) for (const c of l.groupNames) names.push(`${s}:${c}`);
  for (const s of l.sequences) names.push(`present:${s}`);
  return names;
}

export function groupOffset(l: FusedLayout, s: number): number {
  return s * l.perSequence;
}

export function presenceChannel(l: FusedLayout, s: number): number {
  return l.sequences.length * l.perSequence + s;
}

/** Index of a sequence in the layout by name (case-insensitive), or a typed error naming the known ones. */
export function sequenceIndex(l: FusedLayout, name: string): number {
  const i = l.sequences.findIndex((s) => s.toLowerCase() === name.toLowerCase());
  if (i < 0) throw new MedSegError('INVALID_ARGUMENT', `There is no sequence called "${name}" in this study; the sequences are ${l.sequences.join(', ')}.`);
  return i;
}

/** An all-missing fused feature volume (every group zero, every presence 0), to be filled group by group. */
export function emptyFused(l: FusedLayout, dims: Vec3): FeatureVolume {
  const plane = dims[0] * dims[1];
  const slices = Array.from({ length: dims[2] }, () => new Float32Array(plane * l.dim));
  return { dim: l.dim, slices, names: fusedChannelNames(l) };
}

/** Copy one sequence's backbone features into its group, masked by its coverage, and set its presence. */
export function fillGroup(fused: FeatureVolume, l: FusedLayout, s: number, features: FeatureVolume, coverage?: Uint8Array): void {
  if (features.dim !== l.perSequence) {
    throw new MedSegError('INVALID_ARGUMENT', `Features of ${l.sequences[s]} have ${features.dim} channels; the study expects ${l.perSequence}.`);
  }
  const D = l.perSequence, F = l.dim, off = groupOffset(l, s), pc = presenceChannel(l, s);
  const nz = fused.slices.length;
  if (features.slices.length !== nz) throw new MedSegError('GRID_MISMATCH', `The features of ${l.sequences[s]} were computed on another grid (slice count differs).`);
  for (let k = 0; k < nz; k++) {
    const dst = fused.slices[k], src = features.slices[k];
    if (!dst || !src) continue;
    const plane = dst.length / F;
    if (src.length !== plane * D) throw new MedSegError('GRID_MISMATCH', `The features of ${l.sequences[s]} were computed on another grid (slice size differs).`);
    for (let p = 0; p < plane; p++) {
      const o = p * F;
      if (coverage && !coverage[k * plane + p]) {
        dst.fill(0, o + off, o + off + D);
        dst[o + pc] = 0;
        continue;
      }
      dst.set(src.subarray(p * D, p * D + D), o + off);
      dst[o + pc] = 1;
    }
  }
}

/** Present sequences at voxel offset o (presence flags > 0). */
function presentCount(sl: Float32Array, o: number, l: FusedLayout): number {
  let a = 0;
  for (let s = 0; s < l.sequences.length; s++) if (sl[o + presenceChannel(l, s)] > 0) a++;
  return a;
}

/** Multiply the present groups and presence flags of one voxel by f. */
function scaleVoxel(sl: Float32Array, o: number, l: FusedLayout, f: number): void {
  const D = l.perSequence;
  for (let s = 0; s < l.sequences.length; s++) {
    const pc = o + presenceChannel(l, s);
    if (!(sl[pc] > 0)) continue;
    sl[pc] *= f;
    const off = o + groupOffset(l, s);
    for (let d = 0; d < D; d++) sl[off + d] *= f;
  }
}

/** After fillGroup with raw values (presence 1): apply the S/P presence scaling to every voxel. */
export function scaleByPresence(fused: FeatureVolume, l: FusedLayout): void {
  const S = l.sequences.length, F = l.dim;
  for (const sl of fused.slices) {
    if (!sl) continue;
    for (let o = 0; o < sl.length; o += F) {
      const a = presentCount(sl, o, l);
      if (a > 0 && a < S) scaleVoxel(sl, o, l, S / a);
    }
  }
}

/**
 * One row (fused part at offset o of `row`) as it would look with the sequences `idx` missing: their groups and
 * presence zeroed, the others rescaled from S/a to S/(a−d). Returns the number of sequences still present.
 * Shared by the in-place drop below and by the dropout copies made for training (fewshot/multiseq.ts).
 */
export function dropInRow(row: Float32Array, o: number, l: FusedLayout, idx: number[]): number {
  const a = presentCount(row, o, l);
  let d = 0;
  for (const s of idx) {
    const pc = o + presenceChannel(l, s);
    if (row[pc] > 0) d++;
    row[pc] = 0;
    row.fill(0, o + groupOffset(l, s), o + groupOffset(l, s) + l.perSequence);
  }
  if (d > 0 && a - d > 0) scaleVoxel(row, o, l, a / (a - d));
  return a - d;
}

/**
 * Zero the groups (and presence) of the named sequences IN PLACE — how a study that lacks them looks to the head —
 * and return a function that restores them. In place because fused features of a brain study are gigabytes;
 * only the dropped groups are kept aside.
 */
export function dropSequencesInPlace(fused: FeatureVolume, l: FusedLayout, names: string[]): () => void {
  const idx = [...new Set(names.map((n) => sequenceIndex(l, n)))];
  if (idx.length === 0) return () => {};
  const D = l.perSequence, F = l.dim;
  const saved = fused.slices.map((sl) => {
    if (!sl) return undefined;
    const plane = sl.length / F;
    const keep = new Float32Array(plane * idx.length * (D + 1));
    let q = 0;
    for (let p = 0; p < plane; p++) {
      const o = p * F;
      for (const s of idx) {
        const off = o + groupOffset(l, s);
        keep.set(sl.subarray(off, off + D), q);
        keep[q + D] = sl[o + presenceChannel(l, s)];
        q += D + 1;
      }
      dropInRow(sl, o, l, idx);
    }
    return keep;
  });
  return () => {
    fused.slices.forEach((sl, k) => {
      const keep = saved[k];
      if (!sl || !keep) return;
      const plane = sl.length / F;
      let q = 0;
      for (let p = 0; p < plane; p++) {
        const o = p * F;
        const left = presentCount(sl, o, l);
        let d = 0;
        for (let t = 0; t < idx.length; t++) if (keep[q + t * (D + 1) + D] > 0) d++;
        if (d > 0 && left > 0) scaleVoxel(sl, o, l, left / (left + d));
        for (const s of idx) {
          sl.set(keep.subarray(q, q + D), o + groupOffset(l, s));
          sl[o + presenceChannel(l, s)] = keep[q + D];
          q += D + 1;
        }
      }
    });
  };
}

/** A FeatureBackbone-like extractor over a whole study: one backbone, applied per sequence, fused. */
export interface MultiSequenceBackbone {
  /** 'multiseq[T1,T1c,T2,FLAIR]:<backbone id>' — part of the head, so a head refuses another study layout. */
  readonly id: string;
  readonly dim: number;
  readonly layout: FusedLayout;
  readonly settings: BackboneSettings;
  readonly provider: string;
  readonly backbone: FeatureBackbone;
  /**
   * Features of the given sequences (any subset of the layout's, all on one grid); a sequence of the layout that is
   * not given is treated as missing. Per-sequence features are released as soon as they are fused.
   */
  extract(inputs: SequenceInput[], opts?: ExtractOptions & { onSequence?: (name: string, features: FeatureVolume) => void }): Promise<FeatureVolume>;
}

export function createMultiSequenceBackbone(backbone: FeatureBackbone, sequences: string[]): MultiSequenceBackbone {
  const probeNames = (backbone as FeatureBackbone & { names?: string[] }).names;
  let layout = fusedLayout(sequences, probeNames ?? Array.from({ length: backbone.dim }, (_, c) => `c${c}`));
  const id = `multiseq[${layout.sequences.join(',')}]:${backbone.id}`;
  return {
    id,
    get dim() { return layout.dim; },
    get layout() { return layout; },
    settings: { ...backbone.settings, sequences: layout.sequences.join(',') },
    provider: backbone.provider,
    backbone,
    async extract(inputs, opts = {}) {
      if (inputs.length === 0) throw new MedSegError('INVALID_ARGUMENT', 'Add at least one sequence.');
      const ref = inputs[0].volume;
      const dims = ref.dims as Vec3;
      const n = dims[0] * dims[1] * dims[2];
      const idx = inputs.map((inp) => sequenceIndex(layout, inp.name));
      if (new Set(idx).size !== idx.length) throw new MedSegError('INVALID_ARGUMENT', 'The same sequence was given twice.');
      for (const inp of inputs) {
        if (!sameGrid(inp.volume, ref)) {
          throw new MedSegError('GRID_MISMATCH', `${inp.name} is not on the study's reference grid; assemble the study first (it resamples each sequence onto the reference).`);
        }
        if (inp.coverage && inp.coverage.length !== n) throw new MedSegError('GRID_MISMATCH', `The coverage mask of ${inp.name} does not match the reference grid.`);
      }
      let fused: FeatureVolume | undefined;
      for (let t = 0; t < inputs.length; t++) {
        const inp = inputs[t];
        const f = await backbone.extract(inp.volume, {
          signal: opts.signal,
          onProgress: (p) => opts.onProgress?.({ done: t * p.total + p.done, total: inputs.length * p.total, provider: p.provider }),
        });
        if (!fused) {
          // Some backbones report their channel names only with the features; the layout takes them from there.
          if (f.names.length === f.dim && f.dim === layout.perSequence) layout = fusedLayout(layout.sequences, f.names);
          fused = emptyFused(layout, dims);
        }
        fillGroup(fused, layout, idx[t], f, inp.coverage);
        opts.onSequence?.(inp.name, f);
      }
      scaleByPresence(fused!, layout);
      return fused!;
    },
  };
}

const normalizedCache = new WeakMap<Volume, Float32Array>();

/**
 * A sequence's robust-normalised intensities (normalizeIntensity), kept per volume object: every update of a
 * multi-sequence study builds its guide from them again (the stroke weights change, the sequences do not), and the
 * percentiles cost ≈ 30 ms per sequence of 600 k voxels. Volumes are not changed in place anywhere.
 */
function normalizedOf(v: Volume): Float32Array {
  let d = normalizedCache.get(v);
  if (!d) {
    d = normalizeIntensity(v, intensityMode(v)).data;
    normalizedCache.set(v, d);
  }
  return d;
}

/**
 * The image the propagation follows in a multi-sequence study: at each voxel, the mean of the robust-normalised
 * intensities (1st–99th percentile → 0..10, as the filter bank does) of the sequences that cover it; 0 where none
 * does. Chosen over "the reference sequence" so that an edge visible in any sequence (oedema on FLAIR, enhancement
 * on T1c) slows the front, and so the guide still exists when a sequence is dropped. An all-CT study keeps HU
 * (mean of the phases) so the CT edge scale stays what the propagation was tuned for.
 */
export function fusedGuide(inputs: SequenceInput[]): Volume {
  if (inputs.length === 0) throw new MedSegError('INVALID_ARGUMENT', 'Add at least one sequence.');
  const ref = inputs[0].volume;
  const n = ref.data.length;
  const allCt = inputs.every((i) => i.volume.modality === 'CT');
  const sum = new Float32Array(n), cnt = new Uint8Array(n);
  for (const inp of inputs) {
    if (!sameGrid(inp.volume, ref)) throw new MedSegError('GRID_MISMATCH', `${inp.name} is not on the study's reference grid.`);
    const vals = allCt ? inp.volume.data : normalizedOf(inp.volume);
    const cov = inp.coverage;
    for (let p = 0; p < n; p++) if (!cov || cov[p]) { sum[p] += vals[p]; cnt[p]++; }
  }
  for (let p = 0; p < n; p++) sum[p] = cnt[p] ? sum[p] / cnt[p] : 0;
  return {
    dims: ref.dims, spacing: ref.spacing, origin: ref.origin, direction: ref.direction, data: sum, voxelType: 'float32',
    modality: allCt ? 'CT' : 'MR', meta: { ...ref.meta, seriesDescription: `fused guide (${inputs.map((i) => i.name).join(', ')})` },
    window: allCt ? ref.window : { center: 5, width: 10 }, warnings: [],
  };
}

/** How the propagation's guide image is made from the sequences: see fusedGuide and strokeGuide. */
export type GuideKind = 'mean' | 'strokes';

/**
 * Top discriminant direction (Fisher LDA) of the labeled voxels' intensities: weights w (one per sequence) such that
 * w·intensity separates the labeled classes best relative to their spread. With 2 classes this is Σw⁻¹(μ1 − μ0);
 * with more, the leading eigenvector of Σw⁻¹Σb (power iteration; the matrices are S×S). Hand-written: S ≤ a handful.
 */
export function discriminantWeights(values: Float32Array[], labels: Uint8Array, classIds: number[]): number[] {
  const S = values.length;
  const C = classIds.length;
  const cix = new Int16Array(256).fill(-1);
  classIds.forEach((c, i) => (cix[c] = i));
  const cnt = new Float64Array(C), mu = new Float64Array(C * S);
  for (let p = 0; p < labels.length; p++) {
    const c = cix[labels[p]];
    if (c < 0) continue;
    cnt[c]++;
    for (let s = 0; s < S; s++) mu[c * S + s] += values[s][p];
  }
  for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) mu[c * S + s] /= Math.max(1, cnt[c]);
  const sw = new Float64Array(S * S), tot = cnt.reduce((a, b) => a + b, 0);
  for (let p = 0; p < labels.length; p++) {
    const c = cix[labels[p]];
    if (c < 0) continue;
    for (let a = 0; a < S; a++) {
      const da = values[a][p] - mu[c * S + a];
      for (let b = a; b < S; b++) sw[a * S + b] += da * (values[b][p] - mu[c * S + b]);
    }
  }
  // Each class weighs the same (a long background stroke must not decide the direction), as in the heads.
  const grand = new Float64Array(S);
  for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) grand[s] += mu[c * S + s] / C;
  const sb = new Float64Array(S * S);
  for (let c = 0; c < C; c++) for (let a = 0; a < S; a++) for (let b = 0; b < S; b++) sb[a * S + b] += (mu[c * S + a] - grand[a]) * (mu[c * S + b] - grand[b]) / C;
  let tr = 0;
  for (let a = 0; a < S; a++) {
    for (let b = a; b < S; b++) { sw[a * S + b] /= Math.max(1, tot); sw[b * S + a] = sw[a * S + b]; }
    tr += sw[a * S + a];
  }
  // Ridge: a sequence constant over the strokes must not make Σw singular.
  for (let a = 0; a < S; a++) sw[a * S + a] += 1e-3 * (tr / S) + 1e-9;
  const inv = invertSymmetric(sw, S);
  const m = new Float64Array(S * S);
  for (let a = 0; a < S; a++) for (let b = 0; b < S; b++) { let x = 0; for (let q = 0; q < S; q++) x += inv[a * S + q] * sb[q * S + b]; m[a * S + b] = x; }
  let w = Array.from({ length: S }, (_, s) => (C === 2 ? mu[S + s] - mu[s] : 1));
  for (let it = 0; it < 100; it++) {
    const nw = w.map((_, a) => { let x = 0; for (let b = 0; b < S; b++) x += m[a * S + b] * w[b]; return x; });
    const norm = Math.hypot(...nw);
    if (!(norm > 0)) break;
    w = nw.map((x) => x / norm);
  }
  return w;
}

/** Gauss–Jordan inverse of a small symmetric positive definite matrix. */
function invertSymmetric(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a), inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let i = 0; i < n; i++) {
    let piv = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(m[r * n + i]) > Math.abs(m[piv * n + i])) piv = r;
    for (let c = 0; c < n; c++) {
      [m[i * n + c], m[piv * n + c]] = [m[piv * n + c], m[i * n + c]];
      [inv[i * n + c], inv[piv * n + c]] = [inv[piv * n + c], inv[i * n + c]];
    }
    const d = m[i * n + i] || 1e-12;
    for (let c = 0; c < n; c++) { m[i * n + c] /= d; inv[i * n + c] /= d; }
    for (let r = 0; r < n; r++) {
      if (r === i) continue;
      const f = m[r * n + i];
      if (f === 0) continue;
      for (let c = 0; c < n; c++) { m[r * n + c] -= f * m[i * n + c]; inv[r * n + c] -= f * inv[i * n + c]; }
    }
  }
  return inv;
}

/**
 * A guide made for the structure being painted: the sequences' robust-normalised intensities combined with the
 * discriminant weights of the labeled voxels (strokes only, never a reference). The mean guide lets opposite
 * contrasts cancel (a tumour bright on FLAIR and dark on T1 is nearly flat in their mean); here each sequence
 * enters with the sign and weight that separate the painted classes, so their edges add up. Where a sequence does
 * not cover a voxel its labeled mean stands in. Falls back to fusedGuide for CT-only studies (HU edges) and
 * when the strokes hold fewer than two classes.
 */
export function strokeGuide(inputs: SequenceInput[], scribbles: Uint8Array): Volume {
  const mean = fusedGuide(inputs);
  if (inputs.length < 2 || mean.modality === 'CT') return mean;
  const n = mean.data.length;
  if (scribbles.length !== n) throw new MedSegError('GRID_MISMATCH', 'The strokes are not on the study grid.');
  const seen = new Set<number>();
  for (let p = 0; p < n; p++) if (scribbles[p]) seen.add(scribbles[p]);
  if (seen.size < 2) return mean;
  const vals = inputs.map((inp) => normalizedOf(inp.volume));
  const w = discriminantWeights(vals, scribbles, [...seen].sort((a, b) => a - b));
  const fill = vals.map((v, s) => {
    let a = 0, c = 0;
    for (let p = 0; p < n; p++) if (scribbles[p] && (!inputs[s].coverage || inputs[s].coverage![p])) { a += v[p]; c++; }
    return c ? a / c : 0;
  });
  const data = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    let g = 0;
    for (let s = 0; s < inputs.length; s++) g += w[s] * (!inputs[s].coverage || inputs[s].coverage![p] ? vals[s][p] : fill[s]);
    data[p] = g;
  }
  return { ...mean, data, meta: { ...mean.meta, seriesDescription: `stroke guide (${inputs.map((x, s) => `${x.name} ${w[s].toFixed(2)}`).join(', ')})` } };
}

export function makeGuide(kind: GuideKind, inputs: SequenceInput[], scribbles: Uint8Array): Volume {
  return kind === 'strokes' ? strokeGuide(inputs, scribbles) : fusedGuide(inputs);
}
