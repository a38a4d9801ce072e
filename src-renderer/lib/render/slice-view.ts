/**
 * One 2D slice view: a vtk.js image slice (grey values, window/level) under a 2D canvas that carries the
 * label overlays, crosshair and brush cursor. Overlays live on the 2D canvas so that swapping a predicted
 * slice costs one putImageData, never a texture re-upload or a WebGL frame. Touches `window`: browser only.
 */
import '@kitware/vtk.js/Rendering/OpenGL/Profiles/Volume';
import '@kitware/vtk.js/Rendering/OpenGL/RenderWindow'; // registers the 'WebGL' view
import vtkRenderWindow from '@kitware/vtk.js/Rendering/Core/RenderWindow';
import vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import vtkImageMapper from '@kitware/vtk.js/Rendering/Core/ImageMapper';
import vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import type vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import type { Vec3, WindowLevel } from '../../../src-shared';
import { planeRaster, rasterToIjk, ijkToRaster, type ViewAxes } from '../data/viewgeom';
import { fitViewport, rasterToScreen, screenToRaster, type PlaneSize, type Viewport } from '../data/viewport';

export interface OverlayLayers {
  /** Draws the slice's RGBA overlay into `out` (width×height×4 of the plane raster), already cleared. */
  paint(out: Uint8ClampedArray, raster: ReturnType<typeof planeRaster>): void;
}

interface OpenGLView {
  setContainer(el: HTMLElement): void;
  setSize(w: number, h: number): void;
  getCanvas(): HTMLCanvasElement;
  delete(): void;
}

export class SliceView {
  readonly overlay: HTMLCanvasElement;
  private readonly rw = vtkRenderWindow.newInstance();
  private readonly ren = vtkRenderer.newInstance({ background: [0, 0, 0] });
  private readonly gl: OpenGLView;
  private readonly mapper = vtkImageMapper.newInstance();
  private readonly actor = vtkImageSlice.newInstance();
  private readonly labelCanvas = document.createElement('canvas');
  private labelImage: ImageData | null = null;
  private dims: Vec3 = [1, 1, 1];
  private spacing: Vec3 = [1, 1, 1];
  private slice = 0;
  private cssW = 1;
  private cssH = 1;
  private vp: Viewport = { cx: 0, cy: 0, mmPerPx: 1 };
  private hasImage = false;
  private frame = 0;
  private imageDirty = true;
  private overlayDirty = true;
  /** The label raster needs repainting (labels, slice or style changed); crosshair/brush moves reuse it. */
  private labelsDirty = true;
  /** ms spent in the last vtk render and the last overlay draw (for the smoothness benchmark). */
  lastRenderMs = 0;
  lastOverlayMs = 0;
  cursor: Vec3 | null = null;
  brush: { x: number; y: number; radiusPx: number } | null = null;

  constructor(
    private readonly container: HTMLElement,
    readonly axes: ViewAxes,
    private readonly layers: OverlayLayers,
  ) {
    this.rw.addRenderer(this.ren);
    this.gl = this.rw.newAPISpecificView('WebGL') as OpenGLView;
    this.gl.setContainer(container);
    this.rw.addView(this.gl as never);
    const c = this.gl.getCanvas();
    c.style.position = 'absolute';
    c.style.inset = '0';
    c.style.width = '100%';
    c.style.height = '100%';
    this.overlay = document.createElement('canvas');
    this.overlay.className = 'overlay';
    this.overlay.style.position = 'absolute';
    this.overlay.style.inset = '0';
    this.overlay.style.width = '100%';
    this.overlay.style.height = '100%';
    container.appendChild(this.overlay);
    this.mapper.setSlicingMode(axes.slice);
    this.actor.setMapper(this.mapper);
    this.ren.getActiveCamera().setParallelProjection(true);
  }

  setImage(img: vtkImageData, dims: Vec3, spacing: Vec3): void {
    this.dims = dims;
    this.spacing = spacing;
    this.mapper.setInputData(img);
    if (!this.hasImage) this.ren.addViewProp(this.actor);
    this.hasImage = true;
    const r = planeRaster(dims, this.axes, 0);
    this.labelCanvas.width = r.width;
    this.labelCanvas.height = r.height;
    this.labelImage = new ImageData(r.width, r.height);
    this.labelsDirty = true;
    this.resize();
    this.vp = fitViewport(this.plane(), this.cssW, this.cssH);
    this.invalidate(true, true);
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
    this.labelsDirty = true;
    this.mapper.setSlice(s);
    this.invalidate(true, true);
  }

  setWindow(w: WindowLevel): void {
    const p = this.actor.getProperty();
    p.setColorWindow(w.width);
    p.setColorLevel(w.center);
    this.invalidate(true, false);
  }

  setViewport(v: Viewport): void {
    this.vp = v;
    this.invalidate(true, true);
  }

  resetView(): void {
    this.vp = fitViewport(this.plane(), this.cssW, this.cssH);
    this.invalidate(true, true);
  }

