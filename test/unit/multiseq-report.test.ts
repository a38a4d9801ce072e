/**
 * The multi-sequence section of bench/report.md: `bench-report --only multiseq` must rewrite that section and keep
 * every other byte; the target verdicts are computed from the rows (known answers on hand-made rows).
 */
import { describe, expect, it } from 'vitest';
import { MULTISEQ_BEGIN, MULTISEQ_END, multiSequenceTargets, spliceMultiSequenceSection, type MultiSequenceBenchRow } from '../../src-main/engine/multiseq/bench';

const head = '# Few-shot segmentation benchmark\n\n## Cases\n\n- a\n';
const tail = '\n## Skipped\n\n- x: data not found\n';

describe('spliceMultiSequenceSection', () => {
  it('replaces only what lies between the markers', () => {
    const old = `${head}\n${MULTISEQ_BEGIN}\n## Multi-sequence studies\n\nold table\n${MULTISEQ_END}\n${tail}`;
    const out = spliceMultiSequenceSection(old, '## Multi-sequence studies\n\nnew table\n');
    expect(out).toBe(`${head}\n${MULTISEQ_BEGIN}\n## Multi-sequence studies\n\nnew table\n${MULTISEQ_END}\n${tail}`);
    // Idempotent: splicing the same section again changes nothing.
    expect(spliceMultiSequenceSection(out, '## Multi-sequence studies\n\nnew table')).toBe(out);
  });

  it('replaces an older unmarked "## Multi-sequence studies" section up to the next heading', () => {
    const old = `${head}\n## Multi-sequence studies\n\nsee multiseq-report.md\n${tail}`;
    const out = spliceMultiSequenceSection(old, '## Multi-sequence studies\n\nT');
    expect(out).toBe(`${head}\n${MULTISEQ_BEGIN}\n## Multi-sequence studies\n\nT\n${MULTISEQ_END}\n${tail}`);
  });

  it('inserts before "## Skipped" when there is no section yet, or appends', () => {
    expect(spliceMultiSequenceSection(`${head}${tail}`, 'S')).toBe(`${head}\n${MULTISEQ_BEGIN}\nS\n${MULTISEQ_END}\n\n## Skipped\n\n- x: data not found\n`);
    expect(spliceMultiSequenceSection(head, 'S')).toBe(`${head}\n${MULTISEQ_BEGIN}\nS\n${MULTISEQ_END}\n`);
  });
});

describe('multiSequenceTargets', () => {
  const row = (setting: MultiSequenceBenchRow['setting'], sequence: string, dice: number, method = 'm'): MultiSequenceBenchRow =>
    ({ mode: 'scribble', k: 3, setting, sequence, method: setting === 'single' ? '' : method, dice, labeledVoxels: 10, updateMs: 1 });
  const rows = [row('all', '', 0.8), row('single', 'T2', 0.7), row('single', 'FLAIR', 0.78), row('drop', 'T2', 0.77), row('drop', 'FLAIR', 0.74), row('all', '', 0.5, 'other'), row('drop', 'T2', 0.49, 'other')];

  it('compares all four with the best single sequence and with the worst left-out one', () => {
    const t = multiSequenceTargets(rows, 'scribble', 'm')!;
    expect(t.bestSingle).toEqual({ sequence: 'FLAIR', dice: 0.78 });
    expect(t.beatsBestSingle).toBe(true);
    expect(t.worstDrop).toEqual({ sequence: 'FLAIR', dice: 0.74 });
    expect(t.dropLoss).toBe(0.06);
    expect(t.dropWithin005).toBe(false);
    const o = multiSequenceTargets(rows, 'scribble', 'other')!;
    expect(o.beatsBestSingle).toBe(false);
    expect(o.dropLoss).toBe(0.01);
    expect(o.dropWithin005).toBe(true);
    expect(multiSequenceTargets(rows, 'slice', 'm')).toBeUndefined();
  });
});
