import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { dataPath, describeWithData } from './helpers/data';

const root = resolve(__dirname, '..', '..');

describeWithData('medseg bench (CLI, BENCHMARK.md protocol)', ['totalseg_ct/example_ct_sm.nii.gz', 'totalseg_ct/example_seg.nii.gz'], () => {
  it('prints the required JSON fields with Dice per target class', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'medseg.js'), 'bench', '--image', dataPath('totalseg_ct/example_ct_sm.nii.gz'),
      '--labels', dataPath('totalseg_ct/example_seg.nii.gz'), '--classes', '5,2,3', '--k', '1', '--mode', 'scribble', '--json'], { cwd: root, encoding: 'utf8', timeout: 280_000 });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.dice).sort()).toEqual(['2', '3', '5']);
    for (const v of Object.values(j.dice) as number[]) expect(v).toBeGreaterThanOrEqual(0);
    expect(j.meanDice).toBeCloseTo((j.dice['2'] + j.dice['3'] + j.dice['5']) / 3, 2);
    // Measured 0.68 / 0.84 / 0.81 on this 30-slice crop with one annotated slice (slice 15).
    expect(j.meanDice).toBeGreaterThan(0.7);
    expect(j.slices).toEqual([15]);
    expect(j.featureMs).toBeGreaterThan(0);
    expect(j.updateMs.median).toBeGreaterThan(0);
    expect(j.updateMs.p95).toBeGreaterThanOrEqual(j.updateMs.median);
    expect(j.peakRssMb).toBeGreaterThan(10);
    expect(j.provider).toBe('js');
    expect(j.headKernel).toBe('wasm-simd');
    expect(j.backbone).toBe('filters');
    // The head's standardisation: the study's statistics (samples.ts volumeStats).
    expect(j.standardizeBy).toBe('volume');
  }, 300_000);

  it('a single target class absent from the reference → typed LABELS_EMPTY error, exit code 3', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'medseg.js'), 'bench', '--image', dataPath('totalseg_ct/example_ct_sm.nii.gz'),
      '--labels', dataPath('totalseg_ct/example_seg.nii.gz'), '--classes', '250', '--k', '1', '--json'], { cwd: root, encoding: 'utf8', timeout: 280_000 });
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout).error.code).toBe('LABELS_EMPTY');
  }, 300_000);
});

function join(...p: string[]): string {
  return resolve(...p);
}

describeWithData('medseg bench: --drop needs several images', ['totalseg_ct/example_ct_sm.nii.gz', 'totalseg_ct/example_seg.nii.gz'], () => {
  it('one --image with --drop → INVALID_ARGUMENT, exit 2, before any features are computed', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'medseg.js'), 'bench', '--image', dataPath('totalseg_ct/example_ct_sm.nii.gz'),
      '--labels', dataPath('totalseg_ct/example_seg.nii.gz'), '--classes', '5', '--k', '1', '--drop', 'flair'], { cwd: root, encoding: 'utf8', timeout: 280_000 });
    expect(r.status).toBe(2);
    const e = JSON.parse(r.stdout).error;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/--drop needs several sequences/);
  }, 300_000);
});
