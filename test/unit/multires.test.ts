import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src-shared';
import { coarseFactors, coarseLevel, levelFor, parentOf, parentVotes, propagateBand, propagateCoarse, pyramidFactors, seedVotes, strokeLevelSeeds, uniformBlocks, votesToSeeds } from '../../src-main/fewshot/multires';
import { propagate } from '../../src-main/fewshot/propagate';
import type { FeatureVolume } from '../../src-main/features/types';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
}

/** A random image (0..range) and random class probabilities (normalised per voxel), from a seeded LCG. */
function randomProblem(n: number, C: number, seed: number, range: number): { image: Float32Array; probs: Float32Array } {
  const rnd = lcg(seed);
  const image = new Float32Array(n), probs = new Float32Array(n * C);
  for (let v = 0; v < n; v++) {
    image[v] = rnd() * range;
    let s = 0;
    for (let c = 0; c < C; c++) { probs[v * C + c] = rnd(); s += probs[v * C + c]; }
    for (let c = 0; c < C; c++) probs[v * C + c] /= s;
  }
  return { image, probs };
}

describe('coarse grid', () => {
  it('picks block sizes that fit the budget and stay near-cubic in mm', () => {
    expect(coarseFactors([122, 101, 112], [3, 3, 3], 200_000)).toEqual([2, 2, 2]);
    expect(coarseFactors([60, 50, 40], [1, 1, 1], 200_000)).toEqual([1, 1, 1]);
    const f = coarseFactors([512, 512, 300], [0.8, 0.8, 1.5], 200_000);
    const count = Math.ceil(512 / f[0]) * Math.ceil(512 / f[1]) * Math.ceil(300 / f[2]);
    expect(count).toBeLessThanOrEqual(200_000);
    const mm = [0.8 * f[0], 0.8 * f[1], 1.5 * f[2]];
    expect(Math.max(...mm) / Math.min(...mm)).toBeLessThan(1.6);
  });

  it('block features are the mean of their voxels, and a step edge becomes a barrier of its height between the two blocks it separates', () => {
    const dims: Vec3 = [8, 2, 2];
    const n = 32, F = 2;
    const slices: Float32Array[] = [];
    for (let k = 0; k < 2; k++) {
      const s = new Float32Array(16 * F);
      for (let p = 0; p < 16; p++) { s[p * F] = p % 8; s[p * F + 1] = k; }
      slices.push(s);
    }
    const features: FeatureVolume = { dim: F, names: ['i', 'k'], slices };
    const edge = new Float32Array(n);
    for (let v = 0; v < n; v++) edge[v] = v % 8 >= 6 ? 1 : 0;
    // Budget 16 → blocks of 2 voxels along x only (x is the axis grown first at equal spacing).
    const L = coarseLevel(features, dims, [1, 1, 1], edge, null, 16);
    expect(L.f).toEqual([2, 1, 1]);
    expect(L.dims).toEqual([4, 2, 2]);
    // Block (1, 0, 0) holds voxels i = 2, 3: mean i 2.5, k 0.
    expect(L.feats[1 * F]).toBeCloseTo(2.5, 6);
    expect(L.feats[1 * F + 1]).toBe(0);
    // The only x barrier is between blocks 2 (i 4–5) and 3 (i 6–7), on every row.
    for (let b = 0; b < L.n; b++) expect(L.barrier[0][b]).toBeCloseTo(b % 4 === 2 ? 1 : 0, 6);
    for (let b = 0; b < L.n; b++) { expect(L.barrier[1][b]).toBe(0); expect(L.barrier[2][b]).toBe(0); }
    // Cached while the feature slices stay the same objects.
    expect(coarseLevel(features, dims, [1, 1, 1], edge, null, 16)).toBe(L);
    // A new edge image (a multi-sequence guide made from new strokes): the barriers follow it, the block features
    // are the same array (not summed again), and going back to the first edge image gives its barriers again.
    const edge2 = new Float32Array(n);
    for (let v = 0; v < n; v++) edge2[v] = v % 8 >= 2 ? 3 : 0;
    const L2 = coarseLevel(features, dims, [1, 1, 1], edge2, null, 16);
    expect(L2.feats).toBe(L.feats);
    expect(L2.blockOf).toBe(L.blockOf);
    for (let b = 0; b < L2.n; b++) expect(L2.barrier[0][b]).toBeCloseTo(b % 4 === 0 ? 3 : 0, 6);
    expect(L2.maxBarrier).toBeCloseTo(3, 6);
    const L3 = coarseLevel(features, dims, [1, 1, 1], edge, null, 16);
    expect(L3.feats).toBe(L.feats);
    for (let b = 0; b < L3.n; b++) expect(L3.barrier[0][b]).toBeCloseTo(b % 4 === 2 ? 1 : 0, 6);
  });

  it('uniform blocks are those whose 26 neighbours share their class', () => {
    const L = { dims: [4, 4, 1] as Vec3, n: 16 } as Parameters<typeof uniformBlocks>[0];
    const lab = new Uint8Array(16);
    for (let b = 0; b < 16; b++) lab[b] = b % 4 >= 2 ? 1 : 0;
    const u = uniformBlocks(L, lab);
    expect(Array.from(u)).toEqual([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]);
  });

  it('uniform blocks in 3D equal the direct test of all 26 neighbours (unreached blocks never uniform)', () => {
    const dims: Vec3 = [7, 6, 5];
    const n = 210;
    const L = { dims, n } as Parameters<typeof uniformBlocks>[0];
    let s = 5;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    // Two large regions with a few islands and unreached blocks, so that both answers occur often.
    const lab = Uint8Array.from({ length: n }, (_, v) => (rnd() < 0.04 ? 255 : rnd() < 0.06 ? 2 : v % 7 < 4 ? 0 : 1));
    const direct = new Uint8Array(n);
    for (let k = 0; k < 5; k++) for (let j = 0; j < 6; j++) for (let i = 0; i < 7; i++) {
      const c = lab[(k * 6 + j) * 7 + i];
      let same = c !== 255;
      for (let dk = -1; dk <= 1; dk++) for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) {
        const kk = k + dk, jj = j + dj, ii = i + di;
        if (kk < 0 || kk >= 5 || jj < 0 || jj >= 6 || ii < 0 || ii >= 7) continue;
        if (lab[(kk * 6 + jj) * 7 + ii] !== c) same = false;
      }
      direct[(k * 6 + j) * 7 + i] = same ? 1 : 0;
    }
    const u = uniformBlocks(L, lab);
    expect(Array.from(u)).toEqual(Array.from(direct));
    expect(direct.reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
  });
});

