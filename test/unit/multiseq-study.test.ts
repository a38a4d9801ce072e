import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Volume } from '../../src-shared';
import { openVolume } from '../../src-main/io';
import { assembleStudy, guessSequenceName } from '../../src-main/engine/multiseq/study';
import { dataPath, describeWithData } from './helpers/data';

function vol(over: Partial<Volume> & { meta?: Volume['meta'] } = {}): Volume {
  return {
    dims: [10, 10, 4], spacing: [1, 1, 2], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data: new Int16Array(400).fill(100), voxelType: 'int16', modality: 'MR', window: { center: 50, width: 100 }, warnings: [],
    meta: { patientId: 'P1', studyInstanceUid: '1.2' }, ...over,
  };
}

describe('sequence names', () => {
  it.each([
    ['MRHR_FLAIR_AX_SE_IR_5_tir2d1_21_fla.nii.gz', 'FLAIR'],
    ['MRHR_T1_AX_POST_GAD_SE_13_se2d1r_t1c.nii.gz', 'T1c'],
    ['T1_AX_SE_10_se2d1_t1.nii.gz', 'T1'],
    ['MRHR_T2_AX_SE_2_tse2d1_11_t2.nii.gz', 'T2'],
    ['ax t1 +c', 'T1c'],
    ['something else', 'other'],
  ])('%s → %s', (file, name) => {
    expect(guessSequenceName({ modality: 'MR', meta: { sourceFiles: [`/x/${file}`] } })).toBe(name);
  });
  it('CT stays CT', () => expect(guessSequenceName({ modality: 'CT', meta: {} })).toBe('CT'));
});

describe('assembling a study', () => {
  it('asks before combining sequences of different patients (SEQUENCE_MISMATCH), then combines with a warning', () => {
    const a = vol(), b = vol({ meta: { patientId: 'P2', studyInstanceUid: '1.2' } });
    expect(() => assembleStudy([a, b])).toThrow(expect.objectContaining({ code: 'SEQUENCE_MISMATCH' }));
    const s = assembleStudy([a, b], { confirmMismatch: true });
    expect(s.sequences.length).toBe(2);
    expect(s.warnings.join(' ')).toMatch(/different patients/);
  });
  it('refuses a sequence that does not overlap the reference (NO_OVERLAP)', () => {
    expect(() => assembleStudy([vol(), vol({ origin: [500, 0, 0] })])).toThrow(expect.objectContaining({ code: 'NO_OVERLAP' }));
  });
  it('refuses a 4D series offered as a sequence (SEQUENCE_4D)', () => {
    expect(() => assembleStudy([vol(), vol({ meta: { patientId: 'P1', timePoints: 10 } })])).toThrow(expect.objectContaining({ code: 'SEQUENCE_4D' }));
  });
  it('a sequence covering half the reference gets a half coverage mask and keeps its values where it exists', () => {
    const half = vol({ dims: [5, 10, 4], data: new Int16Array(200).fill(70) }); // covers i = 0..4
    const s = assembleStudy([vol(), half]);
    const seq = s.sequences[1];
    expect(seq.coveredFraction).toBeCloseTo(0.5, 5);
    expect(seq.coverage[2]).toBe(1);
    expect(seq.coverage[7]).toBe(0);
    expect(seq.volume.data[2]).toBeCloseTo(70, 5);
    expect(seq.volume.dims).toEqual([10, 10, 4]);
    expect(s.warnings.join(' ')).toMatch(/covers 50%/);
  });
});

describeWithData('BraTS sequences', ['brats_tcga_fg6692'], () => {
  it('the four co-registered *_bet sequences share one grid and are named T1, T1c, T2, FLAIR', async () => {
    const files = ['t1', 't1c', 't2', 'fla'].map((s) => dataPath('brats_tcga_fg6692', `OtherEXampleFromTCIA_${s}_bet.nii.gz`));
    const vols = await Promise.all(files.map((f) => openVolume(f)));
    const s = assembleStudy(vols);
    expect(s.sequences.map((q) => q.name)).toEqual(['T1', 'T1c', 'T2', 'FLAIR']);
    expect(s.sequences.every((q) => q.coveredFraction === 1)).toBe(true);
    expect(s.reference.dims).toEqual([240, 240, 155]);
  });
  it('the native (oblique, unregistered) scans are resampled onto the T1c grid with coverage masks', async () => {
    const dir = dataPath('brats_tcga_fg6692', 'native');
    const files = readdirSync(dir).sort((a, b) => (a.includes('t1c') ? -1 : b.includes('t1c') ? 1 : 0));
    const vols = await Promise.all(files.map((f) => openVolume(`${dir}/${f}`)));
    const s = assembleStudy(vols);
    expect(s.sequences[0].name).toBe('T1c');
    expect(new Set(s.sequences.map((q) => q.name))).toEqual(new Set(['T1', 'T1c', 'T2', 'FLAIR']));
    for (const q of s.sequences) {
      expect(q.volume.dims).toEqual(vols[0].dims);
      expect(q.coveredFraction).toBeGreaterThan(0.3);
    }
  });
});
