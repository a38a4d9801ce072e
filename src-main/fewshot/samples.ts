/**
 * Training samples from a scribble map: validation of the labels (typed errors a user can act on) and the
 * gathering of labeled voxels' features into one matrix, class-balanced and capped so training stays in
 * milliseconds however much was painted.
 */
import { BACKGROUND_ID, MedSegError, forEachLabeled, type Vec3 } from '../../src-shared';
import type { FeatureVolume } from '../features/types';

/** Prediction class id of a scribble value (255 → 0 background), or -1 for unlabeled. */
export function scribbleToClass(v: number): number {
  return v === 0 ? -1 : v === BACKGROUND_ID ? 0 : v;
}

/** Class ids present in a scribble map (prediction convention), sorted ascending; throws typed label errors. */
export function labeledClasses(scribbles: Uint8Array, dims: Vec3): number[] {
  const n = dims[0] * dims[1] * dims[2];
  if (scribbles.length !== n) {
    throw new MedSegError('GRID_MISMATCH', 'The labels do not lie on the image grid (their size differs). Resample them onto the image first.',
      { detail: `labels ${scribbles.length} voxels, image ${dims.join('×')} = ${n}` });
  }
  const seen = new Uint8Array(256);
  forEachLabeled(scribbles, (i) => { seen[scribbles[i]] = 1; });
  const classes: number[] = [];
  for (let v = 1; v < 256; v++) if (seen[v]) classes.push(scribbleToClass(v));
  classes.sort((a, b) => a - b);
  if (classes.length === 0) throw new MedSegError('LABELS_EMPTY', 'Nothing is labeled yet: paint a few strokes in at least two classes (for example the organ and background).');
  if (classes.length === 1) throw new MedSegError('LABELS_SINGLE_CLASS', 'Only one class is labeled: label at least two classes (for example background).');
  return classes;
}

export interface SampleSet {
  classes: number[];
  /** N×D features, row per sample. */
  x: Float32Array;
  /** Class index (into classes) per sample. */
  y: Uint8Array;
  n: number;
  dim: number;
  counts: number[];
}

/** Deterministic LCG, so repeated training on the same labels gives the same head. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * Position channels appended after the backbone's: x, y, z in units of 100 mm from the centre. Linear only: squared
 * terms (a bump per class) scored better on the abdominal CT but extrapolated badly on the brain tumour case
 * (Dice 0.24 vs 0.53 at k = 3, see bench/README.md).
 */
export const POSITION_CHANNELS = 3;

/**
 * Where a voxel is, as head features: lets a linear head learn a smooth spatial prior per class (left vs right
 * kidney look the same; only their place differs).
 */
export function positionFeatures(idx: number, dims: Vec3, spacing: Vec3, out: Float32Array, o: number): void {
  const plane = dims[0] * dims[1];
  const k = Math.floor(idx / plane);
  const r = idx - k * plane;
  const j = Math.floor(r / dims[0]);
  const i = r - j * dims[0];
  const x = ((i - (dims[0] - 1) / 2) * spacing[0]) / 100;
  const y = ((j - (dims[1] - 1) / 2) * spacing[1]) / 100;
  const z = ((k - (dims[2] - 1) / 2) * spacing[2]) / 100;
  out[o] = x; out[o + 1] = y; out[o + 2] = z;
}

/**
 * Default cap on training samples per class. Painting whole slices gives tens of thousands of voxels per class;
 * 1000 random ones train the head 5–8× faster for the same Dice (totalseg_ct slice mode k = 3: 0.875 with 5000,
 * 0.873 with 1000).
 */
export const MAX_PER_CLASS = 1000;

