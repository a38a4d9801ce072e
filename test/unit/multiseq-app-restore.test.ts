/**
 * The sequences of a study are kept with its autosaved workspace: open T1, add FLAIR and T2 (one by path, one from a
 * scan), rename one, close → reopening T1 brings them back with the same names, order and voxels. A sequence whose
 * file was deleted or now holds another image is left out with a typed notice (FILE_NOT_FOUND,
 * SEQUENCE_SOURCE_CHANGED) and the study still opens with the rest. A sequence dropped in web mode (a temporary
 * upload) is copied into the workspace, so it comes back after the upload folder is gone. Small synthetic NIfTI files.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY3, type Vec3, type Volume } from '../../src-shared';
import { writeVolume } from '../../src-main/io';
import { createServices, type ServiceHost } from '../../src-main/services';
import { workspaceDirFor, workspaceKeyFor } from '../../src-main/engine/workspace';

const DIMS: Vec3 = [20, 18, 12];
let tmp: string;
let home: string;
const files: Record<string, string> = {};
const data: Record<string, Float32Array> = {};

/** A brain-like blob whose contrast depends on the sequence (so sequences differ voxel by voxel). */
function synthetic(seed: number): Float32Array {
  const [nx, ny, nz] = DIMS;
  const out = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const r = Math.hypot((i - 10) / 7, (j - 9) / 6, (k - 6) / 4);
    const lesion = Math.hypot(i - 12, j - 8, k - 6) < 3;
    out[i + nx * (j + ny * k)] = r < 1 ? 100 + seed * 37 + (lesion ? 80 * (seed % 2 ? 1 : -1) : 0) + ((i * 7 + j * 3 + k * seed) % 11) : 0;
  }
  return out;
}

function vol(d: Float32Array): Volume {
  return {
    dims: DIMS, spacing: [1.5, 1.5, 3], origin: [-10, 20, 5], direction: [...IDENTITY3] as Volume['direction'], data: d,
    voxelType: 'float32', modality: 'MR', meta: {}, window: { center: 150, width: 300 }, warnings: [],
  };
}

