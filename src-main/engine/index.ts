/**
 * engine/: the session layer. One SegmentationSession per open volume (scribbles, classes, latest prediction,
 * debounced updates that a newer edit cancels, slices streamed visible first), the Engine that owns them, and
 * the Compute that runs the heavy work: LocalCompute in this thread (tests, CLI) or WorkerCompute, which forwards
 * the same calls to ONE worker thread (worker.ts → out/main/worker.js).
 * May import fewshot/, features/, io/ and src-shared; never services/, app/, bridge/ or cli/.
 */
export { Engine, DEFAULT_SETTINGS, type EngineOptions } from './engine';
export { SegmentationSession, sliceOrder, type SessionEmit, type SessionOptions } from './session';
export { LocalCompute, type Compute, type SegmentJob, type JobCallbacks } from './compute';
export { WorkerCompute, type WorkerLink } from './workerCompute';
export { createFewshotKernel, type BackboneFactory } from './fewshotKernel';
export { modelBackbones, type ModelPaths } from './backbones';
export type { Kernel, KernelSegmentArgs } from './kernel';
export type { WorkerConfig } from './workerProtocol';
