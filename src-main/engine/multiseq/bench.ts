/**
 * The BENCHMARK.md simulated annotator on a multi-sequence study: Dice with all sequences, with each sequence on
 * its own (the single-image pipeline), and with each sequence left out at prediction time after training with all.
 * One annotation per mode serves every setting (drawn on the fused guide of all sequences), so rows differ only in
 * what the model sees. Features are computed once per sequence; the fused set is reused (drops are in place).
 */
import type { Vec3, Volume } from '../../../src-shared';
import type { FeatureBackbone, FeatureVolume } from '../../features/types';
import { createMultiSequenceBackbone, fusedGuide } from '../../features/multiseq';
import { diceAll, segment, simulateAnnotation, trainHead, type AnnotatorMode, type HeadKind } from '../../fewshot';
import { segmentMultiSequence, trainMultiSequenceHead } from '../../fewshot/multiseq';
import { cropToStudy, pasteFromStudy, prepareStudy } from './pipeline';
import type { MultiSequenceStudy } from './study';

export type MultiSequenceSetting = 'all' | 'single' | 'drop';

export interface MultiSequenceBenchRow {
  mode: AnnotatorMode;
  k: number;
  setting: MultiSequenceSetting;
  /** The single sequence, or the one left out; '' for all. */
  sequence: string;
  /** Trained with sequence dropout (fused rows only). */
  dropout: boolean;
  dice: number;
  labeledVoxels: number;
  updateMs: number;
}

export interface MultiSequenceBenchInput {
  study: MultiSequenceStudy;
  /** Target mask(s) on the full reference grid: class ids as in `classes`. */
  reference: Uint8Array;
  classes: number[];
  k: number;
  modes: AnnotatorMode[];
  backbone: FeatureBackbone;
  head?: HeadKind;
  /** Also run the fused rows with a head trained WITHOUT dropout (ablation). Default true. */
  ablation?: boolean;
  onNote?: (s: string) => void;
  onRow?: (r: MultiSequenceBenchRow) => void;
}

export interface MultiSequenceBenchResult {
  rows: MultiSequenceBenchRow[];
  featureMs: Record<string, number>;
  cropDims: Vec3;
  fullDims: Vec3;
  sequences: string[];
  fusedDim: number;
}

export async function runMultiSequenceBench(inp: MultiSequenceBenchInput): Promise<MultiSequenceBenchResult> {
  const headKind = inp.head ?? 'linear';
  const prep = prepareStudy(inp.study, inp.reference);
  const names = prep.sequences.map((s) => s.name);
  const mb = createMultiSequenceBackbone(inp.backbone, names);
  const perSeq = new Map<string, FeatureVolume>();
  const featureMs: Record<string, number> = {};
  let t = performance.now();
  const fused = await mb.extract(prep.inputs, {
    onSequence: (name, f) => {
      perSeq.set(name, f);
      const now = performance.now();
      featureMs[name] = Math.round(now - t);
      inp.onNote?.(`features ${name}: ${featureMs[name]} ms`);
      t = now;
    },
  });
  const ref = cropToStudy(inp.reference, prep);
  const guideAll = fusedGuide(prep.inputs);
  const rows: MultiSequenceBenchRow[] = [];
  const score = (labels: Uint8Array): number => diceAll(pasteFromStudy(labels, prep), inp.reference, inp.classes).meanDice;
  const push = (r: MultiSequenceBenchRow): void => {
    const r3 = { ...r, dice: Math.round(r.dice * 1000) / 1000, updateMs: Math.round(r.updateMs) };
    rows.push(r3);
    inp.onRow?.(r3);
  };
  for (const mode of inp.modes) {
    const { scribbles } = simulateAnnotation({ reference: ref, image: guideAll.data, dims: prep.dims, modality: guideAll.modality, classes: inp.classes, k: inp.k, mode });
    let labeled = 0;
    for (let i = 0; i < scribbles.length; i++) if (scribbles[i]) labeled++;
    const base = { mode, k: inp.k, labeledVoxels: labeled };
    for (const dropout of inp.ablation === false ? [true] : [true, false]) {
      const t0 = performance.now();
      const head = trainMultiSequenceHead(headKind, fused, mb.layout, scribbles, prep.dims, { backbone: { id: mb.id }, spacing: prep.spacing, dropout: dropout ? {} : false });
      const r = await segmentMultiSequence({ features: fused, layout: mb.layout, sequences: prep.inputs, scribbles, head });
      push({ ...base, setting: 'all', sequence: '', dropout, dice: score(r.labels), updateMs: performance.now() - t0 });
      for (const s of names) {
        const t1 = performance.now();
        const d = await segmentMultiSequence({ features: fused, layout: mb.layout, sequences: prep.inputs, scribbles, head, drop: [s] });
        push({ ...base, setting: 'drop', sequence: s, dropout, dice: score(d.labels), updateMs: performance.now() - t1 });
      }
    }
    for (const seq of prep.sequences) {
      const f = perSeq.get(seq.name)!;
      const t0 = performance.now();
      const head = trainHead(headKind, f, scribbles, prep.dims, { backbone: { id: inp.backbone.id }, spacing: prep.spacing });
      const vol: Volume = seq.volume;
      const r = await segment({ volume: vol, features: f, scribbles, head });
      push({ ...base, setting: 'single', sequence: seq.name, dropout: false, dice: score(r.labels), updateMs: performance.now() - t0 });
    }
  }
  return { rows, featureMs, cropDims: prep.dims, fullDims: [...inp.study.reference.dims] as Vec3, sequences: names, fusedDim: mb.layout.dim };
}

