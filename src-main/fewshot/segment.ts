/**
 * The prediction pipeline: head probabilities → (optional) spatial refinement → labels + uncertainty, streamed
 * slice by slice in the caller's order and cancelable. Refinement levels exist so the benchmark can measure what
 * each step is worth: 'none' (head argmax), 'connected' (head argmax, keeping only 3D components that touch a
 * stroke of their class), 'propagate' (competitive geodesic propagation from the strokes, the default).
 */
import { BACKGROUND_ID, MedSegError, forEachLabeled, type Vec3, type Volume } from '../../src-shared';
import type { FeatureVolume } from '../features/types';
import { gaussianSmooth } from '../features/filters/convolve';
import { intensityMode, normalizeIntensity } from '../features/filters/normalize';
import { assertHeadMatches, type TrainedHead } from './head';
import { predictProbabilities, scoreVoxels } from './predict';
import { uniformBlocks, propagateBand, coarseFactors, coarseFeatureVolume, levelFor, parentOf, parentVotes, seedVotes, strokeLevelSeeds, votesToSeeds, propagateCoarse, pyramidFactors, COARSE_BUDGET, type CoarseLevel, type PyramidOptions } from './multires';
import { CT_BAND_BALANCE, propagate, type BandBalance, type PropagationParams } from './propagate';
import { outsideAir } from './roi';
import { labeledClasses } from './samples';

export type RefineLevel = 'none' | 'connected' | 'propagate';

/**
 * Locked classes: every voxel whose `labels` value (a previous prediction, 0 = background) is one of `classIds`
 * keeps that class, and no other voxel may become one of them.
 */
export interface LockedClasses {
  classIds: number[];
  labels: Uint8Array;
}

export interface SegmentInput {
  volume: Volume;
  features: FeatureVolume;
  scribbles: Uint8Array;
  head: TrainedHead;
  locked?: LockedClasses;
  /** Slices to deliver first (e.g. the visible ones); the rest follow in ascending order. */
  order?: number[];
  signal?: AbortSignal;
  onSlice?: (k: number, labels: Uint8Array, uncertainty: Uint8Array) => void;
  refine?: RefineLevel;
  propagation?: Partial<PropagationParams>;
  /** Id of the backbone that made `features`; when given it must be the head's (HEAD_MISMATCH otherwise). */
  backboneId?: string;
  /**
   * 'auto' (default): propagate on a coarse grid of at most `coarseBudget` blocks and refine boundaries at full
   * resolution (multires.ts) when the volume is larger than that; 'full': every step on every voxel.
   */
  resolution?: 'auto' | 'full';
  coarseBudget?: number;
  /** Levels above and below the coarse grid (multires.ts pyramidFactors); default one of each where they fit. */
  pyramid?: PyramidOptions;
  /**
   * The propagation's balance on the finer levels' bands (propagate.ts BandBalance). Default: CT_BAND_BALANCE for CT,
   * none for other modalities; null: the top level's parameters everywhere (the benchmark's ablation).
   */
  bandBalance?: BandBalance | null;
}

/** The propagation parameters of a band: the caller's, with the band balance of the study's modality on top. */
export function bandParams(inp: Pick<SegmentInput, 'volume' | 'propagation' | 'bandBalance'>, band: keyof BandBalance): Partial<PropagationParams> | undefined {
  const balance = inp.bandBalance === undefined ? (inp.volume.modality === 'CT' ? CT_BAND_BALANCE : null) : inp.bandBalance;
  const over = balance?.[band];
  return over ? { ...inp.propagation, ...over } : inp.propagation;
}

export interface SegmentResult {
  /** Prediction map: 0 background, class ids otherwise. */
  labels: Uint8Array;
  /** 0 = certain … 255 = the head disagrees with the result or is split between classes. */
  uncertainty: Uint8Array;
  /** Milliseconds per step: probabilities, refine, uncertainty, total. */
  timings: Record<string, number>;
}

const edgeCache = new WeakMap<Volume, Float32Array>();

/** Lightly smoothed normalised intensity: the image the propagation reads edges from. Cached per volume. */
export function edgeImage(volume: Volume): Float32Array {
  let e = edgeCache.get(volume);
  if (!e) {
    const { data } = normalizeIntensity(volume, intensityMode(volume));
    e = gaussianSmooth(data, volume.dims as Vec3, volume.spacing as Vec3, 1);
    edgeCache.set(volume, e);
  }
  return e;
}

