import { describe, expect, it } from 'vitest';
import { kStrip } from '../../src-renderer/lib/render/strips';
import { planeRaster, type PlaneRaster, type ViewAxes } from '../../src-renderer/lib/data/viewgeom';

const dims: [number, number, number] = [4, 3, 5];
const voxelsOf = (r: PlaneRaster): number[] => {
  const out: number[] = [];
  for (let row = 0; row < r.height; row++) for (let col = 0; col < r.width; col++) out.push(r.origin + row * r.strideRow + col * r.strideCol);
  return out;
};
const k = (v: number) => Math.floor(v / (dims[0] * dims[1]));

const CORONAL: ViewAxes = { kind: 'coronal', slice: 1, right: 0, rightSign: 1, down: 2, downSign: -1 };
const SAGITTAL: ViewAxes = { kind: 'sagittal', slice: 0, right: 1, rightSign: -1, down: 2, downSign: -1 };
// an acquisition whose k axis runs left-right ends up across the screen
const K_ACROSS: ViewAxes = { kind: 'coronal', slice: 1, right: 2, rightSign: -1, down: 0, downSign: 1 };
const AXIAL: ViewAxes = { kind: 'axial', slice: 2, right: 0, rightSign: 1, down: 1, downSign: 1 };

describe('kStrip: one streamed axial slice inside the other views', () => {
  for (const ax of [CORONAL, SAGITTAL, K_ACROSS]) {
    it(`${ax.kind} (k on ${ax.down === 2 ? 'rows' : 'columns'}): the strip holds exactly the view's pixels of slice k`, () => {
      const full = planeRaster(dims, ax, 1);
      const all = voxelsOf(full);
      for (let kk = 0; kk < dims[2]; kk++) {
        const s = kStrip(dims, ax, 1, kk)!;
        const got = voxelsOf(s.raster);
        expect(got.every((v) => k(v) === kk)).toBe(true);
        // same voxels at the same raster positions as the full view
        const expected: number[] = [];
        for (let y = s.y; y < s.y + s.h; y++) for (let x = s.x; x < s.x + s.w; x++) expected.push(all[y * full.width + x]);
        expect(got).toEqual(expected);
      }
    });
  }

  it('is null for a view that scrolls through k, and for k outside the volume', () => {
    expect(kStrip(dims, AXIAL, 2, 2)).toBeNull();
    expect(kStrip(dims, CORONAL, 1, 5)).toBeNull();
    expect(kStrip(dims, CORONAL, 1, 0)).toMatchObject({ x: 0, y: 4, w: 4, h: 1 }); // k = 0 at the bottom (feet)
  });
});
