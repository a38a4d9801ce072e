/**
 * Turns one slice of a label map into RGBA pixels for the 2D overlay canvas. Only the visible slice is
 * converted (a few hundred thousand pixels), which keeps prediction swaps far below a frame. Data-only.
 */
import { BACKGROUND_ID } from '../../../src-shared';
import type { PlaneRaster } from './viewgeom';

export type OverlayStyle = 'fill' | 'outline';

/** RGBA per label value (0..255); alpha 0 = not drawn. */
export type Palette = Uint8ClampedArray; // 256 × 4

export function makePalette(classes: { id: number; color: [number, number, number]; hidden?: boolean }[], alpha: number, background?: [number, number, number]): Palette {
  const p = new Uint8ClampedArray(256 * 4);
  const a = Math.round(Math.min(1, Math.max(0, alpha)) * 255);
  for (const c of classes) {
    if (c.hidden || c.id <= 0 || c.id > 255) continue;
    p.set([c.color[0], c.color[1], c.color[2], a], c.id * 4);
  }
  if (background) p.set([background[0], background[1], background[2], a], BACKGROUND_ID * 4);
  return p;
}

/**
 * Write the slice's label colours into `out` (width × height × 4, row-major), blending over what is there
 * when `blend` is set (scribbles drawn on top of predictions).
 */
export function paintSlice(labels: Uint8Array, r: PlaneRaster, palette: Palette, style: OverlayStyle, out: Uint8ClampedArray, blend = false): void {
  const { width, height } = r;
  for (let row = 0; row < height; row++) {
    let v = r.origin + row * r.strideRow;
    for (let col = 0; col < width; col++, v += r.strideCol) {
      const lab = labels[v];
      const o = (row * width + col) * 4;
      const pa = palette[lab * 4 + 3];
      if (lab === 0 || pa === 0) {
        if (!blend) out[o + 3] = 0;
        continue;
      }
      if (style === 'outline') {
        // A pixel is on the outline when a 4-neighbour in the slice has another label (or is off the slice).
        const l = col > 0 ? labels[v - r.strideCol] : -1;
        const rr = col < width - 1 ? labels[v + r.strideCol] : -1;
        const u = row > 0 ? labels[v - r.strideRow] : -1;
        const d = row < height - 1 ? labels[v + r.strideRow] : -1;
        if (l === lab && rr === lab && u === lab && d === lab) {
          if (!blend) out[o + 3] = 0;
          continue;
        }
        out[o] = palette[lab * 4];
        out[o + 1] = palette[lab * 4 + 1];
        out[o + 2] = palette[lab * 4 + 2];
        out[o + 3] = 255;
        continue;
      }
      out[o] = palette[lab * 4];
      out[o + 1] = palette[lab * 4 + 1];
      out[o + 2] = palette[lab * 4 + 2];
      out[o + 3] = pa;
    }
  }
}

/** Uncertainty (0..255 per voxel, 255 = least sure) as a translucent magenta heat layer. */
export function paintUncertainty(u: Uint8Array, r: PlaneRaster, out: Uint8ClampedArray, alpha = 0.6): void {
  const { width, height } = r;
  for (let row = 0; row < height; row++) {
    let v = r.origin + row * r.strideRow;
    for (let col = 0; col < width; col++, v += r.strideCol) {
      const o = (row * width + col) * 4;
      const x = u[v];
      if (x < 16) continue;
      out[o] = 255;
      out[o + 1] = 0;
      out[o + 2] = 255;
      out[o + 3] = Math.round(x * alpha);
    }
  }
}