function host(): ServiceHost {
  return createServices({ system: { mode: 'web', versions: { app: 't', node: process.version } }, settings: { debounceMs: 0 }, dataDir: home });
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'medseg-seq-restore-'));
  home = join(tmp, 'home');
  for (const [key, seed] of [['t1', 1], ['flair', 2], ['t2', 3]] as const) {
    data[key] = synthetic(seed);
    files[key] = join(tmp, `case_${key}.nii.gz`);
    await writeVolume(vol(data[key]), files[key]);
  }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sequences saved with the workspace', () => {
  it('come back on reopen with their names, order and voxels; a deleted or changed file is left out with a typed notice', async () => {
    // ── first session: T1 + FLAIR (by path) + T2 (from a scan), T2 renamed, a stroke painted
    let h = host();
    let opened = await h.services.study.openPath(files.t1);
    let id = opened.header.volumeId;
    await h.services.study.addSequence(id, files.flair);
    const scan = await h.services.study.scan([files.t2]);
    expect(scan.series).toHaveLength(1);
    const t2 = await h.services.study.addSequenceSeries(id, scan.series[0].id);
    expect(t2.sequence.name).toBe('T2');
    expect((await h.services.study.renameSequence(id, t2.sequence.id, 'T2 TSE')).map((s) => s.name)).toEqual(['T1', 'FLAIR', 'T2 TSE']);
    await h.services.segmentation.setClasses(id, [{ id: 1, name: 'Lesion', color: [255, 0, 0] }]);
    await h.services.segmentation.applyLabelDiff(id, { indices: Uint32Array.from([12 + 20 * (8 + 18 * 6), 2 + 20 * (9 + 18 * 6)]), values: Uint8Array.from([1, 255]) });
    await h.services.study.close(id);
    await h.dispose();

    // ── reopen: the three sequences, same names and order, same voxels (the same inputs to every update)
    h = host();
    const errors: string[] = [];
    h.hub.subscribe((ch, p) => { if (ch === 'segmentation:error') errors.push((p as { code: string }).code); });
    opened = await h.services.study.openPath(files.t1);
    id = opened.header.volumeId;
    const list = await h.services.study.listSequences(id);
    expect(list.map((s) => s.name)).toEqual(['T1', 'FLAIR', 'T2 TSE']);
    expect(list.map((s) => s.reference)).toEqual([true, false, false]);
    expect(Array.from(await h.services.study.sequenceVoxels(id, list[1].id))).toEqual(Array.from(data.flair));
    expect(Array.from(await h.services.study.sequenceVoxels(id, list[2].id))).toEqual(Array.from(data.t2));
    expect(opened.header.notices).toBeUndefined();
    expect(opened.header.warnings.join(' ')).toMatch(/sequences were restored: T1, FLAIR, T2 TSE/);
    // The restored strokes are segmented with all three sequences (no error, a prediction keeping the stroke).
    await h.engine.session(id).whenIdle();
    expect(errors).toEqual([]);
    const pred = await h.services.segmentation.getPrediction(id);
    expect(pred?.data[12 + 20 * (8 + 18 * 6)]).toBe(1);
    expect(pred?.data[2 + 20 * (9 + 18 * 6)]).toBe(0);
    await h.services.study.close(id);
    await h.dispose();

    // ── FLAIR's file deleted: the study opens, T2 TSE is restored, FLAIR is named as left out (FILE_NOT_FOUND)
    unlinkSync(files.flair);
    h = host();
    opened = await h.services.study.openPath(files.t1);
    id = opened.header.volumeId;
    expect((await h.services.study.listSequences(id)).map((s) => s.name)).toEqual(['T1', 'T2 TSE']);
    expect(opened.header.notices).toEqual([expect.objectContaining({ code: 'FILE_NOT_FOUND', message: expect.stringMatching(/^FLAIR was left out: its file is no longer there/) })]);
    expect(opened.header.warnings.join('\n')).toMatch(/FLAIR was left out/);
    await h.services.study.close(id);
    await h.dispose();

    // ── T2's file overwritten with another image: left out as SEQUENCE_SOURCE_CHANGED (FLAIR still missing)
    const other = synthetic(5);
    await writeVolume(vol(other), files.t2, { overwrite: true });
    h = host();
    opened = await h.services.study.openPath(files.t1);
    id = opened.header.volumeId;
    expect((await h.services.study.listSequences(id)).map((s) => s.name)).toEqual(['T1']);
    expect(opened.header.notices?.map((n) => n.code)).toEqual(['FILE_NOT_FOUND', 'SEQUENCE_SOURCE_CHANGED']);
    expect(opened.header.notices?.[1].message).toMatch(/^T2 TSE was left out: its file now holds a different image/);
    // Adding it again replaces the saved list: the next reopen restores the new T2 and no longer reports FLAIR.
    await h.services.study.addSequence(id, files.t2, 'T2');
    await h.services.study.close(id);
    await h.dispose();
    h = host();
    opened = await h.services.study.openPath(files.t1);
    expect((await h.services.study.listSequences(opened.header.volumeId)).map((s) => s.name)).toEqual(['T1', 'T2']);
    expect(opened.header.notices).toBeUndefined();
    expect(Array.from(await h.services.study.sequenceVoxels(opened.header.volumeId, 'seq-2'))).toEqual(Array.from(other));
    await h.dispose();
  }, 120_000);

  it('a sequence uploaded in web mode comes back after the upload folder was deleted (the workspace keeps a copy)', async () => {
    const t1c = synthetic(4);
    const file = join(tmp, 'case_t1c.nii.gz');
    await writeVolume(vol(t1c), file);
    let h = host();
    let opened = await h.services.study.openPath(files.t1);
    const receipt = await h.services.study.upload([{ name: 'dropped/case_t1c.nii.gz', bytes: new Uint8Array(readFileSync(file)) }]);
    const scan = await h.services.study.scanUpload(receipt.uploadId);
    const uploaded = scan.series[0];
    const added = await h.services.study.addSequenceSeries(opened.header.volumeId, uploaded.id);
    expect(added.sequences.map((s) => s.name)).toEqual(['T1', 'T2', 'T1c']); // T2: saved by the test above
    await h.services.study.close(opened.header.volumeId);
    // The saved list points at the copy in the workspace, not at the upload folder.
    const dir = workspaceDirFor(workspaceKeyFor(vol(data.t1)), home);
    const saved = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { study: { sequences: { source: { paths: string[] } }[] } };
    const kept = saved.study.sequences[1].source.paths[0];
    expect(kept.startsWith(join(dir, 'sequences'))).toBe(true);
    expect(kept.endsWith('case_t1c.nii.gz')).toBe(true);
    await h.dispose(); // deletes the upload folders
    expect(existsSync(kept)).toBe(true);
    h = host();
    opened = await h.services.study.openPath(files.t1);
    expect((await h.services.study.listSequences(opened.header.volumeId)).map((s) => s.name)).toEqual(['T1', 'T2', 'T1c']);
    expect(opened.header.notices).toBeUndefined();
    expect(Array.from(await h.services.study.sequenceVoxels(opened.header.volumeId, 'seq-3'))).toEqual(Array.from(t1c));
    await h.dispose();
  });

  it('a damaged sequence list in the workspace is reported, and the study opens alone', async () => {
    const h = host();
    const opened = await h.services.study.openPath(files.t1);
    const session = h.engine.session(opened.header.volumeId);
    session.saveSequences({ referenceName: 'T1', sequences: [{ name: '', source: { paths: [] }, key: '' }] });
    await h.services.study.close(opened.header.volumeId);
    const again = await h.services.study.openPath(files.t1);
    expect((await h.services.study.listSequences(again.header.volumeId)).map((s) => s.name)).toEqual(['T1']);
    expect(again.header.notices).toEqual([expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/sequences was damaged/) })]);
    await h.dispose();
  });
});
