import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMedSegError, type MedSegError } from '../../src-shared';
import { createDinov2Backbone, OnnxModel, readTokenLayout, sliceLayout, checkSignature, providerOrder } from '../../src-main/features/dinov2';
import { IMAGENET_MEAN, IMAGENET_STD, writeInput } from '../../src-main/features/dinov2/preprocess';
import { fitPca, applyPca } from '../../src-main/features/dinov2/pca';
import { accumulateLine, uTaps, vTaps } from '../../src-main/features/dinov2/upsample';
import { encodeHalf } from '../../src-main/features/cache/fp16';
import { FIXTURES, TINY, TINY_REG, fixedInput, phantomCT, reference } from './dinov2-helpers';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-dinov2-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown>): Promise<MedSegError> {
  try {
    await p;
  } catch (e) {
    if (isMedSegError(e)) return e as MedSegError;
    throw e;
  }
  throw new Error('expected a MedSegError');
}

describe('tiny DINOv2 fixtures match the torch reference outputs', () => {
  const ref = reference();
  for (const [file, m] of Object.entries(ref.models)) {
    for (const c of m.cases) {
      it(`${file} at ${c.input.join('×')}`, async () => {
        const model = await OnnxModel.open(join(FIXTURES, file), 'cpu');
        const [b, , h, w] = c.input;
        const out = await model.run('pixel_values', fixedInput(b, h, w), c.input, 'last_hidden_state');
        expect(out.dims).toEqual(c.output);
        const layout = readTokenLayout(out.dims, b, h, w);
        expect(layout).toEqual({ registers: m.registers, dim: m.dim });
        for (let i = 0; i < c.first.length; i++) expect(out.data[i]).toBeCloseTo(c.first[i], 3);
        const patchStart = ((b - 1) * out.dims[1] + 1 + m.registers) * m.dim;
        for (let i = 0; i < c.firstPatchLastItem.length; i++) expect(out.data[patchStart + i]).toBeCloseTo(c.firstPatchLastItem[i], 3);
        let sum = 0, abs = 0;
        for (const v of out.data) { sum += v; abs += Math.abs(v); }
        expect(Math.abs(sum - c.sum)).toBeLessThan(1e-3 * Math.max(1, c.absSum / 100));
        expect(Math.abs(abs - c.absSum) / c.absSum).toBeLessThan(1e-5);
        await model.dispose();
      });
    }
  }
});

