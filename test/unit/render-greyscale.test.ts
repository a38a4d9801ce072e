import { describe, expect, it } from 'vitest';
import { GreyMapper, windowGrey } from '../../src-renderer/lib/render/greyscale';
import { planeRaster, type ViewAxes } from '../../src-renderer/lib/data/viewgeom';

const AXIAL: ViewAxes = { kind: 'axial', slice: 2, right: 0, rightSign: 1, down: 1, downSign: 1 };
const SAGITTAL_FLIPPED: ViewAxes = { kind: 'sagittal', slice: 0, right: 1, rightSign: -1, down: 2, downSign: -1 };
const grey = (px: number) => [px & 0xff, (px >>> 8) & 0xff, (px >>> 16) & 0xff, px >>> 24];

describe('window/level to grey (vtk.js colour window/level mapping)', () => {
  it('maps the window ends to black and white and the level to mid-grey', () => {
    const w = { center: 40, width: 400 }; // CT soft tissue: -160 … 240 HU
    expect(windowGrey(-1000, w)).toBe(0);
    expect(windowGrey(-160, w)).toBe(0);
    expect(windowGrey(40, w)).toBe(128); // 127.5 rounds up
    expect(windowGrey(240, w)).toBe(255);
    expect(windowGrey(3000, w)).toBe(255);
    expect(windowGrey(0, w)).toBe(Math.round((160 / 400) * 255)); // 102
  });

  it('int16 slices (table) and float32 slices (per pixel) give the same opaque pixels', () => {
    const dims: [number, number, number] = [3, 2, 2];
    const values = [-1024, -160, 0, 40, 240, 1200, 7, 8, 9, 10, 11, 12];
    const w = { center: 40, width: 400 };
    const r = planeRaster(dims, AXIAL, 0);
    const a = new Uint32Array(6), b = new Uint32Array(6);
    new GreyMapper(Int16Array.from(values)).paint(r, w, a);
    new GreyMapper(Float32Array.from(values)).paint(r, w, b);
    expect(Array.from(a).map((p) => grey(p)[0])).toEqual([0, 0, 102, 128, 255, 255]);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(a).every((p) => grey(p)[3] === 255 && grey(p)[0] === grey(p)[1] && grey(p)[1] === grey(p)[2])).toBe(true);
  });

  it('follows the raster: slice offset and flipped axes (sagittal seen with anterior left, head up)', () => {
    const dims: [number, number, number] = [2, 3, 2]; // i, j, k
    const vox = new Uint8Array(12);
    for (let k = 0; k < 2; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) vox[i + j * 2 + k * 6] = 10 * (1 + j) + 100 * k + i;
    const w = { center: 127.5, width: 255 }; // identity for bytes
    const r = planeRaster(dims, SAGITTAL_FLIPPED, 1); // i = 1; columns j = 2,1,0; rows k = 1,0
    const out = new Uint32Array(r.width * r.height);
    new GreyMapper(vox).paint(r, w, out);
    expect(Array.from(out).map((p) => grey(p)[0])).toEqual([131, 121, 111, 31, 21, 11]);
  });

  it('rebuilds the table when the window changes', () => {
    const m = new GreyMapper(Int16Array.from([100]));
    const r = planeRaster([1, 1, 1], AXIAL, 0);
    const out = new Uint32Array(1);
    m.paint(r, { center: 100, width: 200 }, out);
    expect(grey(out[0])[0]).toBe(128);
    m.paint(r, { center: 0, width: 200 }, out);
    expect(grey(out[0])[0]).toBe(255);
  });
});
