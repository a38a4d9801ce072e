/**
 * Feature-extraction progress must reach the status bar even when the update that started the extraction is
 * replaced by a newer edit: the features are shared by every later update (the compute caches them), so
 * their progress belongs to the volume, not to the job that happened to ask first.
 */
import { describe, expect, it } from 'vitest';
import { BACKGROUND_ID, IDENTITY3, type SegmentationEvents, type Volume } from '../../src-shared';
import { LocalCompute } from '../../src-main/engine/compute';
import { createFewshotKernel } from '../../src-main/engine/fewshotKernel';
import type { Kernel } from '../../src-main/engine/kernel';
import { SegmentationSession, type SessionEmit } from '../../src-main/engine/session';
import type { FeatureBackbone } from '../../src-main/features/types';

const NX = 24, NY = 24, NZ = 6;
const STEPS = 5;

function disc(): Volume {
  const data = new Int16Array(NX * NY * NZ);
  for (let k = 0; k < NZ; k++) for (let j = 0; j < NY; j++) for (let i = 0; i < NX; i++) {
    data[i + j * NX + k * NX * NY] = (i - 12) ** 2 + (j - 12) ** 2 < 36 ? 300 : -100;
  }
  return {
    dims: [NX, NY, NZ], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [...IDENTITY3] as Volume['direction'], data,
    voxelType: 'int16', modality: 'CT', meta: {}, window: { center: 0, width: 800 }, warnings: [],
  };
}

function strokes(k: number): { indices: Uint32Array; values: Uint8Array } {
  const idx: number[] = [], val: number[] = [];
  for (let i = 10; i < 15; i++) { idx.push(i + 12 * NX + k * NX * NY); val.push(1); }
  for (let i = 0; i < NX; i++) { idx.push(i + 1 * NX + k * NX * NY); val.push(BACKGROUND_ID); }
  return { indices: Uint32Array.from(idx), values: Uint8Array.from(val) };
}

/**
 * The real filter bank, but reporting STEPS progress steps with a macrotask between them, the way the compute
 * worker's progress messages arrive while the main thread keeps taking edits.
 */
function steppedKernel(): Kernel {
  const real = createFewshotKernel();
  return {
    headKinds: real.headKinds,
    segment: (a) => real.segment(a),
    leastCertainSlice: (u, d) => real.leastCertainSlice(u, d),
    async backbone(id) {
      const b = await real.backbone(id);
      const stepped: FeatureBackbone = {
        id: b.id, dim: b.dim, settings: b.settings, provider: b.provider,
        async extract(volume, opts = {}) {
          for (let done = 0; done < STEPS; done++) {
            opts.onProgress?.({ done, total: STEPS, provider: b.provider });
            await new Promise((r) => setTimeout(r, 5));
          }
          const f = await b.extract(volume, { slices: opts.slices });
          opts.onProgress?.({ done: STEPS, total: STEPS, provider: b.provider });
          return f;
        },
      };
      return stepped;
    },
  };
}

type Progress = SegmentationEvents['featureProgress'];

describe('feature progress reaches the UI', () => {
  it('keeps reporting progress up to done = total after the update that started the extraction was replaced', async () => {
    const kernel = steppedKernel();
    const progress: Progress[] = [];
    const done: number[] = [];
    let session: SegmentationSession | null = null;
    let v2 = -1;
    let finished!: () => void;
    const whenV2Done = new Promise<void>((r) => (finished = r));
    const emit: SessionEmit = (event, payload) => {
      if (event === 'featureProgress') {
        const p = payload as Progress;
        progress.push(p);
        // a second stroke arrives while the features of the first are being computed
        if (p.done === 1 && v2 < 0) v2 = session!.applyLabelDiff(strokes(4));
      }
      if (event === 'predictionDone') {
        done.push((payload as SegmentationEvents['predictionDone']).version);
        if (done.includes(2)) finished();
      }
    };
    session = new SegmentationSession('v1', disc(), new LocalCompute(kernel), kernel, emit, { debounceMs: 0, backbone: 'filters', headKind: 'linear' });
    session.setClasses([{ id: 1, name: 'Disc', color: [255, 0, 0] }]);
    expect(session.applyLabelDiff(strokes(2))).toBe(1);
    // whenIdle() can settle in the gap between the replaced update and the next one: wait for the event itself
    await whenV2Done;

    expect(v2).toBe(2);
    expect(done).toEqual([2]);
    // every step arrives once, in order, for this volume, ending at done = total
    expect(progress.map((p) => p.done)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(progress.every((p) => p.volumeId === 'v1' && p.total === STEPS && p.provider === 'js')).toBe(true);
    expect(progress.some((p) => p.done > 0 && p.done < p.total)).toBe(true);
  });
});
