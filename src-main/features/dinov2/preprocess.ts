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
 * Padding gets the normalised value of 0 (the bottom of the window: air for CT).
 */
export function writeInput(src: SliceAccess, l: SliceLayout, range: [number, number], out: Float32Array, outOffset: number): void {
  const { width, height } = l;
  const plane = width * height;
  const [lo, hi] = range;
  const inv = 1 / (hi - lo);
  const gray = new Float32Array(plane);
  // Per column: source index and weight (bilinear, edges clamped); NaN marks padding.
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
  for (let v = 0; v < height; v++) {
    const y = (v + 0.5 - l.offV) / l.scaleV - 0.5;
    const inside = v + 0.5 >= l.offV && v + 0.5 <= l.offV + l.nv * l.scaleV;
    const row = v * width;
    if (!inside) continue; // stays 0 = bottom of the window
    const yc = Math.min(Math.max(y, 0), l.nv - 1);
    const y0 = Math.floor(yc), y1 = Math.min(y0 + 1, l.nv - 1), yw = yc - y0;
    const r0 = base + y0 * strideV, r1 = base + y1 * strideV;
    for (let u = 0; u < width; u++) {
      if (!inU[u]) continue;
      const a = xs0[u] * strideU, b = xs1[u] * strideU, w = xw[u];
      const top = data[r0 + a] * (1 - w) + data[r0 + b] * w;
      const bot = data[r1 + a] * (1 - w) + data[r1 + b] * w;
      const val = (top * (1 - yw) + bot * yw - lo) * inv;
      gray[row + u] = val < 0 ? 0 : val > 1 ? 1 : val;
    }
  }
  for (let c = 0; c < 3; c++) {
    const m = IMAGENET_MEAN[c], s = 1 / IMAGENET_STD[c];
    const o = outOffset + c * plane;
    for (let p = 0; p < plane; p++) out[o + p] = (gray[p] - m) * s;
  }
}
