import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FeatureVolume } from '../../src-main/features/types';
import { assertHeadMatches, loadHead, saveHead, trainHead } from '../../src-main/fewshot';
import { compileHead, predictProbabilities } from '../../src-main/fewshot/predict';
import { positionFeatures } from '../../src-main/fewshot/samples';
import type { Vec3 } from '../../src-shared';

/** 3 classes on a 10×10×1 grid, 4 channels: class = which third of x the voxel is in; channel 0 encodes it. */
function synthetic(): { fv: FeatureVolume; truth: Uint8Array; dims: Vec3 } {
  const dims: Vec3 = [12, 10, 1];
  const D = 4;
  const sl = new Float32Array(120 * D);
  const truth = new Uint8Array(120);
  let s = 7;
  const noise = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
  for (let j = 0; j < 10; j++) for (let i = 0; i < 12; i++) {
    const p = i + j * 12;
    const c = i < 4 ? 0 : i < 8 ? 3 : 7; // prediction ids: 0 background, 3, 7
    truth[p] = c;
    const centre = c === 0 ? -2 : c === 3 ? 0 : 2;
    sl[p * D] = centre + noise();
    sl[p * D + 1] = (c === 7 ? 1 : 0) + noise();
    sl[p * D + 2] = noise();
    sl[p * D + 3] = 5; // constant channel: std 0 must not produce NaN
  }
  return { fv: { dim: D, slices: [sl], names: ['a', 'b', 'c', 'd'] }, truth, dims };
}

function scribblesFor(truth: Uint8Array): Uint8Array {
  // One labeled column per class (x = 1, 5, 10), background as 255.
  const s = new Uint8Array(truth.length);
  for (let j = 0; j < 10; j++) for (const i of [1, 5, 10]) { const t = truth[i + j * 12]; s[i + j * 12] = t === 0 ? 255 : t; }
  return s;
}

function pos(p: number): Float32Array {
  const out = new Float32Array(3);
  positionFeatures(p, [12, 10, 1], [1, 1, 1], out, 0);
  return out;
}

function predictAll(head: ReturnType<typeof trainHead>, fv: FeatureVolume): number[] {
  const ch = compileHead(head);
  const out = new Float32Array(ch.C);
  const res: number[] = [];
  for (let p = 0; p < 120; p++) {
    ch.score(fv.slices[0]!, p * fv.dim, pos(p), out, 0);
    let b = 0;
    for (let c = 1; c < ch.C; c++) if (out[c] > out[b]) b = c;
    res.push(head.classes[b]);
  }
  return res;
}

