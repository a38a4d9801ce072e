/**
 * One 2D slice view. The grey slice (window/level) and the label overlay are each a canvas of the slice's own
 * size (one pixel per voxel), placed and scaled onto the view with a CSS transform; the crosshair and the
 * brush ring are plain elements. So a scroll step re-rasterises one slice into two small canvases, pan and
 * zoom only change transforms (the compositor scales: bilinear for grey values, pixelated for labels), and a
 * crosshair or brush move repaints no pixels at all.
 *
 * Why not a vtk.js image slice (as before): see greyscale.ts — under software compositing the WebGL read-back
 * dominated every scroll frame. The 3D view stays on vtk.js. Touches the DOM: browser only.
 */
import type { Vec3, VoxelArray, WindowLevel } from '../../../src-shared';
import { planeRaster, rasterToIjk, ijkToRaster, type ViewAxes } from '../data/viewgeom';
import { fitViewport, rasterToScreen, screenToRaster, type PlaneSize, type Viewport } from '../data/viewport';
import { GreyMapper } from './greyscale';
import { kStrip } from './strips';

export interface OverlayLayers {
  /** Draws the slice's RGBA overlay into `out` (width×height×4 of the plane raster), already cleared. */
  paint(out: Uint8ClampedArray, raster: ReturnType<typeof planeRaster>): void;
}

/** A slice-sized raster layer: pixels in memory, mirrored in a canvas that the view transforms into place. */
class Layer {
  readonly canvas = document.createElement('canvas');
  image: ImageData = new ImageData(1, 1);
  pixels = new Uint32Array(this.image.data.buffer);
  dirty = true;
  /** The canvas holds no visible pixel: an empty slice after an empty slice costs no upload. */
  private blank = true;

  constructor(z: number, pixelated: boolean) {
    const st = this.canvas.style;
    st.position = 'absolute';
    st.left = '0';
    st.top = '0';
    st.transformOrigin = '0 0';
    st.pointerEvents = 'none';
    st.zIndex = String(z);
    st.willChange = 'transform';
    if (pixelated) st.imageRendering = 'pixelated';
  }

  resize(w: number, h: number): void {
    this.canvas.width = w;
    this.canvas.height = h;
    this.image = new ImageData(w, h);
    this.pixels = new Uint32Array(this.image.data.buffer);
    this.blank = true;
    this.dirty = true;
  }

  /** Upload one rectangle that was just painted (a streamed slice's strip). */
  commitRect(x: number, y: number, w: number, h: number): void {
    if (this.blank) {
      // nothing on the canvas yet: an empty strip changes nothing
      const px = this.pixels, width = this.canvas.width;
      let any = false;
      for (let yy = y; yy < y + h && !any; yy++) for (let xx = x; xx < x + w; xx++) if (px[yy * width + xx] !== 0) { any = true; break; }
      if (!any) return;
    }
    this.canvas.getContext('2d')?.putImageData(this.image, 0, 0, x, y, w, h);
    this.blank = false;
  }

  commit(skipIfBlank: boolean): void {
    this.dirty = false;
    if (skipIfBlank) {
      const px = this.pixels;
      let any = false;
      for (let i = 0; i < px.length; i++) if (px[i] !== 0) { any = true; break; }
      if (!any) {
        if (!this.blank) this.canvas.getContext('2d')?.clearRect(0, 0, this.canvas.width, this.canvas.height);
        this.blank = true;
        return;
      }
    }
    this.canvas.getContext('2d')?.putImageData(this.image, 0, 0);
    this.blank = false;
  }
}

/** An absolutely placed, non-interactive element for the crosshair and brush ring. */
function marker(css: string): HTMLDivElement {
  const d = document.createElement('div');
  d.style.cssText = `position:absolute;left:0;top:0;pointer-events:none;z-index:1;will-change:transform;display:none;${css}`;
  return d;
}

