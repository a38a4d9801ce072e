import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../../src-shared';
import type { FeatureBackbone, FeatureVolume } from '../../src-main/features/types';
import { createMultiSequenceBackbone, dropSequencesInPlace, fusedGuide, presenceChannel, groupOffset } from '../../src-main/features/multiseq';

const dims: Vec3 = [4, 3, 2];
const n = 24;

function vol(fill: (p: number) => number): Volume {
  return { dims, spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data: Float32Array.from({ length: n }, (_, p) => fill(p)), voxelType: 'float32', modality: 'MR', meta: {}, window: { center: 0, width: 1 }, warnings: [] };
}

/** Two channels with known values: the intensity and intensity + 1000. */
const fake: FeatureBackbone & { names: string[] } = {
  id: 'fake', dim: 2, settings: {}, provider: 'js', names: ['v', 'v1000'],
  async extract(v: Volume): Promise<FeatureVolume> {
    const plane = v.dims[0] * v.dims[1];
    const slices = Array.from({ length: v.dims[2] }, (_, k) => {
      const a = new Float32Array(plane * 2);
      for (let p = 0; p < plane; p++) { a[2 * p] = v.data[k * plane + p]; a[2 * p + 1] = v.data[k * plane + p] + 1000; }
      return a;
    });
    return { dim: 2, slices, names: ['v', 'v1000'] };
  },
};

/** Fused channel c of voxel p. */
const at = (f: FeatureVolume, p: number, c: number) => f.slices[Math.floor(p / 12)]![(p % 12) * f.dim + c];

describe('fused multi-sequence features', () => {
  const t1 = vol((p) => p + 1), flair = vol((p) => 100 + p);
  const coverage = Uint8Array.from({ length: n }, (_, p) => (p < 12 ? 1 : 0)); // FLAIR covers slice 0 only

  it('groups channels by sequence, then one presence channel per sequence', async () => {
    const mb = createMultiSequenceBackbone(fake, ['T1', 'FLAIR', 'T2']);
    const f = await mb.extract([{ name: 'T1', volume: t1 }, { name: 'FLAIR', volume: flair, coverage }]);
    expect(mb.id).toBe('multiseq[T1,FLAIR,T2]:fake');
    expect(f.dim).toBe(9);
    expect(f.names).toEqual(['T1:v', 'T1:v1000', 'FLAIR:v', 'FLAIR:v1000', 'T2:v', 'T2:v1000', 'present:T1', 'present:FLAIR', 'present:T2']);
  });

  it('is zero where a sequence does not cover the voxel or is missing, and scales present groups by S/P', async () => {
    const mb = createMultiSequenceBackbone(fake, ['T1', 'FLAIR', 'T2']);
    const f = await mb.extract([{ name: 'T1', volume: t1 }, { name: 'FLAIR', volume: flair, coverage }]);
    // Voxel 5 (slice 0): T1 and FLAIR present → factor 3/2.
    expect(at(f, 5, 0)).toBeCloseTo(6 * 1.5, 4);
    expect(at(f, 5, 1)).toBeCloseTo(1006 * 1.5, 3);
    expect(at(f, 5, 2)).toBeCloseTo(105 * 1.5, 4);
    expect(at(f, 5, 6)).toBeCloseTo(1.5, 6);
    expect(at(f, 5, 7)).toBeCloseTo(1.5, 6);
    expect([at(f, 5, 4), at(f, 5, 5), at(f, 5, 8)]).toEqual([0, 0, 0]); // T2 missing
    // Voxel 17 (slice 1): FLAIR does not cover it → only T1, factor 3.
    expect(at(f, 17, 0)).toBeCloseTo(18 * 3, 4);
    expect([at(f, 17, 2), at(f, 17, 3), at(f, 17, 7)]).toEqual([0, 0, 0]);
    expect(at(f, 17, 6)).toBeCloseTo(3, 6);
  });

  it('all sequences present → plain features, presence 1', async () => {
    const mb = createMultiSequenceBackbone(fake, ['T1', 'FLAIR']);
    const f = await mb.extract([{ name: 'T1', volume: t1 }, { name: 'FLAIR', volume: flair }]);
    expect([at(f, 20, 0), at(f, 20, 2), at(f, 20, 4), at(f, 20, 5)]).toEqual([21, 120, 1, 1]);
  });

  it('dropping a sequence zeroes its group and presence, rescales the rest, and restores exactly', async () => {
    const mb = createMultiSequenceBackbone(fake, ['T1', 'FLAIR']);
    const f = await mb.extract([{ name: 'T1', volume: t1 }, { name: 'FLAIR', volume: flair }]);
    const before = f.slices.map((s) => s!.slice());
    const restore = dropSequencesInPlace(f, mb.layout, ['flair']);
    for (let p = 0; p < n; p++) {
      expect(at(f, p, groupOffset(mb.layout, 1))).toBe(0);
      expect(at(f, p, presenceChannel(mb.layout, 1))).toBe(0);
      expect(at(f, p, 0)).toBeCloseTo((p + 1) * 2, 4);
      expect(at(f, p, presenceChannel(mb.layout, 0))).toBe(2);
    }
    restore();
    f.slices.forEach((s, k) => { for (let i = 0; i < s!.length; i++) expect(s![i]).toBeCloseTo(before[k][i], 3); });
  });

  it('refuses unknown sequence names and sequences off the reference grid with typed errors', async () => {
    const mb = createMultiSequenceBackbone(fake, ['T1', 'FLAIR']);
    await expect(mb.extract([{ name: 'T2', volume: t1 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const moved = { ...flair, origin: [5, 0, 0] as Vec3 };
    await expect(mb.extract([{ name: 'T1', volume: t1 }, { name: 'FLAIR', volume: moved }])).rejects.toMatchObject({ code: 'GRID_MISMATCH' });
    expect(() => createMultiSequenceBackbone(fake, ['T1', 't1'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('guide = mean of robust-normalised intensities over the sequences covering each voxel', () => {
    const a = vol((p) => p), b = vol((p) => 1000 - 10 * p);
    const g = fusedGuide([{ name: 'A', volume: a }, { name: 'B', volume: b, coverage }]);
    // Percentiles of 24 samples: 1st = the smallest, 99th = the 23rd smallest (index floor(0.99·23) = 22).
    // Voxel 20: only A covers it; A maps 0..22 to 0..10 → 20/22·10.
    expect(g.data[20]).toBeCloseTo((20 / 22) * 10, 3);
    // Voxel 0: A → 0; B maps 770..990 to 0..10, so 1000 → 230/220·10; mean of the two.
    expect(g.data[0]).toBeCloseTo(((230 / 220) * 10) / 2, 3);
    expect(g.modality).toBe('MR');
  });
});
