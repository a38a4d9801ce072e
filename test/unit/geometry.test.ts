import { describe, expect, it } from 'vitest';
import { indexToWorld, worldToIndex, type Grid } from '../../src-shared';

describe('index↔world', () => {
  const g: Grid = { dims: [10, 20, 30], spacing: [0.5, 2, 3], origin: [10, -20, 30], direction: [0, 0, 1, -1, 0, 0, 0, -1, 0] };
  it('maps the origin voxel to the origin and steps along direction columns scaled by spacing', () => {
    expect(indexToWorld(g, [0, 0, 0])).toEqual([10, -20, 30]);
    // i axis = column 0 = (0,-1,0) * 0.5
    expect(indexToWorld(g, [2, 0, 0])).toEqual([10, -21, 30]);
    // k axis = column 2 = (1,0,0) * 3
    expect(indexToWorld(g, [0, 0, 1])).toEqual([13, -20, 30]);
  });
  it('inverts exactly', () => {
    const w = indexToWorld(g, [3.5, 7, 11]);
    const ijk = worldToIndex(g, w);
    expect(ijk[0]).toBeCloseTo(3.5, 9);
    expect(ijk[1]).toBeCloseTo(7, 9);
    expect(ijk[2]).toBeCloseTo(11, 9);
  });
});