describe('block propagation', () => {
  it('on 1-voxel blocks equals the whole-volume propagation (the barrier is then the voxel-to-voxel change)', () => {
    const dims: Vec3 = [8, 6, 5];
    const n = 240, C = 3, F = 1;
    const { image, probs } = randomProblem(n, C, 11, 3);
    const seeds = new Int16Array(n).fill(-1);
    seeds[3] = 0; seeds[n - 2] = 1; seeds[100] = 2;
    const spacing: Vec3 = [1, 1.2, 2.5];
    const slices = Array.from({ length: 5 }, () => new Float32Array(48 * F));
    const L = coarseLevel({ dim: F, names: ['x'], slices }, dims, spacing, image, null, n);
    expect(L.f).toEqual([1, 1, 1]);
    const coarse = propagateCoarse(L, probs, C, seeds, undefined, undefined);
    const whole = propagate({ dims, spacing, probs, C, image, seeds }).labels;
    expect(Array.from(coarse)).toEqual(Array.from(whole));
  });
});

describe('band propagation', () => {
  it('equals the whole-volume propagation when the band is everything but the seeds', () => {
    const dims: Vec3 = [9, 7, 5];
    const n = 9 * 7 * 5, C = 3;
    const { image, probs } = randomProblem(n, C, 7, 2);
    const seeds = new Int16Array(n).fill(-1);
    seeds[0] = 0; seeds[n - 1] = 1; seeds[4 + 3 * 9 + 2 * 63] = 2; seeds[8] = 1;
    const spacing: Vec3 = [1, 1.5, 2];
    const whole = propagate({ dims, spacing, probs, C, image, seeds }).labels;
    const bandList: number[] = [];
    const bandIndex = new Int32Array(n).fill(-1);
    for (let v = 0; v < n; v++) if (seeds[v] < 0) { bandIndex[v] = bandList.length; bandList.push(v); }
    const band = Int32Array.from(bandList);
    const pb = new Float32Array(band.length * C);
    band.forEach((v, t) => { for (let c = 0; c < C; c++) pb[t * C + c] = probs[v * C + c]; });
    // Outside the band: each seed is its own block with its own class.
    const blockOf = new Int32Array(n).fill(0);
    const blockLabel = new Uint8Array([255]);
    const lb = propagateBand({ dims, spacing, image, band, bandIndex, probs: pb, C, seeds, blockLabel, blockOf });
    band.forEach((v, t) => expect(lb[t]).toBe(whole[v]));
  });
});

