/**
 * Entry of the compute worker thread (built to out/main/worker.js). All heavy work runs here, one job at a time:
 * onnxruntime-node's run() blocks its thread, so it must never block the main (UI/IPC) thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelStore } from '../features/models';
import { modelBackbones } from './backbones';
import { LocalCompute } from './compute';
import { createFewshotKernel } from './fewshotKernel';
import { serveCompute } from './workerHost';
import type { FromWorker, PortLike, ToWorker, WorkerConfig } from './workerProtocol';

if (!parentPort) throw new Error('worker.ts must run as a worker thread');
const config = (workerData ?? {}) as WorkerConfig;
const store = new ModelStore(config.modelDir);
serveCompute(parentPort as unknown as PortLike<ToWorker, FromWorker>, new LocalCompute(createFewshotKernel(modelBackbones(store))));
