/**
 * Where a slice lands in the network input, and back. A slice of nu × nv pixels (spacing su, sv mm) is resized
 * with its PHYSICAL aspect kept: 'pad' fits the long side to size × size and pads the short side (centred);
 * 'fit' fits the long side and rounds the short side up to a multiple of 14 (less compute for oblong slices).
 * Pixel-centre convention: input pixel u covers [u − 0.5, u + 0.5]; patch q covers pixels 14q … 14q + 13.
 */
import { PATCH } from './signature';

export type FitMode = 'pad' | 'fit';

export interface SliceLayout {
  /** Slice size in pixels along its u (columns) and v (rows) axes. */
  nu: number;
  nv: number;
  /** Network input width/height (multiples of 14) and patch grid. */
  width: number;
  height: number;
  gw: number;
  gh: number;
  /** Input pixels per slice pixel, and the offset of the content box. */
  scaleU: number;
  scaleV: number;
  offU: number;
  offV: number;
}

export function sliceLayout(nu: number, nv: number, su: number, sv: number, size: number, fit: FitMode): SliceLayout {
  const wmm = nu * su, hmm = nv * sv;
  const long = Math.max(wmm, hmm);
  const cw = (wmm / long) * size, ch = (hmm / long) * size; // content box in input pixels
  const round14 = (x: number) => Math.max(PATCH, Math.ceil(x / PATCH - 1e-9) * PATCH);
  const width = fit === 'pad' ? size : round14(cw);
  const height = fit === 'pad' ? size : round14(ch);
  return {
    nu, nv, width, height, gw: width / PATCH, gh: height / PATCH,
    scaleU: cw / nu, scaleV: ch / nv,
    offU: (width - cw) / 2, offV: (height - ch) / 2,
  };
}

/** Continuous input pixel coordinate of slice pixel index x (u axis). */
export function inputU(l: SliceLayout, x: number): number {
  return l.offU + (x + 0.5) * l.scaleU - 0.5;
}
export function inputV(l: SliceLayout, y: number): number {
  return l.offV + (y + 0.5) * l.scaleV - 0.5;
}
/** Continuous patch-grid coordinate of an input pixel coordinate (patch centres at 14q + 6.5). */
export function patchCoord(inputPixel: number): number {
  return (inputPixel - (PATCH - 1) / 2) / PATCH;
}
