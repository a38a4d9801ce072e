/**
 * The DINOv2 feature backbone: volume slices → ONNX model → patch tokens → (normalised, PCA-reduced) fp16 grids
 * in the feature cache → bilinear upsampling to the slice's voxel grid on access.
 *
 * Choices (see bench/dinov2-report.md for numbers):
 * - Slices are computed in the caller's priority order (visible first), in batches; runs are queued.
 * - PCA (default 48 of 384 dims) is fitted on the first slice computed for a volume (the visible one) and stored
 *   with the cache entry, so every later slice, axis and session uses the same basis.
 * - Three axes (option): axial, sagittal and coronal slices are each run through the model; per voxel the three
 *   results are averaged ('mean', default: same dim, smooths slice-direction noise) or concatenated ('concat',
 *   3× dim). Every sagittal/coronal slice is needed before the first axial slice can be assembled.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { MedSegError, type Volume } from '../../../src-shared';
import type { BackboneSettings, ExtractOptions, FeatureBackbone, FeatureVolume } from '../types';
import { FeatureCache, cacheKey, cacheKeyPrefix, contentHashKnown, type CacheEntry } from '../cache';
import { encodeHalf } from '../cache/fp16';
import { sliceLayout, type FitMode, type SliceLayout } from './layout';
import { lazySlices } from '../cache/lazy';
import { SpareBuffer } from '../cache/spare';
import { applyPca, fitPca, type Pca } from './pca';
import { defaultIntensity, intensityRange, writeInput, type IntensityOption, type SliceAccess } from './preprocess';
import { OnnxModel, type ProviderChoice, type ProviderName } from './session';
import { probeModel } from './inspect';
import { DoubleGemm, PcaProjector } from './projection';
import { INPUT_NAME, OUTPUT_NAME, PATCH, readTokenLayout } from './signature';
import { normalizeTokens, patchTokens, type TokenNorm } from './tokens';
import { accumulateLine, uTaps, vTaps } from './upsample';

export type AxesOption = 'axial' | 'all';
export type FuseOption = 'mean' | 'concat';

export interface Dinov2Options {
  modelPath: string;
  /** Network input size (multiple of 14), default 448. */
  size?: number;
  /** 'pad' (square input, default) or 'fit' (long side = size, short side rounded to 14). */
  fit?: FitMode;
  axes?: AxesOption;
  fuse?: FuseOption;
  provider?: ProviderChoice;
  /** Disk cache folder; undefined → $MEDSEG_HOME/cache or ~/.medseg/cache; null → no persistent cache. */
  cacheDir?: string | null;
  /** Memory budget for cached compact grids (default 512 MiB). */
  memoryBudgetBytes?: number;
  /** Memory budget for voxel-resolution slices handed out (default 256 MiB). */
  outputBudgetBytes?: number;
  /** Slices per model run; default per provider (defaultBatchSize). Features do not depend on it (beyond float rounding in the model). */
  batchSize?: number;
  normalize?: TokenNorm;
  /** Output channels after PCA (default 48); 0 keeps the model's D. */
  pcaDims?: number;
  /** Default: CT window −1024..600 HU for CT, 0.5–99.5th percentiles otherwise. */
  intensity?: IntensityOption;
}

type Axis = 0 | 1 | 2;
const AXIS_NAMES = ['sag', 'cor', 'ax'] as const;

interface EntryMeta {
  format: 1;
  modelDim: number;
  pcaDims: number;
}

export class Dinov2Backbone implements FeatureBackbone {
  readonly settings: BackboneSettings;
  /** Slices run through the model since creation (cache hits do not count). */
  slicesComputed = 0;
  private readonly cache: FeatureCache;
  /** The cache entry of each open volume: keys cost a hash of every voxel, and a deferred entry must be reused. */
  private readonly entries = new WeakMap<Volume, CacheEntry>();
  private input: Float32Array | undefined;
  /** The next voxel-resolution slice's memory, faulted in while the model runs (see cache/spare.ts). */
  private readonly spare = new SpareBuffer();

