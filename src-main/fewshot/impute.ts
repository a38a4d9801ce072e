/**
 * IMPUTING A MISSING SEQUENCE. A head trained on a study with every sequence present learns most of what it knows
 * from the most telling one (for a brain tumour's oedema, FLAIR). When that sequence is missing, a head fitted on the
 * few labeled voxels without it (the leave-one-out head) has to learn the structure again from the others, and with
 * a handful of strokes it cannot. But the study it was trained on holds far more than the strokes: every voxel shows
 * how the missing sequence's features relate to the others'. A ridge regression fitted on those voxels (no labels
 * needed) predicts the missing group from the groups present, and the all-present head applied to
 * [present features, predicted features] is again a linear head on the present features alone, so it is folded
 * into one (imputedHead) and costs nothing at prediction time. It is blended with the leave-one-out head, which
 * learns from the labels what the regression misses (blendLinearHeads; the weight is chosen on the benchmark's
 * annotations, see bench/report.md). The predicted intensity of the missing sequence also joins the propagation's
 * guide image, so the region stops at the edges the missing sequence would have shown.
 *
 * The regressions depend only on the images, not on the strokes: they are fitted once per feature volume and kept
 * (like the block features in multires.ts), and saved with the presence heads so that a head carried to a study that
 * lacks a sequence brings them along.
 *
 * Hand-written: a ridge solve on a Gram matrix of at most a few hundred channels (Cholesky), which needs no
 * linear-algebra dependency.
 */
import { MedSegError } from '../../src-shared';
import type { FeatureVolume } from '../features/types';
import { groupOffset, presenceChannel, type FusedLayout } from '../features/multiseq';
import type { LinearHead, TrainedHead } from './head';
import { rawLinearHead, unstandardise } from './linear-fold';

export interface SequenceImputation {
  /** The sequence predicted (layout spelling). */
  missing: string;
  /** The sequences it is predicted from, in layout order. */
  kept: string[];
  /**
   * (kept.length · G + 1) × G, row-major: row = one input channel (the kept groups' raw channels in order, then the
   * constant 1), column = one channel of the missing group.
   */
  weights: Float32Array;
  /** Per channel of the missing group: R² of the prediction on the voxels it was fitted on. */
  r2: Float32Array;
}

/**
 * Largest fused width (sequences × channels per sequence) that gets imputations: the Gram matrix costs
 * samples × width² / 2 multiply-adds, about 0.2 s for the filter bank's 4 × 45 on a 2-core CPU but over 10 s for
 * 4 × 384 DINOv2 channels. Wider layouts keep the leave-one-out heads alone.
 */
export const IMPUTE_MAX_WIDTH = 600;

export interface ImputeOptions {
  /** Voxels sampled (evenly over the voxels every sequence covers). Default 12000. */
  maxSamples?: number;
  /** Ridge on the diagonal, times the sample count. Default 1e-3. */
  ridge?: number;
}

/** Default share of the imputed head in the blend with the leave-one-out head (see bench/report.md). */
export const IMPUTE_WEIGHT = 0.75;

const fitCache = new WeakMap<FeatureVolume, Map<string, Record<string, SequenceImputation>>>();

/**
 * One regression per sequence: its group from the other groups, on voxels every sequence covers. Empty when the
 * study has fewer than two sequences, a layout wider than IMPUTE_MAX_WIDTH, or too few covered voxels to fit.
 * Cached per feature volume and layout.
 */
