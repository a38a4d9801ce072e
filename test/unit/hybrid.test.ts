import { describe, expect, it } from 'vitest';
import { isMedSegError } from '../../src-shared';
import { createDinov2Backbone } from '../../src-main/features/dinov2';
import { createFilterBackbone } from '../../src-main/features/filters';
import { HybridBackbone, createHybridBackbone } from '../../src-main/features/hybrid';
import { TINY, phantomCT } from './dinov2-helpers';

describe('hybrid backbone', () => {
  it('concatenates DINOv2 and filter-bank channels per voxel', async () => {
    const vol = phantomCT(24, 20, 6, [1, 1, 2]);
    const dino = await createDinov2Backbone({ modelPath: TINY, size: 28, pcaDims: 5, cacheDir: null, provider: 'cpu' });
    const filters = createFilterBackbone({ sigmas: [1], binSigmas: [2] });
    const hybrid = new HybridBackbone([dino, filters]);
    expect(hybrid.dim).toBe(5 + filters.dim);
    expect(hybrid.id).toBe(`hybrid:${dino.id}+filters`);
    expect(hybrid.provider).toBe('cpu+js');
    const progress: { done: number; total: number }[] = [];
    const fh = await hybrid.extract(vol, { slices: [2, 3], onProgress: (p) => progress.push(p) });
    const last = progress[progress.length - 1];
    expect(last.done).toBe(last.total);
    const fd = await dino.extract(vol, { slices: [2, 3] });
    const ff = await filters.extract(vol, { slices: [2, 3] });
    expect(fh.names).toEqual([...fd.names, ...ff.names]);
    expect(fh.slices[0]).toBeUndefined();
    const h = fh.slices[3]!, d = fd.slices[3]!, f = ff.slices[3]!;
    const dim = hybrid.dim;
    expect(h.length).toBe(24 * 20 * dim);
    for (const v of [0, 77, 24 * 20 - 1]) {
      for (let c = 0; c < 5; c++) expect(h[v * dim + c]).toBe(d[v * 5 + c]);
      for (let c = 0; c < filters.dim; c++) expect(h[v * dim + 5 + c]).toBe(f[v * filters.dim + c]);
    }
    await hybrid.dispose();
  });

  it('creates both parts from one options object and honours cancellation', async () => {
    const hybrid = await createHybridBackbone({ modelPath: TINY, size: 28, pcaDims: 4, cacheDir: null, provider: 'cpu', filters: { sigmas: [1], binSigmas: [2] } });
    expect(hybrid.parts.length).toBe(2);
    const ctl = new AbortController();
    ctl.abort();
    let code = '';
    try { await hybrid.extract(phantomCT(10, 10, 3), { signal: ctl.signal }); } catch (e) { code = isMedSegError(e) ? e.code : 'untyped'; }
    expect(code).toBe('CANCELLED');
    await hybrid.dispose();
  });
});
