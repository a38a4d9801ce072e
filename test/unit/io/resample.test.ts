import { describe, expect, it } from 'vitest';
import { indexToWorld, type Grid, type LabelMap, type Volume } from '../../../src-shared';
import { resampleData, resampleLabels, resampleVolume } from '../../../src-main/io';

const src: Grid = { dims: [5, 4, 3], spacing: [2, 1, 3], origin: [10, 20, 30], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
const ramp = Float32Array.from({ length: 60 }, (_, n) => {
  const i = n % 5, j = Math.floor(n / 5) % 4, k = Math.floor(n / 20);
  return 100 * k + 10 * j + i; // linear in i, j, k → trilinear must reproduce it exactly
});

describe('resample', () => {
  it('identity grid → same data (nearest and linear)', () => {
    expect(Array.from(resampleData(src, ramp, src, { interpolation: 'nearest' }))).toEqual(Array.from(ramp));
    const lin = resampleData(src, ramp, src);
    for (let n = 0; n < 60; n++) expect(lin[n]).toBeCloseTo(ramp[n], 4);
  });
  it('a grid shifted by one voxel in x: values shift, the new column is fill', () => {
    const dst: Grid = { ...src, origin: [12, 20, 30] };
    const out = resampleData(src, ramp, dst, { interpolation: 'nearest', fill: -1 });
    // dst voxel i maps to src voxel i+1; the last column falls outside
    expect(out[0]).toBe(1);
    expect(out[3]).toBe(4);
    expect(out[4]).toBe(-1);
    expect(out[5 + 20]).toBe(111);
  });
  it('a grid flipped in y and z (same world voxels, reversed order) → reversed rows/slices exactly', () => {
    const dst: Grid = { dims: [5, 4, 3], spacing: [2, 1, 3], origin: indexToWorld(src, [0, 3, 2]), direction: [1, 0, 0, 0, -1, 0, 0, 0, -1] };
    const out = resampleData(src, ramp, dst, { interpolation: 'linear' });
    for (let k = 0; k < 3; k++) for (let j = 0; j < 4; j++) for (let i = 0; i < 5; i++) {
      expect(out[i + 5 * j + 20 * k]).toBeCloseTo(ramp[i + 5 * (3 - j) + 20 * (2 - k)], 4);
    }
  });
  it('half-voxel shift with trilinear interpolation gives the midpoint values', () => {
    const dst: Grid = { dims: [4, 4, 3], spacing: [2, 1, 3], origin: [11, 20, 30], direction: src.direction };
    const out = resampleData(src, ramp, dst);
    expect(out[0]).toBeCloseTo(0.5, 5);
    expect(out[3 + 5 * 0]).toBeCloseTo(3.5, 5);
    expect(out[1 + 4 * 2 + 16 * 1]).toBeCloseTo(121.5, 5);
  });
  it('finer grid for integer images rounds trilinear values', () => {
    const v: Volume = { ...src, data: Int16Array.from(ramp), voxelType: 'int16', modality: 'OT', meta: {}, window: { center: 0, width: 1 }, warnings: [] };
    const dst: Grid = { dims: [9, 1, 1], spacing: [1, 1, 1], origin: [10, 20, 30], direction: src.direction };
    const r = resampleVolume(v, dst);
    expect(r.voxelType).toBe('int16');
    expect(Array.from(r.data)).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 4]); // 0, .5→1 (round half up), 1, 1.5→2 …
    expect(r.dims).toEqual([9, 1, 1]);
  });
  it('labels: nearest keeps only existing label values on a rotated grid', () => {
    const lab: LabelMap = { ...src, data: Uint8Array.from({ length: 60 }, (_, n) => [0, 3, 7, 200][n % 4]) };
    const c = Math.SQRT1_2;
    const dst: Grid = { dims: [10, 10, 6], spacing: [0.7, 0.7, 1.3], origin: [9, 19, 29], direction: [c, -c, 0, c, c, 0, 0, 0, 1] };
    const out = resampleLabels(lab, dst);
    const seen = new Set(out.data);
    for (const v of seen) expect([0, 3, 7, 200]).toContain(v);
    expect(seen.size).toBe(4);
    // every in-bounds output voxel equals the source voxel nearest to its world position
    const inv = (p: number[]) => [(p[0] - 10) / 2, p[1] - 20, (p[2] - 30) / 3];
    for (let n = 0; n < out.data.length; n += 7) {
      const i = n % 10, j = Math.floor(n / 10) % 10, k = Math.floor(n / 100);
      const s = inv(indexToWorld(dst, [i, j, k])).map((x) => Math.floor(x + 0.5));
      const inside = s[0] >= 0 && s[0] < 5 && s[1] >= 0 && s[1] < 4 && s[2] >= 0 && s[2] < 3;
      expect(out.data[n]).toBe(inside ? lab.data[s[0] + 5 * s[1] + 20 * s[2]] : 0);
    }
  });
  it('no overlap at all → all fill', () => {
    const dst: Grid = { ...src, origin: [1000, 0, 0] };
    expect(Array.from(resampleData(src, ramp, dst, { fill: 7 })).every((x) => x === 7)).toBe(true);
  });
});
