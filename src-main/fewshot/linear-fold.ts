/**
 * Linear heads as plain raw-feature weights: the standardisation folded into the weights, and back into a head.
 * Used wherever heads on fused features are combined or rewritten (dropped or imputed sequences, late fusion).
 */
import type { LinearHead } from './head';

/** A linear head's logits as raw-feature weights w (C×D) and bias b: standardisation folded in. */
export function unstandardise(h: LinearHead): { w: Float64Array; b: Float64Array; D: number } {
  const C = h.classes.length, D = h.backbone.dim + h.positionChannels;
  const w = new Float64Array(C * D), b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let bb = h.bias[c];
    for (let d = 0; d < D; d++) {
      const x = h.weights[c * D + d] / h.std[d];
      w[c * D + d] = x;
      bb -= x * h.mean[d];
    }
    b[c] = bb;
  }
  return { w, b, D };
}

/** A linear head (positionChannels 3, identity standardisation) from raw weights W (C×(dim+3)) and bias B. */
export function rawLinearHead(like: LinearHead, W: Float64Array, B: Float64Array, dim: number): LinearHead {
  const D = dim + 3;
  return {
    kind: 'linear', classes: like.classes.slice(), backbone: like.backbone, positionChannels: 3,
    mean: new Float32Array(D), std: new Float32Array(D).fill(1), counts: like.counts.slice(),
    weights: Float32Array.from(W), bias: Float32Array.from(B), lambda: like.lambda,
  };
}

