/**
 * Slice → network input: intensity scaling to [0, 1] (CT window or MR percentiles), gray → 3 channels, ImageNet
 * normalisation, bilinear resize into the layout (see layout.ts). Pure functions on typed arrays.
 */
import type { Volume } from '../../../src-shared';
import type { SliceLayout } from './layout';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export type IntensityOption =
  | { mode: 'ct-window'; lo: number; hi: number }
  | { mode: 'percentile'; lo: number; hi: number };

/** CT: −1024..600 HU (as in the DINOv2-radiology study). Others: 0.5th–99.5th percentile of the volume. */
export function defaultIntensity(modality: string): IntensityOption {
  return modality === 'CT' ? { mode: 'ct-window', lo: -1024, hi: 600 } : { mode: 'percentile', lo: 0.5, hi: 99.5 };
}

/**
 * The value range mapped to [0, 1]. Percentiles are taken over the whole volume (a strided sample), not per
 * slice, so that the same tissue looks the same on every slice.
 */
export function intensityRange(volume: Volume, opt: IntensityOption): [number, number] {
  if (opt.mode === 'ct-window') return [opt.lo, opt.hi];
  const d = volume.data;
  const step = Math.max(1, Math.floor(d.length / 200_000));
  const sample = new Float64Array(Math.ceil(d.length / step));
  let n = 0;
  for (let i = 0; i < d.length; i += step) sample[n++] = d[i];
  const s = sample.subarray(0, n).sort();
  const at = (p: number) => s[Math.min(n - 1, Math.max(0, Math.round((p / 100) * (n - 1))))];
  const lo = at(opt.lo), hi = at(opt.hi);
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/** How to read a 2D slice out of the volume: value(u, v) = data[base + u·strideU + v·strideV]. */
export interface SliceAccess {
  data: ArrayLike<number>;
  base: number;
  strideU: number;
  strideV: number;
}

/**
 * Write one slice into `out` (a [3, height, width] float32 block, i.e. one batch item), normalised.
 * Padding gets the normalised value of 0 (the bottom of the window: air for CT). Every value of the block is
 * written (the caller reuses its input buffer between batches).
 *
 * Per slice on the GPU path this was half the CPU time outside the model, hence: the three channels are written in
 * the same pass as the gray value (no intermediate plane and three re-reads), and a source row's horizontal
 * interpolation is kept for the next output row that uses the same source row. The arithmetic is unchanged (the
 * gray value is rounded to float32 as when it was stored in a plane), so the input is bit-for-bit the same.
 */
export function writeInput(src: SliceAccess, l: SliceLayout, range: [number, number], out: Float32Array, outOffset: number): void {
  const { width, height } = l;
  const plane = width * height;
  const [lo, hi] = range;
  const inv = 1 / (hi - lo);
  const m0 = IMAGENET_MEAN[0], m1 = IMAGENET_MEAN[1], m2 = IMAGENET_MEAN[2];
  const s0 = 1 / IMAGENET_STD[0], s1 = 1 / IMAGENET_STD[1], s2 = 1 / IMAGENET_STD[2];
  const pad0 = (0 - m0) * s0, pad1 = (0 - m1) * s1, pad2 = (0 - m2) * s2;
  // Per column: source index and weight (bilinear, edges clamped); inU marks columns inside the content box.
  const xs0 = new Int32Array(width), xs1 = new Int32Array(width), xw = new Float32Array(width);
  const inU = new Uint8Array(width);
  for (let u = 0; u < width; u++) {
    const x = (u + 0.5 - l.offU) / l.scaleU - 0.5;
    inU[u] = u + 0.5 >= l.offU && u + 0.5 <= l.offU + l.nu * l.scaleU ? 1 : 0;
    const xc = Math.min(Math.max(x, 0), l.nu - 1);
    const x0 = Math.floor(xc);
    xs0[u] = x0; xs1[u] = Math.min(x0 + 1, l.nu - 1); xw[u] = xc - x0;
  }
  const { data, base, strideU, strideV } = src;
  // Horizontally interpolated source rows (float64, as the expression they replace), two kept for reuse.
  let rowA = new Float64Array(width), rowB = new Float64Array(width);
  let yA = -1, yB = -1;
  const horizontal = (y: number, dst: Float64Array): void => {
    const r = base + y * strideV;
    for (let u = 0; u < width; u++) {
      if (!inU[u]) continue;
      const w = xw[u];
      dst[u] = data[r + xs0[u] * strideU] * (1 - w) + data[r + xs1[u] * strideU] * w;
    }
  };
  const o0 = outOffset, o1 = outOffset + plane, o2 = outOffset + 2 * plane;
  for (let v = 0; v < height; v++) {
    const y = (v + 0.5 - l.offV) / l.scaleV - 0.5;
    const inside = v + 0.5 >= l.offV && v + 0.5 <= l.offV + l.nv * l.scaleV;
    const row = v * width;
    if (!inside) {
      out.fill(pad0, o0 + row, o0 + row + width);
      out.fill(pad1, o1 + row, o1 + row + width);
      out.fill(pad2, o2 + row, o2 + row + width);
      continue;
    }
    const yc = Math.min(Math.max(y, 0), l.nv - 1);
    const y0 = Math.floor(yc), y1 = Math.min(y0 + 1, l.nv - 1), yw = yc - y0;
    // Make rowA hold source row y0 and rowB row y1, reusing what the previous output row computed.
    if (yA !== y0) {
      if (yB === y0) { const t = rowA; rowA = rowB; rowB = t; yA = y0; yB = -1; } else { horizontal(y0, rowA); yA = y0; }
    }
    if (yB !== y1) { horizontal(y1, rowB); yB = y1; }
    blendRow(rowA, rowB, yw, lo, inv, inU, out, o0 + row, o1 + row, o2 + row);
  }
}

/**
 * One output row: vertical blend, window, three normalised channels. A function of its own (called per row) so
 * that V8 optimises it within the first slice; as part of one big loop nest the first call ran ~20× slower than
 * later ones, on the path to the first visible slice.
 */
function blendRow(
  rowA: Float64Array, rowB: Float64Array, yw: number, lo: number, inv: number, inU: Uint8Array,
  out: Float32Array, o0: number, o1: number, o2: number,
): void {
  const m0 = IMAGENET_MEAN[0], m1 = IMAGENET_MEAN[1], m2 = IMAGENET_MEAN[2];
  const s0 = 1 / IMAGENET_STD[0], s1 = 1 / IMAGENET_STD[1], s2 = 1 / IMAGENET_STD[2];
  const width = inU.length;
  for (let u = 0; u < width; u++) {
    if (!inU[u]) {
      out[o0 + u] = (0 - m0) * s0; out[o1 + u] = (0 - m1) * s1; out[o2 + u] = (0 - m2) * s2;
      continue;
    }
    const val = (rowA[u] * (1 - yw) + rowB[u] * yw - lo) * inv;
    const g = Math.fround(val < 0 ? 0 : val > 1 ? 1 : val);
    out[o0 + u] = (g - m0) * s0; out[o1 + u] = (g - m1) * s1; out[o2 + u] = (g - m2) * s2;
  }
}