describe.each(['linear', 'proto'] as const)('%s head', (kind) => {
  it('learns separable synthetic classes from a few labeled voxels', () => {
    const { fv, truth, dims } = synthetic();
    // Position channels off: the columns labeled here would also separate by place alone.
    const head = trainHead(kind, fv, scribblesFor(truth), dims, { backbone: { id: 'synthetic' }, position: false });
    expect(head.positionChannels).toBe(0);
    expect(head.classes).toEqual([0, 3, 7]);
    expect(head.counts).toEqual([10, 10, 10]);
    expect(predictAll(head, fv)).toEqual(Array.from(truth));
  });

  it('round-trips through a file with identical predictions', async () => {
    const { fv, truth, dims } = synthetic();
    const head = trainHead(kind, fv, scribblesFor(truth), dims, { backbone: { id: 'synthetic', settings: { sigmas: [1, 2] } } });
    const path = join(mkdtempSync(join(tmpdir(), 'head-')), 'h.json');
    await saveHead(head, path);
    const back = await loadHead(path);
    expect(back.kind).toBe(kind);
    expect(back.positionChannels).toBe(3);
    expect(back.backbone).toEqual(head.backbone);
    const ch1 = compileHead(head), ch2 = compileHead(back);
    const a = new Float32Array(3), b = new Float32Array(3);
    for (let p = 0; p < 120; p++) {
      ch1.score(fv.slices[0]!, p * 4, pos(p), a, 0);
      ch2.score(fv.slices[0]!, p * 4, pos(p), b, 0);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it('refuses features of another backbone or dim with HEAD_MISMATCH', () => {
    const { fv, truth, dims } = synthetic();
    const head = trainHead(kind, fv, scribblesFor(truth), dims, { backbone: { id: 'synthetic' } });
    const other: FeatureVolume = { dim: 3, slices: [new Float32Array(360)], names: ['a', 'b', 'c'] };
    expect(() => assertHeadMatches(head, other)).toThrow(expect.objectContaining({ code: 'HEAD_MISMATCH' }));
    const renamed: FeatureVolume = { ...fv, names: ['a', 'b', 'c', 'x'] };
    expect(() => assertHeadMatches(head, renamed)).toThrow(expect.objectContaining({ code: 'HEAD_MISMATCH' }));
    expect(() => assertHeadMatches(head, fv, 'dinov2:abc')).toThrow(expect.objectContaining({ code: 'HEAD_MISMATCH' }));
    expect(() => assertHeadMatches(head, fv, 'synthetic')).not.toThrow();
  });
});

describe('label errors', () => {
  it('single class → LABELS_SINGLE_CLASS with the "label at least two classes" advice', () => {
    const { fv, dims } = synthetic();
    const s = new Uint8Array(120);
    s[5] = 3; s[6] = 3;
    expect(() => trainHead('linear', fv, s, dims)).toThrow(expect.objectContaining({ code: 'LABELS_SINGLE_CLASS', message: expect.stringContaining('label at least two classes') }));
  });
  it('no labels → LABELS_EMPTY; labels of another size → GRID_MISMATCH', () => {
    const { fv, dims } = synthetic();
    expect(() => trainHead('proto', fv, new Uint8Array(120), dims)).toThrow(expect.objectContaining({ code: 'LABELS_EMPTY' }));
    expect(() => trainHead('proto', fv, new Uint8Array(99), dims)).toThrow(expect.objectContaining({ code: 'GRID_MISMATCH' }));
  });
  it('a damaged head file → HEAD_INVALID, a missing one → FILE_NOT_FOUND', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'head-'));
    writeFileSync(join(dir, 'bad.json'), '{"format":"medseg-head","version":1,"kind":"linear"}');
    await expect(loadHead(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'HEAD_INVALID' });
    writeFileSync(join(dir, 'junk.json'), 'not json');
    await expect(loadHead(join(dir, 'junk.json'))).rejects.toMatchObject({ code: 'HEAD_INVALID' });
    await expect(loadHead(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('whole-volume scoring', () => {
  it('the linear fast path gives the per-voxel scorer\'s probabilities (position folded per row), mask respected', () => {
    // 3 slices with anisotropic spacing, so the folded x/y/z position terms are all exercised.
    const dims: Vec3 = [12, 10, 3];
    const spacing: Vec3 = [0.8, 1.2, 3];
    const { fv: one, truth } = synthetic();
    const fv: FeatureVolume = { dim: one.dim, names: one.names, slices: [0, 1, 2].map((k) => one.slices[0]!.map((x, q) => x + 0.1 * k * (q % 3))) };
    const scr = new Uint8Array(360);
    const s1 = scribblesFor(truth);
    scr.set(s1, 120);
    const head = trainHead('linear', fv, scr, dims, { spacing });
    expect(head.positionChannels).toBe(3);
    const ch = compileHead(head);
    const C = ch.C;
    const mask = new Uint8Array(360).map((_, v) => (v % 7 === 3 ? 0 : 1));
    const fast = new Float32Array(360 * C).fill(-1);
    predictProbabilities(head, fv, dims, fast, mask, undefined, spacing);
    const p = new Float32Array(3), ref = new Float32Array(C);
    let maxErr = 0;
    for (let v = 0; v < 360; v++) {
      if (!mask[v]) { for (let c = 0; c < C; c++) expect(fast[v * C + c]).toBe(-1); continue; }
      positionFeatures(v, dims, spacing, p, 0);
      const k = Math.floor(v / 120);
      ch.score(fv.slices[k]!, (v - k * 120) * fv.dim, p, ref, 0);
      for (let c = 0; c < C; c++) maxErr = Math.max(maxErr, Math.abs(ref[c] - fast[v * C + c]));
    }
    expect(maxErr).toBeLessThan(1e-4);
  });
});

describe('linear fast path: every class count', () => {
  // Four classes at a time, then a pair, then a single: 2, 5, 6 and 7 classes take each tail.
  it.each([2, 5, 6, 7])('%i classes: the same probabilities as the per-voxel scorer', (C) => {
    const dims: Vec3 = [6, 5, 2];
    const spacing: Vec3 = [1, 1.5, 2.5];
    const F = 5, P = 3, D = F + P, n = 60;
    const wave = (i: number, a: number) => Math.sin(a * i + 0.3);
    const fv: FeatureVolume = { dim: F, names: ['a', 'b', 'c', 'd', 'e'], slices: [0, 1].map((k) => Float32Array.from({ length: 30 * F }, (_, q) => wave(q + 97 * k, 0.77))) };
    const head = {
      kind: 'linear' as const, classes: Array.from({ length: C }, (_, c) => (c === 0 ? 0 : c + 2)), counts: new Array(C).fill(1),
      backbone: { id: 't', dim: F, names: fv.names }, positionChannels: P,
      mean: Float32Array.from({ length: D }, (_, d) => 0.1 * d), std: Float32Array.from({ length: D }, (_, d) => 0.5 + 0.25 * d),
      weights: Float32Array.from({ length: C * D }, (_, i) => wave(i, 1.3)), bias: Float32Array.from({ length: C }, (_, c) => 0.2 * c - 0.3), lambda: 0.01,
    };
    const ch = compileHead(head);
    const fast = new Float32Array(n * C);
    predictProbabilities(head, fv, dims, fast, undefined, undefined, spacing);
    const p = new Float32Array(P), ref = new Float32Array(C);
    let maxErr = 0, sumErr = 0;
    for (let v = 0; v < n; v++) {
      positionFeatures(v, dims, spacing, p, 0);
      const k = Math.floor(v / 30);
      ch.score(fv.slices[k]!, (v - k * 30) * F, p, ref, 0);
      let s = 0;
      for (let c = 0; c < C; c++) { maxErr = Math.max(maxErr, Math.abs(ref[c] - fast[v * C + c])); s += fast[v * C + c]; }
      sumErr = Math.max(sumErr, Math.abs(s - 1));
    }
    expect(maxErr).toBeLessThan(1e-5);
    expect(sumErr).toBeLessThan(1e-5);
  });
});