export class SliceView {
  private readonly grey = new Layer(0, false);
  private readonly labels = new Layer(1, true);
  private readonly crossH = marker('width:100%;height:1px;background:rgba(255,220,0,0.55);');
  private readonly crossV = marker('width:1px;height:100%;background:rgba(255,220,0,0.55);');
  private readonly ring = marker('border:1px solid rgba(255,255,255,0.9);border-radius:50%;box-sizing:border-box;');
  /** Last transforms written, so an unchanged element is not touched (no style recalculation). */
  private readonly placed = new Map<HTMLElement, string>();
  /** Axial slices (k) whose strip in this view needs repainting (views that do not scroll through k). */
  private dirtyKs = new Set<number>();
  private stripBuf = new Uint8ClampedArray(0);
  private mapper: GreyMapper | null = null;
  private window: WindowLevel = { center: 40, width: 400 };
  private dims: Vec3 = [1, 1, 1];
  private spacing: Vec3 = [1, 1, 1];
  private slice = 0;
  private cssW = 1;
  private cssH = 1;
  private vp: Viewport = { cx: 0, cy: 0, mmPerPx: 1 };
  private hasImage = false;
  private frame = 0;
  /** ms spent in the last draw: re-rasterising changed layers, and placing them (benchmarks). */
  lastRasterMs = 0;
  lastPlaceMs = 0;
  cursor: Vec3 | null = null;
  brush: { x: number; y: number; radiusPx: number } | null = null;

  constructor(
    private readonly container: HTMLElement,
    readonly axes: ViewAxes,
    private readonly layers: OverlayLayers,
  ) {
    for (const el of [this.grey.canvas, this.labels.canvas, this.crossH, this.crossV, this.ring]) container.appendChild(el);
  }

  /** The volume to show (shared, never copied); `dims`/`spacing` are its grid. */
  setImage(voxels: VoxelArray, dims: Vec3, spacing: Vec3): void {
    this.dims = dims;
    this.spacing = spacing;
    this.mapper = new GreyMapper(voxels);
    this.hasImage = true;
    this.slice = Math.max(0, Math.min(this.sliceCount - 1, this.slice));
    const r = planeRaster(dims, this.axes, 0);
    if (this.grey.canvas.width !== r.width || this.grey.canvas.height !== r.height || !this.grey.pixels.length) {
      this.grey.resize(r.width, r.height);
      this.labels.resize(r.width, r.height);
    }
    this.grey.dirty = true;
    this.labels.dirty = true;
    this.resize();
    this.vp = fitViewport(this.plane(), this.cssW, this.cssH);
    this.invalidate();
  }

  plane(): PlaneSize {
    return { width: this.dims[this.axes.right], height: this.dims[this.axes.down], sc: this.spacing[this.axes.right], sr: this.spacing[this.axes.down] };
  }
  get sliceCount(): number {
    return this.dims[this.axes.slice];
  }
  get currentSlice(): number {
    return this.slice;
  }
  get viewport(): Viewport {
    return this.vp;
  }
  get size(): { w: number; h: number } {
    return { w: this.cssW, h: this.cssH };
  }

  setSlice(k: number): void {
    const s = Math.max(0, Math.min(this.sliceCount - 1, Math.round(k)));
    if (s === this.slice && this.hasImage) return;
    this.slice = s;
    this.grey.dirty = true;
    this.labels.dirty = true;
    this.invalidate();
  }

  setWindow(w: WindowLevel): void {
    if (w.center === this.window.center && w.width === this.window.width) return;
    this.window = { center: w.center, width: w.width };
    this.grey.dirty = true;
    this.invalidate();
  }

  setViewport(v: Viewport): void {
    this.vp = v;
    this.invalidate();
  }

  resetView(): void {
    this.vp = fitViewport(this.plane(), this.cssW, this.cssH);
    this.invalidate();
  }

