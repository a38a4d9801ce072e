/**
 * services/: the implementations of the src-shared contract, built on engine/. No transport code here: Electron
 * IPC (app/) and the web bridge (bridge/) both call createServices() and route through its dispatcher.
 * May import engine/, io/, src-shared.
 */
import type { SegmentationSettings, Services } from '../../src-shared';
import { LocalCompute, type Compute } from '../engine/compute';
import { Engine } from '../engine/engine';
import { createFewshotKernel } from '../engine/fewshotKernel';
import { createDispatcher, EventHub, type Dispatch } from './host';
import { ModelServiceImpl, type ModelStore } from './models';
import { SegmentationServiceImpl } from './segmentation';
import { StudyServiceImpl } from './study';
import { SystemServiceImpl, type SystemInfo } from './system';

export interface ServicesOptions {
  system: SystemInfo;
  /** Where heavy work runs; default: in this thread (tests, CLI). Apps pass a WorkerCompute. */
  compute?: Compute;
  modelStore?: ModelStore;
  recentFile?: string;
  settings?: Partial<SegmentationSettings>;
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
  const kernel = createFewshotKernel();
  const engine = new Engine({
    compute: o.compute ?? new LocalCompute(kernel),
    kernel,
    emit: (event, payload) => hub.emit('segmentation', event, payload),
    settings: o.settings,
  });
  const study = new StudyServiceImpl({ engine, emit: hub.emit, recentFile: o.recentFile });
  const services: Services = {
    study,
    segmentation: new SegmentationServiceImpl(engine),
    models: new ModelServiceImpl(o.modelStore, hub.emit),
    system: new SystemServiceImpl(engine, o.system),
  };
  return {
    services, hub, engine, dispatch: createDispatcher(services),
    async dispose() {
      await study.dispose();
      await engine.dispose();
    },
  };
}

export { createDispatcher, EventHub, toErrorInfo, type Dispatch, type EmitFn } from './host';
export { validateArgs, ARG_SCHEMAS } from './validate';
export type { ModelStore } from './models';
