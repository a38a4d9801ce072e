/**
 * The real Kernel: features from features/ (filter bank now; DINOv2 backbones through `backbones`), training and
 * prediction from fewshot/.
 */
import { MedSegError, type Vec3 } from '../../src-shared';
import type { FeatureBackbone } from '../features/types';
import { createFilterBackbone, leastCertainSlice, segment, trainHead, type HeadKind } from '../fewshot';
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
      const head = trainHead(a.headKind as HeadKind, a.features, a.scribbles, dims, backbone ? { backbone: { id: backbone.id, settings: backbone.settings } } : {});
      if (a.signal.aborted) throw new MedSegError('CANCELLED', 'The update was replaced by a newer edit.');
      await segment({
        volume: a.volume, features: a.features, scribbles: a.scribbles, head,
        locked: a.lockedLabels && a.locked.length ? { classIds: a.locked, labels: a.lockedLabels } : undefined,
        order: a.order, signal: a.signal, onSlice: a.onSlice,
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
