/**
 * The PCA projection of every slice's tokens, run by onnxruntime's CPU kernels instead of JavaScript:
 * Y = (X − mean) · componentsᵀ as a two-node ONNX graph (Sub, Gemm with transB) whose mean and components are
 * inputs, so one session serves every volume's basis. Why: the projection (1024 tokens × 384 → 48 per slice at 448²,
 * 19 M multiply-adds) was the largest CPU cost per slice outside the model (~20 ms in JS on this 2-core machine;
 * with a GPU running the model in ~10 ms per slice it capped the pipeline), and onnxruntime's SGEMM does it in a
 * few ms. Float32 accumulation instead of JS's float64 changes values by ~1e-7 relative, far below the fp16 the
 * features are stored in.
 *
 * The model bytes are written here by hand: onnxruntime-node takes a model as bytes, and a protobuf library
 * (onnx's .proto compiled) would be a dependency for ~40 lines of varints and length-delimited fields.
 */
import type { MulABt, Pca } from './pca';
import { OnnxModel } from './session';

const X = 'tokens', MEAN = 'mean', W = 'components', CENTRED = 'centred', Y = 'projected';

/** Protobuf wire format: field tag + varint / length-delimited payloads. */
class Pb {
  private readonly parts: number[] = [];

  private varint(v: number): void {
    while (v > 0x7f) { this.parts.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
    this.parts.push(v);
  }

  int(field: number, v: number): this {
    this.varint((field << 3) | 0);
    this.varint(v);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Pb): this {
    return this.bytes(field, m.done());
  }

  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const FLOAT = 1, DOUBLE = 11;
const ATTR_INT = 2;

/** ValueInfoProto of a float (or double) tensor; string dims are symbolic. */
function floatValue(name: string, dims: (number | string)[], elemType = FLOAT): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  const tensor = new Pb().int(1, elemType).msg(2, shape);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tensor));
}

/** ONNX model bytes (IR 8, opset 13): projected[n, k] = Gemm(tokens − mean, components, transB = 1). */
export function projectionModelBytes(): Uint8Array {
  const sub = new Pb().str(1, X).str(1, MEAN).str(2, CENTRED).str(3, 'centre').str(4, 'Sub');
  const gemm = new Pb().str(1, CENTRED).str(1, W).str(2, Y).str(3, 'project').str(4, 'Gemm')
    .msg(5, new Pb().str(1, 'transB').int(3, 1).int(20, ATTR_INT));
  const graph = new Pb().msg(1, sub).msg(1, gemm).str(2, 'pca_projection')
    .msg(11, floatValue(X, ['n', 'd'])).msg(11, floatValue(MEAN, ['d'])).msg(11, floatValue(W, ['k', 'd']))
    .msg(12, floatValue(Y, ['n', 'k']));
  return new Pb().int(1, 8).str(2, 'medseg').msg(7, graph).msg(8, new Pb().str(1, '').int(2, 13)).done();
}

/** ONNX model bytes: c[n, m] = Gemm(a[n, k], b[m, k], transB = 1) in float64. */
export function gemmABtModelBytes(): Uint8Array {
  const gemm = new Pb().str(1, 'a').str(1, 'b').str(2, 'c').str(3, 'abt').str(4, 'Gemm')
    .msg(5, new Pb().str(1, 'transB').int(3, 1).int(20, ATTR_INT));
  const graph = new Pb().msg(1, gemm).str(2, 'gemm_abt')
    .msg(11, floatValue('a', ['n', 'k'], DOUBLE)).msg(11, floatValue('b', ['m', 'k'], DOUBLE))
    .msg(12, floatValue('c', ['n', 'm'], DOUBLE));
  return new Pb().int(1, 8).str(2, 'medseg').msg(7, graph).msg(8, new Pb().str(1, '').int(2, 13)).done();
}

/**
 * A·Bᵀ in float64 through onnxruntime's CPU kernels, for the PCA fit on the first visible slice: its covariance
 * (384² × 1024 tokens) and power iterations were ~300 ms of JS on a GPU machine's CPU, more than the model.
 * Float64 like the JS loops, only the summation order differs (≈1e-16 relative).
 */
export class DoubleGemm {
  private constructor(private readonly model: OnnxModel) {}

  static async open(): Promise<DoubleGemm> {
    return new DoubleGemm(await OnnxModel.fromBytes(gemmABtModelBytes(), 'cpu'));
  }

  readonly mulABt: MulABt = async (a, n, b, m, k) =>
    (await this.model.runFeeds64({ a: { data: a, dims: [n, k] }, b: { data: b, dims: [m, k] } }, 'c')).data;

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}

/** A CPU session of the projection graph; runs are queued like the backbone model's. */
export class PcaProjector {
  private constructor(private readonly model: OnnxModel) {}

  static async open(): Promise<PcaProjector> {
    return new PcaProjector(await OnnxModel.fromBytes(projectionModelBytes(), 'cpu'));
  }

  /** [n, inDim] tokens → [n, outDim], as applyPca(pca, x) up to float32 rounding. */
  async apply(pca: Pca, x: Float32Array): Promise<Float32Array> {
    const n = x.length / pca.inDim;
    const out = await this.model.runFeeds(
      { [X]: { data: x, dims: [n, pca.inDim] }, [MEAN]: { data: pca.mean, dims: [pca.inDim] }, [W]: { data: pca.components, dims: [pca.outDim, pca.inDim] } },
      Y,
    );
    return out.data;
  }

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}
