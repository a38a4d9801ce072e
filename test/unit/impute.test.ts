/**
 * Imputing a missing sequence (fewshot/impute.ts). Known answers:
 * - a group that IS a linear function of the others is recovered (R² ≈ 1, predicted values equal the true ones);
 * - the folded imputed head equals, logit for logit, the all-present head applied to features where the missing
 *   group was replaced by its prediction, both on a study that really lacks the sequence (group zero, others scaled
 *   by S/P) and through dropFromHead (the benchmark's "left out" on full features);
 * - blending heads is a mix of logits; the predicted intensity is the predicted `intensity` channel;
 * - presenceHead serves a one-missing pattern with the blend, the file keeps the regressions bit for bit, and a
 *   damaged file is HEAD_INVALID.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MedSegError } from '../../src-shared';
import { createFilterBackbone, simulateAnnotation, type LinearHead } from '../../src-main/fewshot';
import type { FeatureVolume } from '../../src-main/features/types';
import { createMultiSequenceBackbone, dropSequencesInPlace, fusedGuide, fusedLayout, groupOffset, presenceChannel, type FusedLayout, type MultiSequenceBackbone } from '../../src-main/features/multiseq';
import { blendLinearHeads, fitImputations, IMPUTE_MAX_WIDTH, imputedHead, imputedIntensity } from '../../src-main/fewshot/impute';
import { dropFromHead, presenceHead, trainPresenceHeads, type PresenceHeads } from '../../src-main/fewshot/multiseq';
import { loadedHeadFromJson, presenceHeadsToJson } from '../../src-main/fewshot/serialize';
import { SYN_DIMS, linearMargin, synStudy } from './helpers/multiseq-synthetic';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** Three sequences of G = 3 channels; C's channels are exact linear functions of A's and B's (known coefficients). */
function linearStudy(): { L: FusedLayout; fused: FeatureVolume; coef: number[][] } {
  const L = fusedLayout(['A', 'B', 'C'], ['intensity', 'u', 'v']);
  const rand = lcg(11);
  const coef = [0, 1, 2].map((e) => [...Array(6)].map((_, i) => ((e + 1) * (i + 2)) % 5 - 2 + 0.25 * e).concat([e - 1]));
  const plane = SYN_DIMS[0] * SYN_DIMS[1];
  const slices = [...Array(SYN_DIMS[2])].map(() => {
    const sl = new Float32Array(plane * L.dim);
    for (let p = 0; p < plane; p++) {
      const o = p * L.dim;
      const x = [...Array(6)].map(() => rand() * 4 - 2);
      for (let d = 0; d < 6; d++) sl[o + d] = x[d];
      for (let e = 0; e < 3; e++) sl[o + 6 + e] = coef[e].slice(0, 6).reduce((a, c, i) => a + c * x[i], coef[e][6]);
      for (let s = 0; s < 3; s++) sl[o + presenceChannel(L, s)] = 1;
    }
    return sl;
  });
  return { L, fused: { dim: L.dim, slices, names: [] }, coef };
}

/** A study that really lacks sequence m: its group zero and presence 0, the others and their flags times S/(S−1). */
function withoutSequence(f: FeatureVolume, L: FusedLayout, m: number): FeatureVolume {
  const S = L.sequences.length, r = S / (S - 1);
  return {
    ...f,
    slices: f.slices.map((sl) => {
      const out = sl!.slice();
      for (let o = 0; o < out.length; o += L.dim) {
        for (let s = 0; s < S; s++) {
          const off = o + groupOffset(L, s);
          for (let d = 0; d < L.perSequence; d++) out[off + d] = s === m ? 0 : out[off + d] * r;
          out[o + presenceChannel(L, s)] = s === m ? 0 : r;
        }
      }
      return out;
    }),
  };
}

