import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureCache, cacheKey, defaultCacheDir, volumeContentHash } from '../../src-main/features/cache';
import { ByteLru } from '../../src-main/features/cache/lru';
import { SpareBuffer } from '../../src-main/features/cache/spare';
import { HALF_TO_FLOAT, decodeHalfArray, encodeHalf, toHalf } from '../../src-main/features/cache/fp16';
import { createDinov2Backbone } from '../../src-main/features/dinov2';
import { TINY, phantomCT } from './dinov2-helpers';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-cache-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fp16', () => {
  it('encodes known bit patterns', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(2 ** -24)).toBe(0x0001);
    expect(toHalf(0.1)).toBe(0x2e66);
    expect(HALF_TO_FLOAT[0x3555]).toBeCloseTo(0.33325, 5);
  });
  it('round-trips within half precision', () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3));
    const y = decodeHalfArray(encodeHalf(x));
    for (let i = 0; i < x.length; i++) expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -11 + 2 ** -24);
  });
});

describe('byte LRU', () => {
  it('evicts the least recently used entries beyond the budget', () => {
    const evicted: string[] = [];
    const lru = new ByteLru<Uint8Array>(30, (k) => evicted.push(k));
    lru.set('a', new Uint8Array(10));
    lru.set('b', new Uint8Array(10));
    lru.set('c', new Uint8Array(10));
    lru.get('a');
    lru.set('d', new Uint8Array(10));
    expect(evicted).toEqual(['b']);
    expect(lru.byteLength).toBe(30);
    expect(lru.has('a') && lru.has('c') && lru.has('d')).toBe(true);
  });
});

describe('spare output buffer', () => {
  it('hands out the prepared zeroed array once, never one it already gave out', async () => {
    const sp = new SpareBuffer();
    const plain = sp.take(1000); // nothing prepared: a new array
    expect(plain.length).toBe(1000);
    await sp.prepare(1000);
    const first = sp.take(1000);
    expect(first.length).toBe(1000);
    expect(first.every((v) => v === 0)).toBe(true);
    first.fill(7); // the caller keeps and writes it
    await sp.prepare(1000); // the one take() started
    const second = sp.take(1000);
    expect(second).not.toBe(first);
    expect(second.every((v) => v === 0)).toBe(true);
    expect(first[999]).toBe(7);
    // A different size gets a new array, zeroed, not the spare.
    const other = sp.take(10);
    expect(other.length).toBe(10);
    expect(other.every((v) => v === 0)).toBe(true);
    sp.dispose();
  });

  it('never hands out an array while it is still being filled', async () => {
    const sp = new SpareBuffer();
    const p = sp.prepare(4_000_000);
    const meanwhile = sp.take(4_000_000);
    await p;
    const prepared = sp.take(4_000_000);
    expect(prepared).not.toBe(meanwhile);
    expect(prepared[3_999_999]).toBe(0);
    sp.dispose();
  });
});

describe('feature cache', () => {
  it('defaults to $MEDSEG_HOME/cache', () => {
    const old = process.env.MEDSEG_HOME;
    process.env.MEDSEG_HOME = '/data/medseg';
    expect(defaultCacheDir()).toBe('/data/medseg/cache');
    if (old === undefined) delete process.env.MEDSEG_HOME; else process.env.MEDSEG_HOME = old;
  });

  it('keys change with one voxel, the backbone or a setting', () => {
    const a = phantomCT(10, 10, 2);
    const b = phantomCT(10, 10, 2);
    expect(volumeContentHash(a)).toBe(volumeContentHash(b));
    const c = phantomCT(10, 10, 2);
    c.data[57] += 1; // image voxels are never edited in place (labels are separate), hence the per-object memo
    expect(volumeContentHash(c)).not.toBe(volumeContentHash(a));
    const k = cacheKey(a, 'dinov2:x', { size: 448 });
    expect(cacheKey(a, 'dinov2:y', { size: 448 })).not.toBe(k);
    expect(cacheKey(a, 'dinov2:x', { size: 224 })).not.toBe(k);
    expect(cacheKey(phantomCT(10, 10, 2), 'dinov2:x', { size: 448 })).toBe(k);
  });

  it('persists slots to disk and reads them in a new session', () => {
    const dir = join(tmp, 'persist');
    const c1 = new FeatureCache({ cacheDir: dir });
    c1.entry('k1').put('ax3', Uint16Array.from([1, 2, 3]));
    const c2 = new FeatureCache({ cacheDir: dir });
    expect(Array.from(c2.entry('k1').get('ax3')!)).toEqual([1, 2, 3]);
    expect(c2.entry('k1').get('ax4')).toBeUndefined();
    expect(c2.stats()).toMatchObject({ diskHits: 1, misses: 1 });
    expect(readdirSync(join(dir, 'k1'))).toEqual(['ax3.f16']);
  });
});

describe('DINOv2 with the cache', () => {
  it('reopening a study loads features from disk instead of recomputing', async () => {
    const dir = join(tmp, 'reopen');
    const vol = phantomCT(32, 32, 5);
    const first = await createDinov2Backbone({ modelPath: TINY, size: 42, pcaDims: 8, cacheDir: dir, provider: 'cpu' });
    const f1 = await first.extract(vol);
    expect(first.slicesComputed).toBe(5);
    const s1 = Array.from({ length: 5 }, (_, k) => Float32Array.from(f1.slices[k]!));
    await first.dispose();

    const second = await createDinov2Backbone({ modelPath: TINY, size: 42, pcaDims: 8, cacheDir: dir, provider: 'cpu' });
    const f2 = await second.extract(phantomCT(32, 32, 5)); // a new Volume object with the same voxels
    expect(second.slicesComputed).toBe(0);
    for (let k = 0; k < 5; k++) expect(f2.slices[k]).toEqual(s1[k]);
    expect(second.cacheStats().diskHits).toBeGreaterThanOrEqual(5);

    // A different setting is a different entry: computed again.
    const third = await createDinov2Backbone({ modelPath: TINY, size: 56, pcaDims: 8, cacheDir: dir, provider: 'cpu' });
    await third.extract(vol, { slices: [0] });
    expect(third.slicesComputed).toBe(1);
    await second.dispose(); await third.dispose();
  });

  it('a memory budget smaller than the volume streams through disk with the same features', async () => {
    const vol = phantomCT(30, 30, 12);
    const big = await createDinov2Backbone({ modelPath: TINY, size: 28, pcaDims: 4, cacheDir: null, provider: 'cpu' });
    // 2×2 patches × 4 dims × 2 B = 32 B per slice; a 100 B budget holds 3 of 12.
    const small = await createDinov2Backbone({ modelPath: TINY, size: 28, pcaDims: 4, cacheDir: null, provider: 'cpu', memoryBudgetBytes: 100, outputBudgetBytes: 30 * 30 * 4 * 4 * 2 });
    const a = await big.extract(vol);
    const b = await small.extract(vol);
    const st = small.cacheStats();
    expect(st.evictions).toBeGreaterThanOrEqual(9);
    expect(st.bytesInMemory).toBeLessThanOrEqual(100);
    for (let k = 0; k < 12; k++) expect(b.slices[k]).toEqual(a.slices[k]);
    expect(small.cacheStats().diskHits).toBeGreaterThanOrEqual(9);
    await big.dispose(); await small.dispose();
  });
});
