/** The PCA projection through onnxruntime (projection.ts) against the JS reference (applyPca) and known answers. */
import { describe, expect, it } from 'vitest';
import { DoubleGemm, PcaProjector, projectionModelBytes } from '../../src-main/features/dinov2/projection';
import { applyPca, fitPca, type Pca } from '../../src-main/features/dinov2/pca';
import { OnnxModel } from '../../src-main/features/dinov2';
import { encodeHalf } from '../../src-main/features/cache/fp16';

function tokens(n: number, dim: number, seed = 7): Float32Array {
  const x = new Float32Array(n * dim);
  let s = seed;
  for (let i = 0; i < x.length; i++) { s = (s * 1103515245 + 12345) >>> 0; x[i] = (s / 2 ** 32 - 0.5) * (1 + (i % dim) / 50) * 0.05; }
  return x;
}

describe('PCA projection in onnxruntime', () => {
  it('is a valid ONNX graph of tokens, mean and components', async () => {
    const m = await OnnxModel.fromBytes(projectionModelBytes(), 'cpu');
    expect(m.inputs.map((v) => `${v.name}:${v.type}:${v.shape.join('x')}`)).toEqual(['tokens:float32:nxd', 'mean:float32:d', 'components:float32:kxd']);
    expect(m.outputs.map((v) => `${v.name}:${v.shape.join('x')}`)).toEqual(['projected:nxk']);
    await m.dispose();
  });

  it('gives (x − mean)·componentsᵀ exactly on small integers', async () => {
    // 2 tokens of dim 3, 2 components: exact in float32.
    const pca: Pca = {
      inDim: 3, outDim: 2, mean: Float32Array.from([1, 2, 3]),
      components: Float32Array.from([1, 0, 0, 0, 1, -1]), variances: new Float64Array(2),
    };
    const p = await PcaProjector.open();
    const y = await p.apply(pca, Float32Array.from([2, 2, 3, 5, 7, 4]));
    expect(Array.from(y)).toEqual([1, 0, 4, 4]); // (1,0,0) → [1, 0]; (4,5,1) → [4, 5 − 1]
    await p.dispose();
  });

  it('matches the JS projection to float32 rounding, and fp16 features to one unit in the last place', async () => {
    const x = tokens(1024, 384);
    const pca = await fitPca(x, 384, 48);
    const p = await PcaProjector.open();
    const a = applyPca(pca, x);
    const b = await p.apply(pca, x);
    expect(b.length).toBe(1024 * 48);
    let maxd = 0, maxv = 0;
    for (let i = 0; i < a.length; i++) { maxd = Math.max(maxd, Math.abs(a[i] - b[i])); maxv = Math.max(maxv, Math.abs(a[i])); }
    expect(maxv).toBeGreaterThan(0.1);
    expect(maxd).toBeLessThan(1e-5 * maxv);
    const ha = encodeHalf(a), hb = encodeHalf(b);
    let differ = 0;
    for (let i = 0; i < ha.length; i++) {
      expect(Math.abs(ha[i] - hb[i])).toBeLessThanOrEqual(1);
      if (ha[i] !== hb[i]) differ++;
    }
    expect(differ / ha.length).toBeLessThan(0.01);
    await p.dispose();
  });
});

describe('PCA fit with onnxruntime float64 products', () => {
  it('multiplies A·Bᵀ exactly on small integers, in float64', async () => {
    const g = await DoubleGemm.open();
    // A = [[1, 2], [3, 4], [5, 6]], B = [[1, 0], [1, 1e-12]] → A·Bᵀ = [[1, 1 + 2e-12], [3, 3 + 4e-12], [5, 5 + 6e-12]]
    const c = await g.mulABt(Float64Array.from([1, 2, 3, 4, 5, 6]), 3, Float64Array.from([1, 0, 1, 1e-12]), 2, 2);
    expect(Array.from(c)).toEqual([1, 1 + 2e-12, 3, 3 + 4e-12, 5, 5 + 6e-12]); // 1e-12 would vanish in float32
    await g.dispose();
  });

  it('gives the JS fit\'s basis and variances to float64 rounding', async () => {
    const x = tokens(1024, 384, 11);
    const g = await DoubleGemm.open();
    const a = await fitPca(x, 384, 48);
    const b = await fitPca(x, 384, 48, { mulABt: g.mulABt });
    let dc = 0;
    for (let i = 0; i < a.components.length; i++) dc = Math.max(dc, Math.abs(a.components[i] - b.components[i]));
    expect(dc).toBeLessThan(1e-7);
    for (let r = 0; r < 48; r++) expect(Math.abs(b.variances[r] - a.variances[r]) / a.variances[r]).toBeLessThan(1e-10);
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    await g.dispose();
  });
});