export function fitImputations(fused: FeatureVolume, L: FusedLayout, o: ImputeOptions = {}): Record<string, SequenceImputation> {
  const key = `${L.sequences.join(',')}|${o.maxSamples ?? ''}|${o.ridge ?? ''}`;
  const hit = fitCache.get(fused)?.get(key);
  if (hit) return hit;
  const S = L.sequences.length, G = L.perSequence, F = L.dim;
  if (fused.dim !== F) throw new MedSegError('INVALID_ARGUMENT', `The fused features have ${fused.dim} channels; the layout expects ${F}.`);
  const out: Record<string, SequenceImputation> = {};
  if (S < 2 || S * G > IMPUTE_MAX_WIDTH) return remember(fused, key, out);
  const Q = S * G + 1;
  const pcs = Int32Array.from(L.sequences, (_, s) => presenceChannel(L, s));
  const offs = Int32Array.from(L.sequences, (_, s) => groupOffset(L, s));
  const total = fused.slices.reduce((a, sl) => a + (sl ? sl.length / F : 0), 0);
  const maxSamples = o.maxSamples ?? 8000;
  // Every stride-th voxel that all sequences cover, in one pass (channel-major, so each Gram entry below is one
  // contiguous dot product).
  const stride = Math.max(1, Math.floor(total / maxSamples));
  const cap = Math.ceil(total / stride);
  const xt = new Float64Array(Q * cap);
  let n = 0, at = 0;
  for (const sl of fused.slices) {
    if (!sl) continue;
    const start = (stride - (at % stride)) % stride;
    at += sl.length / F;
    for (let v = start * F; v < sl.length; v += stride * F) {
      let all = true;
      for (let s = 0; s < S; s++) if (!(sl[v + pcs[s]] > 0)) { all = false; break; }
      if (!all) continue;
      for (let s = 0; s < S; s++) {
        const f = sl[v + pcs[s]], off = v + offs[s];
        for (let d = 0; d < G; d++) xt[(s * G + d) * cap + n] = sl[off + d] / f;
      }
      xt[(Q - 1) * cap + n] = 1;
      n++;
    }
  }
  if (S >= 2 && n >= 4 * Q) {
    const gram = new Float64Array(Q * Q);
    for (let a = 0; a < Q; a++) {
      const ra = a * cap;
      for (let b = a; b < Q; b++) {
        const rb = b * cap;
        let t = 0;
        for (let i = 0; i < n; i++) t += xt[ra + i] * xt[rb + i];
        gram[a * Q + b] = t;
      }
    }
    for (let a = 0; a < Q; a++) for (let b = 0; b < a; b++) gram[a * Q + b] = gram[b * Q + a];
    const lam = (o.ridge ?? 1e-3) * n;
    for (let m = 0; m < S; m++) {
      const kept = [...Array(S).keys()].filter((s) => s !== m);
      const idx = [...kept.flatMap((s) => [...Array(G).keys()].map((d) => s * G + d)), Q - 1];
      const P = idx.length;
      const A = new Float64Array(P * P), B = new Float64Array(P * G);
      for (let i = 0; i < P; i++) {
        for (let j = 0; j < P; j++) A[i * P + j] = gram[idx[i] * Q + idx[j]];
        if (i < P - 1) A[i * P + i] += lam;
        for (let e = 0; e < G; e++) B[i * G + e] = gram[idx[i] * Q + m * G + e];
      }
      const W = choleskySolve(A, B, P, G);
      if (!W) continue;
      // R² on the fitted voxels from the Gram matrix itself: SSE = yᵀy − 2 wᵀXᵀy + wᵀXᵀXw (unregularised XᵀX).
      const r2 = new Float32Array(G);
      const cst = Q - 1;
      for (let e = 0; e < G; e++) {
        const ye = m * G + e;
        let sse = gram[ye * Q + ye];
        for (let i = 0; i < P; i++) {
          const wi = W[i * G + e];
          sse -= 2 * wi * gram[idx[i] * Q + ye];
          let t = 0;
          for (let j = 0; j < P; j++) t += gram[idx[i] * Q + idx[j]] * W[j * G + e];
          sse += wi * t;
        }
        const sy = gram[ye * Q + cst], vary = gram[ye * Q + ye] - (sy * sy) / n;
        r2[e] = vary > 1e-12 ? Math.max(0, 1 - sse / vary) : 1;
      }
      out[L.sequences[m]] = { missing: L.sequences[m], kept: kept.map((s) => L.sequences[s]), weights: Float32Array.from(W), r2 };
    }
  }
  return remember(fused, key, out);
}

function remember(fused: FeatureVolume, key: string, out: Record<string, SequenceImputation>): Record<string, SequenceImputation> {
  let byKey = fitCache.get(fused);
  if (!byKey) fitCache.set(fused, (byKey = new Map()));
  byKey.set(key, out);
  return out;
}

/** Solves A X = B for symmetric positive definite A (P×P) and B (P×K); null when A is not positive definite. */
function choleskySolve(A: Float64Array, B: Float64Array, P: number, K: number): Float64Array | null {
  const Lc = new Float64Array(P * P);
  for (let i = 0; i < P; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * P + j];
      for (let k = 0; k < j; k++) s -= Lc[i * P + k] * Lc[j * P + k];
      if (i === j) {
        if (!(s > 0)) return null;
        Lc[i * P + i] = Math.sqrt(s);
      } else Lc[i * P + j] = s / Lc[j * P + j];
    }
  }
  const X = new Float64Array(P * K), z = new Float64Array(P);
  for (let c = 0; c < K; c++) {
    for (let i = 0; i < P; i++) { let s = B[i * K + c]; for (let k = 0; k < i; k++) s -= Lc[i * P + k] * z[k]; z[i] = s / Lc[i * P + i]; }
    for (let i = P - 1; i >= 0; i--) { let s = z[i]; for (let k = i + 1; k < P; k++) s -= Lc[k * P + i] * X[k * K + c]; X[i * K + c] = s / Lc[i * P + i]; }
  }
  return X;
}

/** Layout indices of an imputation's kept sequences and of the missing one (typed error when the names do not fit). */
function indicesOf(L: FusedLayout, imp: SequenceImputation): { kept: number[]; m: number } {
  const at = (name: string): number => {
    const i = L.sequences.findIndex((s) => s.toLowerCase() === name.toLowerCase());
    if (i < 0) throw new MedSegError('HEAD_MISMATCH', `The imputation of ${imp.missing} refers to a sequence "${name}" this model does not have.`);
    return i;
  };
  const kept = imp.kept.map(at), m = at(imp.missing);
  if (imp.weights.length !== (kept.length * L.perSequence + 1) * L.perSequence) throw new MedSegError('HEAD_INVALID', `The imputation of ${imp.missing} has ${imp.weights.length} weights; this layout needs ${(kept.length * L.perSequence + 1) * L.perSequence}.`);
  return { kept, m };
}