describe('pyramid of block levels', () => {
  it('adds a level of doubled blocks above the coarse grid and one of halved blocks below it while memory allows', () => {
    // The 3 mm CT: coarse blocks of 2 voxels; above, 4; below would be single voxels (the band stage), so none.
    expect(pyramidFactors([122, 101, 112], [3, 3, 3], 200_000, 45)).toEqual([[4, 4, 4], [2, 2, 2]]);
    // A 256×256×150 working grid: coarse 4×4×3; below, the odd axis keeps its size.
    const f = pyramidFactors([256, 256, 150], [1.42, 1.18, 2.24], 200_000, 45);
    const coarse = coarseFactors([256, 256, 150], [1.42, 1.18, 2.24], 200_000);
    expect(f).toHaveLength(3);
    expect(f[1]).toEqual(coarse);
    expect(f[0]).toEqual(coarse.map((x) => x * 2));
    expect(f[2]).toEqual(coarse.map((x) => (x % 2 === 0 ? x / 2 : x)));
    // The finer level is skipped when its block features would not fit the byte budget.
    expect(pyramidFactors([256, 256, 150], [1.42, 1.18, 2.24], 200_000, 45, { maxLevelBytes: 10e6 })).toHaveLength(2);
    expect(pyramidFactors([122, 101, 112], [3, 3, 3], 200_000, 45, { coarser: 0, finer: 0 })).toEqual([[2, 2, 2]]);
  });

  it('each block of a finer level lies inside its parent block, voxel for voxel', () => {
    const dims: Vec3 = [13, 11, 7];
    const F = 1;
    const slices = Array.from({ length: 7 }, () => new Float32Array(13 * 11 * F));
    const features: FeatureVolume = { dim: F, names: ['x'], slices };
    const edge = new Float32Array(13 * 11 * 7);
    const P = levelFor(features, dims, [1, 1, 1], edge, null, [4, 2, 3]);
    const Ch = levelFor(features, dims, [1, 1, 1], edge, null, [2, 1, 3]);
    const par = parentOf(features, Ch, P);
    for (let v = 0; v < edge.length; v++) expect(par[Ch.blockOf[v]]).toBe(P.blockOf[v]);
    expect(parentOf(features, Ch, P)).toBe(par);
    expect(() => parentOf(features, levelFor(features, dims, [1, 1, 1], edge, null, [3, 1, 1]), P)).toThrow(/do not nest/);
  });

  it('band propagation on a block level (block barriers) equals the block propagation when the band is every unseeded block', () => {
    const dims: Vec3 = [12, 10, 6];
    const n = 720, C = 3;
    const { image } = randomProblem(n, C, 5, 2);
    const slices = Array.from({ length: 6 }, () => new Float32Array(120));
    const features: FeatureVolume = { dim: 1, names: ['x'], slices };
    const spacing: Vec3 = [1, 1.3, 2];
    const L = levelFor(features, dims, spacing, image, null, [2, 2, 1]);
    const { probs } = randomProblem(L.n, C, 9, 1);
    const seeds = new Int16Array(L.n).fill(-1);
    seeds[0] = 0; seeds[L.n - 1] = 1; seeds[77] = 2; seeds[31] = 1;
    const whole = propagateCoarse(L, probs, C, seeds, undefined, undefined);
    const list: number[] = [];
    const bandIndex = new Int32Array(L.n).fill(-1);
    for (let b = 0; b < L.n; b++) if (seeds[b] < 0) { bandIndex[b] = list.length; list.push(b); }
    const band = Int32Array.from(list);
    const pb = new Float32Array(band.length * C);
    band.forEach((b, t) => { for (let c = 0; c < C; c++) pb[t * C + c] = probs[b * C + c]; });
    const lb = propagateBand({ dims: L.dims, spacing: L.spacing, barrier: L.barrier, band, bandIndex, probs: pb, C, seeds, blockLabel: new Uint8Array([255]), blockOf: new Int32Array(L.n) });
    band.forEach((b, t) => expect(lb[t]).toBe(whole[b]));
  });
});