/** The report section (markdown) for one case. */
export function multiSequenceReport(caseName: string, note: string, res: MultiSequenceBenchResult, machine: string, backbone: string): string {
  const f3 = (x: number) => x.toFixed(3);
  const md: string[] = [];
  md.push(`### ${caseName}`, '', note, '',
    `Backbone ${backbone} per sequence (${res.fusedDim} fused channels); grid ${res.fullDims.join('×')}, computed on the content box ${res.cropDims.join('×')} (outside = background); machine: ${machine}.`,
    `Feature extraction per sequence (ms): ${Object.entries(res.featureMs).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
  for (const mode of [...new Set(res.rows.map((r) => r.mode))]) {
    const rs = res.rows.filter((r) => r.mode === mode);
    const all = rs.find((r) => r.setting === 'all' && r.dropout);
    const allPlain = rs.find((r) => r.setting === 'all' && !r.dropout);
    const singles = rs.filter((r) => r.setting === 'single');
    const best = singles.reduce((a, b) => (b.dice > a.dice ? b : a), singles[0]);
    md.push(`#### ${mode} mode, k = ${rs[0].k} (${rs[0].labeledVoxels} labeled voxels)`, '',
      '| setting | sequence | Dice (head with sequence dropout) | Dice (head without dropout) | update ms |', '|---|---|---|---|---|');
    if (all) md.push(`| all ${res.sequences.length} sequences | ${res.sequences.join(' + ')} | **${f3(all.dice)}** | ${allPlain ? f3(allPlain.dice) : '–'} | ${all.updateMs} |`);
    for (const r of singles) md.push(`| single sequence (own pipeline) | ${r.sequence} | ${f3(r.dice)} | – | ${r.updateMs} |`);
    for (const r of rs.filter((x) => x.setting === 'drop' && x.dropout)) {
      const p = rs.find((x) => x.setting === 'drop' && !x.dropout && x.sequence === r.sequence);
      md.push(`| trained with all, ${r.sequence} left out | ${res.sequences.filter((s) => s !== r.sequence).join(' + ')} | ${f3(r.dice)} | ${p ? f3(p.dice) : '–'} | ${r.updateMs} |`);
    }
    if (all && best) {
      const worstDrop = rs.filter((x) => x.setting === 'drop' && x.dropout).reduce((a, b) => Math.min(a, b.dice), 1);
      md.push('', `Targets: all sequences beat the best single one (${best.sequence} ${f3(best.dice)}): **${all.dice > best.dice ? 'yes' : 'no'}** (${all.dice >= best.dice ? '+' : ''}${f3(all.dice - best.dice)}). ` +
        `Leaving one out costs at most 0.05: **${all.dice - worstDrop <= 0.05 ? 'yes' : 'no'}** (largest loss ${f3(all.dice - worstDrop)}).`, '');
    }
  }
  return md.join('\n');
}