describe('fitImputations', () => {
  it('recovers a group that is a linear function of the others (R² ≈ 1, the same values)', () => {
    const { L, fused, coef } = linearStudy();
    const imp = fitImputations(fused, L, { ridge: 1e-9 }).C;
    expect(imp.kept).toEqual(['A', 'B']);
    expect(imp.weights.length).toBe((2 * 3 + 1) * 3);
    for (const r2 of imp.r2) expect(r2).toBeGreaterThan(0.9999);
    for (let e = 0; e < 3; e++) {
      for (let i = 0; i < 6; i++) expect(imp.weights[i * 3 + e]).toBeCloseTo(coef[e][i], 3);
      expect(imp.weights[6 * 3 + e]).toBeCloseTo(coef[e][6], 3);
    }
    // The predicted intensity (channel 0 of C) at every voxel, also where the others carry the S/P scaling.
    const pred = imputedIntensity(withoutSequence(fused, L, 2), L, imp)!;
    const sl = fused.slices[3]!;
    const plane = SYN_DIMS[0] * SYN_DIMS[1];
    for (const p of [0, 17, 999]) expect(pred[3 * plane + p]).toBeCloseTo(sl[p * L.dim + 6], 3);
  });

  it('is cached per feature volume and empty for a single sequence', () => {
    const { L, fused } = linearStudy();
    expect(fitImputations(fused, L)).toBe(fitImputations(fused, L));
    const L1 = fusedLayout(['A'], ['intensity']);
    const one: FeatureVolume = { dim: 2, names: [], slices: [Float32Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : i))] };
    expect(fitImputations(one, L1)).toEqual({});
    // Too wide (DINOv2-sized groups): no imputation, the leave-one-out heads serve alone.
    const wide = fusedLayout(['A', 'B'], [...Array(IMPUTE_MAX_WIDTH / 2 + 1)].map((_, i) => `c${i}`));
    const wf: FeatureVolume = { dim: wide.dim, names: [], slices: [new Float32Array(wide.dim * 10)] };
    expect(fitImputations(wf, wide)).toEqual({});
  });
});

