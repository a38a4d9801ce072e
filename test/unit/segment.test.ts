import { describe, expect, it } from 'vitest';
import { bandParams, createFilterBackbone, CT_BAND_BALANCE, dice, leastCertainSlice, segment, trainHead } from '../../src-main/fewshot';
import { IDENTITY3, type Vec3, type Volume } from '../../src-shared';
import { propagate } from '../../src-main/fewshot/propagate';
import { outsideAir } from '../../src-main/fewshot/roi';

/** 24×20×10 CT: a 40 HU "organ" box (id 2) and a 200 HU "vessel" box (id 6) in 0 HU tissue, with noise. */
function phantom(): { vol: Volume; truth: Uint8Array } {
  const dims: Vec3 = [24, 20, 10];
  const n = 24 * 20 * 10;
  const data = new Int16Array(n);
  const truth = new Uint8Array(n);
  let s = 3;
  for (let k = 0; k < 10; k++) for (let j = 0; j < 20; j++) for (let i = 0; i < 24; i++) {
    const v = i + j * 24 + k * 480;
    let hu = -20;
    if (i >= 3 && i < 11 && j >= 4 && j < 16 && k >= 2 && k < 8) { hu = 60; truth[v] = 2; }
    else if (i >= 15 && i < 19 && j >= 6 && j < 10) { hu = 250; truth[v] = 6; }
    s = (s * 16807) % 2147483647;
    data[v] = hu + Math.round((s / 2147483647 - 0.5) * 20);
  }
  return { vol: { dims, spacing: [1, 1, 2], origin: [0, 0, 0], direction: IDENTITY3, data, voxelType: 'int16', modality: 'CT', meta: {}, window: { center: 40, width: 400 }, warnings: [] }, truth };
}

function strokes(truth: Uint8Array): Uint8Array {
  const s = new Uint8Array(truth.length);
  const k = 5;
  for (let i = 4; i < 10; i++) s[i + 10 * 24 + k * 480] = 2;
  for (let j = 7; j < 9; j++) s[16 + j * 24 + k * 480] = 6;
  for (let j = 0; j < 20; j++) s[21 + j * 24 + k * 480] = 255;
  for (let i = 0; i < 24; i++) s[i + 18 * 24 + k * 480] = 255;
  return s;
}

async function setup() {
  const { vol, truth } = phantom();
  const bb = createFilterBackbone({ sigmas: [1, 2], binSigmas: [2] });
  const features = await bb.extract(vol);
  const scribbles = strokes(truth);
  const head = trainHead('linear', features, scribbles, vol.dims, { backbone: { id: bb.id } });
  return { vol, truth, features, scribbles, head };
}

