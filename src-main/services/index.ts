/**
 * services/: the implementations of the src-shared contract, built on engine/. No transport code here: Electron
 * IPC (app/) and the web bridge (bridge/) both call createServices() and route through its dispatcher.
 * May import engine/, io/, features/models (the store), src-shared.
 */
import type { ChoiceInfo, SegmentationSettings, Services } from '../../src-shared';
import { modelBackbones, type ModelPaths } from '../engine/backbones';
import { LocalCompute, type Compute } from '../engine/compute';
import { Engine } from '../engine/engine';
import { createFewshotKernel } from '../engine/fewshotKernel';
import { WorkerCompute } from '../engine/workerCompute';
import { createDispatcher, EventHub, type Dispatch } from './host';
import { ModelServiceImpl, type ModelStoreLike } from './models';
import { SegmentationServiceImpl } from './segmentation';
import { StudyServiceImpl } from './study';
import { SystemServiceImpl, type SystemInfo } from './system';
import { ExchangeServiceImpl } from './exchange';
import { PacsServiceImpl } from './pacs';
import { FileSecretStore, type SecretStore } from './secrets';
import { join } from 'node:path';

export interface ServicesOptions {
  system: SystemInfo;
  /**
   * The built compute worker (out/main/worker.js). Apps MUST pass it: without it the heavy work runs on the
   * calling thread (fine for tests and the CLI, never for the Electron main thread).
   */
  workerFile?: string | URL;
  /** Overrides workerFile (tests inject a Compute). */
  compute?: Compute;
  /** The model store (features/models ModelStore); its folder is handed to the worker so both see the same models. */
  modelStore?: ModelStoreLike & ModelPaths & { readonly dir?: string };
  recentFile?: string;
  settings?: Partial<SegmentationSettings>;
  /**
   * User data folder: autosaved workspaces (strokes journal, classes, heads) and DICOMweb settings live here.
   * Absent → nothing is saved to disk (tests).
   */
  dataDir?: string;
  /** Where server passwords/tokens are kept (Electron: the OS keychain through safeStorage). */
  secrets?: SecretStore;
}

export interface ServiceHost {
  services: Services;
  hub: EventHub;
  dispatch: Dispatch;
  engine: Engine;
  dispose(): Promise<void>;
}

export function createServices(o: ServicesOptions): ServiceHost {
  const hub = new EventHub();
  const store = o.modelStore;
  const kernel = createFewshotKernel(store ? modelBackbones(store) : {});
  const compute = o.compute
    ?? (o.workerFile ? WorkerCompute.spawn(o.workerFile, { modelDir: store?.dir }) : new LocalCompute(kernel));
  const engine = new Engine({
    compute,
    kernel,
    emit: (event, payload) => hub.emit('segmentation', event, payload),
    settings: o.settings,
    backbones: store ? () => modelChoices(store) : undefined,
    dataDir: o.dataDir,
    // Prepared features are worth it only off this thread (the compute worker): in-process, the extraction would
    // hold the IPC/bridge thread right after every open, even of a study the user only wants to look at.
    prewarm: !(compute instanceof LocalCompute),
  });
  const study = new StudyServiceImpl({ engine, emit: hub.emit, recentFile: o.recentFile });
  const services: Services = {
    study,
    segmentation: new SegmentationServiceImpl(engine),
    models: new ModelServiceImpl(store, hub.emit),
    system: new SystemServiceImpl(engine, o.system),
    exchange: new ExchangeServiceImpl(engine),
    pacs: new PacsServiceImpl({
      engine, emit: hub.emit, dataDir: o.dataDir, openFolder: (dir) => study.openPath(dir),
      secrets: o.secrets ?? (o.dataDir ? new FileSecretStore(join(o.dataDir, 'secrets.json')) : undefined),
    }),
  };
  return {
    services, hub, engine, dispatch: createDispatcher(services),
    async dispose() {
      await study.dispose();
      await engine.dispose();
    },
  };
}

async function modelChoices(store: ModelStoreLike): Promise<ChoiceInfo[]> {
  const models = await store.list();
  return models.flatMap((m) => [
    { id: `dinov2:${m.id}`, label: `DINOv2 — ${m.name}`, available: true },
    { id: `hybrid:${m.id}`, label: `DINOv2 + filters — ${m.name}`, available: true },
  ]);
}

export { createDispatcher, EventHub, toErrorInfo, type Dispatch, type EmitFn } from './host';
export { validateArgs, ARG_SCHEMAS } from './validate';
export type { ModelStoreLike } from './models';
export { FileSecretStore, EncryptedSecretStore, type SecretStore } from './secrets';