const outsideSeedCache = new WeakMap<Uint8Array, Map<number, Int16Array>>();

/** A new seed map with class `bgIdx` on every outside-air voxel and −1 elsewhere (copied from a cached one). */
function outsideSeeds(outside: Uint8Array, bgIdx: number): Int16Array {
  let byIdx = outsideSeedCache.get(outside);
  if (!byIdx) outsideSeedCache.set(outside, (byIdx = new Map()));
  let t = byIdx.get(bgIdx);
  if (!t) {
    t = new Int16Array(outside.length).fill(-1);
    for (let v = 0; v < outside.length; v++) if (outside[v]) t[v] = bgIdx;
    byIdx.set(bgIdx, t);
  }
  return t.slice();
}

function cancelled(): MedSegError {
  return new MedSegError('CANCELLED', 'Prediction was cancelled by a newer edit.');
}

/** Keep, per class, only the 6-connected components of `lab` that contain one of its seeds; others → fallback. */
function keepSeededComponents(lab: Uint8Array, seeds: Int16Array, dims: Vec3, fallback: number): void {
  const [nx, ny, nz] = dims;
  const n = lab.length;
  const keep = new Uint8Array(n);
  const stack = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    if (seeds[v] < 0 || keep[v] || lab[v] !== seeds[v]) continue;
    const c = lab[v];
    let top = 0;
    stack[top++] = v;
    keep[v] = 1;
    while (top > 0) {
      const u = stack[--top];
      const k = (u / (nx * ny)) | 0, r = u - k * nx * ny, j = (r / nx) | 0, i = r - j * nx;
      const nb = [i > 0 ? u - 1 : -1, i < nx - 1 ? u + 1 : -1, j > 0 ? u - nx : -1, j < ny - 1 ? u + nx : -1, k > 0 ? u - nx * ny : -1, k < nz - 1 ? u + nx * ny : -1];
      for (const w of nb) if (w >= 0 && !keep[w] && lab[w] === c) { keep[w] = 1; stack[top++] = w; }
    }
  }
  for (let v = 0; v < n; v++) if (!keep[v]) lab[v] = fallback;
}

