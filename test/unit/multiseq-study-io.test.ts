/**
 * Bad input met when opening a study from files: a 4D series offered as one sequence (SEQUENCE_4D, the NIfTI
 * reader records meta.timePoints), sequences that cover part of the reference (coverage, crop), and the crop that
 * keeps fused features small (known boxes, exact paste-back).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../../src-shared';
import { openVolume } from '../../src-main/io';
import { niftiHeader } from '../../src-main/io/nifti/write';
import { openStudy } from '../../src-main/engine/multiseq/pipeline';
import { contentBox, cropArray, cropVolume, pasteArray } from '../../src-main/engine/multiseq/crop';
import { assembleStudy } from '../../src-main/engine/multiseq/study';

const dir = mkdtempSync(join(tmpdir(), 'medseg-multiseq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A little-endian int16 NIfTI-1 with `t` volumes along dim[4]; voxel value = 10·volume + index. */
function writeNifti(name: string, dims: Vec3, t: number): string {
  const grid = { dims, spacing: [1, 1, 2] as Vec3, origin: [0, 0, 0] as Vec3, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Volume['direction'] };
  const h = niftiHeader({ ...grid, data: new Int16Array(1) }, 'int16');
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  if (t > 1) { dv.setInt16(40, 4, true); dv.setInt16(48, t, true); }
  const n = dims[0] * dims[1] * dims[2];
  const body = new Int16Array(n * t);
  for (let v = 0; v < t; v++) for (let p = 0; p < n; p++) body[v * n + p] = 10 * v + (p % 7);
  const out = new Uint8Array(352 + body.byteLength);
  out.set(h, 0);
  out.set(new Uint8Array(body.buffer), 352);
  const path = join(dir, name);
  writeFileSync(path, out);
  return path;
}

describe('4D series offered as a sequence', () => {
  it('the NIfTI reader records the time points, and the study refuses it with SEQUENCE_4D', async () => {
    const p4 = writeNifti('bold_4d.nii', [6, 5, 4], 3);
    const p3 = writeNifti('t1.nii', [6, 5, 4], 1);
    const v4 = await openVolume(p4);
    expect(v4.meta.timePoints).toBe(3);
    expect(v4.dims).toEqual([6, 5, 4]);
    expect(v4.data[8]).toBe(1); // first volume shown: 10·0 + 8 % 7
    expect((await openVolume(p3)).meta.timePoints).toBeUndefined();
    await expect(openStudy([{ name: 'T1', path: p3 }, { name: 'other', path: p4 }])).rejects.toMatchObject({ code: 'SEQUENCE_4D', message: expect.stringMatching(/3 time points/) });
  });

  it('two 3D files open as a study named from the command line', async () => {
    const a = writeNifti('a.nii', [6, 5, 4], 1), b = writeNifti('b_flair.nii', [6, 5, 4], 1);
    const s = await openStudy([{ name: 'T2', path: a }, { path: b }]);
    expect(s.sequences.map((q) => q.name)).toEqual(['T2', 'FLAIR']);
    expect(s.sequences[1].coveredFraction).toBe(1);
  });
});

function vol(dims: Vec3, origin: Vec3, fill: (i: number, j: number, k: number) => number): Volume {
  const data = new Int16Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) data[i + dims[0] * (j + dims[1] * k)] = fill(i, j, k);
  return { dims, spacing: [1, 1, 1], origin, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data, voxelType: 'int16', modality: 'MR', meta: {}, window: { center: 0, width: 1 }, warnings: [] };
}

describe('crop to content', () => {
  it('box = voxels above each sequence\'s minimum plus strokes, grown by the margin; paste restores the grid', () => {
    const ref = vol([20, 16, 10], [0, 0, 0], (i, j, k) => (i >= 5 && i <= 9 && j >= 4 && j <= 6 && k >= 3 && k <= 4 ? 50 : 0));
    // The second sequence covers only x ≥ 10 of the reference (origin shifted), and is bright at i = 14 there.
    const other = vol([20, 16, 10], [10, 0, 0], (i) => (i === 4 ? 80 : 0));
    const study = assembleStudy([ref, other], { names: ['T1', 'T2'] });
    expect(study.sequences[1].coveredFraction).toBeCloseTo(0.5, 2);
    const strokes = new Uint8Array(20 * 16 * 10);
    strokes[2 + 20 * (1 + 16 * 8)] = 255; // i=2, j=1, k=8
    const box = contentBox(study.sequences, strokes, 1);
    expect(box.lo).toEqual([1, 0, 0]);
    expect(box.size).toEqual([15, 16, 10]); // i 1..15 (T2's bright column at i = 14, + margin), j 0..15, k 0..9
    const small = contentBox(study.sequences, undefined, 0);
    expect(small.lo).toEqual([5, 0, 0]);
    expect(small.size).toEqual([10, 16, 10]);
    const c = cropVolume(ref, small);
    expect(c.origin).toEqual([5, 0, 0]);
    expect(c.data[0 + 10 * (4 + 16 * 3)]).toBe(50);
    const lab = new Uint8Array(20 * 16 * 10).map((_, p) => (p % 20 >= 5 && p % 20 < 15 ? p % 3 : 0));
    expect(pasteArray(cropArray(lab, small), small)).toEqual(lab);
  });
});