describe('model checks', () => {
  it('names expected and found inputs/outputs when they do not fit', async () => {
    const e = await codeOf(createDinov2Backbone({ modelPath: join(FIXTURES, 'wrong-names.onnx'), cacheDir: null, provider: 'cpu' }));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toContain('"pixel_values"');
    expect(e.detail).toContain('expected inputs pixel_values: float32 [batch, 3, height, width]');
    expect(e.detail).toContain('found inputs image: float32 [batch, 3, height, width]');
    expect(e.detail).toContain('features: float32');
  });

  it('rejects a model with the right names but one input channel', async () => {
    const e = await codeOf(createDinov2Backbone({ modelPath: join(FIXTURES, 'one-channel.onnx'), cacheDir: null, provider: 'cpu' }));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toContain('1 channels, not 3');
    expect(e.detail).toContain('pixel_values: float32 [batch, 1, height, width]');
  });

  it('checks declared types and ranks', () => {
    const out = [{ name: 'last_hidden_state', type: 'float32', shape: ['b', 't', 384] }];
    expect(checkSignature([{ name: 'pixel_values', type: 'float32', shape: ['b', 3, 'h', 'w'] }], out)).toEqual({ declaredDim: 384, fixedHeight: undefined, fixedWidth: undefined });
    expect(checkSignature([{ name: 'pixel_values', type: 'float32', shape: [1, 3, 224, 224] }], out).fixedHeight).toBe(224);
    const bad = (f: () => unknown) => { try { f(); } catch (e) { return (e as MedSegError).code; } return 'none'; };
    expect(bad(() => checkSignature([{ name: 'pixel_values', type: 'float16', shape: ['b', 3, 'h', 'w'] }], out))).toBe('MODEL_MISMATCH');
    expect(bad(() => checkSignature([{ name: 'pixel_values', type: 'float32', shape: [1, 3, 225, 225] }], out))).toBe('MODEL_MISMATCH');
    expect(bad(() => readTokenLayout([1, 20, 32], 1, 28, 28))).toBe('MODEL_MISMATCH'); // R = 20 − 1 − 4 = 15: not 0 or 4
    expect(readTokenLayout([2, 9, 32], 2, 28, 28)).toEqual({ registers: 4, dim: 32 });
    expect(bad(() => readTokenLayout([1, 3, 32], 1, 28, 28))).toBe('MODEL_MISMATCH');
  });

  it('reports a file that is not ONNX as MODEL_INVALID and a missing one as MODEL_NOT_FOUND', async () => {
    const junk = join(tmp, 'junk.onnx');
    writeFileSync(junk, 'this is not a model');
    expect((await codeOf(createDinov2Backbone({ modelPath: junk, cacheDir: null }))).code).toBe('MODEL_INVALID');
    expect((await codeOf(createDinov2Backbone({ modelPath: join(tmp, 'nope.onnx'), cacheDir: null }))).code).toBe('MODEL_NOT_FOUND');
  });

  it('rejects an input size that is not a multiple of 14', async () => {
    expect((await codeOf(createDinov2Backbone({ modelPath: TINY, size: 100, cacheDir: null }))).code).toBe('INVALID_ARGUMENT');
  });

  it('falls back to CPU when the preferred provider cannot start, and says which one runs', async () => {
    expect(providerOrder('auto', 'darwin')).toEqual(['coreml', 'cpu']);
    expect(providerOrder('webgpu')).toEqual(['webgpu', 'cpu']);
    // No GPU adapter on the CI machines: webgpu fails at session creation and CPU takes over.
    const bb = await createDinov2Backbone({ modelPath: TINY, provider: 'webgpu', cacheDir: null });
    expect(['webgpu', 'cpu']).toContain(bb.provider);
    if (bb.provider === 'cpu') expect(bb.providerFailures.map((f) => f.provider)).toEqual(['webgpu']);
    await bb.dispose();
  });
});