  resize(): void {
    const r = this.container.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width)), h = Math.max(1, Math.round(r.height));
    const dpr = window.devicePixelRatio || 1;
    this.gl.setSize(Math.round(w * dpr), Math.round(h * dpr));
    this.overlay.width = Math.round(w * dpr);
    this.overlay.height = Math.round(h * dpr);
    if (this.hasImage && (this.cssW !== w || this.cssH !== h)) {
      // keep the same content centred: fit again when the view was fitted before
      this.cssW = w;
      this.cssH = h;
      this.vp = fitViewport(this.plane(), w, h);
    }
    this.cssW = w;
    this.cssH = h;
    this.invalidate(true, true);
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

  /** Mark layers dirty; drawing happens once in the next animation frame. */
  invalidate(image: boolean, overlay: boolean): void {
    this.imageDirty ||= image;
    this.overlayDirty ||= overlay;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  /** The overlay only (labels, crosshair, brush): cheap, never touches WebGL. */
  invalidateOverlay(): void {
    this.labelsDirty = true;
    this.invalidate(false, true);
  }

  /** Crosshair or brush cursor moved: redraw the overlay from the cached label raster. */
  invalidateCursor(): void {
    this.invalidate(false, true);
  }

  private draw(): void {
    this.frame = 0;
    if (!this.hasImage) return;
    if (this.imageDirty) {
      const t0 = performance.now();
      this.placeCamera();
      this.rw.render();
      this.lastRenderMs = performance.now() - t0;
      this.imageDirty = false;
    }
    const t1 = performance.now();
    this.drawOverlay();
    this.lastOverlayMs = performance.now() - t1;
    this.overlayDirty = false;
  }

  private placeCamera(): void {
    const cam = this.ren.getActiveCamera();
    const a = this.axes;
    const centre = screenToRaster(this.vp, this.plane(), this.cssW, this.cssH, this.cssW / 2, this.cssH / 2);
    const ijk = rasterToIjk(this.dims, a, this.slice, 0, 0);
    ijk[a.right] = a.rightSign > 0 ? centre.col : this.dims[a.right] - 1 - centre.col;
    ijk[a.down] = a.downSign > 0 ? centre.row : this.dims[a.down] - 1 - centre.row;
    const focal: Vec3 = [ijk[0] * this.spacing[0], ijk[1] * this.spacing[1], ijk[2] * this.spacing[2]];
    const right: Vec3 = [0, 0, 0];
    right[a.right] = a.rightSign;
    const up: Vec3 = [0, 0, 0];
    up[a.down] = -a.downSign;
    // direction of projection = up × right (so that screen-right = dop × up)
    const dop: Vec3 = [up[1] * right[2] - up[2] * right[1], up[2] * right[0] - up[0] * right[2], up[0] * right[1] - up[1] * right[0]];
    const dist = 1000 + this.dims[a.slice] * this.spacing[a.slice];
    cam.setFocalPoint(focal[0], focal[1], focal[2]);
    cam.setPosition(focal[0] - dop[0] * dist, focal[1] - dop[1] * dist, focal[2] - dop[2] * dist);
    cam.setViewUp(up[0], up[1], up[2]);
    cam.setParallelScale((this.cssH / 2) * this.vp.mmPerPx);
    this.ren.resetCameraClippingRange();
  }

  private drawOverlay(): void {
    const ctx = this.overlay.getContext('2d');
    if (!ctx || !this.labelImage) return;
    const dpr = this.overlay.width / this.cssW;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const lctx = this.labelCanvas.getContext('2d');
    if (lctx && this.labelsDirty) {
      const r = planeRaster(this.dims, this.axes, this.slice);
      this.labelImage.data.fill(0);
      this.layers.paint(this.labelImage.data, r);
      lctx.putImageData(this.labelImage, 0, 0);
      this.labelsDirty = false;
    }
    if (lctx) {
      const p = this.plane();
      const tl = rasterToScreen(this.vp, p, this.cssW, this.cssH, -0.5, -0.5);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(this.labelCanvas, tl.x, tl.y, (p.width * p.sc) / this.vp.mmPerPx, (p.height * p.sr) / this.vp.mmPerPx);
    }
    if (this.cursor) {
      const s = this.ijkToScreen(this.cursor);
      ctx.strokeStyle = 'rgba(255, 220, 0, 0.55)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(0, s.y);
      ctx.lineTo(this.cssW, s.y);
      ctx.moveTo(s.x, 0);
      ctx.lineTo(s.x, this.cssH);
      ctx.stroke();
    }
    if (this.brush) {
      ctx.strokeStyle = 'rgba(255,255,255,0.9)';
      ctx.beginPath();
      ctx.arc(this.brush.x, this.brush.y, Math.max(1, this.brush.radiusPx), 0, Math.PI * 2);
      ctx.stroke();
    }
  }

  dispose(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.overlay.remove();
    this.gl.delete();
    this.rw.delete();
  }
}
