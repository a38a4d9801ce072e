/**
 * `medseg segment` with several --image (name=path and bare paths) and --drop, on the synthetic three-sequence
 * study written as NIfTI files: known answer = the lesion mask the images were made from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVolume, writeVolume } from '../../src-main/io';
import { runCli } from '../../src-main/cli/program';
import { dice, simulateAnnotation } from '../../src-main/fewshot';
import { fusedGuide } from '../../src-main/features/multiseq';
import { SYN_DIMS, synStudy } from './helpers/multiseq-synthetic';

const dir = mkdtempSync(join(tmpdir(), 'medseg-mscli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { lesion, sequences } = synStudy();
const grid = { dims: SYN_DIMS, spacing: [1, 1, 1] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };

beforeAll(async () => {
  for (const s of sequences) await writeVolume({ ...grid, data: s.volume.data }, join(dir, `${s.name}.nii.gz`));
  const { scribbles } = simulateAnnotation({ reference: lesion, image: fusedGuide(sequences).data, dims: SYN_DIMS, modality: 'MR', classes: [1], k: 3, mode: 'scribble' });
  await writeVolume({ ...grid, data: scribbles }, join(dir, 'strokes.nii.gz'));
});

async function cli(args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  let out = '';
  const code = await runCli(['node', 'medseg', ...args], { out: (s) => { out += s; }, err: () => {} });
  return { code, json: JSON.parse(out) as Record<string, unknown> };
}

describe('medseg segment with several sequences', () => {
  it('segments from three named sequences, and with one left out (--drop), Dice ≥ 0.85 against the lesion', async () => {
    for (const drop of [[], ['b']]) {
      const out = join(dir, `seg-${drop.join() || 'all'}.nii.gz`);
      const r = await cli(['segment', '--image', `a=${join(dir, 'A.nii.gz')}`, '--image', `b=${join(dir, 'B.nii.gz')}`, '--image', `c=${join(dir, 'C.nii.gz')}`,
        '--labels', join(dir, 'strokes.nii.gz'), '--out', out, ...drop.flatMap((d) => ['--drop', d])]);
      expect(r.code, JSON.stringify(r.json)).toBe(0);
      expect((r.json.sequences as { name: string }[]).map((s) => s.name)).toEqual(['a', 'b', 'c']);
      expect(r.json.dropped).toEqual(drop);
      expect(r.json.backbone).toBe('multiseq[a,b,c]:filters');
      const seg = await openVolume(out);
      expect(seg.dims).toEqual(SYN_DIMS);
      expect(dice(Uint8Array.from(seg.data), lesion, 1)).toBeGreaterThanOrEqual(0.85);
    }
  }, 180_000);

  it('typed usage errors: --drop of an unknown sequence, --drop with one image, two images with one name', async () => {
    const base = ['--labels', join(dir, 'strokes.nii.gz'), '--out', join(dir, 'x.nii.gz')];
    const unknown = await cli(['segment', '--image', `a=${join(dir, 'A.nii.gz')}`, '--image', `b=${join(dir, 'B.nii.gz')}`, '--drop', 'flair', ...base]);
    expect(unknown.code).toBe(2);
    expect((unknown.json.error as { code: string }).code).toBe('INVALID_ARGUMENT');
    const single = await cli(['segment', '--image', join(dir, 'A.nii.gz'), '--drop', 'A', ...base]);
    expect((single.json.error as { code: string }).code).toBe('INVALID_ARGUMENT');
    const twice = await cli(['segment', '--image', `t1=${join(dir, 'A.nii.gz')}`, '--image', `T1=${join(dir, 'B.nii.gz')}`, ...base]);
    expect((twice.json.error as { message: string }).message).toMatch(/both called T1/);
  });
});