export async function segment(inp: SegmentInput): Promise<SegmentResult> {
  const t0 = performance.now();
  const { volume, features, scribbles, head, locked, signal } = inp;
  const dims = volume.dims as Vec3;
  const n = dims[0] * dims[1] * dims[2];
  const plane = dims[0] * dims[1];
  if (signal?.aborted) throw cancelled();
  const refine = inp.refine ?? 'propagate';
  // Head-only prediction (applying a saved head) may run without strokes: pass an empty array.
  if (refine !== 'none' || scribbles.length !== 0) labeledClasses(scribbles, dims); // typed errors for empty / single-class / wrong-size labels
  assertHeadMatches(head, features, inp.backboneId);
  if (features.slices.length !== dims[2]) throw new MedSegError('GRID_MISMATCH', 'The features were computed on another image (slice count differs).');
  if (locked && locked.labels.length !== n) throw new MedSegError('GRID_MISMATCH', 'The locked labels are not on the image grid.');

  const C = head.classes.length;
  const classIndex = new Int16Array(256).fill(-1);
  head.classes.forEach((c, i) => (classIndex[c] = i));
  const lockedIdx = new Uint8Array(C);
  const lockedId = new Uint8Array(256);
  for (const id of locked?.classIds ?? []) {
    lockedId[id] = 1;
    if (classIndex[id] >= 0) lockedIdx[classIndex[id]] = 1;
  }
  const blocked = locked ? new Uint8Array(n) : undefined;
  if (locked && blocked) for (let v = 0; v < n; v++) if (lockedId[locked.labels[v]] && locked.labels[v] !== 0) blocked[v] = 1;
  // Background (0) can be locked too; then only the voxels already background keep it.
  if (locked && blocked && lockedId[0]) for (let v = 0; v < n; v++) if (locked.labels[v] === 0) blocked[v] = 1;

  // Air around the patient is background before any scoring: seeded as such and left out of the head's work. The
  // strokes override it (a stroke's class wins over the outside-air seed; a stroke no class takes leaves it).
  const bgIdx = classIndex[0];
  const outside = refine === 'propagate' && bgIdx >= 0 && !lockedIdx[bgIdx] ? outsideAir(volume, edgeImage(volume)) : null;
  const seeds = outside && !blocked ? outsideSeeds(outside, bgIdx) : new Int16Array(n).fill(-1);
  forEachLabeled(scribbles, (v) => {
    const s = scribbles[v];
    const ci = classIndex[s === BACKGROUND_ID ? 0 : s];
    if (ci >= 0 && !lockedIdx[ci]) seeds[v] = ci;
  });
  if (outside && blocked) for (let v = 0; v < n; v++) if (outside[v] && seeds[v] < 0 && !blocked[v]) seeds[v] = bgIdx;
  const budget = inp.coarseBudget ?? COARSE_BUDGET;
  if (refine === 'propagate' && inp.resolution !== 'full' && coarseFactors(dims, volume.spacing as Vec3, budget).some((f) => f > 1)) {
    return coarseToFine(inp, { dims, C, classIndex, lockedIdx, blocked, seeds, outside, budget, t0 });
  }
  const probs = new Float32Array(n * C);
  let scoreMask: Uint8Array | undefined;
  if (outside) {
    scoreMask = new Uint8Array(n);
    for (let v = 0; v < n; v++) {
      if (outside[v] && seeds[v] === bgIdx && !(blocked && blocked[v])) probs[v * C + bgIdx] = 1;
      else scoreMask[v] = 1;
    }
  }
  predictProbabilities(head, features, dims, probs, scoreMask, signal, volume.spacing as Vec3);
  for (let c = 0; c < C; c++) if (lockedIdx[c]) for (let v = 0; v < n; v++) probs[v * C + c] = 0;
  const t1 = performance.now();
  await Promise.resolve(); // a chance for an abort to land between the steps
  if (signal?.aborted) throw cancelled();

  let cls: Uint8Array;
  const argmax = (v: number): number => {
    let b = 0, bp = -1;
    for (let c = 0; c < C; c++) { const p = probs[v * C + c]; if (p > bp) { bp = p; b = c; } }
    return b;
  };
  if (refine === 'propagate') {
    cls = propagate({ dims, spacing: volume.spacing as Vec3, probs, C, image: edgeImage(volume), seeds, blocked, params: inp.propagation, signal }).labels;
    for (let v = 0; v < n; v++) if (cls[v] === 255 && !(blocked && blocked[v])) cls[v] = argmax(v);
  } else {
    cls = new Uint8Array(n);
    for (let v = 0; v < n; v++) cls[v] = seeds[v] >= 0 ? seeds[v] : argmax(v);
    if (refine === 'connected') {
      const bgIdx = classIndex[0] >= 0 ? classIndex[0] : 255;
      keepSeededComponents(cls, seeds, dims, bgIdx);
    }
  }
  const t2 = performance.now();

  const labels = new Uint8Array(n);
  const uncertainty = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    if (blocked && blocked[v]) { labels[v] = locked!.labels[v]; continue; }
    const c = cls[v];
    if (c === 255) continue;
    labels[v] = head.classes[c];
    const pc = probs[v * C + c];
    let other = 0;
    for (let q = 0; q < C; q++) if (q !== c && probs[v * C + q] > other) other = probs[v * C + q];
    const u = 1 - (pc - other);
    uncertainty[v] = u >= 1 ? 255 : u <= 0 ? 0 : Math.round(u * 255);
  }
  const t3 = performance.now();

  emitSlices(inp, labels, uncertainty, dims);
  return { labels, uncertainty, timings: { probabilities: t1 - t0, refine: t2 - t1, uncertainty: t3 - t2, total: performance.now() - t0 } };
}

interface CoarseCtx {
  dims: Vec3;
  C: number;
  classIndex: Int16Array;
  lockedIdx: Uint8Array;
  blocked: Uint8Array | undefined;
  seeds: Int16Array;
  outside: Uint8Array | null;
  budget: number;
  t0: number;
}

function uncertaintyByte(pc: number, other: number): number {
  const u = 1 - (pc - other);
  return u >= 1 ? 255 : u <= 0 ? 0 : Math.round(u * 255);
}

