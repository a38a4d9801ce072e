import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FeatureVolume } from '../../src-main/features/types';
import type { TrainedHead } from '../../src-main/fewshot/head';
import { linearKernel, predictProbabilities, scoreVoxels } from '../../src-main/fewshot/predict';
import { BATCH, headKernelName, wasmKernel } from '../../src-main/fewshot/simd/linear-batch';
import type { Vec3 } from '../../src-shared';
// @ts-expect-error plain ESM build script without types
import { compileWat, moduleText } from '../../scripts/build-wasm.mjs';

const root = join(__dirname, '..', '..');
const wave = (i: number, a: number) => Math.sin(a * i + 0.3);

function headOf(C: number, F: number): Extract<TrainedHead, { kind: 'linear' }> {
  const P = 3, D = F + P;
  return {
    kind: 'linear', classes: Array.from({ length: C }, (_, c) => (c === 0 ? 0 : c + 2)), counts: new Array(C).fill(1),
    backbone: { id: 't', dim: F, names: Array.from({ length: F }, (_, d) => `f${d}`) }, positionChannels: P,
    mean: Float32Array.from({ length: D }, (_, d) => 0.01 * d), std: Float32Array.from({ length: D }, (_, d) => 0.5 + 0.05 * d),
    weights: Float32Array.from({ length: C * D }, (_, i) => wave(i, 1.3)), bias: Float32Array.from({ length: C }, (_, c) => 0.2 * c - 0.3), lambda: 0.01,
  };
}

function volumeOf(dims: Vec3, F: number): FeatureVolume {
  const plane = dims[0] * dims[1];
  return {
    dim: F, names: Array.from({ length: F }, (_, d) => `f${d}`),
    slices: Array.from({ length: dims[2] }, (_, k) => Float32Array.from({ length: plane * F }, (_, q) => wave(q + 977 * k, 0.77) * (1 + (q % 5)))),
  };
}

/** The plain JavaScript kernel's probabilities for every voxel (the reference the SIMD path must equal bit for bit). */
function reference(head: Extract<TrainedHead, { kind: 'linear' }>, fv: FeatureVolume, dims: Vec3, spacing: Vec3): Float32Array {
  const lk = linearKernel(head, dims, spacing);
  const C = head.classes.length, plane = dims[0] * dims[1];
  const out = new Float32Array(plane * dims[2] * C);
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) {
    const r = j * dims[0] + i;
    lk.score(fv.slices[k] as Float32Array, r * fv.dim, i, j, k, out, (k * plane + r) * C);
  }
  return out;
}

describe('WebAssembly SIMD scoring kernel', () => {
  it('the committed module is what linear-score.wat compiles to', async () => {
    const wat = join(root, 'src-main/fewshot/simd/linear-score.wat');
    const committed = readFileSync(join(root, 'src-main/fewshot/simd/linear-score.wasm.ts'), 'utf8');
    expect(committed).toBe(moduleText('linear-score', await compileWat(wat)));
  });

  it('loads here (Node has WebAssembly SIMD), so the tests below exercise it; MEDSEG_NO_WASM=1 turns it off', () => {
    expect(wasmKernel()).not.toBeNull();
    expect(headKernelName()).toBe('wasm-simd');
    process.env.MEDSEG_NO_WASM = '1';
    try {
      expect(wasmKernel()).toBeNull();
      expect(headKernelName()).toBe('js');
    } finally {
      delete process.env.MEDSEG_NO_WASM;
    }
  });

  // 2…7 classes take every path of the kernel (pairs two at a time, an odd last pair, a padded last class);
  // 45 channels is the filter bank, 184 the four-sequence fused features; the volume holds more than one batch.
  it.each([[2, 45], [3, 45], [5, 45], [6, 45], [7, 5], [6, 184]])('%i classes × %i channels: whole volume, masked, bit-identical to JS', (C, F) => {
    const dims: Vec3 = [23, 19, 3];
    const spacing: Vec3 = [0.7, 1.1, 2.5];
    const n = dims[0] * dims[1] * dims[2];
    expect(n).toBeGreaterThan(BATCH);
    const head = headOf(C, F), fv = volumeOf(dims, F);
    const ref = reference(head, fv, dims, spacing);
    const all = new Float32Array(n * C);
    predictProbabilities(head, fv, dims, all, undefined, undefined, spacing);
    expect(all).toEqual(ref);
    // A mask breaks the runs of consecutive voxels: untouched voxels stay as they were.
    const mask = Uint8Array.from({ length: n }, (_, v) => (v % 7 === 3 || v % 11 === 0 ? 0 : 1));
    const masked = new Float32Array(n * C).fill(-1);
    predictProbabilities(head, fv, dims, masked, mask, undefined, spacing);
    for (let v = 0; v < n; v++) for (let c = 0; c < C; c++) expect(masked[v * C + c]).toBe(mask[v] ? ref[v * C + c] : -1);
  });

  it('a voxel list (runs, gaps, slice changes) gives the same values at list positions', () => {
    const dims: Vec3 = [17, 13, 4];
    const spacing: Vec3 = [1, 1.5, 3];
    const C = 6, F = 45, n = dims[0] * dims[1] * dims[2];
    const head = headOf(C, F), fv = volumeOf(dims, F);
    const ref = reference(head, fv, dims, spacing);
    const list = Int32Array.from({ length: n }, (_, v) => v).filter((v) => v % 13 < 9);
    const out = new Float32Array(list.length * C);
    scoreVoxels(head, fv, dims, spacing, list, out);
    list.forEach((v, t) => { for (let c = 0; c < C; c++) expect(out[t * C + c]).toBe(ref[v * C + c]); });
  });

  it('two heads queued alternately, the second growing the memory, each get their own results', () => {
    // Run last in this file: its 2000-channel head needs more memory than any head before it.
    const dims: Vec3 = [9, 8, 2];
    const spacing: Vec3 = [1, 1, 1];
    const small = headOf(3, 5), big = headOf(7, 2000);
    const fvS = volumeOf(dims, 5), fvB = volumeOf(dims, 2000);
    const kS = linearKernel(small, dims, spacing);
    const plane = dims[0] * dims[1];
    const outS = new Float32Array(plane * dims[2] * 3), outB = new Float32Array(plane * dims[2] * 7);
    kS.add(fvS.slices[0] as Float32Array, 0, 0, 0, 0, outS, 0);
    const before = wasmKernel()!.memory.buffer.byteLength;
    const kB = linearKernel(big, dims, spacing); // grows the module's memory while kS has a voxel queued
    expect(wasmKernel()!.memory.buffer.byteLength).toBeGreaterThan(before);
    for (let v = 0; v < plane; v++) {
      const i = v % dims[0], j = Math.floor(v / dims[0]);
      if (v > 0) kS.add(fvS.slices[0] as Float32Array, v * 5, i, j, 0, outS, v * 3);
      kB.add(fvB.slices[0] as Float32Array, v * 2000, i, j, 0, outB, v * 7);
    }
    kB.flush(); // scoring the big head writes its weights over the small head's queued batch, had it not been scored
    kS.flush();
    const refS = reference(small, fvS, dims, spacing), refB = reference(big, fvB, dims, spacing);
    expect(outS.subarray(0, plane * 3)).toEqual(refS.subarray(0, plane * 3));
    expect(outB.subarray(0, plane * 7)).toEqual(refB.subarray(0, plane * 7));
  });
});
