/**
 * The compute the engine needs from fewshot/ and features/, as one small seam. The engine (session, worker)
 * only sees this interface, so the same job code runs in the compute worker and in-process (tests, CLI).
 */
import type { ClassSpec, Vec3, Volume } from '../../src-shared';
import type { FeatureBackbone, FeatureVolume } from '../features/types';

export interface KernelSegmentArgs {
  volume: Volume;
  features: FeatureVolume;
  /** Id of the backbone that made `features` (recorded in the trained head). */
  backboneId: string;
  /** Scribble map (0 unlabeled, 255 background, 1..254 classes). */
  scribbles: Uint8Array;
  headKind: string;
  /** Class ids whose voxels must not change (prediction convention)… */
  locked: number[];
  /** …in this previous prediction (absent before the first one: nothing to keep yet). */
  lockedLabels?: Uint8Array;
  /** Axial slices in the order they should be predicted (visible first). */
  order: number[];
  signal: AbortSignal;
  /** One finished slice: labels (prediction convention) and uncertainty 0..255, nx*ny each. */
  onSlice: (k: number, labels: Uint8Array, uncertainty: Uint8Array) => void;
  /** A head carried over from another study (see SegmentJob.priorHead). */
  priorHead?: string;
  /** Receives the head used for this prediction, as JSON. */
  onHead?: (json: string) => void;
}

export interface Kernel {
  /** Backbone for a settings id ('filters', 'dinov2:<model>'…); rejects with MODEL_NOT_FOUND etc. */
  backbone(id: string): Promise<FeatureBackbone>;
  /** Head kinds this kernel can train. */
  readonly headKinds: readonly string[];
  /** Train on the scribbles and predict every slice in `order`. Throws LABELS_* / CANCELLED typed errors. */
  segment(args: KernelSegmentArgs): Promise<void>;
  /** The axial slice with the highest mean uncertainty. */
  leastCertainSlice(uncertainty: Uint8Array, dims: Vec3): { k: number; uncertainty: number };
}

export type { ClassSpec };
