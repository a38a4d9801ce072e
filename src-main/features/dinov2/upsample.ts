/**
 * Patch grid → voxel grid, bilinear, one line of voxels at a time. Axial slices need whole planes; with three
 * axes, a sagittal or coronal slice contributes one line to each axial slice, hence the line primitive.
 * Grids are compact fp16 (Uint16Array, [gh, gw, dim] channel-last) decoded through a lookup table.
 * Edge-aware refinement is not done here (that is fewshot/'s job).
 */
import { HALF_TO_FLOAT } from '../cache/fp16';
import { inputU, inputV, patchCoord, type SliceLayout } from './layout';

export interface LineTaps {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

/** Bilinear taps along one grid axis for n slice pixels, clamped to the grid (nearest patch beyond the centres). */
export function taps(n: number, grid: number, toInput: (x: number) => number): LineTaps {
  const i0 = new Int32Array(n), i1 = new Int32Array(n), w = new Float32Array(n);
  for (let x = 0; x < n; x++) {
    const pc = Math.min(Math.max(patchCoord(toInput(x)), 0), grid - 1);
    const a = Math.floor(pc);
    i0[x] = a; i1[x] = Math.min(a + 1, grid - 1); w[x] = pc - a;
  }
  return { i0, i1, w };
}

export function uTaps(l: SliceLayout): LineTaps {
  return taps(l.nu, l.gw, (x) => inputU(l, x));
}
export function vTaps(l: SliceLayout): LineTaps {
  return taps(l.nv, l.gh, (y) => inputV(l, y));
}

/**
 * out[(outStart + x·outStep)·outStride + chanOffset + c] += weight · bilinear(grid, u = x, v = fixed row), x along u.
 * `vt`/`vIndex` pick the grid row pair for the line's v position.
 */
export function accumulateLine(
  grid: Uint16Array, gw: number, dim: number,
  ut: LineTaps, vt: LineTaps, vIndex: number,
  outStart: number, outStep: number, out: Float32Array, outStride: number, chanOffset: number, weight: number,
): void {
  // Separable: blend the two grid rows once (gw × dim), then two taps per voxel along u.
  const lut = HALF_TO_FLOAT; // a local: module bindings can be slow property reads in some loaders
  const r0 = vt.i0[vIndex] * gw * dim, r1 = vt.i1[vIndex] * gw * dim, wv = vt.w[vIndex];
  const row = new Float32Array(gw * dim);
  for (let q = 0; q < row.length; q++) row[q] = (1 - wv) * lut[grid[r0 + q]] + wv * lut[grid[r1 + q]];
  const { i0, i1, w } = ut;
  const n = i0.length;
  for (let x = 0; x < n; x++) {
    const wb = w[x] * weight, wa = weight - wb;
    const a = i0[x] * dim, b = i1[x] * dim;
    const o = (outStart + x * outStep) * outStride + chanOffset;
    for (let k = 0; k < dim; k++) out[o + k] += wa * row[a + k] + wb * row[b + k];
  }
}
