import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { openVolume } from '../../../src-main/io';
import { describeWithData, dataPath } from '../helpers/data';

const bin = resolve('bin/medseg.js');
const tmp = mkdtempSync(join(tmpdir(), 'medseg-cli-'));

function medseg(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

describeWithData('medseg CLI', ['totalseg_mr/example_mr_sm.nii.gz'], () => {
  // the first run may build out/main/cli.js (electron-vite build); do it once, before the timed-out tests
  beforeAll(() => {
    medseg('--help');
  }, 240_000);

  it('info <nifti> prints JSON with dims, spacing and voxel type; exit 0', () => {
    const r = medseg('info', dataPath('totalseg_mr/example_mr_sm.nii.gz'));
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.entries).toHaveLength(1);
    expect(j.entries[0]).toMatchObject({ format: 'nifti', kind: 'image', dims: [117, 91, 20], spacing: [3, 3, 3], voxelType: 'int16', fileCount: 1 });
    expect(j.entries[0].range[1]).toBeGreaterThan(j.entries[0].range[0]);
    expect(j.errors).toEqual([]);
  });
  it('a bad file → exit 3, typed JSON error, no stack trace', () => {
    const p = join(tmp, 'bad.nii.gz');
    writeFileSync(p, '');
    const r = medseg('info', p);
    expect(r.code).toBe(3);
    expect(r.json().errors[0]).toMatchObject({ code: 'FILE_EMPTY', path: p });
    expect(r.out + r.err).not.toMatch(/\n\s+at /);
    const q = medseg('convert', join(tmp, 'missing.nii'), join(tmp, 'o.nrrd'));
    expect(q.code).toBe(3);
    expect(q.json().error.code).toBe('FILE_NOT_FOUND');
    expect(q.out + q.err).not.toMatch(/\n\s+at /);
  });
  it('usage errors → exit 2', () => {
    expect(medseg('info').code).toBe(2);
    expect(medseg('frobnicate').code).toBe(2);
    expect(medseg('convert', dataPath('totalseg_mr/example_mr_sm.nii.gz'), join(tmp, 'x.png')).code).toBe(2);
  });
  it('convert round trip keeps geometry and voxels; refuses to overwrite without --force', async () => {
    const src = dataPath('totalseg_mr/example_mr_sm.nii.gz');
    const out = join(tmp, 'mr.nrrd');
    const r = medseg('convert', src, out);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const [a, b] = await Promise.all([openVolume(src), openVolume(out)]);
    expect(b.dims).toEqual(a.dims);
    for (let i = 0; i < 3; i++) expect(Math.abs(b.origin[i] - a.origin[i])).toBeLessThan(1e-3);
    expect(Array.from(b.direction)).toEqual(Array.from(a.direction));
    expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength))).toBe(true);
    const again = medseg('convert', src, out);
    expect(again.code).toBe(3);
    expect(again.json().error.code).toBe('FILE_EXISTS');
    expect(again.json().error.message).toMatch(/--force/);
    expect(medseg('convert', src, out, '--force').code).toBe(0);
  });
});
