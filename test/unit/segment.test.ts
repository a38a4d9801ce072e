import { describe, expect, it } from 'vitest';
import { createFilterBackbone, dice, leastCertainSlice, segment, trainHead } from '../../src-main/fewshot';
import { IDENTITY3, type Vec3, type Volume } from '../../src-shared';

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

describe('segment', () => {
  it('segments a synthetic phantom from strokes on one slice (Dice ≥ 0.9 per class)', async () => {
    const { vol, truth, features, scribbles, head } = await setup();
    const r = await segment({ volume: vol, features, scribbles, head });
    expect(dice(r.labels, truth, 2)).toBeGreaterThan(0.9);
    expect(dice(r.labels, truth, 6)).toBeGreaterThan(0.9);
    expect(r.uncertainty.length).toBe(truth.length);
    expect(typeof r.timings.total).toBe('number');
  });

  it('never touches locked classes: their voxels keep the class, no other voxel becomes it', async () => {
    const { vol, truth, features, scribbles, head } = await setup();
    // Previous result: class 2 only on slices k ≥ 5 (deliberately partial), locked.
    const prev = new Uint8Array(truth.length);
    for (let v = 0; v < truth.length; v++) if (truth[v] === 2 && v >= 5 * 480) prev[v] = 2;
    const r = await segment({ volume: vol, features, scribbles, head, locked: { classIds: [2], labels: prev } });
    for (let v = 0; v < truth.length; v++) {
      if (prev[v] === 2) expect(r.labels[v]).toBe(2);
      else expect(r.labels[v]).not.toBe(2);
    }
    expect(dice(r.labels, truth, 6)).toBeGreaterThan(0.9);
  });

  it('streams slices in the given order first, then the rest', async () => {
    const { vol, features, scribbles, head } = await setup();
    const seen: number[] = [];
    await segment({ volume: vol, features, scribbles, head, order: [7, 2], onSlice: (k, lab, unc) => { expect(lab.length).toBe(480); expect(unc.length).toBe(480); seen.push(k); } });
    expect(seen).toEqual([7, 2, 0, 1, 3, 4, 5, 6, 8, 9]);
  });

  it('a cancelled prediction rejects with CANCELLED', async () => {
    const { vol, features, scribbles, head } = await setup();
    const ac = new AbortController();
    ac.abort();
    await expect(segment({ volume: vol, features, scribbles, head, signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

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