describe('imputed heads on the synthetic three-sequence study', () => {
  const { lesion, sequences } = synStudy();
  let mb: MultiSequenceBackbone;
  let fused: FeatureVolume;
  let ph: PresenceHeads;
  const probe = Array.from({ length: 150 }, (_, t) => Math.floor(((t * 7919) % 1000) / 1000 * SYN_DIMS[0] * SYN_DIMS[1] * SYN_DIMS[2]));

  beforeAll(async () => {
    mb = createMultiSequenceBackbone(createFilterBackbone(), sequences.map((s) => s.name));
    fused = await mb.extract(sequences);
    const { scribbles } = simulateAnnotation({ reference: lesion, image: fusedGuide(sequences).data, dims: SYN_DIMS, modality: 'MR', classes: [1], k: 3, mode: 'scribble' });
    ph = trainPresenceHeads('linear', fused, mb.layout, scribbles, SYN_DIMS, { backbone: { id: mb.id }, dropout: { maxDropped: 1, copiesPerSample: 1 }, impute: 0.75 });
  }, 120_000);

  it('the folded head equals the all-present head on the imputed features, really missing or left out by folding', () => {
    const L = mb.layout, m = 0;
    const imp = ph.imputed!.A;
    // The trained head with a weight on A's presence flag as well (a flag that is constant where it was trained has
    // none), so that the flag's part in the fold is checked too.
    const trained = ph.full as LinearHead;
    const D = trained.backbone.dim + trained.positionChannels;
    const weights = trained.weights.slice();
    weights[D + presenceChannel(L, m)] += 0.8;
    const full: LinearHead = { ...trained, weights };
    const folded = imputedHead(full, L, imp);
    // The features with A's group replaced by its prediction from B and C, everything present.
    const G = L.perSequence, K = imp.kept.length * G;
    const filled: FeatureVolume = {
      ...fused,
      slices: fused.slices.map((sl) => {
        const out = sl!.slice();
        for (let o = 0; o < out.length; o += L.dim) {
          for (let e = 0; e < G; e++) {
            let v = imp.weights[K * G + e];
            imp.kept.forEach((name, q) => {
              const off = o + groupOffset(L, L.sequences.indexOf(name));
              for (let d = 0; d < G; d++) v += sl![off + d] * imp.weights[(q * G + d) * G + e];
            });
            out[o + groupOffset(L, m) + e] = v;
          }
        }
        return out;
      }),
    };
    const missing = withoutSequence(fused, L, m);
    const viaDrop = dropFromHead(folded, L, ['A']);
    for (const v of probe) {
      const want = linearMargin(full, filled, v);
      expect(Math.abs(linearMargin(folded, missing, v) - want)).toBeLessThan(1e-3 * (1 + Math.abs(want)));
      expect(Math.abs(linearMargin(viaDrop, fused, v) - want)).toBeLessThan(1e-3 * (1 + Math.abs(want)));
    }
    // A real study without A (the features zeroed in place, as a missing sequence is stored) gives the same too.
    const restore = dropSequencesInPlace(fused, L, ['A']);
    try {
      for (const v of probe.slice(0, 40)) expect(linearMargin(folded, fused, v)).toBeCloseTo(linearMargin(folded, missing, v), 3);
    } finally {
      restore();
    }
  });

  it('a blend is the mix of the two heads\' logits', () => {
    const a = ph.full as LinearHead, b = ph.leaveOneOut.B as LinearHead;
    const mix = blendLinearHeads(a, b, 0.3)!;
    for (const v of probe.slice(0, 50)) {
      const want = 0.3 * linearMargin(a, fused, v) + 0.7 * linearMargin(b, fused, v);
      expect(Math.abs(linearMargin(mix, fused, v) - want)).toBeLessThan(1e-3 * (1 + Math.abs(want)));
    }
    expect(blendLinearHeads(a, { ...b, classes: [0, 2] }, 0.5)).toBeNull();
  });

  it('presenceHead: one missing → the blend of the imputed head and its leave-one-out head; weight 0 → the leave-one-out head', () => {
    const r = presenceHead(ph, ['A', 'C']);
    expect(r.pattern).toBe('without B (imputed)');
    expect(r.imputation).toBe(ph.imputed!.B);
    const want = blendLinearHeads(imputedHead(ph.full as LinearHead, mb.layout, ph.imputed!.B), ph.leaveOneOut.B, 0.75)!;
    expect(Array.from(r.head.kind === 'linear' ? r.head.weights : [])).toEqual(Array.from(want.weights));
    expect(presenceHead({ ...ph, imputeWeight: 0 }, ['A', 'C'])).toEqual({ head: ph.leaveOneOut.B, pattern: 'without B' });
    expect(presenceHead(ph, ['A', 'B', 'C']).pattern).toBe('all');
    expect(presenceHead(ph, ['C']).pattern).toBe('dropout');
  });

  it('the head file keeps the regressions bit for bit; damaged ones are HEAD_INVALID', () => {
    const json = presenceHeadsToJson(ph);
    const back = loadedHeadFromJson(json).presence!;
    expect(back.imputeWeight).toBe(0.75);
    for (const s of ['A', 'B', 'C']) {
      expect(back.imputed![s].kept).toEqual(ph.imputed![s].kept);
      expect(Array.from(back.imputed![s].weights)).toEqual(Array.from(ph.imputed![s].weights));
    }
    const h1 = presenceHead(back, ['B', 'C']).head as LinearHead, h0 = presenceHead(ph, ['B', 'C']).head as LinearHead;
    expect(Array.from(h1.weights)).toEqual(Array.from(h0.weights));
    const doc = JSON.parse(json);
    const bad = (mut: (d: any) => void): unknown => {
      const d = JSON.parse(json);
      mut(d);
      try {
        loadedHeadFromJson(JSON.stringify(d));
        return 'loaded';
      } catch (e) {
        return e instanceof MedSegError ? e.code : e;
      }
    };
    expect(doc.presence.imputed.A.kept).toEqual(['B', 'C']);
    expect(bad((d) => { d.presence.imputed.A.weights = d.presence.imputed.B.r2; })).toBe('HEAD_INVALID');
    expect(bad((d) => { d.presence.imputed.A.kept = ['B', 'Z']; })).toBe('HEAD_INVALID');
    expect(bad((d) => { d.presence.imputed.A.kept = ['A', 'B']; })).toBe('HEAD_INVALID');
  });
});
