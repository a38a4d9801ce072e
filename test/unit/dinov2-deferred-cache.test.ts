/**
 * The first-slice fast path: on a cold cache the full content hash (and the disk writes) come after the visible
 * slices, keyed by a cheap fingerprint prefix; these tests check that the key still follows every voxel, that
 * deferred features land on disk under the right key, and that cancellation and write failures still behave.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMedSegError, type MedSegError, type Volume } from '../../src-shared';
import { cacheKey, cacheKeyPrefix, contentHashKnown, volumeFingerprint } from '../../src-main/features/cache';
import { createDinov2Backbone, defaultBatchSize } from '../../src-main/features/dinov2';
import { TINY, phantomCT } from './dinov2-helpers';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-deferred-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const idle = () => new Promise<void>((r) => setImmediate(r));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isMedSegError(e)) return (e as MedSegError).code;
    throw e;
  }
  return 'none';
}

/** Same voxels, new Volume object (as when a study is opened again). */
function copyOf(v: Volume): Volume {
  return { ...v, data: v.data.slice() };
}

describe('cache key: fingerprint prefix + hash of every voxel', () => {
  it('a voxel outside the fingerprint sample leaves the prefix alone but changes the key', () => {
    // 64×64×40 = 163 840 voxels → the fingerprint samples every 2nd voxel; voxel 1 is not sampled.
    const a = phantomCT(64, 64, 40);
    const b = copyOf(a);
    b.data[1] += 1;
    expect(volumeFingerprint(b)).toBe(volumeFingerprint(a));
    expect(cacheKeyPrefix(b, 'dinov2:x', { size: 448 })).toBe(cacheKeyPrefix(a, 'dinov2:x', { size: 448 }));
    const ka = cacheKey(a, 'dinov2:x', { size: 448 });
    expect(ka).toMatch(/^[0-9a-f]{16}-[0-9a-f]{40}$/);
    expect(cacheKey(b, 'dinov2:x', { size: 448 })).not.toBe(ka);
    // A sampled voxel, the grid and the settings change the prefix itself.
    const c = copyOf(a);
    c.data[2] += 1;
    expect(cacheKeyPrefix(c, 'dinov2:x', { size: 448 })).not.toBe(cacheKeyPrefix(a, 'dinov2:x', { size: 448 }));
    expect(cacheKeyPrefix({ ...a, spacing: [1, 1, 2] }, 'dinov2:x', { size: 448 })).not.toBe(cacheKeyPrefix(a, 'dinov2:x', { size: 448 }));
    expect(cacheKeyPrefix(a, 'dinov2:x', { size: 224 })).not.toBe(cacheKeyPrefix(a, 'dinov2:x', { size: 448 }));
  });
});

