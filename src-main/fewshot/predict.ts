/**
 * Scoring features with a trained head: per-voxel class probabilities, written into a caller-owned Float32Array
 * (voxel-major, C per voxel) so the hot loop allocates nothing. The linear head's normalisation is folded into
 * its weights once, which halves the work per voxel.
 */
import type { Vec3 } from '../../src-shared';
import { MedSegError } from '../../src-shared';
import type { FeatureVolume } from '../features/types';
import type { TrainedHead } from './head';

export interface CompiledHead {
  C: number;
  /** Probabilities for one feature row → out[o..o+C). */
  score(f: Float32Array, fo: number, out: Float32Array, o: number): void;
}

export function compileHead(head: TrainedHead): CompiledHead {
  const C = head.classes.length;
  const D = head.backbone.dim;
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
      score(f, fo, out, o) {
        let mx = -Infinity;
        for (let c = 0; c < C; c++) {
          let s = b[c];
          const wc = c * D;
          for (let d = 0; d < D; d++) s += W[wc + d] * f[fo + d];
          out[o + c] = s;
          if (s > mx) mx = s;
        }
        let se = 0;
        for (let c = 0; c < C; c++) { const e = Math.exp(out[o + c] - mx); out[o + c] = e; se += e; }
        const inv = 1 / se;
        for (let c = 0; c < C; c++) out[o + c] *= inv;
      },
    };
  }
  const P = head.protoClass.length;
  const protos = head.prototypes, pc = head.protoClass;
  const invT = 1 / head.temperature;
  const zrow = new Float32Array(D);
  const best = new Float32Array(C);
  const istd = Float32Array.from(std, (s) => 1 / s);
  return {
    C,
    score(f, fo, out, o) {
      for (let d = 0; d < D; d++) zrow[d] = (f[fo + d] - mean[d]) * istd[d];
      best.fill(Infinity);
      for (let p = 0; p < P; p++) {
        let d2 = 0;
        const po = p * D;
        for (let d = 0; d < D; d++) { const t = zrow[d] - protos[po + d]; d2 += t * t; }
        if (d2 < best[pc[p]]) best[pc[p]] = d2;
      }
      let mn = Infinity;
      for (let c = 0; c < C; c++) if (best[c] < mn) mn = best[c];
      let se = 0;
      for (let c = 0; c < C; c++) { const e = Math.exp(-(best[c] - mn) * invT); out[o + c] = e; se += e; }
      const inv = 1 / se;
      for (let c = 0; c < C; c++) out[o + c] *= inv;
    },
  };
}

/**
 * Probabilities for the voxels where `mask` is non-zero (all when absent); others are left untouched.
 * Checks the abort signal once per slice.
 */
export function predictProbabilities(head: TrainedHead, features: FeatureVolume, dims: Vec3, out: Float32Array, mask?: Uint8Array, signal?: AbortSignal): void {
  const ch = compileHead(head);
  const C = ch.C, D = features.dim;
  const plane = dims[0] * dims[1];
  for (let k = 0; k < dims[2]; k++) {
    if (signal?.aborted) throw new MedSegError('CANCELLED', 'Prediction was cancelled by a newer edit.');
    const sl = features.slices[k];
    if (!sl) throw new MedSegError('INVALID_ARGUMENT', `Features for slice ${k} are not computed yet.`);
    const base = k * plane;
    for (let p = 0; p < plane; p++) {
      const v = base + p;
      if (mask && !mask[v]) continue;
      ch.score(sl, p * D, out, v * C);
    }
  }
}
