/**
 * The TRAINED head: a plain, serialisable object (no methods) that knows its classes, the backbone it expects and
 * its feature normalisation. Trainers (heads/*.ts) make it; predict.ts scores features with it; serialize.ts
 * saves and loads it. Class ids follow the PREDICTION convention (0 = background, 1..254 user ids).
 */
import { MedSegError } from '../../src-shared';
import type { FeatureVolume, BackboneSettings } from '../features/types';

export type HeadKind = 'linear' | 'proto';

export interface BackboneRef {
  id: string;
  dim: number;
  /** Channel names; two feature sets match only when these match too (they encode the settings). */
  names: string[];
  settings?: BackboneSettings;
}

interface HeadBase {
  kind: HeadKind;
  /** Prediction class ids, index = row of the weights; 0 (background) included when it was labeled. */
  classes: number[];
  backbone: BackboneRef;
  /** Position channels appended after the backbone's (0 or POSITION_CHANNELS); weights cover dim + these. */
  positionChannels: number;
  /** Per-channel mean and standard deviation of the training features (backbone channels, then position). */
  mean: Float32Array;
  std: Float32Array;
  /** Number of labeled voxels per class used for training (report only). */
  counts: number[];
}

export interface LinearHead extends HeadBase {
  kind: 'linear';
  /** C×D weights on NORMALISED features, row per class. */
  weights: Float32Array;
  bias: Float32Array;
  lambda: number;
}

export interface ProtoHead extends HeadBase {
  kind: 'proto';
  /** P×D prototypes in normalised feature space; protoClass[p] is the class index of prototype p. */
  prototypes: Float32Array;
  protoClass: Uint8Array;
  /** Softmax temperature on squared distances. */
  temperature: number;
}

export type TrainedHead = LinearHead | ProtoHead;

/** Refuse features from another backbone (or settings, or dim) with HEAD_MISMATCH. */
export function assertHeadMatches(head: TrainedHead, features: FeatureVolume, backboneId?: string): void {
  const b = head.backbone;
  const sameNames = features.names.length === b.names.length && features.names.every((nm, i) => nm === b.names[i]);
  if (features.dim !== b.dim || !sameNames || (backboneId !== undefined && backboneId !== b.id)) {
    throw new MedSegError('HEAD_MISMATCH',
      `This trained model was made with other image features (${b.id}, ${b.dim} channels) than the ones computed now (${backboneId ?? 'unknown'}, ${features.dim} channels). Train it again on this image or choose the matching feature type.`,
      { detail: `head names[0..3]=${b.names.slice(0, 3).join(',')} features names[0..3]=${features.names.slice(0, 3).join(',')}` });
  }
}