describe('DINOv2 on a cold cache', () => {
  it('returns the visible slice before hashing the volume, then writes it under the full key', async () => {
    const dir = join(tmp, 'cold');
    const vol = phantomCT(36, 30, 6);
    const bb = await createDinov2Backbone({ modelPath: TINY, size: 42, pcaDims: 6, cacheDir: dir, provider: 'cpu' });
    const fv = await bb.extract(vol, { slices: [3] });
    const s3 = Float32Array.from(fv.slices[3]!);
    // Nothing hashed or written yet: the slice came first.
    expect(contentHashKnown(vol)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    await idle();
    expect(contentHashKnown(vol)).toBe(true);
    const entries = readdirSync(dir);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^[0-9a-f]{16}-[0-9a-f]{40}$/);
    expect(readdirSync(join(dir, entries[0])).sort()).toEqual(['ax3.f16', 'meta.json', 'pca-components.f32', 'pca-mean.f32']);
    // The same slice again (same Volume object) is not recomputed.
    await bb.extract(vol, { slices: [3] });
    expect(bb.slicesComputed).toBe(1);
    await bb.dispose();

    // Reopening: a new backbone and a new Volume object with the same voxels read it back, identical.
    const again = await createDinov2Backbone({ modelPath: TINY, size: 42, pcaDims: 6, cacheDir: dir, provider: 'cpu' });
    const fv2 = await again.extract(copyOf(vol), { slices: [3] });
    expect(again.slicesComputed).toBe(0);
    expect(fv2.slices[3]).toEqual(s3);
    await again.dispose();
  });

  it('a volume that differs only in an unsampled voxel is computed, not read from the other one\'s entry', async () => {
    const dir = join(tmp, 'near-twin');
    const vol = phantomCT(64, 64, 40, [1, 1, 1]);
    const twin = copyOf(vol);
    twin.data[1] = 300; // same fingerprint (voxel 1 is not sampled), different content
    const opts = { modelPath: TINY, size: 28, pcaDims: 4, cacheDir: dir, provider: 'cpu' as const };
    const a = await createDinov2Backbone(opts);
    await a.extract(vol, { slices: [0] });
    await a.dispose(); // writes the deferred entry
    expect(readdirSync(dir)).toHaveLength(1);
    const b = await createDinov2Backbone(opts);
    await b.extract(twin, { slices: [0] });
    expect(b.slicesComputed).toBe(1);
    await b.dispose();
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(2);
    expect(names[0].slice(0, 16)).toBe(names[1].slice(0, 16));
  });

  it('a long extraction hashes after the first batch and writes the rest through; features match a warm run', async () => {
    const dir = join(tmp, 'long');
    const vol = phantomCT(30, 30, 7);
    const opts = { modelPath: TINY, size: 28, pcaDims: 4, cacheDir: dir, provider: 'cpu' as const, batchSize: 2 };
    const bb = await createDinov2Backbone(opts);
    const fv = await bb.extract(vol, { slices: [4, 0, 1, 2, 3, 5, 6] });
    expect(bb.slicesComputed).toBe(7);
    // Before any idle turn: the key was computed after the first batch, so all 7 slots are already on disk.
    const [entry] = readdirSync(dir);
    expect(readdirSync(join(dir, entry)).filter((f) => f.endsWith('.f16'))).toHaveLength(7);
    const reference = await createDinov2Backbone({ ...opts, cacheDir: null });
    const ref = await reference.extract(copyOf(vol), { slices: [4, 0, 1, 2, 3, 5, 6] });
    for (let k = 0; k < 7; k++) expect(fv.slices[k]).toEqual(ref.slices[k]);
    await bb.dispose(); await reference.dispose();
  });

  it('cancelling mid-extraction keeps what was computed; the next call finishes with the same features', async () => {
    const dir = join(tmp, 'cancel');
    const vol = phantomCT(30, 30, 8);
    const opts = { modelPath: TINY, size: 28, pcaDims: 4, cacheDir: dir, provider: 'cpu' as const };
    const bb = await createDinov2Backbone(opts);
    const ctl = new AbortController();
    const code = await codeOf(bb.extract(vol, { signal: ctl.signal, onProgress: (p) => { if (p.done === 3) ctl.abort(); } }));
    expect(code).toBe('CANCELLED');
    expect(bb.slicesComputed).toBe(3);
    const fv = await bb.extract(vol);
    expect(bb.slicesComputed).toBe(8); // the 3 already computed are not run again
    const reference = await createDinov2Backbone({ ...opts, cacheDir: null });
    const ref = await reference.extract(copyOf(vol));
    for (let k = 0; k < 8; k++) expect(fv.slices[k]).toEqual(ref.slices[k]);
    await bb.dispose(); await reference.dispose();
  });

  it('a deferred write that fails is reported to the next call as WRITE_FAILED, with the features kept', async () => {
    const dir = join(tmp, 'unwritable');
    const vol = phantomCT(30, 30, 4);
    const bb = await createDinov2Backbone({ modelPath: TINY, size: 28, pcaDims: 4, cacheDir: dir, provider: 'cpu' });
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(dir, 'not a folder'); // every write below it now fails (also for root)
    const fv = await bb.extract(vol, { slices: [1] });
    expect(fv.slices[1]!.length).toBe(30 * 30 * 4);
    await idle(); // the background write fails here
    expect(await codeOf(bb.extract(vol, { slices: [2] }))).toBe('WRITE_FAILED');
    expect(fv.slices[1]!.every(Number.isFinite)).toBe(true);
    await bb.dispose(); // must not throw on the cache
    rmSync(dir, { force: true });
    expect(existsSync(dir)).toBe(false);
  });

  it('closing right after an extraction still writes the deferred features', async () => {
    const dir = join(tmp, 'close');
    const bb = await createDinov2Backbone({ modelPath: TINY, size: 28, pcaDims: 4, cacheDir: dir, provider: 'cpu' });
    await bb.extract(phantomCT(30, 30, 3), { slices: [2] });
    await bb.dispose();
    const [entry] = readdirSync(dir);
    expect(readdirSync(join(dir, entry))).toContain('ax2.f16');
    await idle(); // the scheduled flush finds the cache disposed and does nothing (no error, no second folder)
    expect(readdirSync(dir)).toHaveLength(1);
  });
});

describe('batching', () => {
  it('does not change PCA features: the basis is fitted on the first (visible) slice alone', async () => {
    const vol = phantomCT(30, 30, 5);
    const common = { modelPath: TINY, size: 42, pcaDims: 6, cacheDir: null, provider: 'cpu' as const };
    const one = await createDinov2Backbone({ ...common, batchSize: 1 });
    const three = await createDinov2Backbone({ ...common, batchSize: 3 });
    const order = [2, 0, 1, 3, 4];
    const a = await one.extract(vol, { slices: order });
    const b = await three.extract(copyOf(vol), { slices: order });
    for (let k = 0; k < 5; k++) {
      const x = a.slices[k]!, y = b.slices[k]!;
      let maxd = 0;
      for (let i = 0; i < x.length; i++) maxd = Math.max(maxd, Math.abs(x[i] - y[i]));
      expect(maxd).toBeLessThan(2e-3);
    }
    await one.dispose(); await three.dispose();
  });
});

describe('default batch size', () => {
  it('is 1 on CPU (the visible slice runs alone) and 4 on GPU providers', async () => {
    expect(defaultBatchSize('cpu')).toBe(1);
    expect(defaultBatchSize('webgpu')).toBe(4);
    expect(defaultBatchSize('cuda')).toBe(4);
    const bb = await createDinov2Backbone({ modelPath: TINY, size: 28, cacheDir: null, provider: 'cpu' });
    expect(bb.settings.batchSize).toBe(1);
    await bb.dispose();
  });
});
