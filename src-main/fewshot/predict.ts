/**
 * Scoring features with a trained head: per-voxel class probabilities, written into a caller-owned Float32Array
 * (voxel-major, C per voxel) so the hot loop allocates nothing. The linear head's normalisation is folded into
 * its weights once, which halves the work per voxel. Position channels (if the head has them) are computed
 * from the voxel index here rather than stored with the features.
 */
import type { Vec3 } from '../../src-shared';
import { MedSegError } from '../../src-shared';
import type { FeatureVolume } from '../features/types';
import type { TrainedHead } from './head';
import { positionFeatures } from './samples';

export interface CompiledHead {
  C: number;
  /** Probabilities for one feature row (backbone channels at f[fo..], position channels in pos) → out[o..o+C). */
  score(f: Float32Array, fo: number, pos: Float32Array, out: Float32Array, o: number): void;
}

function softmaxInPlace(out: Float32Array, o: number, C: number): void {
  let mx = -Infinity;
  for (let c = 0; c < C; c++) if (out[o + c] > mx) mx = out[o + c];
  let se = 0;
  for (let c = 0; c < C; c++) { const e = Math.exp(out[o + c] - mx); out[o + c] = e; se += e; }
  const inv = 1 / se;
  for (let c = 0; c < C; c++) out[o + c] *= inv;
}

export function compileHead(head: TrainedHead): CompiledHead {
  const C = head.classes.length;
  const F = head.backbone.dim;
  const P = head.positionChannels;
  const D = F + P;
  const { mean, std } = head;
  if (head.kind === 'linear') {
    const W = new Float32Array(C * D), b = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      let bb = head.bias[c];
      for (let d = 0; d < D; d++) {
        const w = head.weights[c * D + d] / std[d];
        W[c * D + d] = w;
        bb -= w * mean[d];
      }
      b[c] = bb;
    }
    return {
      C,
      score(f, fo, pos, out, o) {
        for (let c = 0; c < C; c++) {
          let s = b[c];
          const wc = c * D;
          for (let d = 0; d < F; d++) s += W[wc + d] * f[fo + d];
          for (let d = 0; d < P; d++) s += W[wc + F + d] * pos[d];
          out[o + c] = s;
        }
        softmaxInPlace(out, o, C);
      },
    };
  }
  const NP = head.protoClass.length;
  const protos = head.prototypes, pc = head.protoClass;
  const invT = 1 / head.temperature;
  const zrow = new Float32Array(D);
  const best = new Float32Array(C);
  const istd = Float32Array.from(std, (s) => 1 / s);
  return {
    C,
    score(f, fo, pos, out, o) {
      for (let d = 0; d < F; d++) zrow[d] = (f[fo + d] - mean[d]) * istd[d];
      for (let d = 0; d < P; d++) zrow[F + d] = (pos[d] - mean[F + d]) * istd[F + d];
      best.fill(Infinity);
      for (let p = 0; p < NP; p++) {
        let d2 = 0;
        const po = p * D;
        for (let d = 0; d < D; d++) { const t = zrow[d] - protos[po + d]; d2 += t * t; }
        if (d2 < best[pc[p]]) best[pc[p]] = d2;
      }
      let mn = Infinity;
      for (let c = 0; c < C; c++) if (best[c] < mn) mn = best[c];
      for (let c = 0; c < C; c++) out[o + c] = -(best[c] - mn) * invT;
      softmaxInPlace(out, o, C);
    },
  };
}

/**
 * Probabilities for the voxels where `mask` is non-zero (all when absent); others are left untouched.
 * Checks the abort signal once per slice. `spacing` places the position channels (default 1 mm).
 */
export function predictProbabilities(head: TrainedHead, features: FeatureVolume, dims: Vec3, out: Float32Array, mask?: Uint8Array, signal?: AbortSignal, spacing: Vec3 = [1, 1, 1]): void {
  const ch = compileHead(head);
  const C = ch.C, D = features.dim;
  const plane = dims[0] * dims[1];
  const pos = new Float32Array(Math.max(1, head.positionChannels));
  for (let k = 0; k < dims[2]; k++) {
    if (signal?.aborted) throw new MedSegError('CANCELLED', 'Prediction was cancelled by a newer edit.');
    const sl = features.slices[k];
    if (!sl) throw new MedSegError('INVALID_ARGUMENT', `Features for slice ${k} are not computed yet.`);
    const base = k * plane;
    for (let p = 0; p < plane; p++) {
      const v = base + p;
      if (mask && !mask[v]) continue;
      if (head.positionChannels) positionFeatures(v, dims, spacing, pos, 0);
      ch.score(sl, p * D, pos, out, v * C);
    }
  }
}
