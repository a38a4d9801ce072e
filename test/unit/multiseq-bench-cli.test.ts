/**
 * `medseg bench` with several --image (issue 7): the BraTS case on a 3 mm grid written as NIfTI files, whole tumour
 * as class 1. Known answers: the JSON fields of the single-image bench plus `sequences` and `dropped`, the fused
 * backbone id, a left-out sequence missing from the guide, Dice against the reference, typed usage errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeVolume } from '../../src-main/io';
import { runCli } from '../../src-main/cli/program';
import { BRATS_CASE, loadBratsStudy } from '../../src-main/engine/multiseq/bench';
import { dataPath, describeWithData } from './helpers/data';

const dir = mkdtempSync(join(tmpdir(), 'medseg-msbench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  let out = '';
  const code = await runCli(['node', 'medseg', ...args], { out: (s) => { out += s; }, err: () => {} });
  return { code, json: JSON.parse(out) as Record<string, unknown> };
}

const files = [...BRATS_CASE.sequences.map(([, f]) => `${BRATS_CASE.dir}/${f}`), `${BRATS_CASE.dir}/${BRATS_CASE.labels}`];
const images = () => BRATS_CASE.sequences.flatMap(([n]) => ['--image', `${n.toLowerCase()}=${join(dir, `${n}.nii.gz`)}`]);

describeWithData('medseg bench with several sequences (BraTS, 3 mm)', files, () => {
  beforeAll(async () => {
    const { study, reference, grid } = await loadBratsStudy(dataPath(BRATS_CASE.dir), 3);
    for (const s of study.sequences) await writeVolume({ ...grid, data: s.volume.data }, join(dir, `${s.name}.nii.gz`));
    await writeVolume({ ...grid, data: reference }, join(dir, 'ref.nii.gz'));
  }, 120_000);

  it('reports Dice, timings, memory, provider and backbone, the sequences and the one left out (--drop flair)', async () => {
    const r = await cli(['bench', ...images(), '--labels', join(dir, 'ref.nii.gz'), '--classes', '1', '--k', '3', '--mode', 'slice', '--drop', 'flair', '--json']);
    expect(r.code, JSON.stringify(r.json)).toBe(0);
    const j = r.json as Record<string, any>;
    expect(Object.keys(j.dice)).toEqual(['1']);
    expect(j.meanDice).toBe(j.dice['1']);
    // Measured 0.816 (slice mode, FLAIR left out, 3 mm); the single-image pipeline on T2 alone gives about 0.8.
    expect(j.meanDice).toBeGreaterThan(0.75);
    expect(j.featureMs).toBeGreaterThan(0);
    expect(Object.keys(j.featureMsPerSequence)).toEqual(['T1', 'T1c', 'T2', 'FLAIR']);
    expect(j.updateMs.median).toBeGreaterThan(0);
    expect(j.updateMs.p95).toBeGreaterThanOrEqual(j.updateMs.median);
    expect(j.peakRssMb).toBeGreaterThan(10);
    expect(j.provider).toBe('js');
    expect(j.headKernel).toBe('wasm-simd');
    expect(j.backbone).toBe('multiseq[T1,T1c,T2,FLAIR]:filters');
    // Fused heads standardise by their training rows (fewshot/multiseq.ts FUSED_STANDARDIZE).
    expect(j.standardizeBy).toBe('samples');
    expect(j.sequences.map((s: { name: string }) => s.name)).toEqual(['T1', 'T1c', 'T2', 'FLAIR']);
    expect(j.dropped).toEqual(['FLAIR']);
    expect(j.guide).toEqual(['T1', 'T1c', 'T2']);
    expect(j.dims).toEqual([80, 80, 51]);
    expect(j.slices).toHaveLength(3);
    expect(j.mode).toBe('slice');
  }, 300_000);

  it('an unknown --drop name is a usage error (INVALID_ARGUMENT, exit 2) naming the sequences; so is leaving all out', async () => {
    const base = ['--labels', join(dir, 'ref.nii.gz'), '--classes', '1', '--k', '3'];
    const unknown = await cli(['bench', ...images(), ...base, '--drop', 'dwi']);
    expect(unknown.code).toBe(2);
    const e = unknown.json.error as { code: string; message: string };
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/T1, T1c, T2, FLAIR/);
    const all = await cli(['bench', ...images(), ...base, ...BRATS_CASE.sequences.flatMap(([n]) => ['--drop', n])]);
    expect(all.code).toBe(2);
    expect((all.json.error as { message: string }).message).toMatch(/keep at least one/);
  }, 120_000);

  it('a target class absent from the reference fails before features: LABELS_EMPTY, exit 3', async () => {
    const r = await cli(['bench', ...images(), '--labels', join(dir, 'ref.nii.gz'), '--classes', '7', '--k', '3']);
    expect(r.code).toBe(3);
    expect((r.json.error as { code: string }).code).toBe('LABELS_EMPTY');
  }, 120_000);
});
