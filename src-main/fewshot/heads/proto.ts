/**
 * Trainer for the prototype head: a few k-means prototypes per class in normalised feature space; prediction is
 * a softmax over the negative squared distance to each class's nearest prototype (a smoothed 1-NN on
 * prototypes). Cheap to train and robust with very few labels, where a linear probe can overfit.
 */
import type { ProtoHead, BackboneRef } from '../head';
import type { SampleSet } from '../samples';
import { standardize, type FeatureStats } from '../samples';

export interface ProtoOptions {
  /** Standardise by these (the study's, samples.ts volumeStats) instead of the samples' own. */
  stats?: FeatureStats;
  /** Prototypes per class (fewer when a class has fewer samples). */
  perClass?: number;
  iterations?: number;
}

export function trainProto(s: SampleSet, backbone: BackboneRef, opts: ProtoOptions = {}): ProtoHead {
  const K = opts.perClass ?? 4;
  const iters = opts.iterations ?? 10;
  const { mean, std, z } = standardize(s, opts.stats);
  const D = s.dim;
  const protos: number[][] = [];
  const protoClass: number[] = [];
  let sumMinD = 0, cntMinD = 0;
  for (let c = 0; c < s.classes.length; c++) {
    const rows: number[] = [];
    for (let r = 0; r < s.n; r++) if (s.y[r] === c) rows.push(r);
    if (!rows.length) continue;
    const k = Math.min(K, rows.length);
    // Deterministic init: evenly spaced samples along the stroke order.
    const cent = Array.from({ length: k }, (_, i) => Array.from(z.subarray(rows[Math.floor((i * rows.length) / k)] * D, rows[Math.floor((i * rows.length) / k)] * D + D)));
    const assign = new Int32Array(rows.length);
    for (let it = 0; it < iters; it++) {
      rows.forEach((r, ri) => {
        let best = 0, bd = Infinity;
        for (let j = 0; j < k; j++) {
          let d2 = 0;
          for (let d = 0; d < D; d++) { const t = z[r * D + d] - cent[j][d]; d2 += t * t; }
          if (d2 < bd) { bd = d2; best = j; }
        }
        assign[ri] = best;
        if (it === iters - 1) { sumMinD += bd; cntMinD++; }
      });
      const acc = cent.map(() => new Float64Array(D));
      const cnt = new Float64Array(k);
      rows.forEach((r, ri) => { const j = assign[ri]; cnt[j]++; for (let d = 0; d < D; d++) acc[j][d] += z[r * D + d]; });
      for (let j = 0; j < k; j++) if (cnt[j] > 0) for (let d = 0; d < D; d++) cent[j][d] = acc[j][d] / cnt[j];
    }
    for (const p of cent) { protos.push(p); protoClass.push(c); }
  }
  // Temperature = the typical within-class squared distance, so probabilities are neither all 0/1 nor flat.
  const temperature = Math.max(1e-3, cntMinD ? sumMinD / cntMinD : D);
  return {
    kind: 'proto',
    classes: s.classes.slice(),
    backbone,
    positionChannels: 0,
    mean,
    std,
    counts: s.counts.slice(),
    prototypes: Float32Array.from(protos.flat()),
    protoClass: Uint8Array.from(protoClass),
    temperature,
  };
}
