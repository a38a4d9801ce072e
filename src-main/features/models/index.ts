/**
 * features/models: the model store (import, resumable download, list, remove) and the catalog of public DINOv2
 * ONNX exports. Imports src-shared, node built-ins and features/dinov2 (to check a model by loading it).
 */
export { ModelStore, defaultModelDir, sha256File, type StoredModel, type DownloadModelOptions } from './store';
export { MODEL_CATALOG, catalogEntry, type CatalogEntry } from './catalog';
export { downloadResumable, type DownloadProgress, type DownloadOptions } from './download';
