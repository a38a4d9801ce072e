import { describe, expect, it } from 'vitest';
import { forEachLabeled, indexToWorld, type Mat3, type Vec3, type Volume } from '../../src-shared';
import { downsampleVolume, labelsToFull, labelsToWork, workingGrid } from '../../src-main/io';

function vol(dims: Vec3, spacing: Vec3, direction: Mat3): Volume {
  const n = dims[0] * dims[1] * dims[2];
  const data = new Int16Array(n);
  for (let v = 0; v < n; v++) data[v] = v % 97;
  return { dims, spacing, origin: [10, -20, 30], direction, data, voxelType: 'int16', modality: 'CT', meta: {}, window: { center: 40, width: 400 }, warnings: [] };
}

describe('working grid for studies too large for full-resolution features', () => {
  const oblique: Mat3 = [0, -1, 0, 1, 0, 0, 0, 0, 1]; // i → +y, j → −x: a rotated grid, to test the origin shift

  it('block-averages voxels and puts each working voxel at the centre of its block in world space', () => {
    const v = vol([6, 4, 3], [0.5, 0.5, 2], oblique);
    const w = downsampleVolume(v, [2, 2, 1]);
    expect(w.dims).toEqual([3, 2, 3]);
    expect(w.spacing).toEqual([1, 1, 2]);
    // Working voxel (1, 1, 2) = mean of original voxels i 2–3, j 2–3, k 2.
    let s = 0;
    for (const j of [2, 3]) for (const i of [2, 3]) s += v.data[i + j * 6 + 2 * 24];
    expect(w.data[1 + 1 * 3 + 2 * 6]).toBeCloseTo(s / 4, 5);
    const centre = [0, 1, 2].map((a) => (indexToWorld(v, [2, 2, 2])[a] + indexToWorld(v, [3, 3, 2])[a]) / 2);
    const got = indexToWorld(w, [1, 1, 2]);
    for (let a = 0; a < 3; a++) expect(got[a]).toBeCloseTo(centre[a], 6);
    expect(w.warnings.some((x) => x.includes('working grid'))).toBe(true);
  });

  it('keeps a study that fits as it is, and reduces a 512×512×300 one under the budget', () => {
    const small = vol([8, 8, 8], [1, 1, 1], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(workingGrid(small, 1000).volume).toBe(small);
    const g = workingGrid({ ...small, dims: [512, 512, 300], spacing: [0.7, 0.7, 1.25], data: new Int16Array(512 * 512 * 300) });
    expect(g.volume.dims[0] * g.volume.dims[1] * g.volume.dims[2]).toBeLessThanOrEqual(10_000_000);
    expect(g.f).toEqual([2, 2, 2]);
  });

  it('strokes go to the working grid by majority per block, and labels come back to every voxel', () => {
    const v = vol([4, 4, 2], [1, 1, 1], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const g = { volume: downsampleVolume(v, [2, 2, 2]), f: [2, 2, 2] as Vec3, fullDims: v.dims as Vec3 };
    const strokes = new Uint8Array(32);
    strokes[0] = 3; strokes[1] = 3; strokes[4] = 255; // block 0: two of class 3, one background
    strokes[2 + 16] = 255; // block 1: background only
    const w = labelsToWork(strokes, g);
    expect(Array.from(w)).toEqual([3, 255, 0, 0]);
    const full = labelsToFull(Uint8Array.from([1, 2, 3, 4]), g);
    expect(full[0]).toBe(1); expect(full[3 + 1 * 4 + 1 * 16]).toBe(2); expect(full[0 + 3 * 4]).toBe(3); expect(full[31]).toBe(4);
  });

  it('agree voxel for voxel with the plain per-voxel definition on odd sizes, uneven blocks and an unaligned stroke map', () => {
    const dims: Vec3 = [11, 7, 5], f: Vec3 = [2, 3, 2];
    const v = vol(dims, [1, 1, 1], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const g = { volume: downsampleVolume(v, f), f, fullDims: dims };
    const [cx, cy] = g.volume.dims;
    const blockOf = (i: number, j: number, k: number): number => (((k / f[2]) | 0) * cy + ((j / f[1]) | 0)) * cx + ((i / f[0]) | 0);
    // Strokes in a buffer that starts one byte in, as a subarray of a larger map would.
    const n = 11 * 7 * 5;
    const strokes = new Uint8Array(n + 1).subarray(1);
    let s = 7;
    for (let q = 0; q < n; q++) { s = (s * 1103515245 + 12345) & 0x7fffffff; if (s % 9 === 0) strokes[q] = 1 + (s % 3); }
    const counts = new Map<number, number[]>();
    for (let k = 0; k < 5; k++) for (let j = 0; j < 7; j++) for (let i = 0; i < 11; i++) {
      const x = strokes[(k * 7 + j) * 11 + i];
      if (!x) continue;
      const b = blockOf(i, j, k);
      const c = counts.get(b) ?? [0, 0, 0, 0];
      c[x]++;
      counts.set(b, c);
    }
    const w = labelsToWork(strokes, g);
    for (let b = 0; b < w.length; b++) {
      const c = counts.get(b);
      // The most painted value; the first one found wins a tie, as in the map's insertion order.
      if (!c) expect(w[b]).toBe(0);
      else expect(c[w[b]]).toBe(Math.max(...c));
    }
    const work = Uint8Array.from({ length: w.length }, (_, b) => (b * 37) % 251);
    const full = labelsToFull(work, g);
    for (let k = 0; k < 5; k++) for (let j = 0; j < 7; j++) for (let i = 0; i < 11; i++) expect(full[(k * 7 + j) * 11 + i]).toBe(work[blockOf(i, j, k)]);
  });
});

describe('forEachLabeled (the sparse scan of label maps)', () => {
  it('visits exactly the non-zero voxels, in ascending order, on unaligned views of any length', () => {
    const base = new Uint8Array(203);
    for (let i = 0; i < base.length; i++) if (i % 7 === 3 || i % 11 === 0 || i > 196) base[i] = (i % 254) + 1;
    for (const [lo, hi] of [[0, 203], [1, 203], [2, 201], [3, 104], [5, 6], [7, 7], [0, 3]]) {
      const view = base.subarray(lo, hi);
      const want: number[] = [];
      for (let i = 0; i < view.length; i++) if (view[i]) want.push(i);
      const got: number[] = [];
      forEachLabeled(view, (v) => got.push(v));
      expect(got).toEqual(want);
    }
  });
});
