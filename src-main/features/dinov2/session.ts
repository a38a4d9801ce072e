/**
 * The ONLY module of the project that imports onnxruntime-node. It opens a session on the best execution provider
 * that works here, falls back to CPU when one fails (onnxruntime does not fall back by itself, e.g.
 * ['webgpu','cpu'] throws "No supported adapters" on a machine without a GPU), queues runs so they never overlap,
 * and turns failures into typed errors.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { MedSegError } from '../../../src-shared';
import { describeValues, type ValueInfo } from './signature';

export type ProviderName = 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml';
export type ProviderChoice = ProviderName | 'auto';

/** Whether the optional CUDA provider libraries were installed (npm run install:cuda). */
function cudaInstalled(): boolean {
  try {
    const req = createRequire(import.meta.url);
    const bin = join(dirname(req.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(bin, 'libonnxruntime_providers_cuda.so')) || existsSync(join(bin, 'onnxruntime_providers_cuda.dll'));
  } catch {
    return false;
  }
}

/** Providers to try, best first; CPU is always last. */
export function providerOrder(choice: ProviderChoice = 'auto', platform: string = process.platform): ProviderName[] {
  if (choice !== 'auto') return choice === 'cpu' ? ['cpu'] : [choice, 'cpu'];
  const order: ProviderName[] = [];
  if ((platform === 'linux' || platform === 'win32') && cudaInstalled()) order.push('cuda');
  if (platform === 'win32') order.push('dml');
  if (platform === 'darwin') order.push('coreml');
  else order.push('webgpu');
  order.push('cpu');
  return order;
}

export interface ProviderFailure {
  provider: ProviderName;
  error: string;
}

export class OnnxModel {
  private queue: Promise<unknown> = Promise.resolve();
  runs = 0;
  /** Wall time spent inside session.run since opening: lets benchmarks split pipeline time into model and the rest. */
  runMs = 0;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: ProviderName,
    readonly failures: ProviderFailure[],
  ) {}

  static async open(path: string, choice: ProviderChoice = 'auto'): Promise<OnnxModel> {
    if (!existsSync(path)) {
      throw new MedSegError('MODEL_NOT_FOUND', 'The feature model file was not found.', { path });
    }
    return OnnxModel.create(path, choice, path);
  }

  /**
   * A small helper model built in memory (see projection.ts). Its threads do not spin-wait after a run: it runs
   * between the backbone model's runs, whose threads would otherwise share the cores with idle spinners.
   */
  static fromBytes(bytes: Uint8Array, choice: ProviderChoice = 'cpu'): Promise<OnnxModel> {
    return OnnxModel.create(bytes, choice, undefined, { session: { intra_op: { allow_spinning: '0' } } });
  }

  private static async create(source: string | Uint8Array, choice: ProviderChoice, path?: string, extra?: Record<string, unknown>): Promise<OnnxModel> {
    const failures: ProviderFailure[] = [];
    for (const provider of providerOrder(choice)) {
      try {
        const options: ort.InferenceSession.SessionOptions = { executionProviders: [provider], graphOptimizationLevel: 'all', logSeverityLevel: 3, ...(extra ? { extra } : {}) };
        const session = typeof source === 'string' ? await ort.InferenceSession.create(source, options) : await ort.InferenceSession.create(source, options);
        return new OnnxModel(session, provider, failures);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        failures.push({ provider, error: msg });
        // A file that CPU cannot load is not a provider problem: report it as an invalid model.
        if (provider === 'cpu') {
          throw new MedSegError('MODEL_INVALID', 'The feature model file could not be loaded: it is not a valid ONNX model.', {
            detail: failures.map((f) => `${f.provider}: ${f.error}`).join('\n'), path, cause: e,
          });
        }
      }
    }
    throw new MedSegError('INTERNAL', 'No execution provider could run the model.', { path });
  }

  get inputs(): ValueInfo[] {
    return this.session.inputMetadata.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, shape: [] }));
  }

  get outputs(): ValueInfo[] {
    return this.session.outputMetadata.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, shape: [] }));
  }

  /**
   * Run on one float32 input; queued so runs never overlap (session.run blocks its thread and concurrent runs
   * on one session only compete for the same cores). Returns the named output's data and dims.
   */
  run(inputName: string, data: Float32Array, dims: readonly number[], outputName: string): Promise<{ data: Float32Array; dims: number[] }> {
    return this.runFeeds({ [inputName]: { data, dims } }, outputName);
  }

  /** Like run, with several float32 inputs. */
  runFeeds(inputs: Record<string, { data: Float32Array; dims: readonly number[] }>, outputName: string): Promise<{ data: Float32Array; dims: number[] }> {
    return this.runTyped(inputs, outputName, 'float32') as Promise<{ data: Float32Array; dims: number[] }>;
  }

  /** Like runFeeds, in float64 (the PCA fit's products, see projection.ts). */
  runFeeds64(inputs: Record<string, { data: Float64Array; dims: readonly number[] }>, outputName: string): Promise<{ data: Float64Array; dims: number[] }> {
    return this.runTyped(inputs, outputName, 'float64') as Promise<{ data: Float64Array; dims: number[] }>;
  }

  private runTyped(
    inputs: Record<string, { data: Float32Array | Float64Array; dims: readonly number[] }>, outputName: string, type: 'float32' | 'float64',
  ): Promise<{ data: Float32Array | Float64Array; dims: number[] }> {
    const next = this.queue.then(async () => {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, v] of Object.entries(inputs)) feeds[name] = v.data instanceof Float64Array ? new ort.Tensor('float64', v.data, v.dims) : new ort.Tensor('float32', v.data, v.dims);
      let out: ort.InferenceSession.ReturnType;
      const t0 = performance.now();
      try {
        out = await this.session.run(feeds, [outputName]);
      } catch (e) {
        const found: ValueInfo[] = Object.entries(inputs).map(([name, v]) => ({ name, type: 'float32', shape: v.dims }));
        throw new MedSegError('MODEL_MISMATCH', 'The feature model failed on this image.', {
          detail: `inputs given: ${describeValues(found)}; model expects: ${describeValues(this.inputs)}; error: ${e instanceof Error ? e.message : String(e)}`,
          cause: e,
        });
      }
      this.runs++;
      this.runMs += performance.now() - t0;
      const t = out[outputName];
      if (!t || t.type !== type) {
        throw new MedSegError('MODEL_MISMATCH', `The feature model returned no ${type} features.`, {
          detail: `output ${outputName}: ${t ? `${t.type} [${t.dims.join(', ')}]` : 'missing'}`,
        });
      }
      return { data: t.data as Float32Array | Float64Array, dims: [...t.dims] };
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  async dispose(): Promise<void> {
    await this.queue;
    await this.session.release();
  }
}
