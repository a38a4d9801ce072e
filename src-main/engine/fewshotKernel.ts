/**
 * The real Kernel: features from features/ (filter bank now; DINOv2 backbones through `backbones`), training and
 * prediction from fewshot/.
 */
import { BACKGROUND_ID, MedSegError, type Vec3 } from '../../src-shared';
import type { FeatureBackbone } from '../features/types';
import { assertHeadMatches, createFilterBackbone, headFromJson, headToJson, leastCertainSlice, segment, trainHead, type HeadKind, type TrainedHead } from '../fewshot';
import type { Kernel, KernelSegmentArgs } from './kernel';

const HEAD_KINDS: readonly HeadKind[] = ['linear', 'proto'];

/** Extra backbones by id prefix (e.g. 'dinov2' → a factory given the model id), registered by the app. */
export type BackboneFactory = (modelId: string) => Promise<FeatureBackbone>;

export function createFewshotKernel(backbones: Record<string, BackboneFactory> = {}): Kernel {
  // Promises, so two jobs asking at once share one model load.
  const made = new Map<string, Promise<FeatureBackbone>>();
  return {
    headKinds: HEAD_KINDS,
    backbone(id: string): Promise<FeatureBackbone> {
      let b = made.get(id);
      if (b) return b;
      if (id === 'filters') b = Promise.resolve(createFilterBackbone());
      else {
        const colon = id.indexOf(':');
        const factory = colon > 0 ? backbones[id.slice(0, colon)] : undefined;
        if (!factory) {
          return Promise.reject(new MedSegError('MODEL_NOT_FOUND', `The feature type "${id}" is not available. Import a DINOv2 model or choose the built-in filter features.`));
        }
        b = factory(id.slice(colon + 1));
      }
      made.set(id, b);
      b.catch(() => made.delete(id)); // a failed load (missing file…) may succeed after the user fixes it
      return b;
    },
    async segment(a: KernelSegmentArgs): Promise<void> {
      if (!(HEAD_KINDS as readonly string[]).includes(a.headKind)) {
        throw new MedSegError('INVALID_ARGUMENT', `Unknown model head "${a.headKind}": use ${HEAD_KINDS.join(' or ')}.`);
      }
      const dims = a.volume.dims as Vec3;
      const backbone = await made.get(a.backboneId);
      const locked = a.lockedLabels && a.locked.length ? { classIds: a.locked, labels: a.lockedLabels } : undefined;
      const prior = a.priorHead ? headFromJson(a.priorHead) : null;
      if (prior) assertHeadMatches(prior, a.features, a.backboneId);
      let scribbles = a.scribbles;
      if (prior && distinctLabels(scribbles) < 2) {
        // A carried-over head and no strokes of two classes yet: its prediction is the answer.
        a.onHead?.(a.priorHead!);
        // Propagation needs strokes of two classes; until then the carried-over head alone predicts.
        await segment({ volume: a.volume, features: a.features, scribbles: new Uint8Array(0), head: prior, refine: 'none', locked, order: a.order, signal: a.signal, onSlice: a.onSlice, backboneId: a.backboneId });
        return;
      }
      if (prior) scribbles = await withPriorLabels(a, prior, dims);
      // No position channels in the interactive app: with strokes on one or two slices the spatial prior
      // extrapolates badly (liver Dice 0.78 vs 0.92 on example_ct_sm with one stroked slice), and a head that
      // knows positions would not carry over to another study with other geometry.
      const head = trainHead(a.headKind as HeadKind, a.features, scribbles, dims, { ...(backbone ? { backbone: { id: backbone.id, settings: backbone.settings } } : {}), position: false, spacing: a.volume.spacing });
      if (a.signal.aborted) throw new MedSegError('CANCELLED', 'The update was replaced by a newer edit.');
      a.onHead?.(headToJson(head));
      await segment({
        volume: a.volume, features: a.features, scribbles: a.scribbles, head,
        locked, order: a.order, signal: a.signal, onSlice: a.onSlice,
      });
    },
    leastCertainSlice(uncertainty: Uint8Array, dims: Vec3): { k: number; uncertainty: number } {
      const k = leastCertainSlice(uncertainty, dims);
      const plane = dims[0] * dims[1];
      let sum = 0;
      for (let p = k * plane; p < (k + 1) * plane; p++) sum += uncertainty[p];
      return { k, uncertainty: plane ? sum / plane / 255 : 0 };
    },
  };
}

/**
 * Keep refining a carried-over head: its confident predictions on this study, sampled sparsely (every 31st voxel,
 * uncertainty under 25%), join the user's strokes as training labels. Strokes always win where both exist, so a
 * few corrections override what the old head believed, while the rest of its knowledge is kept.
 */
async function withPriorLabels(a: KernelSegmentArgs, prior: TrainedHead, dims: Vec3): Promise<Uint8Array> {
  const r = await segment({ volume: a.volume, features: a.features, scribbles: new Uint8Array(0), head: prior, refine: 'none', signal: a.signal, backboneId: a.backboneId });
  const out = a.scribbles.slice();
  const n = dims[0] * dims[1] * dims[2];
  for (let v = 0; v < n; v += 31) {
    if (out[v] !== 0 || r.uncertainty[v] > 64) continue;
    out[v] = r.labels[v] === 0 ? BACKGROUND_ID : r.labels[v];
  }
  return out;
}

/** Number of different labels painted (background counts as one). */
function distinctLabels(scribbles: Uint8Array): number {
  const seen = new Uint8Array(256);
  let n = 0;
  for (let i = 0; i < scribbles.length; i++) {
    const v = scribbles[i];
    if (v && !seen[v]) {
      seen[v] = 1;
      if (++n >= 2) return n;
    }
  }
  return n;
}