/**
 * The class (the propagation's `got`, else the head's best of the C probabilities at p[o..]) and its uncertainty byte,
 * written to lab[at] / unc[at]. A module function, not a closure made per prediction (V8 optimised those again at
 * every update).
 */
function decide(C: number, p: Float32Array, o: number, got: number, lab: Uint8Array, unc: Uint8Array, at: number): void {
  let c = got;
  if (c === 255) { let bp = -1; for (let q = 0; q < C; q++) if (p[o + q] > bp) { bp = p[o + q]; c = q; } }
  let other = 0;
  for (let q = 0; q < C; q++) if (q !== c && p[o + q] > other) other = p[o + q];
  lab[at] = c;
  unc[at] = uncertaintyByte(p[o + c], other);
}

/** The 'propagate' refinement on a pyramid of block grids, boundaries refined per voxel (see multires.ts). */
async function coarseToFine(inp: SegmentInput, x: CoarseCtx): Promise<SegmentResult> {
  const { volume, features, head, signal, locked } = inp;
  const { dims, C, lockedIdx, blocked, seeds, outside, budget, t0 } = x;
  const spacing = volume.spacing as Vec3;
  const n = dims[0] * dims[1] * dims[2];
  const edge = edgeImage(volume);
  const levels = pyramidFactors(dims, spacing, budget, features.dim, inp.pyramid).map((f) => levelFor(features, dims, spacing, edge, outside, f));
  const tLevel = performance.now();
  const bgIdx = x.classIndex[0];
  // A block is locked when most of its voxels are; locked blocks are never entered.
  const levelBlocked = (L: CoarseLevel, lseeds: Int16Array): Uint8Array | undefined => {
    if (!blocked) return undefined;
    const cnt = new Int32Array(L.n), tot = new Int32Array(L.n);
    for (let v = 0; v < n; v++) { tot[L.blockOf[v]]++; if (blocked[v]) cnt[L.blockOf[v]]++; }
    const out = new Uint8Array(L.n);
    for (let b = 0; b < L.n; b++) if (cnt[b] * 2 > tot[b]) { out[b] = 1; lseeds[b] = -1; }
    return out;
  };

  // Top level: every block scored, the strokes (not the automatic outside-air seeds, which lose the block vote)
  // propagated over the whole block grid.
  // Seeds per block: without locked classes, each level's from its stroke voxels and outside-air counts
  // (strokeLevelSeeds, no vote array); with locked classes, the votes of a scan of every voxel on the finest level,
  // summed into the coarser ones.
  const votes: Float64Array[] = [];
  if (blocked) {
    const finest = levels[levels.length - 1];
    votes[levels.length - 1] = seedVotes(finest, seeds, inp.scribbles, C);
    for (let li = levels.length - 2; li >= 0; li--) votes[li] = parentVotes(votes[li + 1], parentOf(features, levels[li + 1], levels[li]), levels[li].n, C);
  }
  const levelSeeds = (li: number): Int16Array =>
    blocked ? votesToSeeds(votes[li], levels[li].n, C) : strokeLevelSeeds(levels[li], seeds, inp.scribbles, C, outside, bgIdx);
  let L = levels[0];
  const cseeds = levelSeeds(0);
  const cblocked = levelBlocked(L, cseeds);
  const cprobs = new Float32Array(L.n * C);
  let cmask: Uint8Array | undefined;
  if (L.outside && bgIdx >= 0) {
    cmask = new Uint8Array(L.n);
    for (let b = 0; b < L.n; b++) { if (L.outside[b]) cprobs[b * C + bgIdx] = 1; else cmask[b] = 1; }
  }
  predictProbabilities(head, coarseFeatureVolume(L, features.names), L.dims, cprobs, cmask, signal, L.spacing);
  for (let c = 0; c < C; c++) if (lockedIdx[c]) for (let b = 0; b < L.n; b++) cprobs[b * C + c] = 0;
  const t1 = performance.now();
  await Promise.resolve();
  if (signal?.aborted) throw cancelled();
  let clab = propagateCoarse(L, cprobs, C, cseeds, cblocked, inp.propagation, signal);
  let cunc = new Uint8Array(L.n);
  for (let b = 0; b < L.n; b++) {
    if (clab[b] === 255 && cblocked && cblocked[b]) continue;
    decide(C, cprobs, b * C, clab[b], clab, cunc, b);
  }
  let uniform = uniformBlocks(L, clab);
  const t2 = performance.now();
  const bands: number[] = [];
  const blockParams = bandParams(inp, 'blocks');

  // Each finer level: blocks inside a uniform parent copy it; the others (the band) are scored and decided by the
  // propagation again, their neighbours outside the band acting as sources of their class.
  for (let li = 1; li < levels.length; li++) {
    const P = L, pl = clab, pu = cunc, puni = uniform;
    L = levels[li];
    const par = parentOf(features, L, P);
    const lseeds = levelSeeds(li);
    const lblocked = levelBlocked(L, lseeds);
    const lab = new Uint8Array(L.n).fill(255), unc = new Uint8Array(L.n);
    const bandIndex = new Int32Array(L.n);
    const m = levelCopyPass(L.n, par, puni, pl, pu, lab, unc, bandIndex, lblocked);
    bands.push(m);
    if (m > 0) {
      const band = new Int32Array(m);
      for (let b = 0; b < L.n; b++) if (bandIndex[b] >= 0) band[bandIndex[b]] = b;
      const pb = new Float32Array(m * C);
      // Outside-air blocks are background without scoring, as on the top level.
      const toScore = new Int32Array(m);
      let ns = 0;
      for (let t = 0; t < m; t++) {
        if (L.outside && bgIdx >= 0 && L.outside[band[t]]) pb[t * C + bgIdx] = 1;
        else toScore[ns++] = t;
      }
      const sv = new Int32Array(ns);
      for (let r = 0; r < ns; r++) sv[r] = band[toScore[r]];
      const ps = new Float32Array(ns * C);
      scoreVoxels(head, coarseFeatureVolume(L, features.names), L.dims, L.spacing, sv, ps, signal);
      for (let r = 0; r < ns; r++) { const o = toScore[r] * C, so = r * C; for (let c = 0; c < C; c++) pb[o + c] = ps[so + c]; }
      for (let c = 0; c < C; c++) if (lockedIdx[c]) for (let t = 0; t < m; t++) pb[t * C + c] = 0;
      const lb = propagateBand({ dims: L.dims, spacing: L.spacing, barrier: L.barrier, band, bandIndex, probs: pb, C, params: blockParams, signal, seeds: lseeds, blocked: lblocked, blockLabel: pl, blockOf: par });
      for (let t = 0; t < m; t++) decide(C, pb, t * C, lb[t], lab, unc, band[t]);
    }
    clab = lab; cunc = unc;
    uniform = uniformBlocks(L, clab);
  }
  const t2b = performance.now();

  // Full resolution: strokes and locked voxels as given, voxels of uniform blocks copy their block's class, and the
  // band between regions is decided by the propagation again, per voxel (boundaries follow the image, not blocks).
  const labels = new Uint8Array(n), uncertainty = new Uint8Array(n);
  const { blockOf } = L;
  const bandIndex = new Int32Array(n).fill(-1);
  // Band voxels in ascending order, collected in the same pass (at most every voxel).
  const bandAll = new Int32Array(n);
  // Per block its class id, −1 when not uniform, so the pass over every voxel reads one value per block
  // (uniformBlocks marks only reached blocks uniform).
  const classes = head.classes;
  const blockCls = new Int16Array(L.n).fill(-1);
  for (let b = 0; b < L.n; b++) if (uniform[b]) blockCls[b] = classes[clab[b]];
  const classId = Uint8Array.from(classes);
  const bandN = blocked
    ? fullResolutionPass(n, blockOf, blockCls, cunc, seeds, classId, labels, uncertainty, bandIndex, bandAll, blocked, locked!.labels)
    : fullResolutionPass(n, blockOf, blockCls, cunc, seeds, classId, labels, uncertainty, bandIndex, bandAll);
  let tBand0 = 0, tBand1 = 0;
  if (bandN > 0) {
    const band = bandAll.subarray(0, bandN);
    const pb = new Float32Array(bandN * C);
    tBand0 = performance.now();
    scoreVoxels(head, features, dims, spacing, band, pb, signal);
    tBand1 = performance.now();
    for (let c = 0; c < C; c++) if (lockedIdx[c]) for (let t = 0; t < bandN; t++) pb[t * C + c] = 0;
    const lb = propagateBand({ dims, spacing, image: edge, band, bandIndex, probs: pb, C, params: bandParams(inp, 'voxels'), signal, seeds, blocked, blockLabel: clab, blockOf });
    const cls = new Uint8Array(bandN), ub = new Uint8Array(bandN);
    for (let t = 0; t < bandN; t++) decide(C, pb, t * C, lb[t], cls, ub, t);
    for (let t = 0; t < bandN; t++) { labels[band[t]] = head.classes[cls[t]]; uncertainty[band[t]] = ub[t]; }
  }
  const t3 = performance.now();
  emitSlices(inp, labels, uncertainty, dims);
  return {
    labels, uncertainty,
    timings: {
      band: bandN, level: tLevel - t0, probabilities: t1 - tLevel, refine: t2 - t1, levels: t2b - t2, fine: t3 - t2b,
      bandScore: tBand1 - tBand0, bandPropagate: tBand1 ? t3 - tBand1 : 0, total: performance.now() - t0, blocks: levels[0].n,
      ...Object.fromEntries(bands.map((m, i) => [`band${i + 1}`, m])),
    },
  };
}

