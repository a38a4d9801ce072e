/**
 * DINOv2 features through onnxruntime-node (this folder is the project's only importer of it).
 * May import src-shared, node built-ins and features/ siblings (cache); never engine/ or fewshot/.
 */
import { Dinov2Backbone, type Dinov2Options } from './backbone';

export { Dinov2Backbone, defaultBatchSize, type Dinov2Options, type AxesOption, type FuseOption } from './backbone';
export { inspectDinov2Model, probeModel } from './inspect';
export { OnnxModel, providerOrder, type ProviderName, type ProviderChoice } from './session';
export { checkSignature, readTokenLayout, PATCH, INPUT_NAME, OUTPUT_NAME, type ValueInfo } from './signature';
export { sliceLayout, type SliceLayout, type FitMode } from './layout';
export { defaultIntensity, type IntensityOption } from './preprocess';
export type { TokenNorm } from './tokens';

/** The entry point for the app, the CLI and the bench. */
export function createDinov2Backbone(opts: Dinov2Options): Promise<Dinov2Backbone> {
  return Dinov2Backbone.create(opts);
}
