/**
 * Presence-specific heads (fewshot/multiseq.ts) and their head file (fewshot/serialize.ts) on the synthetic
 * three-sequence study. Known answers: the head picked for each presence pattern; a leave-one-out head folded onto
 * the full features equals, logit for logit, that head on features where the sequence is really missing; Dice
 * against the lesion the volumes were made from; a saved file gives back the same weights, and is still an ordinary
 * head file; damaged or foreign content → HEAD_INVALID / HEAD_MISMATCH.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MedSegError } from '../../src-shared';
import { createFilterBackbone, dice, headFromJson, headToJson, simulateAnnotation, type LinearHead } from '../../src-main/fewshot';
import type { FeatureVolume } from '../../src-main/features/types';
import { createMultiSequenceBackbone, dropSequencesInPlace, fusedGuide, type MultiSequenceBackbone } from '../../src-main/features/multiseq';
import { dropFromHead, presenceHead, segmentMultiSequence, trainPresenceHeads, type PresenceHeads } from '../../src-main/fewshot/multiseq';
import { loadedHeadFromJson, presenceHeadsToJson } from '../../src-main/fewshot/serialize';
import { SYN_DIMS, linearMargin, synStudy } from './helpers/multiseq-synthetic';

const { lesion, sequences } = synStudy();
let mb: MultiSequenceBackbone;
let fused: FeatureVolume;
let scribbles: Uint8Array;
let ph: PresenceHeads;
const probe = Array.from({ length: 200 }, (_, t) => Math.floor(((t * 7919) % 1000) / 1000 * SYN_DIMS[0] * SYN_DIMS[1] * SYN_DIMS[2]));

const margin = linearMargin;

beforeAll(async () => {
  mb = createMultiSequenceBackbone(createFilterBackbone(), sequences.map((s) => s.name));
  fused = await mb.extract(sequences);
  scribbles = simulateAnnotation({ reference: lesion, image: fusedGuide(sequences).data, dims: SYN_DIMS, modality: 'MR', classes: [1], k: 3, mode: 'scribble' }).scribbles;
  ph = trainPresenceHeads('linear', fused, mb.layout, scribbles, SYN_DIMS, { backbone: { id: mb.id }, dropout: { maxDropped: 1, copiesPerSample: 1 } });
}, 120_000);

describe('presence-specific heads', () => {
  it('one head per pattern: all present → the full head, one missing → its own head, two missing → the dropout head', () => {
    expect(Object.keys(ph.leaveOneOut)).toEqual(['A', 'B', 'C']);
    expect(ph.full).toBeDefined();
    expect(presenceHead(ph, ['a', 'B', 'c'])).toEqual({ head: ph.full, pattern: 'all' });
    expect(presenceHead(ph, ['A', 'C'])).toEqual({ head: ph.leaveOneOut.B, pattern: 'without B' });
    expect(presenceHead(ph, ['C'])).toEqual({ head: ph.fallback, pattern: 'dropout' });
    const noFull = trainPresenceHeads('linear', fused, mb.layout, scribbles, SYN_DIMS, { backbone: { id: mb.id }, full: 'fallback' });
    expect(noFull.full).toBeUndefined();
    expect(presenceHead(noFull, ['A', 'B', 'C']).head).toBe(noFull.fallback);
    expect(ph.missing).toBeUndefined();
  });

  it('every pattern on request (maxMissing): two missing → the head fitted without both', () => {
    const every = trainPresenceHeads('linear', fused, mb.layout, scribbles, SYN_DIMS, { backbone: { id: mb.id }, maxMissing: 2 });
    expect(Object.keys(every.missing!)).toEqual(['A,B', 'A,C', 'B,C']);
    expect(presenceHead(every, ['C'])).toEqual({ head: every.missing!['A,B'], pattern: 'without A, B' });
    expect(presenceHead(every, ['B'])).toEqual({ head: every.missing!['A,C'], pattern: 'without A, C' });
  });

  it('a sequence the heads never saw is a HEAD_MISMATCH naming it; none of theirs → INVALID_ARGUMENT', () => {
    const err = (f: () => unknown) => { try { f(); } catch (e) { return e as MedSegError; } throw new Error('no error'); };
    const e = err(() => presenceHead(ph, ['A', 'DWI']));
    expect(e.code).toBe('HEAD_MISMATCH');
    expect(e.message).toMatch(/"DWI"/);
    expect(e.message).toMatch(/A, B, C/);
    expect(err(() => presenceHead(ph, [])).code).toBe('INVALID_ARGUMENT');
  });

  it('the leave-one-out head sees exactly what a study without that sequence gives: folded on full features = itself on zeroed features', () => {
    const h = ph.leaveOneOut.B as LinearHead;
    const folded = dropFromHead(h, mb.layout, ['B']);
    const full = probe.map((v) => margin(folded, fused, v));
    const restore = dropSequencesInPlace(fused, mb.layout, ['B']);
    try {
      probe.forEach((v, t) => expect(margin(h, fused, v)).toBeCloseTo(full[t], 3));
    } finally {
      restore();
    }
    // And it ignores B entirely: its weights on B's group and presence are (numerically) zero after the fit.
    const b = mb.layout.sequences.indexOf('B');
    const D = h.backbone.dim + h.positionChannels;
    for (let d = b * mb.layout.perSequence; d < (b + 1) * mb.layout.perSequence; d++) expect(Math.abs(h.weights[D + d] - h.weights[d])).toBeLessThan(1e-6);
  });

  it('segments the lesion with each sequence left out (Dice ≥ 0.85), the guide built from the sequences present', async () => {
    for (const drop of ['A', 'B', 'C']) {
      const r = await segmentMultiSequence({ features: fused, layout: mb.layout, sequences, scribbles, head: ph.fallback, presence: ph, drop: [drop], guide: 'strokes' });
      expect(r.guide).toEqual(['A', 'B', 'C'].filter((s) => s !== drop));
      expect(dice(r.labels, lesion, 1), `${drop} left out`).toBeGreaterThanOrEqual(0.85);
    }
  }, 60_000);
});

describe('multi-sequence head files', () => {
  it('round trip: sequences and every presence head come back with the same weights; the file is still an ordinary head file', () => {
    const every = trainPresenceHeads('linear', fused, mb.layout, scribbles, SYN_DIMS, { backbone: { id: mb.id }, maxMissing: 2 });
    const back2 = loadedHeadFromJson(presenceHeadsToJson(every));
    expect(Object.keys(back2.presence!.missing!)).toEqual(['A,B', 'A,C', 'B,C']);
    expect(Array.from(back2.presence!.missing!['B,C'].mean)).toEqual(Array.from(every.missing!['B,C'].mean));
    const text = presenceHeadsToJson(ph);
    const back = loadedHeadFromJson(text);
    expect(back.sequences).toEqual(['A', 'B', 'C']);
    expect(back.presence!.layout).toEqual(mb.layout);
    const same = (a: LinearHead, b: LinearHead) => { expect(Array.from(b.weights)).toEqual(Array.from(a.weights)); expect(Array.from(b.bias)).toEqual(Array.from(a.bias)); };
    same(back.presence!.fallback as LinearHead, ph.fallback as LinearHead);
    same(back.presence!.full as LinearHead, ph.full as LinearHead);
    for (const s of ['A', 'B', 'C']) same(back.presence!.leaveOneOut[s] as LinearHead, ph.leaveOneOut[s] as LinearHead);
    // An older reader (headFromJson) loads the dropout-trained head from the same file.
    same(headFromJson(text) as LinearHead, ph.fallback as LinearHead);
  });

  it('a fused head saved before sequence names were stored: names from its backbone id, no presence heads', () => {
    const back = loadedHeadFromJson(headToJson(ph.fallback));
    expect(back.sequences).toEqual(['A', 'B', 'C']);
    expect(back.presence).toBeUndefined();
    const single = loadedHeadFromJson(headToJson({ ...ph.fallback, backbone: { ...ph.fallback.backbone, id: 'filters' } }));
    expect(single.sequences).toBeUndefined();
  });

  it('damaged presence heads → HEAD_INVALID', () => {
    const doc = JSON.parse(presenceHeadsToJson(ph)) as { presence: { leaveOneOut: Record<string, { classes: number[]; bias: string }> } };
    const wrongClasses = structuredClone(doc);
    wrongClasses.presence.leaveOneOut.B.classes = [0, 2];
    const unknownSeq = structuredClone(doc);
    unknownSeq.presence.leaveOneOut.DWI = unknownSeq.presence.leaveOneOut.B;
    const cut = structuredClone(doc);
    cut.presence.leaveOneOut.A.bias = 'AAAA';
    const disordered = structuredClone(doc) as typeof doc & { presence: { missing?: Record<string, unknown> } };
    disordered.presence.missing = { 'C,A': doc.presence.leaveOneOut.B };
    for (const d of [wrongClasses, unknownSeq, cut, disordered]) {
      expect(() => loadedHeadFromJson(JSON.stringify(d))).toThrow(expect.objectContaining({ code: 'HEAD_INVALID' }));
    }
  });
});
