/**
 * Late fusion and head folding on the synthetic three-sequence study (each sequence alone shows the lesion).
 * Known answers: a composed head equals, logit for logit, the heads it was built from; folding a sequence out of the
 * head equals zeroing it in the features; the stroke guide gives opposite contrasts opposite signs; Dice against the
 * lesion mask the volumes were made from.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createFilterBackbone, dice, simulateAnnotation, type LinearHead } from '../../src-main/fewshot';
import type { FeatureVolume } from '../../src-main/features/types';
import { createMultiSequenceBackbone, discriminantWeights, dropSequencesInPlace, fusedGuide, strokeGuide, type MultiSequenceBackbone } from '../../src-main/features/multiseq';
import { composeLateFusion, dropFromHead, segmentMultiSequence, sequenceDropout, sequenceFeaturesOnStrokes, trainLateFusion, trainMultiSequenceHead } from '../../src-main/fewshot/multiseq';
import { gatherSamples } from '../../src-main/fewshot/samples';
import { SYN_DIMS, linearMargin, synStudy } from './helpers/multiseq-synthetic';

const { lesion, sequences } = synStudy();
let mb: MultiSequenceBackbone;
let fused: FeatureVolume;
let scribbles: Uint8Array;

const margin = linearMargin;

const probe = Array.from({ length: 200 }, (_, t) => Math.floor(((t * 7919) % 1000) / 1000 * SYN_DIMS[0] * SYN_DIMS[1] * SYN_DIMS[2]));

beforeAll(async () => {
  mb = createMultiSequenceBackbone(createFilterBackbone(), sequences.map((s) => s.name));
  fused = await mb.extract(sequences);
  scribbles = simulateAnnotation({ reference: lesion, image: fusedGuide(sequences).data, dims: SYN_DIMS, modality: 'MR', classes: [1], k: 3, mode: 'scribble' }).scribbles;
}, 120_000);

describe('late fusion', () => {
  it('β = 1 is the fused head; β = 0 is the mean of the per-sequence heads on their own channels', () => {
    const m = trainLateFusion(fused, mb.layout, scribbles, SYN_DIMS, { backbone: { id: mb.id }, fusedWeight: 1 });
    expect(m.perSequence.every((h) => h?.kind === 'linear')).toBe(true);
    const one = composeLateFusion(m, ['A', 'B', 'C']);
    for (const v of probe) expect(margin(one, fused, v)).toBeCloseTo(margin(m.fused as LinearHead, fused, v), 3);
    const zero = composeLateFusion({ ...m, fusedWeight: 0 }, ['A', 'B', 'C']);
    const own = [0, 1, 2].map((s) => sequenceFeaturesOnStrokes(fused, mb.layout, s, new Uint8Array(lesion.length).fill(1), SYN_DIMS));
    for (const v of probe) {
      const mean = own.reduce((a, f, s) => a + margin(m.perSequence[s]!, f, v), 0) / 3;
      expect(margin(zero, fused, v)).toBeCloseTo(mean, 3);
    }
  });

  it('a sequence left out drops out of the average: β = 0 without B is the mean of A and C', () => {
    const m = trainLateFusion(fused, mb.layout, scribbles, SYN_DIMS, { backbone: { id: mb.id }, fusedWeight: 0 });
    const h = composeLateFusion(m, ['A', 'C']);
    const own = [0, 2].map((s) => sequenceFeaturesOnStrokes(fused, mb.layout, s, new Uint8Array(lesion.length).fill(1), SYN_DIMS));
    for (const v of probe) expect(margin(h, fused, v)).toBeCloseTo((margin(m.perSequence[0]!, own[0], v) + margin(m.perSequence[2]!, own[1], v)) / 2, 3);
    expect(() => composeLateFusion(m, [])).toThrow(/keep at least one/);
  });

  it('with all sequences and with each one left out, the late-fusion pipeline keeps Dice ≥ 0.85', async () => {
    const m = trainLateFusion(fused, mb.layout, scribbles, SYN_DIMS, { backbone: { id: mb.id } });
    for (const drop of [[], ['A'], ['B'], ['C']]) {
      for (const guide of ['mean', 'strokes'] as const) {
        const r = await segmentMultiSequence({ features: fused, layout: mb.layout, sequences, scribbles, head: m.fused, fusion: m, drop, guide });
        expect(dice(r.labels, lesion, 1), `${guide} guide, left out: ${drop.join() || 'none'}`).toBeGreaterThanOrEqual(0.85);
      }
    }
  }, 120_000);
});

describe('leaving a sequence out by folding the head', () => {
  it('gives the same margins as zeroing that sequence in the features (full coverage)', () => {
    const head = trainMultiSequenceHead('linear', fused, mb.layout, scribbles, SYN_DIMS, { backbone: { id: mb.id } }) as LinearHead;
    const folded = dropFromHead(head, mb.layout, ['B']);
    const before = probe.map((v) => margin(folded, fused, v));
    const restore = dropSequencesInPlace(fused, mb.layout, ['B']);
    try {
      probe.forEach((v, t) => expect(before[t]).toBeCloseTo(margin(head, fused, v), 3));
    } finally {
      restore();
    }
    expect(() => dropFromHead(head, mb.layout, ['FLAIR'])).toThrow(/Cannot leave out "FLAIR"/);
  });
});

describe('stroke guide', () => {
  it('weights a lesion-bright and a lesion-dark sequence with opposite signs, so their edges add instead of cancelling', () => {
    const vals = sequences.map((s) => Float32Array.from(s.volume.data));
    const w = discriminantWeights(vals, scribbles, [1, 255]);
    // A: lesion 200 on 80; B: lesion 60 on 140 (opposite contrast); C: lesion 170 on 100.
    expect(Math.sign(w[0])).toBe(Math.sign(w[2]));
    expect(Math.sign(w[1])).toBe(-Math.sign(w[0]));
    const contrast = (g: Float32Array): number => {
      let a = 0, na = 0, b = 0, nb = 0;
      for (let p = 0; p < g.length; p++) if (lesion[p]) { a += g[p]; na++; } else { b += g[p]; nb++; }
      const mu = [a / na, b / nb];
      let ss = 0;
      for (let p = 0; p < g.length; p++) ss += (g[p] - mu[lesion[p] ? 0 : 1]) ** 2;
      return Math.abs(mu[0] - mu[1]) / Math.sqrt(ss / g.length);
    };
    const mean = Float32Array.from(fusedGuide(sequences).data), strokes = Float32Array.from(strokeGuide(sequences, scribbles).data);
    expect(contrast(strokes)).toBeGreaterThan(1.5 * contrast(mean));
  });

  it('falls back to the mean guide with fewer than two labeled classes', () => {
    const one = new Uint8Array(lesion.length);
    one[5] = 1;
    expect(Array.from(strokeGuide(sequences, one).data.subarray(0, 50))).toEqual(Array.from(fusedGuide(sequences).data.subarray(0, 50)));
  });
});

describe('dropout rate', () => {
  it('copiesPerSample = 1 adds one copy per sample, the single-sequence drop sets dealt in turn', () => {
    const sc = new Uint8Array(lesion.length);
    const at = [100, 200, 300, SYN_DIMS[0] * SYN_DIMS[1] * 8 + 17 + 21 * SYN_DIMS[0]];
    sc[at[0]] = 255; sc[at[1]] = 255; sc[at[2]] = 255; sc[at[3]] = 1;
    const s = gatherSamples(fused, sc, SYN_DIMS, undefined, undefined);
    const a = sequenceDropout(s, mb.layout, { maxDropped: 1, copiesPerSample: 1 });
    expect(a.n).toBe(8);
    const S = 3, D = mb.layout.perSequence, F = mb.layout.dim;
    const missing = [4, 5, 6, 7].map((r) => [0, 1, 2].filter((q) => a.x[r * F + S * D + q] === 0));
    // Samples 0..3 lose A, B, C, A: every sequence equally often, one at a time.
    expect(missing).toEqual([[0], [1], [2], [0]]);
    expect(Array.from(a.y.subarray(4))).toEqual(Array.from(s.y));
  });
});
