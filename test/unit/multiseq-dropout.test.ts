/**
 * Sequence dropout on a synthetic three-sequence study where each sequence alone shows the lesion: a head trained
 * with dropout keeps Dice ≥ 0.9 (head alone, no refinement) whichever sequence is left out; a head trained without
 * it does worse in the worst case. Known answer: the lesion mask the volumes were made from.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createFilterBackbone, dice, simulateAnnotation } from '../../src-main/fewshot';
import type { FeatureVolume } from '../../src-main/features/types';
import { createMultiSequenceBackbone, fusedGuide, type MultiSequenceBackbone } from '../../src-main/features/multiseq';
import { segmentMultiSequence, sequenceDropout, trainMultiSequenceHead } from '../../src-main/fewshot/multiseq';
import { gatherSamples } from '../../src-main/fewshot/samples';
import { SYN_DIMS, SYN_SEQUENCES, synStudy } from './helpers/multiseq-synthetic';

const { lesion, sequences } = synStudy();
let mb: MultiSequenceBackbone;
let fused: FeatureVolume;

beforeAll(async () => {
  mb = createMultiSequenceBackbone(createFilterBackbone(), sequences.map((s) => s.name));
  fused = await mb.extract(sequences);
}, 120_000);

describe('sequence dropout', () => {
  it('adds one copy per labeled sample and drop set, with the dropped groups zero and presence 0', () => {
    const scribbles = new Uint8Array(lesion.length);
    scribbles[100] = 255; scribbles[SYN_DIMS[0] * SYN_DIMS[1] * 8 + 17 + 21 * SYN_DIMS[0]] = 1;
    const s = gatherSamples(fused, scribbles, SYN_DIMS, undefined, undefined);
    expect(s.n).toBe(2);
    const a = sequenceDropout(s, mb.layout);
    // S = 3: drop sets {A},{B},{C},{A,B},{A,C},{B,C} → 6 copies per sample.
    expect(a.n).toBe(2 + 12);
    const D = mb.layout.perSequence, S = 3, F = mb.layout.dim;
    let onlyC = 0;
    for (let r = 2; r < a.n; r++) {
      const row = a.x.subarray(r * F, (r + 1) * F);
      const present = [0, 1, 2].filter((q) => row[S * D + q] > 0);
      expect(present.length).toBeGreaterThanOrEqual(1);
      for (let q = 0; q < S; q++) if (!present.includes(q)) expect(row.subarray(q * D, (q + 1) * D).every((v) => v === 0)).toBe(true);
      // Remaining sequences are rescaled to S/P.
      for (const q of present) expect(row[S * D + q]).toBeCloseTo(S / present.length, 5);
      if (present.length === 1 && present[0] === 2) onlyC++;
    }
    expect(onlyC).toBe(2);
    expect([...a.y.subarray(2)].filter((v) => v === s.y[0]).length).toBe(6);
  });

  for (const mode of ['scribble', 'slice'] as const) {
    it(`${mode} mode, k = 3: with dropout every single left-out sequence keeps Dice ≥ 0.9; without, the worst case is lower`, async () => {
      const { scribbles } = simulateAnnotation({ reference: lesion, image: fusedGuide(sequences).data, dims: SYN_DIMS, modality: 'MR', classes: [1], k: 3, mode });
      const worst: Record<string, number> = {};
      for (const dropout of [undefined, false] as const) {
        const head = trainMultiSequenceHead('linear', fused, mb.layout, scribbles, SYN_DIMS, { dropout, backbone: { id: mb.id } });
        let w = 1;
        for (const drop of SYN_SEQUENCES.map((q) => q.name)) {
          const r = await segmentMultiSequence({ features: fused, layout: mb.layout, sequences, scribbles, head, drop: [drop], refine: 'none' });
          const d = dice(r.labels, lesion, 1);
          if (dropout !== false) expect(d, `dropout, ${drop} left out`).toBeGreaterThanOrEqual(0.9);
          w = Math.min(w, d);
        }
        worst[dropout === false ? 'plain' : 'dropout'] = w;
      }
      expect(worst.dropout).toBeGreaterThan(worst.plain + 0.03);
    }, 120_000);
  }

  it('the full pipeline (propagation on the fused guide) with all sequences and with each left out stays ≥ 0.85', async () => {
    const { scribbles } = simulateAnnotation({ reference: lesion, image: fusedGuide(sequences).data, dims: SYN_DIMS, modality: 'MR', classes: [1], k: 3, mode: 'scribble' });
    const head = trainMultiSequenceHead('linear', fused, mb.layout, scribbles, SYN_DIMS, { backbone: { id: mb.id } });
    for (const drop of [[], ['A'], ['B'], ['C']]) {
      const r = await segmentMultiSequence({ features: fused, layout: mb.layout, sequences, scribbles, head, drop });
      expect(dice(r.labels, lesion, 1), `left out: ${drop.join() || 'none'}`).toBeGreaterThanOrEqual(0.85);
      expect(r.guide).toEqual(['A', 'B', 'C'].filter((x) => !drop.includes(x)));
    }
    await expect(segmentMultiSequence({ features: fused, layout: mb.layout, sequences, scribbles, head, drop: ['A', 'B', 'C'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(segmentMultiSequence({ features: fused, layout: mb.layout, sequences, scribbles, head, drop: ['FLAIR'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  }, 120_000);
});
