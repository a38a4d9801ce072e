/**
 * The 3D view: a low-resolution volume rendering plus one surface per class. Software WebGL takes seconds per
 * ray-cast frame, so this view renders only when the slice views are idle, from downsampled data, at reduced
 * canvas resolution, and it never sits in the slice views' animation frames. Browser only.
 */
import '@kitware/vtk.js/Rendering/OpenGL/Profiles/Volume';
import '@kitware/vtk.js/Rendering/OpenGL/RenderWindow'; // registers the 'WebGL' view
import '@kitware/vtk.js/Rendering/OpenGL/Profiles/Geometry';
import vtkRenderWindow from '@kitware/vtk.js/Rendering/Core/RenderWindow';
import vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import vtkVolume from '@kitware/vtk.js/Rendering/Core/Volume';
import vtkVolumeMapper from '@kitware/vtk.js/Rendering/Core/VolumeMapper';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkPiecewiseFunction from '@kitware/vtk.js/Common/DataModel/PiecewiseFunction';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkRenderWindowInteractor from '@kitware/vtk.js/Rendering/Core/RenderWindowInteractor';
import vtkInteractorStyleTrackballCamera from '@kitware/vtk.js/Interaction/Style/InteractorStyleTrackballCamera';
import vtkImageMarchingCubes from '@kitware/vtk.js/Filters/General/ImageMarchingCubes';
import type { ClassSpec, VolumeHeader, VoxelArray } from '../../../src-shared';
import { downsample, downsampleStep } from '../data/downsample';
import { toVtkImage } from './vtk-image';

interface OpenGLView {
  setContainer(el: HTMLElement): void;
  setSize(w: number, h: number): void;
  getCanvas(): HTMLCanvasElement;
  delete(): void;
}

const MAX_DIM = 96;
/** Surfaces are smoothed anyway by the eye at this size; 64³ keeps marching cubes well under 100 ms. */
const MAX_SURFACE_DIM = 64;
/** Render at this fraction of the CSS size: a quarter of the pixels, a quarter of the ray-cast time. */
const RES = 0.5;

