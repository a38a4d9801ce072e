/**
 * ModelService over the model store that features/models provides (injected, so services never reach into
 * features/ internals and the store can land independently). Changes are broadcast as 'models:changed'.
 */
import { MedSegError, type ModelInfo, type ModelService } from '../../src-shared';
import type { EmitFn } from './host';

/** What the store in features/models offers. */
export interface ModelStoreLike {
  list(): Promise<ModelInfo[]>;
  import(path: string): Promise<ModelInfo>;
  remove(id: string): Promise<void>;
}

export class ModelServiceImpl implements ModelService {
  constructor(private readonly store: ModelStoreLike | undefined, private readonly emit: EmitFn) {}

  async list(): Promise<ModelInfo[]> {
    return this.store ? this.store.list() : [];
  }

  async import(path: string): Promise<ModelInfo> {
    const info = await this.requireStore().import(path);
    this.emit('models', 'changed', { models: await this.list() });
    return info;
  }

  async remove(id: string): Promise<void> {
    await this.requireStore().remove(id);
    this.emit('models', 'changed', { models: await this.list() });
  }

  private requireStore(): ModelStoreLike {
    if (!this.store) throw new MedSegError('MODEL_NOT_FOUND', 'Importing DINOv2 models is not available in this build; the built-in filter features still work.');
    return this.store;
  }
}