  private constructor(
    readonly id: string,
    private readonly model: OnnxModel,
    /** onnxruntime's SGEMM for the per-slice PCA projection; undefined → the JS loop (same values to fp16). */
    private readonly projector: PcaProjector | undefined,
    /** onnxruntime's float64 GEMM for the PCA fit; undefined → the JS loops (same float64 products). */
    private readonly gemm: DoubleGemm | undefined,
    readonly modelDim: number,
    readonly registers: number,
    private readonly o: Required<Omit<Dinov2Options, 'intensity' | 'cacheDir' | 'provider'>> & Pick<Dinov2Options, 'intensity' | 'cacheDir'>,
  ) {
    this.cache = new FeatureCache({ cacheDir: o.cacheDir, memoryBudgetBytes: o.memoryBudgetBytes });
    this.settings = {
      size: o.size, fit: o.fit, axes: o.axes, fuse: o.axes === 'all' ? o.fuse : undefined,
      normalize: o.normalize, pcaDims: this.perAxisDim, batchSize: o.batchSize,
      intensity: o.intensity ? `${o.intensity.mode}:${o.intensity.lo}:${o.intensity.hi}` : 'auto',
    };
  }

  static async create(opts: Dinov2Options): Promise<Dinov2Backbone> {
    let size = opts.size ?? 448;
    if (!Number.isInteger(size) || size < PATCH || size % PATCH !== 0) {
      throw new MedSegError('INVALID_ARGUMENT', `The feature input size must be a multiple of ${PATCH} pixels (got ${size}).`);
    }
    const model = await OnnxModel.open(opts.modelPath, opts.provider ?? 'auto');
    try {
      const { signature: sig, registers, dim } = await probeModel(model);
      let fit = opts.fit ?? 'pad';
      let batchSize = Math.max(1, Math.floor(opts.batchSize ?? defaultBatchSize(model.provider)));
      if (sig.fixedHeight !== undefined) {
        size = sig.fixedHeight;
        fit = 'pad';
      }
      const batchDim = model.inputs[0]?.shape[0];
      if (batchDim === 1) batchSize = 1;
      const sha = await fileSha256(opts.modelPath);
      const pcaDims = opts.pcaDims ?? 48;
      if (!Number.isInteger(pcaDims) || pcaDims < 0) throw new MedSegError('INVALID_ARGUMENT', `PCA dimensions must be a whole number ≥ 0 (got ${pcaDims}).`);
      // The projector is only a faster path: if it cannot start, the JS projection gives the same features.
      const projector = pcaDims > 0 ? await PcaProjector.open().catch(() => undefined) : undefined;
      const gemm = pcaDims > 0 ? await DoubleGemm.open().catch(() => undefined) : undefined;
      return new Dinov2Backbone(`dinov2:${sha.slice(0, 16)}`, model, projector, gemm, dim, registers, {
        modelPath: opts.modelPath, size, fit, axes: opts.axes ?? 'axial', fuse: opts.fuse ?? 'mean',
        memoryBudgetBytes: opts.memoryBudgetBytes ?? 512 * 2 ** 20, outputBudgetBytes: opts.outputBudgetBytes ?? 256 * 2 ** 20,
        batchSize, normalize: opts.normalize ?? 'l2', pcaDims, intensity: opts.intensity, cacheDir: opts.cacheDir,
      });
    } catch (e) {
      await model.dispose();
      throw e;
    }
  }

  get provider(): string {
    return this.model.provider;
  }

  /** Milliseconds spent inside the model since creation (benchmarks subtract it to see the pipeline's overhead). */
  get modelRunMs(): number {
    return this.model.runMs;
  }

  /** Provider attempts that failed before the one in use (for the log / status bar tooltip). */
  get providerFailures(): { provider: string; error: string }[] {
    return this.model.failures;
  }

