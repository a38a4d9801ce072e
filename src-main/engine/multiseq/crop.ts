/**
 * Cropping a study to where any sequence has signal. Fused features cost (S sequences × channels) floats per voxel:
 * a 240×240×155 brain with four sequences and the filter bank is 6.5 GB, of which two thirds lie in the zero
 * background around a skull-stripped brain. Voxels where every sequence holds its background value (and no stroke lies) are
 * predicted background; everything else is computed as usual and pasted back onto the full grid.
 */
import { indexToWorld, type Vec3, type Volume } from '../../../src-shared';
import type { Sequence } from './study';

export interface CropBox {
  /** First voxel (i, j, k) and size of the box in the full grid. */
  lo: Vec3;
  size: Vec3;
  full: Vec3;
}

/** Bounding box of voxels that differ from each sequence's background, or of strokes, grown by `margin` voxels. */
export function contentBox(sequences: Sequence[], strokes?: Uint8Array, margin = 4): CropBox {
  const full = sequences[0].volume.dims as Vec3;
  const [nx, ny] = full;
  const lo: Vec3 = [Infinity, Infinity, Infinity], hi: Vec3 = [-1, -1, -1];
  const mark = (p: number): void => {
    const k = Math.floor(p / (nx * ny)), r = p - k * nx * ny, j = Math.floor(r / nx), i = r - j * nx;
    if (i < lo[0]) lo[0] = i; if (i > hi[0]) hi[0] = i;
    if (j < lo[1]) lo[1] = j; if (j > hi[1]) hi[1] = j;
    if (k < lo[2]) lo[2] = k; if (k > hi[2]) hi[2] = k;
  };
  const nz = full[2];
  for (const s of sequences) {
    const d = s.volume.data;
    // Background = the value all eight corners share (0 around a skull-stripped brain, padding in CT). Not the
    // minimum: registered MR holds small negative interpolation values inside the brain.
    const c = [0, nx - 1].flatMap((i) => [0, ny - 1].flatMap((j) => [0, nz - 1].map((k) => d[i + nx * (j + ny * k)])));
    const bg = c.every((v) => v === c[0]) ? c[0] : NaN;
    for (let p = 0; p < d.length; p++) if (s.coverage[p] && d[p] !== bg) mark(p);
  }
  if (strokes) for (let p = 0; p < strokes.length; p++) if (strokes[p]) mark(p);
  if (hi[0] < 0) return { lo: [0, 0, 0], size: [...full], full: [...full] };
  const a: Vec3 = [0, 0, 0], size: Vec3 = [0, 0, 0];
  for (let x = 0; x < 3; x++) {
    a[x] = Math.max(0, lo[x] - margin);
    size[x] = Math.min(full[x] - 1, hi[x] + margin) - a[x] + 1;
  }
  return { lo: a, size, full: [...full] };
}

/**
 * 1 where every sequence that covers the voxel holds its background value (contentBox's definition): the empty frame
 * around a skull-stripped brain, which no stroke or head has anything to say about. Null when some sequence has no
 * single background value (its corners differ), so nothing can be called empty.
 */
export function backgroundMask(sequences: Sequence[]): Uint8Array | null {
  const [nx, ny, nz] = sequences[0].volume.dims;
  const out = new Uint8Array(nx * ny * nz).fill(1);
  for (const s of sequences) {
    const d = s.volume.data;
    const c = [0, nx - 1].flatMap((i) => [0, ny - 1].flatMap((j) => [0, nz - 1].map((k) => d[i + nx * (j + ny * k)])));
    if (!c.every((v) => v === c[0])) return null;
    for (let p = 0; p < out.length; p++) if (s.coverage[p] && d[p] !== c[0]) out[p] = 0;
  }
  return out;
}

export function cropArray<T extends Float32Array | Uint8Array | Int16Array | Int32Array | Uint16Array | Int8Array | Uint32Array | Float64Array>(src: T, box: CropBox): T {
  const [fx, fy] = box.full, [sx, sy, sz] = box.size, [ox, oy, oz] = box.lo;
  const out = new (src.constructor as new (n: number) => T)(sx * sy * sz);
  for (let k = 0; k < sz; k++) for (let j = 0; j < sy; j++) {
    const from = ox + fx * (oy + j + fy * (oz + k));
    out.set(src.subarray(from, from + sx) as unknown as ArrayLike<number>, sx * (j + sy * k));
  }
  return out;
}

/** A cropped array back on the full grid; outside the box = fill. */
export function pasteArray(src: Uint8Array, box: CropBox, fill = 0): Uint8Array {
  const [fx, fy, fz] = box.full, [sx, sy, sz] = box.size, [ox, oy, oz] = box.lo;
  const out = new Uint8Array(fx * fy * fz).fill(fill);
  for (let k = 0; k < sz; k++) for (let j = 0; j < sy; j++) {
    out.set(src.subarray(sx * (j + sy * k), sx * (j + sy * k) + sx), ox + fx * (oy + j + fy * (oz + k)));
  }
  return out;
}

/** The volume inside the box, with its origin moved so world positions stay the same. */
export function cropVolume(v: Volume, box: CropBox): Volume {
  return { ...v, dims: [...box.size], origin: indexToWorld(v, box.lo), data: cropArray(v.data, box) };
}

export function cropSequences(sequences: Sequence[], box: CropBox): Sequence[] {
  return sequences.map((s) => ({ ...s, volume: cropVolume(s.volume, box), coverage: cropArray(s.coverage, box) }));
}
