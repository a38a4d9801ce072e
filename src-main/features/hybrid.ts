/**
 * The hybrid backbone: DINOv2 features brought to voxel resolution, side by side with the weights-free filter bank
 * (channels concatenated: DINOv2's first, then the filters'). DINOv2 gives semantics at 14-pixel patch
 * resolution; the filters give exact edges and intensities at voxel resolution — a head gets both.
 * Parts run one after the other (they share the compute worker's cores), with one combined progress.
 */
import { MedSegError, type Volume } from '../../src-shared';
import type { BackboneSettings, ExtractOptions, FeatureBackbone, FeatureVolume } from './types';
import { lazySlices } from './cache/lazy';
import { SpareBuffer } from './cache/spare';
import { createDinov2Backbone, type Dinov2Options } from './dinov2';
import { createFilterBackbone, type FilterSettings } from './filters';

export class HybridBackbone implements FeatureBackbone {
  readonly id: string;
  readonly dim: number;
  readonly settings: BackboneSettings;
  /** The next concatenated slice's memory, faulted in off the main thread (see cache/spare.ts). */
  private readonly spare = new SpareBuffer();

  constructor(readonly parts: FeatureBackbone[], private readonly outputBudgetBytes = 256 * 2 ** 20) {
    if (parts.length === 0) throw new MedSegError('INVALID_ARGUMENT', 'A hybrid backbone needs at least one part.');
    this.id = `hybrid:${parts.map((p) => p.id).join('+')}`;
    this.dim = parts.reduce((n, p) => n + p.dim, 0);
    const settings: BackboneSettings = {};
    parts.forEach((p, i) => {
      for (const [k, v] of Object.entries(p.settings)) settings[`${i}.${k}`] = v;
    });
    this.settings = settings;
  }

  get provider(): string {
    return [...new Set(this.parts.map((p) => p.provider))].join('+');
  }

  async extract(volume: Volume, opts: ExtractOptions = {}): Promise<FeatureVolume> {
    const outputReady = this.spare.prepare(volume.dims[0] * volume.dims[1] * this.dim); // while the parts compute
    const totals = this.parts.map(() => 0);
    const dones = this.parts.map(() => 0);
    const results: FeatureVolume[] = [];
    for (let i = 0; i < this.parts.length; i++) {
      if (opts.signal?.aborted) throw new MedSegError('CANCELLED', 'Feature computation was cancelled.');
      const fv = await this.parts[i].extract(volume, {
        slices: opts.slices,
        signal: opts.signal,
        onProgress: (p) => {
          dones[i] = p.done;
          totals[i] = p.total;
          // Parts not started yet count as one unit each so the bar never runs backwards much.
          const total = totals.reduce((a, b, j) => a + (b || (j > i ? 1 : 0)), 0);
          opts.onProgress?.({ done: dones.reduce((a, b) => a + b, 0), total, provider: this.provider });
        },
      });
      if (fv.dim !== this.parts[i].dim) {
        throw new MedSegError('INTERNAL', 'A feature backbone returned a different number of channels than it declared.', {
          detail: `${this.parts[i].id}: declared ${this.parts[i].dim}, returned ${fv.dim}`,
        });
      }
      results.push(fv);
    }
    const [nx, ny, nz] = volume.dims;
    const plane = nx * ny;
    const dim = this.dim;
    await outputReady;
    const make = (k: number): Float32Array => {
      const out = this.spare.take(plane * dim);
      let off = 0;
      for (const fv of results) {
        const src = fv.slices[k]!;
        const d = fv.dim;
        for (let p = 0; p < plane; p++) {
          const o = p * dim + off, s = p * d;
          for (let c = 0; c < d; c++) out[o + c] = src[s + c];
        }
        off += d;
      }
      return out;
    };
    return {
      dim,
      names: results.flatMap((r) => r.names),
      slices: lazySlices(nz, (k) => results.every((r) => r.slices[k] !== undefined), make, this.outputBudgetBytes),
    };
  }

  async dispose(): Promise<void> {
    this.spare.dispose();
    for (const p of this.parts) await p.dispose?.();
  }
}

export interface HybridOptions extends Dinov2Options {
  filters?: Partial<FilterSettings>;
}

/** DINOv2 + filter bank with default settings for both (each overridable). */
export async function createHybridBackbone(opts: HybridOptions): Promise<HybridBackbone> {
  const { filters, ...dino } = opts;
  const d = await createDinov2Backbone(dino);
  return new HybridBackbone([d, createFilterBackbone(filters)], opts.outputBudgetBytes);
}