  get perAxisDim(): number {
    return this.o.pcaDims > 0 ? Math.min(this.o.pcaDims, this.modelDim) : this.modelDim;
  }

  get dim(): number {
    return this.o.axes === 'all' && this.o.fuse === 'concat' ? 3 * this.perAxisDim : this.perAxisDim;
  }

  cacheStats() {
    return this.cache.stats();
  }

  async extract(volume: Volume, opts: ExtractOptions = {}): Promise<FeatureVolume> {
    const [nx, ny, nz] = volume.dims;
    if (!(nx > 0 && ny > 0 && nz > 0) || volume.data.length !== nx * ny * nz) {
      throw new MedSegError('INVALID_ARGUMENT', 'The image has no voxels or its size does not match its data.', {
        detail: `dims ${volume.dims.join('×')}, ${volume.data.length} voxels`,
      });
    }
    const order = opts.slices ?? Array.from({ length: nz }, (_, k) => k);
    for (const k of order) {
      if (!Number.isInteger(k) || k < 0 || k >= nz) {
        throw new MedSegError('INVALID_ARGUMENT', `Slice ${k} does not exist (the image has ${nz} axial slices).`);
      }
    }
    checkAbort(opts.signal);
    const intensity = this.o.intensity ?? defaultIntensity(volume.modality);
    const range = intensityRange(volume, intensity);
    const entry = this.entryFor(volume, intensity);
    // A deferred write that failed after an earlier call is retried here, so a full disk is reported to a caller.
    if (entry.deferred && entry.flushError !== undefined) entry.flush();
    const planes: Axis[] = this.o.axes === 'all' ? [2, 0, 1] : [2];
    const layouts = this.layouts(volume);
    let pca = this.loadPca(entry);

    // Work list in priority order: with three axes the first axial batch (its first slice fits the PCA) comes first, then
    // every sagittal/coronal slice (all are needed for any axial slice), then the remaining axial slices.
    const axial = [...new Set(order)].map((index) => ({ axis: 2 as Axis, index }));
    const tasks = this.o.axes === 'all'
      ? [...axial.slice(0, this.o.batchSize),
        ...Array.from({ length: nx }, (_, index) => ({ axis: 0 as Axis, index })),
        ...Array.from({ length: ny }, (_, index) => ({ axis: 1 as Axis, index })),
        ...axial.slice(this.o.batchSize)]
      : axial;
    const missing = tasks.filter((t) => !entry.has(slot(t.axis, t.index)));
    if (missing.length > 0 && this.o.pcaDims > 0 && !pca && missing.length < tasks.length) {
      // Slices without their PCA basis cannot be trusted: start the entry over.
      entry.clear();
      missing.splice(0, missing.length, ...tasks);
    }
    const total = tasks.length;
    let done = total - missing.length;
    const outputReady = this.spare.prepare(nx * ny * this.dim);
    opts.onProgress?.({ done, total, provider: this.provider });

    try {
      for (let s = 0; s < missing.length;) {
        checkAbort(opts.signal);
        const axis = missing[s].axis;
        const batch = [missing[s++]];
        while (s < missing.length && batch.length < this.o.batchSize && missing[s].axis === axis) batch.push(missing[s++]);
        const l = layouts[axis];
        const plane = 3 * l.width * l.height;
        const input = this.inputBuffer(batch.length * plane);
        batch.forEach((t, b) => writeInput(sliceAccess(volume, t.axis, t.index), l, range, input, b * plane));
        const out = await this.model.run(INPUT_NAME, input, [batch.length, 3, l.height, l.width], OUTPUT_NAME);
        const tl = readTokenLayout(out.dims, batch.length, l.height, l.width);
        const patches = l.gw * l.gh;
        const tokens = batch.map((_, b) => {
          const t = patchTokens(out.data, out.dims[1], tl.dim, tl.registers, b, patches);
          normalizeTokens(t, tl.dim, this.o.normalize);
          return t;
        });
        const all = this.o.pcaDims > 0 ? concat(tokens) : undefined;
        if (this.o.pcaDims > 0 && !pca) {
          // Fitted on the first (visible) slice alone, whatever the batch size: the fit's cost grows with its
          // samples and is on the path to the first visible slice, and the basis does not depend on the batching.
          pca = await fitPca(tokens[0], tl.dim, this.perAxisDim, { mulABt: this.gemm?.mulABt });
          entry.putBlob('pca-mean', pca.mean);
          entry.putBlob('pca-components', pca.components);
          entry.putMeta({ format: 1, modelDim: tl.dim, pcaDims: pca.outDim } satisfies EntryMeta);
        } else if (this.o.pcaDims === 0 && !entry.getMeta()) {
          entry.putMeta({ format: 1, modelDim: tl.dim, pcaDims: 0 } satisfies EntryMeta);
        }
        const projected = pca ? await this.project(pca, all!) : undefined;
        batch.forEach((t, b) => {
          const f = pca ? projected!.subarray(b * patches * pca.outDim, (b + 1) * patches * pca.outDim) : tokens[b];
          entry.put(slot(t.axis, t.index), encodeHalf(f));
        });
        this.slicesComputed += batch.length;
        done += batch.length;
        opts.onProgress?.({ done, total, provider: this.provider });
        // More batches to go: hash now (the first, visible slices are done) so that later slices are written
        // through to disk and memory stays bounded.
        if (entry.deferred && s < missing.length) entry.flush();
      }
      // Before the deferred flush is scheduled: awaiting I/O after it would let the flush run before we return.
      await outputReady;
    } finally {
      entry.flushSoon();
    }

    const wanted = new Set(order);
    return {
      dim: this.dim,
      names: this.channelNames(),
      slices: lazySlices(nz, (k) => wanted.has(k), (k) => this.assemble(volume, entry, layouts, planes, k), this.o.outputBudgetBytes),
    };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
    await this.projector?.dispose();
    await this.gemm?.dispose();
    this.spare.dispose();
    this.cache.dispose();
  }