/**
 * A finer level's pass over its blocks: a block under a uniform parent copies the parent's class and uncertainty,
 * the others are numbered into the band (bandIndex, −1 elsewhere); locked blocks stay out of both. Returns the band's
 * size.
 */
function levelCopyPass(n: number, par: Int32Array, puni: Uint8Array, pl: Uint8Array, pu: Uint8Array, lab: Uint8Array, unc: Uint8Array, bandIndex: Int32Array, lblocked?: Uint8Array): number {
  let m = 0;
  for (let b = 0; b < n; b++) {
    bandIndex[b] = -1;
    if (lblocked && lblocked[b]) continue;
    const p = par[b];
    if (puni[p]) { lab[b] = pl[p]; unc[b] = pu[p]; } else bandIndex[b] = m++;
  }
  return m;
}

/**
 * The pass over every voxel after the block levels: locked voxels keep their label, voxels of uniform blocks take the
 * block's class (a stroke's own class where one lies), the others join the band. Returns the band's size.
 */
function fullResolutionPass(n: number, blockOf: Int32Array, blockCls: Int16Array, cunc: Uint8Array, seeds: Int16Array, classId: Uint8Array,
  labels: Uint8Array, uncertainty: Uint8Array, bandIndex: Int32Array, bandAll: Int32Array, blocked?: Uint8Array, lockedLabels?: Uint8Array): number {
  let bandN = 0;
  for (let v = 0; v < n; v++) {
    if (blocked && blocked[v]) { labels[v] = lockedLabels![v]; continue; }
    const b = blockOf[v];
    const id = blockCls[b];
    if (id >= 0) {
      const s = seeds[v];
      if (s >= 0) labels[v] = classId[s];
      else { labels[v] = id; uncertainty[v] = cunc[b]; }
      continue;
    }
    bandIndex[v] = bandN;
    bandAll[bandN++] = v;
  }
  return bandN;
}

function emitSlices(inp: SegmentInput, labels: Uint8Array, uncertainty: Uint8Array, dims: Vec3): void {
  if (!inp.onSlice) return;
  const plane = dims[0] * dims[1];
  const seen = new Uint8Array(dims[2]);
  const emit = (k: number): void => {
    if (k < 0 || k >= dims[2] || seen[k]) return;
    seen[k] = 1;
    inp.onSlice!(k, labels.subarray(k * plane, (k + 1) * plane), uncertainty.subarray(k * plane, (k + 1) * plane));
  };
  for (const k of inp.order ?? []) emit(k);
  for (let k = 0; k < dims[2]; k++) {
    if (inp.signal?.aborted) throw cancelled();
    emit(k);
  }
}

/** The slice whose mean uncertainty is highest: where a new stroke helps most ("label here next"). */
export function leastCertainSlice(uncertainty: Uint8Array, dims: Vec3): number {
  const plane = dims[0] * dims[1];
  let best = 0, bestSum = -1;
  for (let k = 0; k < dims[2]; k++) {
    let s = 0;
    for (let p = k * plane; p < (k + 1) * plane; p++) s += uncertainty[p];
    if (s > bestSum) { bestSum = s; best = k; }
  }
  return best;
}
