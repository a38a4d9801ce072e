import { describe, expect, it } from 'vitest';
import { centroid, chooseSlices, erode3x3, simulateAnnotation } from '../../src-main/fewshot';
import type { Vec3 } from '../../src-shared';

describe('simulated annotator (BENCHMARK.md exact rules)', () => {
  it('slice choice: z_i = z0 + floor((2i+1)n/(2k)), duplicates dropped', () => {
    const dims: Vec3 = [1, 1, 20];
    const ref = new Uint8Array(20);
    for (let z = 4; z <= 13; z++) ref[z] = 5; // z0 = 4, z1 = 13, n = 10
    expect(chooseSlices(ref, dims, [5], 3)).toEqual([5, 9, 12]); // floor(10/6)=1, floor(30/6)=5, floor(50/6)=8
    expect(chooseSlices(ref, dims, [5], 1)).toEqual([9]);
    // n = 2, k = 5 → offsets floor((2i+1)·2/10) = 0,0,1,1,1 → [4, 5]
    const r2 = new Uint8Array(20); r2[4] = 5; r2[5] = 5;
    expect(chooseSlices(r2, dims, [5], 5)).toEqual([4, 5]);
    expect(() => chooseSlices(ref, dims, [9], 3)).toThrow(expect.objectContaining({ code: 'LABELS_EMPTY' }));
  });

  it('erosion treats outside the image as outside the mask; centroid rounds half up', () => {
    const m = new Uint8Array(16).fill(1); // 4×4 all ones
    const e = erode3x3(m, 4, 4);
    expect(Array.from(e)).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
    // Σi over the 2×2 core = 1+2+1+2 = 6, N = 4 → floor((12+4)/8) = 2 (1.5 rounds up)
    expect(centroid(e, 4, 4)).toEqual([2, 2]);
    expect(centroid(new Uint8Array(16), 4, 4)).toBeNull();
  });

  it('scribble mode on a hand-made CT slice: cross through the eroded organ and through the background', () => {
    // 12×9 slice, body everywhere (0 HU) except column 0 (air). Organ (id 4) = 5×5 square at i 1..5, j 2..6.
    const nx = 12, ny = 9;
    const dims: Vec3 = [nx, ny, 1];
    const ref = new Uint8Array(nx * ny);
    const img = new Int16Array(nx * ny);
    for (let j = 0; j < ny; j++) { img[j * nx] = -1000; for (let i = 1; i <= 5; i++) if (j >= 2 && j <= 6) ref[j * nx + i] = 4; }
    const { scribbles, slices } = simulateAnnotation({ reference: ref, image: img, dims, modality: 'CT', classes: [4], k: 1, mode: 'scribble' });
    expect(slices).toEqual([0]);
    const at = (i: number, j: number) => scribbles[j * nx + i];
    // Eroded twice: only (3,4) remains → centroid (3,4); the cross within the eroded mask is that voxel alone.
    const organ: [number, number][] = [];
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (at(i, j) === 4) organ.push([i, j]);
    expect(organ).toEqual([[3, 4]]);
    // Background region: distance > 3 from the square (i ≥ 9 anywhere), value > −500 (column 0 excluded).
    // Region = columns 9..11, all 9 rows: centroid i = floor((2·(9+10+11)·9 + 27)/54) = 10, j = floor((2·36·3 + 27)/54) = 4.
    const bg: [number, number][] = [];
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (at(i, j) === 255) bg.push([i, j]);
    const expected: [number, number][] = [];
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if ((j === 4 && i >= 9) || (i === 10)) expected.push([i, j]);
    expect(bg).toEqual(expected);
    // Nothing else labeled.
    expect(scribbles.filter((v) => v !== 0).length).toBe(1 + expected.length);
  });

  it('slice mode leaves a 1-voxel band unlabeled at every boundary and maps non-targets to background', () => {
    const nx = 6, ny = 1;
    const ref = Uint8Array.from([0, 0, 2, 2, 9, 9]); // 9 is not a target → background
    const { scribbles } = simulateAnnotation({ reference: ref, image: new Int16Array(6), dims: [nx, ny, 1], modality: 'CT', classes: [2], k: 1, mode: 'slice' });
    // mapped: 0 0 2 2 0 0 → voxels whose 3-neighbourhood has one value: 0, 5 (and none of 1..4)
    expect(Array.from(scribbles)).toEqual([255, 0, 0, 0, 0, 255]);
  });

  it('MR background uses the 10th percentile of the slice', () => {
    // 10 voxels in a row valued 0..9: p10 = sorted[floor(0.1·9)] = 0 → background = value > 0 and far from target.
    const img = Int16Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ref = new Uint8Array(10); ref[9] = 1;
    const { scribbles } = simulateAnnotation({ reference: ref, image: img, dims: [10, 1, 1], modality: 'MR', classes: [1], k: 1, mode: 'scribble' });
    // Background region: i in 1..5 (distance > 3 from i=9 means i ≤ 5; value > 0 excludes i=0). Row through centroid j=0: all of it.
    expect(Array.from(scribbles)).toEqual([0, 255, 255, 255, 255, 255, 0, 0, 0, 1]);
  });
});