  /** [n, modelDim] tokens → [n, pcaDims]: in onnxruntime when it can, else in JS. */
  private project(pca: Pca, tokens: Float32Array): Promise<Float32Array> | Float32Array {
    return this.projector ? this.projector.apply(pca, tokens) : applyPca(pca, tokens);
  }

  private entryFor(volume: Volume, intensity: IntensityOption): CacheEntry {
    const known = this.entries.get(volume);
    if (known) return known;
    const settings = { ...this.settings, intensity: `${intensity.mode}:${intensity.lo}:${intensity.hi}` };
    const prefix = cacheKeyPrefix(volume, this.id, settings);
    // No entry with this prefix on disk → this content was never cached: compute the visible slices first and
    // hash every voxel afterwards (flush). Otherwise hash now: it may be a cache hit.
    const entry = contentHashKnown(volume) || this.cache.hasPrefix(prefix)
      ? this.cache.entry(cacheKey(volume, this.id, settings))
      : this.cache.deferredEntry(prefix, () => cacheKey(volume, this.id, settings));
    this.entries.set(volume, entry);
    return entry;
  }

  /** The model input, reused between batches: runs are awaited one at a time, so it is free when the next is written. */
  private inputBuffer(length: number): Float32Array {
    if (this.input?.length !== length) this.input = new Float32Array(length);
    return this.input;
  }

  private layouts(volume: Volume): Record<Axis, SliceLayout> {
    const [nx, ny, nz] = volume.dims;
    const [sx, sy, sz] = volume.spacing.map((s) => (s > 0 ? s : 1));
    const { size, fit } = this.o;
    return { 2: sliceLayout(nx, ny, sx, sy, size, fit), 0: sliceLayout(ny, nz, sy, sz, size, fit), 1: sliceLayout(nx, nz, sx, sz, size, fit) };
  }

