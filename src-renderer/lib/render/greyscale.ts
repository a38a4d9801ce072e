/**
 * One slice of the volume as opaque grey RGBA pixels through a window/level, for the slice views' 2D canvas.
 * Data-only (no DOM, no vtk.js), so Node tests check it against known values.
 *
 * Why hand-written rather than a vtk.js image slice: under software compositing (SwiftShader, a VM or remote
 * desktop without a GPU) every WebGL frame is rendered in the GPU process and read back synchronously before
 * the page can composite it; measured with Chromium tracing, that read-back was 80–90 % of a scroll frame. A
 * 2D canvas fed one slice of pixels composites without it, and with a GPU it is uploaded as one texture too.
 * The mapping is vtk.js's own: grey = (value − (level − window/2)) / window, clamped to 0..1.
 */
import type { VoxelArray, WindowLevel } from '../../../src-shared';
import type { PlaneRaster } from '../data/viewgeom';

const OPAQUE = 0xff000000;

/** Grey byte (0..255) of one value through a window. */
export function windowGrey(value: number, w: WindowLevel): number {
  const width = Math.max(1e-6, w.width);
  const g = ((value - (w.center - width / 2)) / width) * 255;
  return g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g);
}

/**
 * Maps voxel values to packed RGBA (little-endian Uint32: 0xAABBGGRR). Integer volumes of at most 16 bits go
 * through a lookup table rebuilt only when the window changes (65 536 entries, well under a millisecond), so a
 * slice costs one table read per pixel; other types are computed per pixel.
 */
export class GreyMapper {
  private lut: Uint32Array | null = null;
  private lutOffset = 0;
  private lutKey = '';

  constructor(private readonly voxels: VoxelArray) {}

  /** Writes the raster's pixels into `out` (width × height, packed RGBA). */
  paint(r: PlaneRaster, w: WindowLevel, out: Uint32Array): void {
    const lut = this.table(w);
    const v = this.voxels;
    const { width, height } = r;
    if (lut) {
      const off = this.lutOffset;
      for (let row = 0, o = 0; row < height; row++) {
        let p = r.origin + row * r.strideRow;
        for (let col = 0; col < width; col++, p += r.strideCol) out[o++] = lut[v[p] + off];
      }
      return;
    }
    for (let row = 0, o = 0; row < height; row++) {
      let p = r.origin + row * r.strideRow;
      for (let col = 0; col < width; col++, p += r.strideCol) {
        const g = windowGrey(v[p], w);
        out[o++] = OPAQUE | (g << 16) | (g << 8) | g;
      }
    }
  }

  private table(w: WindowLevel): Uint32Array | null {
    const v = this.voxels;
    let offset: number, size: number;
    if (v instanceof Int16Array) [offset, size] = [32768, 65536];
    else if (v instanceof Uint16Array) [offset, size] = [0, 65536];
    else if (v instanceof Int8Array) [offset, size] = [128, 256];
    else if (v instanceof Uint8Array) [offset, size] = [0, 256];
    else return null;
    const key = `${w.center}/${w.width}`;
    if (this.lut && this.lutKey === key) return this.lut;
    const lut = this.lut?.length === size ? this.lut : new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      const g = windowGrey(i - offset, w);
      lut[i] = OPAQUE | (g << 16) | (g << 8) | g;
    }
    this.lut = lut;
    this.lutOffset = offset;
    this.lutKey = key;
    return lut;
  }
}
