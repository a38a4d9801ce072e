/**
 * Backbone factories for imported models: 'dinov2:<modelId>' and 'hybrid:<modelId>' (DINOv2 + filter bank).
 * features/dinov2 is imported lazily so onnxruntime-node loads only in the thread that runs a DINOv2 job
 * (the compute worker), never in the Electron main thread just because the engine was imported.
 */
import type { FeatureBackbone } from '../features/types';
import type { BackboneFactory } from './fewshotKernel';

/** How the factories find a model file by id (features/models' ModelStore has this). */
export interface ModelPaths {
  pathOf(id: string): Promise<string>;
}

export function modelBackbones(models: ModelPaths): Record<string, BackboneFactory> {
  return {
    async dinov2(id: string): Promise<FeatureBackbone> {
      const { createDinov2Backbone } = await import('../features/dinov2');
      return createDinov2Backbone({ modelPath: await models.pathOf(id) });
    },
    async hybrid(id: string): Promise<FeatureBackbone> {
      const { createHybridBackbone } = await import('../features/hybrid');
      return createHybridBackbone({ modelPath: await models.pathOf(id) });
    },
  };
}
