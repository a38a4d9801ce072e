/**
 * Heads standardised by the study's own statistics (samples.ts volumeStats, train.ts standardizeBy). Known answers:
 * the mean and spread of every channel over all voxels (and of the position channels over the grid), computed here
 * directly; a slice without features → none (the samples' statistics then serve); the trained head stores exactly
 * the study's statistics, or the samples' with standardizeBy 'samples'; heads on fused multi-sequence features keep
 * the samples' (their dropout rows hold zeroed groups the study does not have).
 */
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src-shared';
import type { FeatureVolume } from '../../src-main/features/types';
import { trainHead } from '../../src-main/fewshot';
import { positionFeatures, volumeStats } from '../../src-main/fewshot/samples';
import { FUSED_STANDARDIZE } from '../../src-main/fewshot/multiseq';

const dims: Vec3 = [12, 10, 6];
const spacing: Vec3 = [0.8, 0.8, 2.5];
const n = dims[0] * dims[1] * dims[2];
const plane = dims[0] * dims[1];

/** Two channels: a ramp along x (0..11) and a value that is 10 in the lower half of the slices and −2 above. */
function features(): FeatureVolume {
  const slices = [...Array(dims[2])].map((_, k) => {
    const sl = new Float32Array(plane * 2);
    for (let p = 0; p < plane; p++) { sl[p * 2] = p % dims[0]; sl[p * 2 + 1] = k < 3 ? 10 : -2; }
    return sl;
  });
  return { dim: 2, names: ['ramp', 'step'], slices };
}

function direct(values: (v: number) => number): { mean: number; std: number } {
  let s = 0, s2 = 0;
  for (let v = 0; v < n; v++) { const x = values(v); s += x; s2 += x * x; }
  const mean = s / n;
  return { mean, std: Math.sqrt(s2 / n - mean * mean) };
}

describe('volumeStats', () => {
  it('mean and spread of every channel over the whole volume, and of the position channels over the grid', () => {
    const f = features();
    const st = volumeStats(f, dims, spacing)!;
    expect(st.mean.length).toBe(5);
    // ramp: 0..11 evenly → mean 5.5, σ² = (12² − 1)/12; step: half 10, half −2 → mean 4, σ 6.
    expect(st.mean[0]).toBeCloseTo(5.5, 5);
    expect(st.std[0]).toBeCloseTo(Math.sqrt(143 / 12), 5);
    expect(st.mean[1]).toBeCloseTo(4, 5);
    expect(st.std[1]).toBeCloseTo(6, 5);
    const pos = new Float32Array(3);
    for (let d = 0; d < 3; d++) {
      const want = direct((v) => { positionFeatures(v, dims, spacing, pos, 0); return pos[d]; });
      expect(st.mean[2 + d]).toBeCloseTo(want.mean, 6);
      expect(st.std[2 + d]).toBeCloseTo(want.std, 6);
    }
    expect(volumeStats(f, dims, spacing)).toBe(st);
    expect(volumeStats(f, dims)!.mean.length).toBe(2);
  });

  it('none while a slice has no features yet', () => {
    const f = features();
    f.slices[4] = undefined as unknown as Float32Array;
    expect(volumeStats(f, dims)).toBeUndefined();
  });
});

describe('trainHead standardisation', () => {
  const f = features();
  // Class 1 strokes on the left of slice 1, background on the right of slice 4.
  const strokes = new Uint8Array(n);
  for (let j = 2; j < 8; j++) { strokes[plane + j * dims[0] + 1] = 1; strokes[4 * plane + j * dims[0] + 10] = 255; }

  it('by default the head stores the study\'s statistics; with "samples" the strokes\' own', () => {
    const st = volumeStats(f, dims, spacing)!;
    const h = trainHead('linear', f, strokes, dims, { spacing });
    expect(Array.from(h.mean)).toEqual(Array.from(st.mean));
    expect(Array.from(h.std)).toEqual(Array.from(st.std));
    const hs = trainHead('linear', f, strokes, dims, { spacing, standardizeBy: 'samples' });
    // The strokes' ramp values are 1 and 10 only: mean 5.5 again, but σ 4.5 instead of the study's 3.45.
    expect(hs.mean[0]).toBeCloseTo(5.5, 5);
    expect(hs.std[0]).toBeCloseTo(4.5, 5);
    // Both heads still put the strokes in their classes.
    expect(h.kind === 'linear' && hs.kind === 'linear').toBe(true);
  });

  it('the proto head uses the same statistics; fused multi-sequence heads keep the samples\'', () => {
    const st = volumeStats(f, dims)!;
    const p = trainHead('proto', f, strokes, dims, { position: false });
    expect(Array.from(p.mean)).toEqual(Array.from(st.mean));
    expect(FUSED_STANDARDIZE).toBe('samples');
  });
});