export class View3D {
  private readonly rw = vtkRenderWindow.newInstance();
  private readonly ren = vtkRenderer.newInstance({ background: [0.05, 0.05, 0.08] });
  private readonly gl: OpenGLView;
  private volume: ReturnType<typeof vtkVolume.newInstance> | null = null;
  private surfaces: ReturnType<typeof vtkActor.newInstance>[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private header: VolumeHeader | null = null;
  private step = 1;
  private surfaceStep = 1;
  showVolume = true;
  lastRenderMs = 0;
  renders = 0;

  constructor(private readonly container: HTMLElement) {
    this.rw.addRenderer(this.ren);
    this.gl = this.rw.newAPISpecificView('WebGL') as OpenGLView;
    this.gl.setContainer(container);
    this.rw.addView(this.gl as never);
    const c = this.gl.getCanvas();
    c.style.width = '100%';
    c.style.height = '100%';
    c.style.position = 'absolute';
    c.style.inset = '0';
    // The volume mapper needs an interactor (it lowers quality while the user rotates); it also gives trackball rotation.
    const iren = vtkRenderWindowInteractor.newInstance();
    iren.setView(this.gl as never);
    iren.initialize();
    iren.bindEvents(container);
    iren.setInteractorStyle(vtkInteractorStyleTrackballCamera.newInstance());
    this.iren = iren;
  }
  private readonly iren: ReturnType<typeof vtkRenderWindowInteractor.newInstance>;

  setVolume(header: VolumeHeader, voxels: VoxelArray): void {
    this.header = header;
    this.step = downsampleStep(header.dims, MAX_DIM);
    this.surfaceStep = downsampleStep(header.dims, MAX_SURFACE_DIM);
    const d = downsample(voxels, header.dims, header.spacing, this.step, (n) => new Float32Array(n));
    const img = toVtkImage({ dims: d.dims, spacing: d.spacing }, d.data);
    const mapper = vtkVolumeMapper.newInstance();
    mapper.setInputData(img);
    mapper.setSampleDistance(Math.max(...d.spacing));
    mapper.setImageSampleDistance(2);
    const actor = vtkVolume.newInstance();
    actor.setMapper(mapper);
    const ctf = vtkColorTransferFunction.newInstance();
    const otf = vtkPiecewiseFunction.newInstance();
    const lo = header.modality === 'CT' ? 150 : header.window.center;
    const hi = header.modality === 'CT' ? 1000 : header.window.center + header.window.width / 2;
    ctf.addRGBPoint(lo, 0.8, 0.6, 0.5);
    ctf.addRGBPoint(hi, 1, 1, 0.95);
    otf.addPoint(lo, 0);
    otf.addPoint(hi, 0.6);
    actor.getProperty().setRGBTransferFunction(0, ctf);
    actor.getProperty().setScalarOpacity(0, otf);
    actor.getProperty().setInterpolationTypeToLinear();
    if (this.volume) this.ren.removeVolume(this.volume);
    this.volume = actor;
    if (this.showVolume) this.ren.addVolume(actor);
    const cam = this.ren.getActiveCamera();
    const b = img.getBounds();
    const c: [number, number, number] = [(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2];
    // seen from the front (anterior, −y in LPS), head up
    cam.setFocalPoint(c[0], c[1], c[2]);
    cam.setPosition(c[0], c[1] - 1000, c[2]);
    cam.setViewUp(0, 0, 1);
    this.ren.resetCamera();
    this.requestRender();
  }

  setShowVolume(on: boolean): void {
    this.showVolume = on;
    if (this.volume) {
      if (on) this.ren.addVolume(this.volume);
      else this.ren.removeVolume(this.volume);
    }
    this.requestRender();
  }

  private labelsJob: number | null = null;

  /**
   * Rebuild the class surfaces from a prediction (0 = background). Marching cubes costs ~100–200 ms on the main
   * thread, so it runs in idle time, never inside a slice view's frame.
   */
  setLabels(labels: Uint8Array, classes: ClassSpec[]): void {
    if (this.labelsJob !== null) window.cancelIdleCallback(this.labelsJob);
    this.labelsJob = window.requestIdleCallback(() => {
      this.labelsJob = null;
      this.buildSurfaces(labels, classes);
    }, { timeout: 3000 });
  }

  private buildSurfaces(labels: Uint8Array, classes: ClassSpec[]): void {
    if (!this.header) return;
    for (const a of this.surfaces) this.ren.removeActor(a);
    this.surfaces = [];
    for (const cls of classes) {
      if (cls.hidden) continue;
      const d = downsample(labels, this.header.dims, this.header.spacing, this.surfaceStep, (n) => new Uint8Array(n), (v) => (v === cls.id ? 1 : 0));
      if (!d.data.includes(1)) continue;
      const mc = vtkImageMarchingCubes.newInstance({ contourValue: 0.5, computeNormals: true, mergePoints: true });
      mc.setInputData(toVtkImage({ dims: d.dims, spacing: d.spacing }, d.data));
      const m = vtkMapper.newInstance();
      m.setInputConnection(mc.getOutputPort() as Parameters<typeof m.setInputConnection>[0]);
      m.setScalarVisibility(false);
      const a = vtkActor.newInstance();
      a.setMapper(m);
      a.getProperty().setColor(cls.color[0] / 255, cls.color[1] / 255, cls.color[2] / 255);
      this.ren.addActor(a);
      this.surfaces.push(a);
    }
    this.requestRender();
  }

  /** Render later, once nothing else asked for time (debounced), so slice views stay responsive. */
  requestRender(delayMs = 250): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const run = (): void => this.render();
      if ('requestIdleCallback' in window) window.requestIdleCallback(run, { timeout: 2000 });
      else run();
    }, delayMs);
  }

  resize(): void {
    const r = this.container.getBoundingClientRect();
    this.gl.setSize(Math.max(1, Math.round(r.width * RES)), Math.max(1, Math.round(r.height * RES)));
    this.requestRender();
  }

  private render(): void {
    const t0 = performance.now();
    this.rw.render();
    this.lastRenderMs = performance.now() - t0;
    this.renders++;
    this.container.dataset.renders = String(this.renders);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.labelsJob !== null) window.cancelIdleCallback(this.labelsJob);
    this.iren.unbindEvents();
    this.iren.delete();
    this.gl.delete();
    this.rw.delete();
  }
}
