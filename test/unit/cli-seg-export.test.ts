import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { BACKGROUND_ID } from '../../src-shared';
import { openVolume, resampleLabels, writeVolume } from '../../src-main/io';
import { readSegFile } from '../../src-main/io/seg';
import { dataPath, describeWithData } from './helpers/data';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-cli-seg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const bin = resolve('bin/medseg.js');
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 300_000 });

describeWithData('medseg segment --out <file>.dcm', ['dcmqi_seg/ct-3slice', 'dcmqi_seg/liver_seg.nrrd'], () => {
  it('writes a DICOM SEG that references the source DICOM series, and refuses to overwrite it without --force', async () => {
    const ct = await openVolume(dataPath('dcmqi_seg/ct-3slice'));
    const ref = await openVolume(dataPath('dcmqi_seg/liver_seg.nrrd'));
    const liver = resampleLabels({ ...ref, data: new Uint8Array(ref.data as ArrayLike<number>) }, ct).data;
    // sparse strokes on the middle slice: every 9th voxel, liver → 5, elsewhere background
    const strokes = new Uint8Array(liver.length);
    const plane = ct.dims[0] * ct.dims[1];
    for (let v = plane; v < 2 * plane; v += 9) strokes[v] = liver[v] ? 5 : BACKGROUND_ID;
    const strokeFile = join(tmp, 'strokes.nii.gz');
    await writeVolume({ dims: ct.dims, spacing: ct.spacing, origin: ct.origin, direction: ct.direction, data: strokes }, strokeFile);

    const out = join(tmp, 'liver.dcm');
    const r = run(['segment', '--image', dataPath('dcmqi_seg/ct-3slice'), '--labels', strokeFile, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ written: out });
    const seg = await readSegFile(out);
    expect(seg.referencedSeriesUid).toBe(ct.meta.seriesInstanceUid);
    expect(seg.frameOfReferenceUid).toBe(ct.meta.frameOfReferenceUid);
    expect(seg.segments.map((s) => s.number)).toEqual([1]);
    expect(seg.frames.length).toBeGreaterThan(0);

    const again = run(['segment', '--image', dataPath('dcmqi_seg/ct-3slice'), '--labels', strokeFile, '--out', out]);
    expect(again.status).toBe(3);
    expect(JSON.parse(again.stdout || again.stderr).error?.code ?? again.stderr).toMatch(/FILE_EXISTS/);
  }, 240_000); // two CLI runs on a 512×512 J2K-free CT: ~25 s alone, longer on a loaded CI machine
});