  resize(): void {
    const r = this.container.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width)), h = Math.max(1, Math.round(r.height));
    if (this.hasImage && (this.cssW !== w || this.cssH !== h)) {
      // keep the same content centred: fit again when the view was fitted before
      this.cssW = w;
      this.cssH = h;
      this.vp = fitViewport(this.plane(), w, h);
    }
    this.cssW = w;
    this.cssH = h;
    this.invalidate();
  }

  /** Continuous voxel position (i,j,k) under a CSS pixel of this view, on the current slice. */
  screenToIjk(px: number, py: number): Vec3 {
    const { col, row } = screenToRaster(this.vp, this.plane(), this.cssW, this.cssH, px, py);
    const ijk = rasterToIjk(this.dims, this.axes, this.slice, 0, 0);
    ijk[this.axes.right] = this.axes.rightSign > 0 ? col : this.dims[this.axes.right] - 1 - col;
    ijk[this.axes.down] = this.axes.downSign > 0 ? row : this.dims[this.axes.down] - 1 - row;
    return ijk;
  }

  ijkToScreen(ijk: Vec3): { x: number; y: number } {
    const r = ijkToRaster(this.dims, this.axes, ijk);
    return rasterToScreen(this.vp, this.plane(), this.cssW, this.cssH, r.col, r.row);
  }

  /** Draw once in the next animation frame, however many changes arrive before it (wheel bursts, streams). */
  invalidate(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  /** The label layers changed (predictions, strokes, overlay style). */
  invalidateOverlay(): void {
    this.labels.dirty = true;
    this.invalidate();
  }

  /**
   * Predicted axial slices arrived: repaint only what shows them — this view's slice if it is one of them, or
   * their row/column strips in a view across them.
   */
  invalidateSlices(ks: readonly number[]): void {
    if (this.axes.slice === 2) {
      if (ks.includes(this.slice)) this.invalidateOverlay();
      return;
    }
    for (const k of ks) this.dirtyKs.add(k);
    this.invalidate();
  }

  /** Crosshair or brush cursor moved: only elements move. */
  invalidateCursor(): void {
    this.invalidate();
  }

  private draw(): void {
    this.frame = 0;
    if (!this.hasImage || !this.mapper) return;
    const t0 = performance.now();
    if (this.grey.dirty || this.labels.dirty) {
      const r = planeRaster(this.dims, this.axes, this.slice);
      if (this.grey.dirty) {
        this.mapper.paint(r, this.window, this.grey.pixels);
        this.grey.commit(false);
      }
      if (this.labels.dirty) {
        this.labels.pixels.fill(0);
        this.layers.paint(this.labels.image.data, r);
        this.labels.commit(true);
      }
    }
    if (this.dirtyKs.size) this.paintStrips();
    const t1 = performance.now();
    this.place();
    this.lastRasterMs = t1 - t0;
    this.lastPlaceMs = performance.now() - t1;
  }

  private paintStrips(): void {
    const ks = [...this.dirtyKs];
    this.dirtyKs.clear();
    if (this.labels.dirty) return; // a full repaint is already due
    const px = this.labels.pixels;
    const width = this.labels.canvas.width;
    for (const k of ks) {
      const s = kStrip(this.dims, this.axes, this.slice, k);
      if (!s) continue;
      const n = s.w * s.h * 4;
      if (this.stripBuf.length < n) this.stripBuf = new Uint8ClampedArray(n);
      const buf = this.stripBuf.subarray(0, n);
      buf.fill(0);
      this.layers.paint(buf, s.raster);
      // the strip raster is row-major over its own w×h: copy it into the view raster's rectangle
      const strip = new Uint32Array(buf.buffer, 0, s.w * s.h);
      for (let y = 0, i = 0; y < s.h; y++) for (let x = 0; x < s.w; x++, i++) px[(s.y + y) * width + s.x + x] = strip[i];
      this.labels.commitRect(s.x, s.y, s.w, s.h);
    }
  }

  private setTransform(el: HTMLElement, transform: string | null): void {
    const v = transform ?? 'none';
    if (this.placed.get(el) === v) return;
    this.placed.set(el, v);
    if (transform === null) el.style.display = 'none';
    else {
      el.style.display = 'block';
      el.style.transform = transform;
    }
  }

  private place(): void {
    const p = this.plane();
    // raster pixel centres sit on integer (col,row): the image spans -0.5 … n-0.5
    const tl = rasterToScreen(this.vp, p, this.cssW, this.cssH, -0.5, -0.5);
    const sx = p.sc / this.vp.mmPerPx, sy = p.sr / this.vp.mmPerPx;
    const image = `translate(${tl.x}px, ${tl.y}px) scale(${sx}, ${sy})`;
    this.setTransform(this.grey.canvas, image);
    this.setTransform(this.labels.canvas, image);
    const c = this.cursor ? this.ijkToScreen(this.cursor) : null;
    this.setTransform(this.crossH, c ? `translateY(${Math.round(c.y)}px)` : null);
    this.setTransform(this.crossV, c ? `translateX(${Math.round(c.x)}px)` : null);
    const b = this.brush;
    if (b) {
      const d = Math.max(2, 2 * b.radiusPx);
      const size = `${d}px`;
      if (this.ring.style.width !== size) {
        this.ring.style.width = size;
        this.ring.style.height = size;
      }
      this.setTransform(this.ring, `translate(${b.x - d / 2}px, ${b.y - d / 2}px)`);
    } else this.setTransform(this.ring, null);
  }

  dispose(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    for (const el of [this.grey.canvas, this.labels.canvas, this.crossH, this.crossV, this.ring]) el.remove();
  }
}
