/**
 * Feature backbones: one interface for DINOv2 (ONNX), the weights-free filter bank and the hybrid.
 * Features are per voxel-slice (axial, k fixed) on the volume's own in-plane grid, so heads never care which
 * backbone made them. features/ may import io types and src-shared, never engine/ or fewshot/.
 */
import type { Volume } from '../../src-shared';

export interface BackboneSettings {
  /** Backbone-specific settings that change the features (window, input size, scales…): part of cache keys. */
  [key: string]: string | number | boolean | number[] | undefined;
}

export interface FeatureProgress {
  done: number;
  total: number;
  /** Execution provider actually running ('cpu', 'cuda', 'webgpu', 'js' for the filter bank). */
  provider?: string;
}

export interface ExtractOptions {
  /** Axial slice indices wanted, in priority order (visible first). Default: all. */
  slices?: number[];
  signal?: AbortSignal;
  onProgress?: (p: FeatureProgress) => void;
}

/** Features for a whole volume: `dim` channels per voxel, stored slice by slice (channel-last per voxel). */
export interface FeatureVolume {
  dim: number;
  /** Per axial slice k: Float32Array (or Uint16Array fp16) of length nx*ny*dim, channel-last. */
  slices: (Float32Array | undefined)[];
  /** Names of the channels, for the head file and reports (e.g. 'gauss_s1.0'). */
  names: string[];
}

export interface FeatureBackbone {
  /** e.g. 'filters', 'dinov2:<model sha256 prefix>', 'hybrid:…' */
  readonly id: string;
  readonly dim: number;
  readonly settings: BackboneSettings;
  /** Execution provider in use, for status bars and reports. */
  readonly provider: string;
  extract(volume: Volume, opts?: ExtractOptions): Promise<FeatureVolume>;
  dispose?(): Promise<void>;
}