  private loadPca(entry: CacheEntry): Pca | undefined {
    if (this.o.pcaDims === 0) return undefined;
    const meta = entry.getMeta<EntryMeta>();
    const mean = entry.getBlob('pca-mean');
    const components = entry.getBlob('pca-components');
    if (!meta || !mean || !components || meta.modelDim !== this.modelDim || meta.pcaDims !== this.perAxisDim) return undefined;
    if (mean.length !== meta.modelDim || components.length !== meta.modelDim * meta.pcaDims) return undefined;
    return { inDim: meta.modelDim, outDim: meta.pcaDims, mean, components, variances: new Float64Array(meta.pcaDims) };
  }

  private channelNames(): string[] {
    const d = this.perAxisDim;
    const base = (prefix: string) => Array.from({ length: d }, (_, c) => `${prefix}${this.o.pcaDims > 0 ? 'pc' : 'c'}${c}`);
    if (this.o.axes === 'all' && this.o.fuse === 'concat') return [...base('dinov2_ax_'), ...base('dinov2_sag_'), ...base('dinov2_cor_')];
    return base('dinov2_');
  }

  /** Voxel-resolution features of axial slice k, channel-last [ny, nx, dim]. */
  private assemble(volume: Volume, entry: CacheEntry, layouts: Record<Axis, SliceLayout>, planes: Axis[], k: number): Float32Array {
    const [nx, ny] = volume.dims;
    const d = this.perAxisDim;
    const dim = this.dim;
    const out = this.spare.take(nx * ny * dim);
    const concatenated = this.o.fuse === 'concat' && planes.length > 1;
    const weight = concatenated ? 1 : 1 / planes.length;
    const grid = (axis: Axis, index: number): Uint16Array => {
      const g = entry.get(slot(axis, index));
      if (!g) {
        throw new MedSegError('OUT_OF_MEMORY', 'Image features were dropped from memory and could not be read back from the cache folder.', {
          detail: `missing ${entry.dir}/${slot(axis, index)}`,
        });
      }
      return g;
    };
    planes.forEach((axis, p) => {
      const l = layouts[axis];
      const ut = uTaps(l), vt = vTaps(l);
      const off = concatenated ? p * d : 0;
      if (axis === 2) {
        const g = grid(2, k);
        for (let j = 0; j < ny; j++) accumulateLine(g, l.gw, d, ut, vt, j, j * nx, 1, out, dim, off, weight);
      } else if (axis === 0) {
        // Sagittal slice i: u = j, v = k → axial voxels (i, j) for all j.
        for (let i = 0; i < nx; i++) accumulateLine(grid(0, i), l.gw, d, ut, vt, k, i, nx, out, dim, off, weight);
      } else {
        // Coronal slice j: u = i, v = k → axial voxels (i, j) for all i.
        for (let j = 0; j < ny; j++) accumulateLine(grid(1, j), l.gw, d, ut, vt, k, j * nx, 1, out, dim, off, weight);
      }
    });
    return out;
  }
}

/**
 * Slices per model run when not chosen. CPU: 1 — a batch of 4 was only ~3 % faster per slice here and would make
 * the visible slice wait for three others. GPUs: 4 — on an H100 with WebGPU a 448² batch of 4 took 40 ms vs 14 ms
 * for 1 (~40 % more slices/s), while 16 took 408 ms (10× a batch of 4: past what the provider handles well).
 */
export function defaultBatchSize(provider: ProviderName): number {
  return provider === 'cpu' ? 1 : 4;
}

function slot(axis: Axis, index: number): string {
  return `${AXIS_NAMES[axis]}${index}`;
}

function sliceAccess(volume: Volume, axis: Axis, index: number): SliceAccess {
  const [nx, ny] = volume.dims;
  const data = volume.data;
  if (axis === 2) return { data, base: index * nx * ny, strideU: 1, strideV: nx };
  if (axis === 0) return { data, base: index, strideU: nx, strideV: nx * ny };
  return { data, base: index * nx, strideU: 1, strideV: nx * ny };
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new MedSegError('CANCELLED', 'Feature computation was cancelled.');
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