// Every behaviour holds both for the whole-volume path and the coarse-to-fine one (forced here by a tiny block budget).
describe.each([
  { name: 'full resolution', opts: { resolution: 'full' as const } },
  { name: 'coarse-to-fine', opts: { coarseBudget: 700 } },
])('segment ($name)', ({ opts }) => {
  it('segments a synthetic phantom from strokes on one slice (Dice ≥ 0.9 per class)', async () => {
    const { vol, truth, features, scribbles, head } = await setup();
    const r = await segment({ volume: vol, features, scribbles, head, ...opts });
    expect(dice(r.labels, truth, 2)).toBeGreaterThan(0.9);
    expect(dice(r.labels, truth, 6)).toBeGreaterThan(0.9);
    expect(r.uncertainty.length).toBe(truth.length);
    expect(typeof r.timings.total).toBe('number');
    // The coarse path really ran on blocks (and the full path did not).
    expect(r.timings.blocks === undefined).toBe(opts.resolution === 'full');
  });

  it('never touches locked classes: their voxels keep the class, no other voxel becomes it', async () => {
    const { vol, truth, features, scribbles, head } = await setup();
    // Previous result: class 2 only on slices k ≥ 5 (deliberately partial), locked.
    const prev = new Uint8Array(truth.length);
    for (let v = 0; v < truth.length; v++) if (truth[v] === 2 && v >= 5 * 480) prev[v] = 2;
    const r = await segment({ volume: vol, features, scribbles, head, ...opts, locked: { classIds: [2], labels: prev } });
    for (let v = 0; v < truth.length; v++) {
      if (prev[v] === 2) expect(r.labels[v]).toBe(2);
      else expect(r.labels[v]).not.toBe(2);
    }
    expect(dice(r.labels, truth, 6)).toBeGreaterThan(0.9);
  });

  it('streams slices in the given order first, then the rest', async () => {
    const { vol, features, scribbles, head } = await setup();
    const seen: number[] = [];
    await segment({ volume: vol, features, scribbles, head, ...opts, order: [7, 2], onSlice: (k, lab, unc) => { expect(lab.length).toBe(480); expect(unc.length).toBe(480); seen.push(k); } });
    expect(seen).toEqual([7, 2, 0, 1, 3, 4, 5, 6, 8, 9]);
  });

  it('a cancelled prediction rejects with CANCELLED', async () => {
    const { vol, features, scribbles, head } = await setup();
    const ac = new AbortController();
    ac.abort();
    await expect(segment({ volume: vol, features, scribbles, head, ...opts, signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

});

describe('band balance (the propagation on the finer levels\' bands)', () => {
  const mr = (): Volume => ({ ...phantom().vol, modality: 'MR' });
  it('CT bands weigh the image more and the head less; MR bands keep the top level\'s parameters', () => {
    const ct = phantom().vol;
    expect(CT_BAND_BALANCE.voxels).toEqual({ doubt: 0.25, edge: 4 });
    expect(CT_BAND_BALANCE.blocks).toEqual({ doubt: 0.5, edge: 3 });
    expect(bandParams({ volume: ct }, 'voxels')).toEqual({ doubt: 0.25, edge: 4 });
    expect(bandParams({ volume: ct }, 'blocks')).toEqual({ doubt: 0.5, edge: 3 });
    // The caller's base cost stays; the band's doubt and edge replace the caller's.
    expect(bandParams({ volume: ct, propagation: { base: 0.1, doubt: 2 } }, 'voxels')).toEqual({ base: 0.1, doubt: 0.25, edge: 4 });
    expect(bandParams({ volume: mr() }, 'voxels')).toBeUndefined();
    expect(bandParams({ volume: mr(), propagation: { edge: 1 } }, 'blocks')).toEqual({ edge: 1 });
    // null: one balance everywhere (the benchmark's ablation); an explicit balance applies to any modality.
    expect(bandParams({ volume: ct, bandBalance: null, propagation: { edge: 1 } }, 'voxels')).toEqual({ edge: 1 });
    expect(bandParams({ volume: mr(), bandBalance: { voxels: { doubt: 0 } } }, 'voxels')).toEqual({ doubt: 0 });
    expect(bandParams({ volume: mr(), bandBalance: { voxels: { doubt: 0 } } }, 'blocks')).toBeUndefined();
  });
});

describe('segment', () => {
  it('single-class strokes → LABELS_SINGLE_CLASS; head/feature mismatch → HEAD_MISMATCH', async () => {
    const { vol, features, scribbles, head } = await setup();
    const one = scribbles.map((v) => (v === 2 ? 2 : 0));
    await expect(segment({ volume: vol, features, scribbles: one, head })).rejects.toMatchObject({ code: 'LABELS_SINGLE_CLASS' });
    const other = await createFilterBackbone({ sigmas: [1], binSigmas: [2] }).extract(vol);
    await expect(segment({ volume: vol, features: other, scribbles, head })).rejects.toMatchObject({ code: 'HEAD_MISMATCH' });
  });

  it('leastCertainSlice picks the slice with the most uncertainty', () => {
    const u = new Uint8Array(4 * 4 * 3);
    for (let p = 16; p < 32; p++) u[p] = 200;
    u[40] = 255;
    expect(leastCertainSlice(u, [4, 4, 3])).toBe(1);
  });
});

/** Textbook O(n²) Dijkstra with the propagation's step cost: the reference the bucket queue must match. */
function referenceDistances(dims: Vec3, sp: Vec3, probs: Float32Array, C: number, image: Float32Array, seeds: Int16Array): { dist: Float64Array; lab: Int16Array } {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const dist = new Float64Array(n).fill(Infinity), lab = new Int16Array(n).fill(-1), done = new Uint8Array(n);
  for (let v = 0; v < n; v++) if (seeds[v] >= 0) { dist[v] = 0; lab[v] = seeds[v]; }
  for (;;) {
    let v = -1;
    for (let u = 0; u < n; u++) if (!done[u] && dist[u] < Infinity && (v < 0 || dist[u] < dist[v])) v = u;
    if (v < 0) break;
    done[v] = 1;
    const i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / (nx * ny));
    const nb: [number, number][] = [];
    if (i > 0) nb.push([v - 1, sp[0]]); if (i < nx - 1) nb.push([v + 1, sp[0]]);
    if (j > 0) nb.push([v - nx, sp[1]]); if (j < ny - 1) nb.push([v + nx, sp[1]]);
    if (k > 0) nb.push([v - nx * ny, sp[2]]); if (k < nz - 1) nb.push([v + nx * ny, sp[2]]);
    for (const [u, h] of nb) {
      if (done[u]) continue;
      const w = h * (0.05 + (1 - probs[u * C + lab[v]])) + 2 * Math.abs(image[u] - image[v]);
      if (dist[v] + w < dist[u]) { dist[u] = dist[v] + w; lab[u] = lab[v]; }
    }
  }
  return { dist, lab };
}

describe('geodesic propagation (bucket queue)', () => {
  it('gives the exact shortest-path distances and the winning class of a textbook Dijkstra', () => {
    const dims: Vec3 = [9, 7, 5], sp: Vec3 = [0.7, 0.9, 2.5], C = 3, n = 9 * 7 * 5;
    let s = 11;
    const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
    const probs = new Float32Array(n * C);
    for (let v = 0; v < n; v++) { const a = rnd(), b = rnd() * (1 - a); probs[v * C] = a; probs[v * C + 1] = b; probs[v * C + 2] = 1 - a - b; }
    const image = Float32Array.from({ length: n }, () => rnd() * 3);
    const seeds = new Int16Array(n).fill(-1);
    seeds[0] = 0; seeds[n - 1] = 1; seeds[4 + 3 * 9 + 2 * 63] = 2;
    const got = propagate({ dims, spacing: sp, probs, C, image, seeds });
    const ref = referenceDistances(dims, sp, probs, C, image, seeds);
    let maxErr = 0, sameLabel = 0;
    for (let v = 0; v < n; v++) {
      maxErr = Math.max(maxErr, Math.abs(got.dist[v] - ref.dist[v]) / Math.max(1, ref.dist[v]));
      if (got.labels[v] === ref.lab[v]) sameLabel++;
    }
    expect(maxErr).toBeLessThan(1e-5);
    // Float32 rounding may flip an exact tie; anything more would be a queue-order bug.
    expect(sameLabel).toBeGreaterThanOrEqual(n - 2);
  });
});

describe('outside air (CT)', () => {
  it('marks air around the body, not the air inside it, and keeps a 2-voxel margin at the skin', () => {
    const dims: Vec3 = [20, 20, 3], n = 1200;
    const hu = new Float32Array(n);
    for (let k = 0; k < 3; k++) for (let j = 0; j < 20; j++) for (let i = 0; i < 20; i++) {
      const r = Math.hypot(i - 9.5, j - 9.5);
      // Body disc of radius 7 (40 HU) with an air "lung" of radius 2 inside; −1000 HU outside.
      hu[i + j * 20 + k * 400] = r < 2 ? -10 : r < 7 ? 0.4 : -10;
    }
    const vol = { dims, spacing: [1, 1, 1] as Vec3, modality: 'CT' } as unknown as Volume;
    const out = outsideAir(vol, hu)!;
    const at = (i: number, j: number) => out[i + j * 20 + 400];
    expect(at(0, 0)).toBe(1);
    expect(at(9, 9)).toBe(0); // lung: enclosed air is not outside
    expect(at(9, 10)).toBe(0);
    // Column i = 9: body (r < 7) down to j = 3; air at j = 2, 1 lies within the 2-voxel margin and stays scored.
    expect([0, 1, 2, 3].map((j) => at(9, j))).toEqual([1, 0, 0, 0]);
    expect(outsideAir({ ...vol, modality: 'MR' } as Volume, hu)).toBeNull();
  });
});
