/** trainHead: labeled voxels' features → a TrainedHead of the asked kind. */
import { MedSegError, type Vec3 } from '../../src-shared';
import type { BackboneSettings, FeatureVolume } from '../features/types';
import type { HeadKind, TrainedHead } from './head';
import { trainLinear, type LinearOptions } from './heads/linear';
import { trainProto, type ProtoOptions } from './heads/proto';
import { gatherSamples, volumeStats, type SampleSet } from './samples';

export interface TrainOptions extends LinearOptions, ProtoOptions {
  /** Backbone that made the features; stored in the head so it refuses other features later. */
  backbone?: { id: string; settings?: BackboneSettings };
  /** Cap on samples per class (random, deterministic subsample). */
  maxPerClass?: number;
  /** Voxel spacing (mm) for the position channels; default 1 mm. */
  spacing?: Vec3;
  /** Append position channels (a spatial prior per class). Default true. */
  position?: boolean;
  /**
   * 'volume' (default): channels standardised by the whole study's statistics (samples.ts volumeStats), when every
   * slice has features; 'samples': by the labeled samples' own.
   */
  standardizeBy?: 'volume' | 'samples';
  /**
   * Extra training samples derived from the gathered ones (e.g. multi-sequence dropout copies). Runs after the
   * position channels are appended, before standardisation. Default: none.
   */
  augment?: (samples: SampleSet, featureDim: number) => SampleSet;
}

export function trainHead(kind: HeadKind, features: FeatureVolume, scribbles: Uint8Array, dims: Vec3, opts: TrainOptions = {}): TrainedHead {
  const usePos = opts.position ?? true;
  const gathered = gatherSamples(features, scribbles, dims, opts.maxPerClass, usePos ? opts.spacing ?? [1, 1, 1] : undefined);
  const s = opts.augment ? opts.augment(gathered, features.dim) : gathered;
  const ref = { id: opts.backbone?.id ?? 'unknown', dim: features.dim, names: features.names.slice(), settings: opts.backbone?.settings };
  const P = usePos ? s.dim - features.dim : 0;
  const stats = (opts.standardizeBy ?? 'volume') === 'volume' ? volumeStats(features, dims, usePos ? opts.spacing ?? [1, 1, 1] : undefined) : undefined;
  if (kind === 'linear') return { ...trainLinear(s, ref, { ...opts, stats }), positionChannels: P };
  if (kind === 'proto') return { ...trainProto(s, ref, { ...opts, stats }), positionChannels: P };
  throw new MedSegError('INVALID_ARGUMENT', `Unknown head type "${String(kind)}": use linear or proto.`);
}
