/**
 * A multi-sequence head travels (issue 7 item 2): `medseg segment` with four --image and --save-head writes the head
 * with its sequence names and presence-specific heads; `medseg apply` puts it on a study with some of those
 * sequences. BraTS case on a 3 mm grid written as NIfTI files, whole tumour = class 1, slice-mode strokes (k = 3).
 * Known answers: the head file's sequences, which head served each study, Dice against the reference, typed errors.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openVolume, writeVolume } from '../../src-main/io';
import { runCli } from '../../src-main/cli/program';
import { dice, simulateAnnotation } from '../../src-main/fewshot';
import { fusedGuide } from '../../src-main/features/multiseq';
import { BRATS_CASE, loadBratsStudy } from '../../src-main/engine/multiseq/bench';
import { sequenceInputs } from '../../src-main/engine/multiseq/pipeline';
import { dataPath, describeWithData } from './helpers/data';

const dir = mkdtempSync(join(tmpdir(), 'medseg-mshead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let reference: Uint8Array;

async function cli(args: string[]): Promise<{ code: number; json: Record<string, any> }> {
  let out = '';
  const code = await runCli(['node', 'medseg', ...args], { out: (s) => { out += s; }, err: () => {} });
  return { code, json: JSON.parse(out) as Record<string, any> };
}

const files = [...BRATS_CASE.sequences.map(([, f]) => `${BRATS_CASE.dir}/${f}`), `${BRATS_CASE.dir}/${BRATS_CASE.labels}`];
const image = (n: string, as = n) => ['--image', `${as.toLowerCase()}=${join(dir, `${n}.nii.gz`)}`];
const head = join(dir, 'tumour.head.json');

describeWithData('multi-sequence head: segment --save-head, apply with sequences missing (BraTS, 3 mm)', files, () => {
  beforeAll(async () => {
    const { study, reference: ref, grid } = await loadBratsStudy(dataPath(BRATS_CASE.dir), 3);
    reference = ref;
    for (const s of study.sequences) await writeVolume({ ...grid, data: s.volume.data }, join(dir, `${s.name}.nii.gz`));
    const g = fusedGuide(sequenceInputs(study.sequences));
    const { scribbles } = simulateAnnotation({ reference: ref, image: g.data, dims: grid.dims, modality: 'MR', classes: [1], k: 3, mode: 'slice' });
    await writeVolume({ ...grid, data: scribbles }, join(dir, 'strokes.nii.gz'));
    const r = await cli(['segment', ...['T1', 'T1c', 'T2', 'FLAIR'].flatMap((n) => image(n)), '--labels', join(dir, 'strokes.nii.gz'), '--out', join(dir, 'seg.nii.gz'), '--save-head', head]);
    expect(r.code, JSON.stringify(r.json)).toBe(0);
  }, 300_000);

  it('the head file names its sequences and holds one head per sequence left out; it is also an ordinary head file', () => {
    const doc = JSON.parse(readFileSync(head, 'utf8')) as Record<string, any>;
    expect(doc.format).toBe('medseg-head');
    expect(doc.sequences).toEqual(['T1', 'T1c', 'T2', 'FLAIR']);
    expect(doc.backbone.id).toBe('multiseq[T1,T1c,T2,FLAIR]:filters');
    expect(Object.keys(doc.presence.leaveOneOut)).toEqual(['T1', 'T1c', 'T2', 'FLAIR']);
    expect(doc.presence.full.format).toBe('medseg-head');
    // Saved heads cover every pattern: 6 with two missing, 4 with three.
    expect(Object.keys(doc.presence.missing)).toHaveLength(10);
    expect(doc.presence.missing['T1,T1c,FLAIR'].format).toBe('medseg-head');
    // Each sequence's features predicted from the others (fewshot/impute.ts), for a study that lacks one.
    expect(Object.keys(doc.presence.imputed)).toEqual(['T1', 'T1c', 'T2', 'FLAIR']);
    expect(doc.presence.imputed.FLAIR.kept).toEqual(['T1', 'T1c', 'T2']);
    expect(doc.presence.imputeWeight).toBe(0.75);
  });

  it('applies to a study without FLAIR (its imputed + leave-one-out head), and to all four; Dice against the reference', async () => {
    const results: Record<string, number> = {};
    for (const [tag, seqs, pattern] of [['no FLAIR', ['T1', 'T1c', 'T2'], 'without FLAIR (imputed)'], ['all', ['T1', 'T1c', 'T2', 'FLAIR'], 'all'], ['T2 only', ['T2'], 'without T1, T1c, FLAIR']] as const) {
      const out = join(dir, `apply-${tag.replace(/ /g, '')}.nii.gz`);
      const r = await cli(['apply', ...seqs.flatMap((n) => image(n)), '--head', head, '--out', out]);
      expect(r.code, JSON.stringify(r.json)).toBe(0);
      expect(r.json.head).toBe(pattern);
      expect(r.json.missing).toEqual(['T1', 'T1c', 'T2', 'FLAIR'].filter((s) => !(seqs as readonly string[]).includes(s)));
      const seg = await openVolume(out);
      results[tag] = dice(Uint8Array.from(seg.data), reference, 1);
    }
    // The head's per-voxel answer (apply has no strokes to propagate from). Measured: without FLAIR 0.516 (0.597 with
    // the leave-one-out head alone: on this 3 mm grid the imputed head's per-voxel answer is worse, while on the
    // benchmark's 2 mm grid it is better, 0.389 against 0.310, and after propagation 0.83 against 0.79), all four
    // 0.671, T2 alone 0.648 with its own head (0.167 with the dropout-trained head, which saw one missing at a time).
    expect(results['no FLAIR']).toBeGreaterThanOrEqual(0.48);
    expect(results['T2 only']).toBeGreaterThanOrEqual(0.6);
    expect(results.all).toBeGreaterThanOrEqual(0.62);
    expect(results.all).toBeGreaterThan(results['no FLAIR']);
  }, 300_000);

  it('a single-image head still applies to one --image, and refuses several (HEAD_MISMATCH)', async () => {
    const single = join(dir, 'flair.head.json');
    const seg = await cli(['segment', '--image', join(dir, 'FLAIR.nii.gz'), '--labels', join(dir, 'strokes.nii.gz'), '--out', join(dir, 'seg-flair.nii.gz'), '--save-head', single]);
    expect(seg.code, JSON.stringify(seg.json)).toBe(0);
    const out = join(dir, 'apply-flair.nii.gz');
    const r = await cli(['apply', '--image', join(dir, 'FLAIR.nii.gz'), '--head', single, '--out', out]);
    expect(r.code, JSON.stringify(r.json)).toBe(0);
    expect(r.json.backbone).toBe('filters');
    // Measured 0.526 (the FLAIR head's per-voxel answer, no propagation).
    expect(dice(Uint8Array.from((await openVolume(out)).data), reference, 1)).toBeGreaterThanOrEqual(0.48);
    const two = await cli(['apply', ...image('T1'), ...image('FLAIR'), '--head', single, '--out', join(dir, 'apply-two.nii.gz')]);
    expect(two.json.error.code).toBe('HEAD_MISMATCH');
  }, 300_000);

  it('a sequence the head never saw is refused with HEAD_MISMATCH naming it, and nothing is written', async () => {
    const out = join(dir, 'never.nii.gz');
    const r = await cli(['apply', ...image('T1'), ...image('T2', 'dwi'), '--head', head, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.json.error.code).toBe('HEAD_MISMATCH');
    expect(r.json.error.message).toMatch(/"dwi"/);
    expect(r.json.error.message).toMatch(/T1, T1c, T2, FLAIR/);
    expect(existsSync(out)).toBe(false);
  });
});