export function gatherSamples(features: FeatureVolume, scribbles: Uint8Array, dims: Vec3, maxPerClass = MAX_PER_CLASS, spacing?: Vec3): SampleSet {
  const classes = labeledClasses(scribbles, dims);
  const plane = dims[0] * dims[1];
  const fdim = features.dim;
  const dim = fdim + (spacing ? POSITION_CHANNELS : 0);
  const cidx = new Int16Array(256).fill(-1);
  classes.forEach((c, i) => (cidx[c === 0 ? BACKGROUND_ID : c] = i));
  const byClass: number[][] = classes.map(() => []);
  forEachLabeled(scribbles, (i) => { byClass[cidx[scribbles[i]]].push(i); });
  const rand = lcg(12345);
  const chosen = byClass.map((list) => {
    if (list.length <= maxPerClass) return list;
    // Partial Fisher–Yates: an unbiased subsample without sorting the whole list.
    const a = list.slice();
    for (let i = 0; i < maxPerClass; i++) {
      const j = i + Math.floor(rand() * (a.length - i));
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a.slice(0, maxPerClass);
  });
  const n = chosen.reduce((s, l) => s + l.length, 0);
  const x = new Float32Array(n * dim);
  const y = new Uint8Array(n);
  let r = 0;
  chosen.forEach((list, ci) => {
    for (const idx of list) {
      const k = Math.floor(idx / plane);
      const sl = features.slices[k];
      if (!sl) throw new MedSegError('INVALID_ARGUMENT', `Features for slice ${k} are not computed yet.`);
      x.set(sl.subarray((idx - k * plane) * fdim, (idx - k * plane + 1) * fdim), r * dim);
      if (spacing) positionFeatures(idx, dims, spacing, x, r * dim + fdim);
      y[r++] = ci;
    }
  });
  return { classes, x, y, n, dim, counts: byClass.map((l) => l.length) };
}

/** Per-channel mean/std; channels with no spread get std 1 so they contribute nothing rather than NaN. */
export interface FeatureStats {
  mean: Float32Array;
  std: Float32Array;
}

/**
 * Standardised samples. With `stats` (the whole study's, from volumeStats) every channel is centred and scaled by
 * the study's own spread; without, by the labeled samples' (all a head had before volumeStats).
 */
export function standardize(s: SampleSet, stats?: FeatureStats): { mean: Float32Array; std: Float32Array; z: Float32Array } {
  const { x, n, dim } = s;
  let mean = new Float32Array(dim), std = new Float32Array(dim);
  if (stats && stats.mean.length === dim && stats.std.length === dim) {
    mean = stats.mean.slice();
    std = stats.std.slice();
  } else {
    const acc = new Float64Array(dim), acc2 = new Float64Array(dim);
    for (let r = 0; r < n; r++) for (let d = 0; d < dim; d++) { const v = x[r * dim + d]; acc[d] += v; acc2[d] += v * v; }
    for (let d = 0; d < dim; d++) {
      const m = acc[d] / n;
      const v = acc2[d] / n - m * m;
      mean[d] = m;
      std[d] = v > 1e-12 ? Math.sqrt(v) : 1;
    }
  }
  const z = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) for (let d = 0; d < dim; d++) z[r * dim + d] = (x[r * dim + d] - mean[d]) / std[d];
  return { mean, std, z };
}

/** Voxels read for volumeStats (evenly spaced over the volume). */
const STATS_SAMPLES = 200_000;
const statsCache = new WeakMap<FeatureVolume, Map<string, FeatureStats>>();

/**
 * Mean and spread of every channel over the whole study (an even sample of at most 200 k voxels), plus the position
 * channels when `spacing` is given: what the heads standardise by. The labeled voxels alone are a few strokes on two
 * or three slices; their spread says little about how a channel varies in the study, so a head standardised by it
 * weighs channels (and its L2 penalty treats them) by accident of where the strokes fell. The study's own
 * statistics need no labels. Measured (bench/report.md, k = 1, 3, 5 × both modes): totalseg_ct k = 3 scribble
 * 0.814 → 0.832 mean Dice (kidney R 0.836 → 0.854, aorta 0.769 → 0.821), the 18 rows of totalseg_ct, totalseg_mr and
 * brain1 0.7754 → 0.7801, the second CT's 6 rows 0.9263 → 0.9295. Cached per feature volume; undefined while some
 * slice has no features yet (the caller then falls back to the samples' statistics).
 */
export function volumeStats(features: FeatureVolume, dims: Vec3, spacing?: Vec3): FeatureStats | undefined {
  const key = spacing ? spacing.join(',') : '-';
  const hit = statsCache.get(features)?.get(key);
  if (hit) return hit;
  const plane = dims[0] * dims[1];
  const n = plane * dims[2];
  const F = features.dim;
  if (features.slices.length !== dims[2] || features.slices.some((sl) => !sl || sl.length !== plane * F)) return undefined;
  const dim = F + (spacing ? POSITION_CHANNELS : 0);
  const acc = new Float64Array(dim), acc2 = new Float64Array(dim);
  const pos = new Float32Array(POSITION_CHANNELS);
  const stride = Math.max(1, Math.floor(n / STATS_SAMPLES));
  let m = 0;
  for (let v = 0; v < n; v += stride) {
    const k = Math.floor(v / plane);
    const sl = features.slices[k]!;
    const o = (v - k * plane) * F;
    for (let d = 0; d < F; d++) { const x = sl[o + d]; acc[d] += x; acc2[d] += x * x; }
    if (spacing) {
      positionFeatures(v, dims, spacing, pos, 0);
      for (let d = 0; d < POSITION_CHANNELS; d++) { acc[F + d] += pos[d]; acc2[F + d] += pos[d] * pos[d]; }
    }
    m++;
  }
  const mean = new Float32Array(dim), std = new Float32Array(dim);
  for (let d = 0; d < dim; d++) {
    const mu = acc[d] / m;
    const va = acc2[d] / m - mu * mu;
    mean[d] = mu;
    std[d] = va > 1e-12 ? Math.sqrt(va) : 1;
  }
  const stats = { mean, std };
  let byKey = statsCache.get(features);
  if (!byKey) statsCache.set(features, (byKey = new Map()));
  byKey.set(key, stats);
  return stats;
}
