/** SegmentationService: a thin, transport-free wrapper over the engine's sessions. */
import type {
  ClassSpec, LabelDiff, SegmentationOptions, SegmentationService, SegmentationSettings, SliceSuggestion, VersionedMap,
} from '../../src-shared';
import type { Engine } from '../engine/engine';

export class SegmentationServiceImpl implements SegmentationService {
  constructor(private readonly engine: Engine) {}

  async setClasses(volumeId: string, classes: ClassSpec[]): Promise<void> {
    this.engine.session(volumeId).setClasses(classes);
  }
  async getClasses(volumeId: string): Promise<ClassSpec[]> {
    return this.engine.session(volumeId).getClasses();
  }
  async applyLabelDiff(volumeId: string, diff: LabelDiff): Promise<{ version: number }> {
    return { version: this.engine.session(volumeId).applyLabelDiff(diff) };
  }
  async getLabels(volumeId: string): Promise<VersionedMap> {
    return this.engine.session(volumeId).getLabels();
  }
  async getPrediction(volumeId: string): Promise<VersionedMap | null> {
    return this.engine.session(volumeId).getPrediction();
  }
  async getUncertainty(volumeId: string): Promise<VersionedMap | null> {
    return this.engine.session(volumeId).getUncertainty();
  }
  async setVisibleSlice(volumeId: string, k: number): Promise<void> {
    this.engine.session(volumeId).setVisibleSlice(k);
  }
  async suggestNextSlice(volumeId: string): Promise<SliceSuggestion | null> {
    return this.engine.session(volumeId).suggestNextSlice();
  }
  async predictNow(volumeId: string): Promise<{ version: number }> {
    return { version: this.engine.session(volumeId).predictNow() };
  }
  async getSettings(): Promise<{ settings: SegmentationSettings; options: SegmentationOptions }> {
    return { settings: this.engine.getSettings(), options: await this.engine.options() };
  }
  async setSettings(patch: Partial<SegmentationSettings>): Promise<SegmentationSettings> {
    return this.engine.setSettings(patch);
  }
}