describe('block seeds', () => {
  // 12×10×6 voxels, two block levels (2×2×2 inside 4×4×2... nested), outside air in the first 3 columns; strokes of
  // three classes (0 = background), one of them locked, some inside the outside air.
  const dims: Vec3 = [12, 10, 6], n = 720, C = 3, F = 1;
  const fv: FeatureVolume = { dim: F, names: ['a'], slices: Array.from({ length: 6 }, () => new Float32Array(120)) };
  const edge = new Float32Array(n);
  const outside = Uint8Array.from({ length: n }, (_, v) => (v % 12 < 3 ? 1 : 0));
  const fine = levelFor(fv, dims, [1, 1, 1], edge, outside, [2, 2, 2]);
  const top = levelFor(fv, dims, [1, 1, 1], edge, outside, [4, 4, 2]);
  const rnd = lcg(5);
  const strokes = new Uint8Array(n);
  for (let v = 0; v < n; v++) { const r = rnd(); if (r < 0.08) strokes[v] = 255; else if (r < 0.14) strokes[v] = 4; else if (r < 0.2) strokes[v] = 7; }
  // As segment() builds them: class index 0 = background (255), 1 = id 4, 2 = id 7 locked (its strokes seed nothing),
  // then every other outside voxel is background.
  const seeds = new Int16Array(n).fill(-1);
  for (let v = 0; v < n; v++) if (strokes[v] === 255) seeds[v] = 0; else if (strokes[v] === 4) seeds[v] = 1;
  for (let v = 0; v < n; v++) if (outside[v] && seeds[v] < 0) seeds[v] = 0;

  it('seeds from the stroke voxels and the outside counts equal the votes of a scan of every voxel, strokes inside outside air included', () => {
    expect(Array.from(strokes).some((s, v) => s && outside[v])).toBe(true);
    for (const L of [fine, top]) {
      const scanned = votesToSeeds(seedVotes(L, seeds, strokes, C), L.n, C);
      expect(strokeLevelSeeds(L, seeds, strokes, C, outside, 0)).toEqual(scanned);
      // Both answers occur: background from outside air alone, stroke classes, and no seed.
      expect(new Set(scanned)).toEqual(new Set([-1, 0, 1]));
    }
    // A second call copies the cached outside-air map rather than handing it out.
    const again = strokeLevelSeeds(fine, seeds, strokes, C, outside, 0);
    again.fill(-1);
    expect(strokeLevelSeeds(fine, seeds, strokes, C, outside, 0)).toEqual(votesToSeeds(seedVotes(fine, seeds, strokes, C), fine.n, C));
    // Without outside air only the strokes vote.
    const noOut = levelFor({ ...fv }, dims, [1, 1, 1], edge, null, [2, 2, 2]);
    const strokeSeeds = Int16Array.from(seeds, (s, v) => (strokes[v] ? s : -1));
    expect(strokeLevelSeeds(noOut, strokeSeeds, strokes, C, null, 0)).toEqual(votesToSeeds(seedVotes(noOut, strokeSeeds, strokes, C), noOut.n, C));
  });

  it('a parent level\'s votes summed from its children equal its own scan; a stroke outweighs outside air', () => {
    const par = parentOf(fv, fine, top);
    const summed = parentVotes(seedVotes(fine, seeds, strokes, C), par, top.n, C);
    expect(summed).toEqual(seedVotes(top, seeds, strokes, C));
    const s = votesToSeeds(summed, top.n, C);
    for (let b = 0; b < top.n; b++) {
      const hasStroke1 = Array.from({ length: n }, (_, v) => v).some((v) => top.blockOf[v] === b && seeds[v] === 1 && strokes[v]);
      const hasStroke0 = Array.from({ length: n }, (_, v) => v).some((v) => top.blockOf[v] === b && seeds[v] === 0 && strokes[v]);
      if (hasStroke1 && !hasStroke0) expect(s[b]).toBe(1);
    }
  });
});