/**
 * The all-present head `full` applied to [the kept groups, the missing group predicted from them], as one linear
 * head on the features of a study that lacks the missing sequence (its group zero, presence 0, the kept groups and
 * flags scaled by S/P as features/multiseq.ts stores them). Exact: the composition of linear maps is linear.
 */
export function imputedHead(full: LinearHead, L: FusedLayout, imp: SequenceImputation): LinearHead {
  const { kept, m } = indicesOf(L, imp);
  const S = L.sequences.length, G = L.perSequence, F = L.dim, C = full.classes.length, D = F + 3;
  if (full.backbone.dim !== F) throw new MedSegError('HEAD_MISMATCH', `This head expects ${full.backbone.dim} channels; the study layout has ${F}.`);
  const u = unstandardise(full);
  const A = imp.weights, K = kept.length * G;
  const r = S / kept.length;
  const W = new Float64Array(C * D), B = Float64Array.from(u.b);
  const mo = groupOffset(L, m);
  for (let c = 0; c < C; c++) {
    const wm = (e: number): number => u.w[c * u.D + mo + e];
    kept.forEach((s, q) => {
      const off = groupOffset(L, s);
      for (let d = 0; d < G; d++) {
        let w = u.w[c * u.D + off + d];
        const row = (q * G + d) * G;
        for (let e = 0; e < G; e++) w += wm(e) * A[row + e];
        W[c * D + off + d] = w / r;
      }
      W[c * D + presenceChannel(L, s)] = u.w[c * u.D + presenceChannel(L, s)] / r;
    });
    for (let e = 0; e < G; e++) B[c] += wm(e) * A[K * G + e];
    B[c] += u.w[c * u.D + presenceChannel(L, m)];
    for (let q = 0; q < Math.min(3, full.positionChannels); q++) W[c * D + F + q] = u.w[c * u.D + F + q];
  }
  return rawLinearHead(full, W, B, F);
}

/** wa·a + (1 − wa)·b in logits, as one head; null when they cannot be combined (other kind, classes or size). */
export function blendLinearHeads(a: TrainedHead, b: TrainedHead, wa: number): LinearHead | null {
  if (a.kind !== 'linear' || b.kind !== 'linear' || a.classes.join() !== b.classes.join() || a.backbone.dim !== b.backbone.dim) return null;
  const ua = unstandardise(a), ub = unstandardise(b);
  const F = a.backbone.dim, C = a.classes.length, D = F + 3;
  const W = new Float64Array(C * D), B = new Float64Array(C);
  const put = (u: { w: Float64Array; b: Float64Array; D: number }, pc: number, k: number): void => {
    for (let c = 0; c < C; c++) {
      for (let d = 0; d < F + Math.min(3, pc); d++) W[c * D + d] += k * u.w[c * u.D + d];
      B[c] += k * u.b[c];
    }
  };
  put(ua, a.positionChannels, wa);
  put(ub, b.positionChannels, 1 - wa);
  return rawLinearHead(a, W, B, F);
}

const guideCache = new WeakMap<FeatureVolume, Map<string, Float32Array>>();

/**
 * The missing sequence's predicted intensity at every voxel (the backbone's `intensity` channel), for the guide
 * image; null when the backbone has no such channel (DINOv2). Voxels where a kept sequence is absent get the
 * regression's constant. Cached per feature volume.
 */
export function imputedIntensity(fused: FeatureVolume, L: FusedLayout, imp: SequenceImputation): Float32Array | null {
  const ci = L.groupNames.indexOf('intensity');
  if (ci < 0) return null;
  const key = `${imp.missing}|${imp.kept.join(',')}`;
  const hit = guideCache.get(fused)?.get(key);
  if (hit) return hit;
  const { kept } = indicesOf(L, imp);
  const G = L.perSequence, F = L.dim, A = imp.weights, K = kept.length * G;
  const plane = fused.slices[0] ? fused.slices[0].length / F : 0;
  const out = new Float32Array(plane * fused.slices.length);
  const col = new Float64Array(K + 1);
  for (let i = 0; i <= K; i++) col[i] = A[i * G + ci];
  fused.slices.forEach((sl, k) => {
    if (!sl) return;
    for (let p = 0; p < plane; p++) {
      const o = p * F;
      let v = col[K];
      for (let q = 0; q < kept.length; q++) {
        const f = sl[o + presenceChannel(L, kept[q])];
        if (!(f > 0)) { v = col[K]; break; }
        const off = o + groupOffset(L, kept[q]);
        let s = 0;
        for (let d = 0; d < G; d++) s += sl[off + d] * col[q * G + d];
        v += s / f;
      }
      out[k * plane + p] = v;
    }
  });
  let byKey = guideCache.get(fused);
  if (!byKey) guideCache.set(fused, (byKey = new Map()));
  byKey.set(key, out);
  return out;
}