describe('preprocessing and geometry (known answers)', () => {
  it('keeps the physical aspect', () => {
    const sq = sliceLayout(512, 512, 0.7, 0.7, 448, 'pad');
    expect(sq).toMatchObject({ width: 448, height: 448, gw: 32, gh: 32, offU: 0, offV: 0 });
    expect(sq.scaleU).toBeCloseTo(0.875, 12);
    const wide = sliceLayout(512, 256, 1, 1, 448, 'pad');
    expect(wide).toMatchObject({ width: 448, height: 448, offU: 0, offV: 112 });
    // Sagittal of a 512 × 300 slab at 0.7 × 2.5 mm: 358 × 750 mm → tall.
    const sag = sliceLayout(512, 300, 0.7, 2.5, 448, 'fit');
    expect(sag.height).toBe(448);
    expect(sag.width).toBe(224); // 358.4/750·448 = 214.1 → next multiple of 14
  });

  it('windows CT, repeats gray to 3 channels and applies ImageNet normalisation', () => {
    // 2×1 slice: −1024 HU and 600 HU; size 28, 'fit' → 28×14 input; columns 0–13 come from voxel 0.
    const l = sliceLayout(2, 1, 1, 1, 28, 'fit');
    expect([l.width, l.height]).toEqual([28, 14]);
    const out = new Float32Array(3 * 28 * 14);
    writeInput({ data: Int16Array.from([-1024, 600]), base: 0, strideU: 1, strideV: 2 }, l, [-1024, 600], out, 0);
    for (let c = 0; c < 3; c++) {
      expect(out[c * 28 * 14 + 0]).toBeCloseTo((0 - IMAGENET_MEAN[c]) / IMAGENET_STD[c], 5);
      expect(out[c * 28 * 14 + 27]).toBeCloseTo((1 - IMAGENET_MEAN[c]) / IMAGENET_STD[c], 5);
      expect(out[c * 28 * 14 + 5 * 28 + 14]).toBeCloseTo((0.5 * (1 + 1 / 14) - IMAGENET_MEAN[c]) / IMAGENET_STD[c], 5);
    }
  });

  it('writes every value of a reused input buffer: padding rows and columns get the bottom of the window', () => {
    // 4×2 slice at 1 mm into 28×28 'pad': content rows 7–20, padding rows 0–6 and 21–27.
    const l = sliceLayout(4, 2, 1, 1, 28, 'pad');
    expect([l.offU, l.offV]).toEqual([0, 7]);
    const out = new Float32Array(3 * 28 * 28).fill(NaN); // a dirty buffer from an earlier batch
    writeInput({ data: Int16Array.from([600, 600, 600, 600, 600, 600, 600, 600]), base: 0, strideU: 1, strideV: 4 }, l, [-1024, 600], out, 0);
    expect(out.every(Number.isFinite)).toBe(true);
    for (let c = 0; c < 3; c++) {
      const pad = (0 - IMAGENET_MEAN[c]) / IMAGENET_STD[c], top = (1 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
      expect(out[c * 784 + 3 * 28 + 5]).toBeCloseTo(pad, 5); // row 3: padding
      expect(out[c * 784 + 24 * 28 + 27]).toBeCloseTo(pad, 5); // row 24: padding
      expect(out[c * 784 + 10 * 28 + 13]).toBeCloseTo(top, 5); // row 10: 600 HU = top of the window
    }
  });

  it('bilinear upsampling reproduces a linear function of patch position', () => {
    const l = sliceLayout(64, 64, 1, 1, 56, 'pad'); // 4×4 patches
    const grid = new Float32Array(16 * 2);
    for (let p = 0; p < 4; p++) for (let q = 0; q < 4; q++) { grid[(p * 4 + q) * 2] = q; grid[(p * 4 + q) * 2 + 1] = p; }
    const out = new Float32Array(64 * 64 * 2);
    const ut = uTaps(l), vt = vTaps(l);
    for (let j = 0; j < 64; j++) accumulateLine(encodeHalf(grid), 4, 2, ut, vt, j, j * 64, 1, out, 2, 0, 1);
    const expected = (x: number) => Math.min(3, Math.max(0, ((x + 0.5) * (56 / 64) - 0.5 - 6.5) / 14));
    for (const [i, j] of [[0, 0], [10, 20], [32, 40], [63, 63]]) {
      expect(out[(i + j * 64) * 2]).toBeCloseTo(expected(i), 5);
      expect(out[(i + j * 64) * 2 + 1]).toBeCloseTo(expected(j), 5);
    }
  });

  it('PCA recovers known principal directions and variances', async () => {
    const dim = 6, n = 4000;
    const x = new Float32Array(n * dim);
    let s = 1;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const dirs = [[1, 1, 0, 0, 0, 0].map((v) => v / Math.SQRT2), [0, 0, 1, -1, 0, 0].map((v) => v / Math.SQRT2)];
    for (let t = 0; t < n; t++) {
      const a = 10 * rnd(), b = 3 * rnd();
      for (let c = 0; c < dim; c++) x[t * dim + c] = 5 + a * dirs[0][c] + b * dirs[1][c] + 0.01 * rnd();
    }
    const pca = await fitPca(x, dim, 2);
    for (let r = 0; r < 2; r++) {
      let dot = 0;
      for (let c = 0; c < dim; c++) dot += pca.components[r * dim + c] * dirs[r][c];
      expect(Math.abs(dot)).toBeGreaterThan(0.9999);
    }
    expect(pca.variances[0]).toBeCloseTo(100 / 3, 0); // uniform(−10, 10) has variance 100/3
    expect(pca.variances[1]).toBeCloseTo(3, 0);
    expect(pca.mean[0]).toBeCloseTo(5, 1);
    const y = applyPca(pca, x.subarray(0, dim));
    expect(y.length).toBe(2);
  });
});

describe('DINOv2 backbone on a volume', () => {
  it('features of a voxel equal the model token of its patch (no resize, no PCA, no norm)', async () => {
    const vol = phantomCT(28, 28, 1, [1, 1, 1]);
    const bb = await createDinov2Backbone({ modelPath: TINY_REG, size: 28, pcaDims: 0, normalize: 'none', cacheDir: null, provider: 'cpu' });
    expect(bb.registers).toBe(4);
    expect(bb.dim).toBe(32);
    const fv = await bb.extract(vol);
    // Direct run on the same input, built independently: window −1024..600, ImageNet normalisation.
    const input = new Float32Array(3 * 28 * 28);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 28 * 28; p++) {
      const g = Math.min(1, Math.max(0, (vol.data[p] + 1024) / 1624));
      input[c * 784 + p] = (g - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
    }
    const m = await OnnxModel.open(TINY_REG, 'cpu');
    const out = await m.run('pixel_values', input, [1, 3, 28, 28], 'last_hidden_state');
    await m.dispose();
    const slice = fv.slices[0]!;
    expect(slice.length).toBe(28 * 28 * 32);
    // Voxels (0..6, 0..6) lie before the first patch centre → exactly patch 0; voxel (27, 27) → patch 3 (last).
    for (const [i, j, patch] of [[0, 0, 0], [6, 3, 0], [27, 0, 1], [0, 27, 2], [27, 27, 3]]) {
      for (let c = 0; c < 32; c++) {
        const tok = out.data[(1 + 4 + patch) * 32 + c];
        expect(Math.abs(slice[(i + j * 28) * 32 + c] - tok)).toBeLessThan(2e-3 * Math.max(1, Math.abs(tok)));
      }
    }
    await bb.dispose();
  });

  it('computes requested slices in order, reports progress, and leaves others undefined', async () => {
    const vol = phantomCT(40, 30, 6);
    const bb = await createDinov2Backbone({ modelPath: TINY, size: 56, pcaDims: 8, cacheDir: null, provider: 'cpu' });
    expect(bb.dim).toBe(8);
    const progress: number[] = [];
    const fv = await bb.extract(vol, { slices: [4, 1], onProgress: (p) => { progress.push(p.done); expect(p.total).toBe(2); expect(p.provider).toBe('cpu'); } });
    expect(progress).toEqual([0, 1, 2]);
    expect(bb.slicesComputed).toBe(2);
    expect(fv.dim).toBe(8);
    expect(fv.names).toEqual(['dinov2_pc0', 'dinov2_pc1', 'dinov2_pc2', 'dinov2_pc3', 'dinov2_pc4', 'dinov2_pc5', 'dinov2_pc6', 'dinov2_pc7']);
    expect(fv.slices.length).toBe(6);
    expect(fv.slices[0]).toBeUndefined();
    const s4 = fv.slices[4]!;
    expect(s4.length).toBe(40 * 30 * 8);
    expect(s4.every(Number.isFinite)).toBe(true);
    // Slice 4 and slice 1 differ (the disc moves with k), and inside vs outside the body differ.
    expect(s4.some((v, i) => Math.abs(v - fv.slices[1]![i]) > 1e-3)).toBe(true);
    expect(fv.slices.filter((s) => s !== undefined).length).toBe(2);
    await bb.dispose();
  });

  it('batches give the same features as single slices', async () => {
    const vol = phantomCT(30, 30, 4);
    const one = await createDinov2Backbone({ modelPath: TINY, size: 42, pcaDims: 0, cacheDir: null, provider: 'cpu', batchSize: 1 });
    const four = await createDinov2Backbone({ modelPath: TINY, size: 42, pcaDims: 0, cacheDir: null, provider: 'cpu', batchSize: 4 });
    const a = await one.extract(vol), b = await four.extract(vol);
    for (let k = 0; k < 4; k++) {
      const x = a.slices[k]!, y = b.slices[k]!;
      let maxd = 0;
      for (let i = 0; i < x.length; i++) maxd = Math.max(maxd, Math.abs(x[i] - y[i]));
      expect(maxd).toBeLessThan(2e-3);
    }
    await one.dispose(); await four.dispose();
  });

  it('three axes: concatenation holds the axial features, the mean is the average of the three', async () => {
    const vol = phantomCT(20, 18, 10, [1, 1, 2]);
    const common = { modelPath: TINY, size: 28, pcaDims: 6, cacheDir: null, provider: 'cpu' as const };
    const ax = await createDinov2Backbone(common);
    const cat = await createDinov2Backbone({ ...common, axes: 'all', fuse: 'concat' });
    const mean = await createDinov2Backbone({ ...common, axes: 'all', fuse: 'mean' });
    expect(cat.dim).toBe(18);
    expect(mean.dim).toBe(6);
    const fa = await ax.extract(vol, { slices: [5] });
    const fc = await cat.extract(vol, { slices: [5] });
    const fm = await mean.extract(vol, { slices: [5] });
    expect(cat.slicesComputed).toBe(1 + 20 + 18);
    expect(fc.names.slice(6, 8)).toEqual(['dinov2_sag_pc0', 'dinov2_sag_pc1']);
    const a = fa.slices[5]!, c = fc.slices[5]!, m = fm.slices[5]!;
    for (let v = 0; v < 20 * 18; v += 7) {
      for (let ch = 0; ch < 6; ch++) {
        expect(c[v * 18 + ch]).toBeCloseTo(a[v * 6 + ch], 5);
        expect(m[v * 6 + ch]).toBeCloseTo((c[v * 18 + ch] + c[v * 18 + 6 + ch] + c[v * 18 + 12 + ch]) / 3, 4);
      }
    }
    // The sagittal part is not a copy of the axial part.
    let diff = 0;
    for (let v = 0; v < 20 * 18; v++) diff += Math.abs(c[v * 18 + 6] - c[v * 18]);
    expect(diff).toBeGreaterThan(1e-2);
    await ax.dispose(); await cat.dispose(); await mean.dispose();
  });

  it('is cancelable', async () => {
    const vol = phantomCT(30, 30, 8);
    const bb = await createDinov2Backbone({ modelPath: TINY, size: 28, cacheDir: null, provider: 'cpu' });
    const ctl = new AbortController();
    const e = await codeOf(bb.extract(vol, { signal: ctl.signal, onProgress: (p) => { if (p.done === 2) ctl.abort(); } }));
    expect(e.code).toBe('CANCELLED');
    expect(bb.slicesComputed).toBe(2);
    expect((await codeOf(bb.extract(vol, { slices: [8] }))).code).toBe('INVALID_ARGUMENT');
    await bb.dispose();
  });

  it('uses MR percentiles for non-CT volumes (scaling invariance)', async () => {
    const ct = phantomCT(28, 28, 2, [1, 1, 1]);
    const mr1 = { ...ct, modality: 'MR', data: Float32Array.from(ct.data, (v) => v + 1000) };
    const mr2 = { ...ct, modality: 'MR', data: Float32Array.from(ct.data, (v) => 3 * (v + 1000) + 50) };
    const opts = { modelPath: TINY, size: 28, pcaDims: 0, normalize: 'none' as const, cacheDir: null, provider: 'cpu' as const };
    const a = await (await createDinov2Backbone(opts)).extract(mr1 as typeof ct);
    const b = await (await createDinov2Backbone(opts)).extract(mr2 as typeof ct);
    const x = a.slices[0]!, y = b.slices[0]!;
    for (let i = 0; i < x.length; i += 97) expect(y[i]).toBeCloseTo(x[i], 2);
  });
});
