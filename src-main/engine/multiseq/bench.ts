/**
 * The BENCHMARK.md simulated annotator on a multi-sequence study: Dice with all sequences, with each sequence on
 * its own (the single-image pipeline), and with each sequence left out at prediction time after training with all,
 * for one or more fusion methods (the first is the one reported as the result; the others are the ablation).
 * One annotation per mode serves every setting (drawn on the mean guide of all sequences), so rows differ only in
 * what the model sees. Features are computed once per sequence and kept in memory for the whole run; a left-out
 * sequence is folded out of the head, so the fused features are never copied or changed.
 */
import { indexToWorld, type Grid, type Vec3, type Volume } from '../../../src-shared';
import { openVolume, resampleData, resampleVolume } from '../../io';
import type { FeatureBackbone, FeatureVolume } from '../../features/types';
import { createMultiSequenceBackbone, fusedGuide } from '../../features/multiseq';
import { diceAll, segment, simulateAnnotation, trainHead, type AnnotatorMode, type HeadKind } from '../../fewshot';
import { applyMethod, cropToStudy, DEFAULT_METHOD, DROPOUT_METHOD, fitMethod, pasteFromStudy, PRESENCE_METHOD, prepareStudy, type MultiSequenceMethod } from './pipeline';

export { DEFAULT_METHOD, DROPOUT_METHOD, PRESENCE_METHOD, type MultiSequenceMethod };
import { assembleStudy, type MultiSequenceStudy } from './study';

export type MultiSequenceSetting = 'all' | 'single' | 'drop';

/** The ablation: each idea of issue 7 on its own against the earlier method (first row). */
const PREVIOUS: MultiSequenceMethod = { ...DROPOUT_METHOD, name: 'earlier result: one dropout-trained head' };

export const ABLATION_METHODS: MultiSequenceMethod[] = [
  PRESENCE_METHOD,
  { ...DEFAULT_METHOD, name: 'imputed head alone (weight 1)', impute: 1, about: 'as the result, the leave-one-out head left out of the blend: the all-present head on the predicted features alone' },
  PREVIOUS,
  { ...PRESENCE_METHOD, name: 'leave-one-out heads, dropout head when all present', presence: 'fallback', about: 'as the previous result (presence-specific heads), but the all-present pattern keeps the dropout-trained head (only the one-missing patterns get their own)' },
  { name: 'previous: fused + mean guide', fusion: 'early', guide: 'mean', dropout: {}, about: 'fused head, dropout copies with every subset of sequences missing, mean-intensity guide (the method before this work)' },
  { name: '+ stroke guide', fusion: 'early', guide: 'strokes', dropout: {}, about: 'as previous, guide = stroke-discriminant combination of the sequences' },
  { name: '+ single-drop copies (all four)', fusion: 'early', guide: 'strokes', dropout: { maxDropped: 1 }, about: 'as above, dropout copies with one sequence missing, every sequence for every voxel (rate 4/5)' },
  { name: 'earlier result without dropout', fusion: 'early', guide: 'strokes', dropout: false, about: 'the earlier result trained without any dropout copy (what dropout is worth when a sequence is missing)' },
  { name: 'earlier result + late fusion (β = 0.5)', fusion: 'late', guide: 'strokes', dropout: { maxDropped: 1, copiesPerSample: 1 }, late: { fusedWeight: 0.5 }, about: 'the earlier result\'s head averaged (log-probabilities) with one head per present sequence' },
  { name: 'earlier result + late fusion, stroke-weighted', fusion: 'late', guide: 'strokes', dropout: { maxDropped: 1, copiesPerSample: 1 }, late: { fusedWeight: 0.5, weighting: 'strokes' }, about: 'late fusion with the per-sequence heads weighted by their leave-one-slice-out skill on the strokes' },
  { name: 'per-sequence heads only (β = 0)', fusion: 'late', guide: 'strokes', dropout: { maxDropped: 1, copiesPerSample: 1 }, late: { fusedWeight: 0 }, about: 'mean of the per-sequence heads alone (no fused head), stroke guide' },
];

export interface MultiSequenceBenchRow {
  mode: AnnotatorMode;
  k: number;
  setting: MultiSequenceSetting;
  /** The single sequence, or the one left out; '' for all. */
  sequence: string;
  /** Method name ('' for single-sequence rows, which use the ordinary pipeline). */
  method: string;
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
  /** Methods to run; the first is the result. Default [DEFAULT_METHOD]. */
  methods?: MultiSequenceMethod[];
  /**
   * Other annotations of the same case (k values besides `k`), run for `methods` only (all + each left out, and the
   * singles): a check that a method's gain is not one annotation's luck. Rows carry their k.
   */
  robustness?: { ks: number[]; methods: MultiSequenceMethod[] };
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
  methods: MultiSequenceMethod[];
}

export async function runMultiSequenceBench(inp: MultiSequenceBenchInput): Promise<MultiSequenceBenchResult> {
  const headKind = inp.head ?? 'linear';
  const methods = inp.methods ?? [DEFAULT_METHOD];
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
  const runs: { mode: AnnotatorMode; k: number; methods: MultiSequenceMethod[] }[] = inp.modes.map((mode) => ({ mode, k: inp.k, methods }));
  for (const k of inp.robustness?.ks ?? []) for (const mode of inp.modes) runs.push({ mode, k, methods: inp.robustness!.methods });
  let warm = false;
  for (const { mode, k, methods: ms } of runs) {
    const { scribbles } = simulateAnnotation({ reference: ref, image: guideAll.data, dims: prep.dims, modality: guideAll.modality, classes: inp.classes, k, mode });
    if (!warm) {
      // Untimed, once: the block features segment() derives from each feature volume (fused, and each sequence's
      // own) do not depend on the strokes and are built at a study's first update, like the features themselves;
      // without this the first timed row of each kind would carry them and the others not. The same holds for the
      // imputation of each sequence from the others (fewshot/impute.ts: the regressions and the predicted intensity
      // in the guide), built at the first update and at the first prediction without that sequence.
      const warmFit = fitMethod(ms[0], headKind, fused, mb, scribbles, prep);
      for (const s of ['', ...names]) await applyMethod(ms[0], warmFit, fused, mb, scribbles, prep, { drop: s ? [s] : [] });
      for (const seq of prep.sequences) {
        const f = perSeq.get(seq.name)!;
        await segment({ volume: seq.volume, features: f, scribbles, head: trainHead(headKind, f, scribbles, prep.dims, { backbone: { id: inp.backbone.id }, spacing: prep.spacing }) });
      }
      warm = true;
    }
    let labeled = 0;
    for (let i = 0; i < scribbles.length; i++) if (scribbles[i]) labeled++;
    const base = { mode, k, labeledVoxels: labeled };
    for (const m of ms) {
      const t0 = performance.now();
      const fit = fitMethod(m, headKind, fused, mb, scribbles, prep);
      const trainMs = performance.now() - t0;
      for (const s of ['', ...names]) {
        const t1 = performance.now();
        const r = await applyMethod(m, fit, fused, mb, scribbles, prep, { drop: s ? [s] : [] });
        push({ ...base, setting: s ? 'drop' : 'all', sequence: s, method: m.name, dice: score(r.labels), updateMs: trainMs + performance.now() - t1 });
      }
    }
    for (const seq of prep.sequences) {
      const f = perSeq.get(seq.name)!;
      const t0 = performance.now();
      const head = trainHead(headKind, f, scribbles, prep.dims, { backbone: { id: inp.backbone.id }, spacing: prep.spacing });
      const vol: Volume = seq.volume;
      const r = await segment({ volume: vol, features: f, scribbles, head });
      push({ ...base, setting: 'single', sequence: seq.name, method: '', dice: score(r.labels), updateMs: performance.now() - t0 });
    }
  }
  return { rows, featureMs, cropDims: prep.dims, fullDims: [...inp.study.reference.dims] as Vec3, sequences: names, fusedDim: mb.layout.dim, methods };
}

/** Verdict on the issue's two targets for one mode and method. */
export interface MultiSequenceTargets {
  all: number;
  bestSingle: { sequence: string; dice: number };
  worstDrop: { sequence: string; dice: number };
  beatsBestSingle: boolean;
  /** all − worst left-out Dice. */
  dropLoss: number;
  /** Mean Dice over the left-out rows. */
  meanDrop: number;
  dropWithin005: boolean;
}

export function multiSequenceTargets(rows: MultiSequenceBenchRow[], mode: AnnotatorMode, method: string, k?: number): MultiSequenceTargets | undefined {
  // Without k: the annotation of the mode's first row (the protocol's k; robustness rows come after it).
  const kk = k ?? rows.find((r) => r.mode === mode)?.k;
  const rs = rows.filter((r) => r.mode === mode && r.k === kk);
  const all = rs.find((r) => r.setting === 'all' && r.method === method);
  const singles = rs.filter((r) => r.setting === 'single');
  const drops = rs.filter((r) => r.setting === 'drop' && r.method === method);
  if (!all || !singles.length || !drops.length) return undefined;
  const best = singles.reduce((a, b) => (b.dice > a.dice ? b : a));
  const worst = drops.reduce((a, b) => (b.dice < a.dice ? b : a));
  const loss = Math.round((all.dice - worst.dice) * 1000) / 1000;
  return {
    all: all.dice, bestSingle: { sequence: best.sequence, dice: best.dice }, worstDrop: { sequence: worst.sequence, dice: worst.dice },
    beatsBestSingle: all.dice > best.dice, dropLoss: loss, dropWithin005: loss <= 0.05,
    meanDrop: Math.round((drops.reduce((a, r) => a + r.dice, 0) / drops.length) * 1000) / 1000,
  };
}

/** The report section (markdown) for one case: the result table per mode, then the ablation of the methods. */
export function multiSequenceReport(caseName: string, note: string, res: MultiSequenceBenchResult, machine: string, backbone: string, level = 3): string {
  const f3 = (x: number) => x.toFixed(3);
  const h = '#'.repeat(level);
  const main = res.methods[0];
  const md: string[] = [];
  md.push(`${h} ${caseName}`, '', note, '',
    `Backbone ${backbone} per sequence (${res.fusedDim} fused channels); grid ${res.fullDims.join('×')}, computed on the content box ${res.cropDims.join('×')} (outside = background); machine: ${machine}.`,
    `Feature extraction per sequence (ms, once per run, kept in memory): ${Object.entries(res.featureMs).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    `Method: ${main.about}.`, '');
  const modes = [...new Set(res.rows.map((r) => r.mode))];
  for (const mode of modes) {
    const k0 = res.rows.find((r) => r.mode === mode)!.k;
    const rs = res.rows.filter((r) => r.mode === mode && r.k === k0);
    const all = rs.find((r) => r.setting === 'all' && r.method === main.name);
    md.push(`${h}# ${mode} mode, k = ${rs[0].k} (${rs[0].labeledVoxels} labeled voxels)`, '', '| setting | sequences seen | Dice | update ms |', '|---|---|---|---|');
    if (all) md.push(`| all ${res.sequences.length} sequences | ${res.sequences.join(' + ')} | **${f3(all.dice)}** | ${all.updateMs} |`);
    for (const r of rs.filter((x) => x.setting === 'single')) md.push(`| single sequence (own pipeline) | ${r.sequence} | ${f3(r.dice)} | ${r.updateMs} |`);
    for (const r of rs.filter((x) => x.setting === 'drop' && x.method === main.name)) {
      md.push(`| trained with all, ${r.sequence} left out | ${res.sequences.filter((s) => s !== r.sequence).join(' + ')} | ${f3(r.dice)} | ${r.updateMs} |`);
    }
    const tg = multiSequenceTargets(res.rows, mode, main.name);
    if (tg) {
      md.push('', `Targets: all sequences beat the best single one (${tg.bestSingle.sequence} ${f3(tg.bestSingle.dice)}): **${tg.beatsBestSingle ? 'yes' : 'no'}** (${tg.all >= tg.bestSingle.dice ? '+' : ''}${f3(tg.all - tg.bestSingle.dice)}). ` +
        `Leaving one out costs at most 0.05: **${tg.dropWithin005 ? 'yes' : 'no'}** (largest loss ${f3(tg.dropLoss)}, ${tg.worstDrop.sequence} left out).`, '');
    }
  }
  if (res.methods.length > 1) {
    md.push(`${h}# What each idea is worth (same features, same strokes)`, '',
      `| method | ${modes.map((m) => `${m}: all | ${m}: worst left out | ${m}: loss | ${m}: mean left out`).join(' | ')} |`, `|---|${modes.map(() => '---|---|---|---|').join('')}`);
    for (const m of res.methods) {
      const cells = modes.map((mode) => {
        const tg = multiSequenceTargets(res.rows, mode, m.name);
        return tg ? `${f3(tg.all)} | ${f3(tg.worstDrop.dice)} (${tg.worstDrop.sequence}) | ${f3(tg.dropLoss)} | ${f3(tg.meanDrop)}` : '– | – | – | –';
      });
      md.push(`| ${m.name}${m === main ? ' (**result**)' : ''} | ${cells.join(' | ')} |`);
    }
    md.push('', ...res.methods.map((m) => `- *${m.name}*: ${m.about}.`), '');
  }
  const extra = [...new Set(res.rows.map((r) => r.k))];
  if (extra.length > 1) {
    const ms = [...new Set(res.rows.filter((r) => r.k !== res.rows[0].k && r.method).map((r) => r.method))];
    md.push(`${h}# Across annotations (other k, same case)`, '',
      'The same methods on the annotations the simulated annotator draws for other k: a gain that holds across them is not one annotation\'s luck. "mean left out" = mean Dice over the four one-missing rows.', '',
      '| k | mode | method | all | worst left out | loss | mean left out | best single |', '|---|---|---|---|---|---|---|---|');
    for (const k of extra.sort((a, b) => a - b)) for (const mode of modes) for (const m of ms) {
      const tg = multiSequenceTargets(res.rows, mode, m, k);
      if (tg) md.push(`| ${k} | ${mode} | ${m} | ${f3(tg.all)} | ${f3(tg.worstDrop.dice)} (${tg.worstDrop.sequence}) | ${f3(tg.dropLoss)} | ${f3(tg.meanDrop)} | ${f3(tg.bestSingle.dice)} (${tg.bestSingle.sequence}) |`);
    }
    md.push('');
  }
  return md.join('\n');
}

/** The BraTS-style reference case of issue 7 (BENCHMARK.md data), whole tumour = labels 1, 2, 4. */
export const BRATS_CASE = {
  name: 'brats_tcga_fg6692',
  dir: 'brats_tcga_fg6692',
  sequences: [['T1', 'OtherEXampleFromTCIA_t1_bet.nii.gz'], ['T1c', 'OtherEXampleFromTCIA_t1c_bet.nii.gz'], ['T2', 'OtherEXampleFromTCIA_t2_bet.nii.gz'], ['FLAIR', 'OtherEXampleFromTCIA_fla_bet.nii.gz']] as const,
  labels: 'fusion/simple.nii.gz',
  tumour: [1, 2, 4],
};

/**
 * The BraTS case as a study plus its whole-tumour reference (class 1), optionally on an f-times coarser grid
 * (f = 2: 2 mm, a bench run of minutes on 2 cores). The coarse voxel (0,0,0) is centred on the block it replaces.
 */
export async function loadBratsStudy(caseDir: string, downsample = 1): Promise<{ study: MultiSequenceStudy; reference: Uint8Array; grid: Grid }> {
  let vols: Volume[] = [];
  for (const [, f] of BRATS_CASE.sequences) vols.push(await openVolume(`${caseDir}/${f}`));
  const lab = await openVolume(`${caseDir}/${BRATS_CASE.labels}`);
  let labData: ArrayLike<number> = lab.data;
  let grid: Grid = vols[0];
  if (downsample > 1) {
    const g = vols[0];
    const c = (downsample - 1) / 2;
    grid = { dims: g.dims.map((d) => Math.floor(d / downsample)) as Vec3, spacing: g.spacing.map((s) => s * downsample) as Vec3, origin: indexToWorld(g, [c, c, c]), direction: g.direction };
    vols = vols.map((v) => resampleVolume(v, grid, { interpolation: 'linear' }));
    labData = resampleData(lab, lab.data, grid, { interpolation: 'nearest' });
  }
  const reference = new Uint8Array(labData.length);
  for (let i = 0; i < reference.length; i++) if (BRATS_CASE.tumour.includes(labData[i])) reference[i] = 1;
  const study = assembleStudy(vols, { names: BRATS_CASE.sequences.map(([n]) => n) });
  return { study, reference, grid };
}

export interface MultiSequenceCaseInput {
  study: MultiSequenceStudy;
  /** Reference on the full study grid (class ids as in `classes`). */
  reference: Uint8Array;
  classes: number[];
  k: number;
  mode: AnnotatorMode;
  backbone: FeatureBackbone;
  head?: HeadKind;
  /** Left out at prediction time (trained with all). */
  drop?: string[];
  /** Timed updates (train + predict), at least 5. */
  repeats?: number;
  method?: MultiSequenceMethod;
  onProgress?: (fraction: number) => void;
}

export interface MultiSequenceCaseResult {
  dice: Record<string, number>;
  meanDice: number;
  /** All sequences' features, cold; per sequence in featureMsPerSequence. */
  featureMs: number;
  featureMsPerSequence: Record<string, number>;
  updateMs: { median: number; p95: number; train: number; predict: number };
  /** Annotated slices (full-grid k). */
  slices: number[];
  labeledVoxels: number;
  cropDims: number[];
  guide: string[];
  method: string;
  fusedBackbone: string;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/**
 * `medseg bench` with several images: the annotator draws on the mean guide of ALL sequences, the head is trained
 * with all of them, and the `drop` sequences are left out when predicting; Dice against the reference on the full grid.
 */
export async function runMultiSequenceCase(inp: MultiSequenceCaseInput): Promise<MultiSequenceCaseResult> {
  const method = inp.method ?? DEFAULT_METHOD;
  const headKind = inp.head ?? 'linear';
  const prep = prepareStudy(inp.study, inp.reference);
  const names = prep.sequences.map((s) => s.name);
  const mb = createMultiSequenceBackbone(inp.backbone, names);
  const perSeq: Record<string, number> = {};
  const t0 = performance.now();
  let tl = t0;
  const fused = await mb.extract(prep.inputs, {
    onProgress: (p) => inp.onProgress?.(p.total ? p.done / p.total : 0),
    onSequence: (name) => { const now = performance.now(); perSeq[name] = Math.round(now - tl); tl = now; },
  });
  const featureMs = performance.now() - t0;
  const ref = cropToStudy(inp.reference, prep);
  const guideAll = fusedGuide(prep.inputs);
  const { scribbles, slices } = simulateAnnotation({ reference: ref, image: guideAll.data, dims: prep.dims, modality: guideAll.modality, classes: inp.classes, k: inp.k, mode: inp.mode });
  let labeled = 0;
  for (let i = 0; i < scribbles.length; i++) if (scribbles[i]) labeled++;
  const repeats = Math.max(5, inp.repeats ?? 5);
  const times: number[] = [], trains: number[] = [], preds: number[] = [];
  let last: (SegmentResultLike & { guide: string[] }) | undefined;
  for (let r = 0; r < repeats; r++) {
    const a = performance.now();
    const fit = fitMethod(method, headKind, fused, mb, scribbles, prep);
    const b = performance.now();
    last = await applyMethod(method, fit, fused, mb, scribbles, prep, { drop: inp.drop });
    const c = performance.now();
    times.push(c - a); trains.push(b - a); preds.push(c - b);
  }
  const med = (x: number[]) => quantile(x.slice().sort((p, q) => p - q), 0.5);
  const sorted = times.slice().sort((p, q) => p - q);
  const d = diceAll(pasteFromStudy(last!.labels, prep), inp.reference, inp.classes);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    dice: Object.fromEntries(Object.entries(d.dice).map(([kk, v]) => [kk, r3(v)])),
    meanDice: r3(d.meanDice),
    featureMs: Math.round(featureMs),
    featureMsPerSequence: perSeq,
    updateMs: { median: Math.round(quantile(sorted, 0.5)), p95: Math.round(quantile(sorted, 0.95)), train: Math.round(med(trains)), predict: Math.round(med(preds)) },
    slices: slices.map((k) => k + prep.box.lo[2]),
    labeledVoxels: labeled,
    cropDims: [...prep.dims],
    guide: last!.guide,
    method: method.name,
    fusedBackbone: mb.id,
  };
}

type SegmentResultLike = { labels: Uint8Array };

export const MULTISEQ_BEGIN = '<!-- multiseq:begin (medseg bench-report --only multiseq rewrites this section) -->';
export const MULTISEQ_END = '<!-- multiseq:end -->';

/**
 * Put the multi-sequence section into a report: between its markers when present, else in place of an older
 * "## Multi-sequence studies" section, else before "## Skipped" or at the end. The rest is kept byte for byte.
 */
export function spliceMultiSequenceSection(report: string, section: string): string {
  const block = `${MULTISEQ_BEGIN}\n${section.trim()}\n${MULTISEQ_END}`;
  const a = report.indexOf(MULTISEQ_BEGIN), b = report.indexOf(MULTISEQ_END);
  if (a >= 0 && b > a) return report.slice(0, a) + block + report.slice(b + MULTISEQ_END.length);
  const h = report.search(/^## Multi-sequence studies\s*$/m);
  if (h >= 0) {
    const rest = report.slice(h + 1);
    const next = rest.search(/^## /m);
    return report.slice(0, h) + block + '\n' + (next >= 0 ? '\n' + rest.slice(next) : '');
  }
  const s = report.search(/^## Skipped\s*$/m);
  if (s >= 0) return report.slice(0, s) + block + '\n\n' + report.slice(s);
  return report.replace(/\n*$/, '\n\n') + block + '\n';
}

export interface BratsSectionOptions {
  /** Coarser grid factor (2 = 2 mm, the default: minutes on 2 cores). */
  downsample?: number;
  /** Also run the ablation methods (what each idea is worth). Default true. */
  ablation?: boolean;
  backbone: FeatureBackbone;
  machine: string;
  onNote?: (s: string) => void;
}

/** Run the BraTS case (scribble and slice modes, k = 3) and return the "## Multi-sequence studies" markdown. */
export async function bratsSection(dataDir: string, o: BratsSectionOptions): Promise<{ markdown: string; result: MultiSequenceBenchResult; seconds: number }> {
  const down = o.downsample ?? 2;
  const t0 = performance.now();
  const { study, reference, grid } = await loadBratsStudy(`${dataDir}/${BRATS_CASE.dir}`, down);
  const result = await runMultiSequenceBench({
    study, reference, classes: [1], k: 3, modes: ['scribble', 'slice'], backbone: o.backbone,
    methods: o.ablation === false ? [DEFAULT_METHOD] : [DEFAULT_METHOD, ...ABLATION_METHODS],
    robustness: o.ablation === false ? undefined : { ks: [2, 4, 5], methods: [DEFAULT_METHOD, PRESENCE_METHOD] },
    onNote: o.onNote,
    onRow: (r) => o.onNote?.(`  ${r.mode} ${r.setting} ${r.sequence || 'all'}${r.method ? ` [${r.method}]` : ''}: Dice ${r.dice.toFixed(3)} (${r.updateMs} ms)`),
  });
  const seconds = Math.round((performance.now() - t0) / 1000);
  const markdown = [
    '## Multi-sequence studies', '',
    `BraTS-style case ${BRATS_CASE.name}: T1, T1c, T2, FLAIR (skull-stripped, co-registered), whole tumour = labels ${BRATS_CASE.tumour.join(', ')} of ${BRATS_CASE.labels} (a model-fused label, not a manual one), ` +
      `${down > 1 ? `resampled to ${grid.spacing.join('×')} mm` : 'at 1 mm'}. ${seconds} s for this section.`,
    'Protocol: BENCHMARK.md simulated annotator, k = 3, one annotation per mode (drawn on the mean of the sequences) used for every row. ' +
      '"single sequence" = the ordinary one-image pipeline on that sequence (its own features, its own image as guide). ' +
      '"left out" = trained with all four, that sequence missing at prediction time. Update = train + predict once (the CLI bench times ≥ 5), after one untimed update that builds the block features of each feature volume (they do not depend on the strokes; the app builds them at a study\'s first update). ' +
      `Regenerate only this section with \`medseg bench-report --only multiseq\`; \`--no-multiseq\` skips it.`, '',
    multiSequenceReport(BRATS_CASE.name, 'Fused features: each sequence through the same backbone, zero where missing, one presence flag per sequence, present groups scaled by S/P.', result, o.machine, o.backbone.id, 3),
  ].join('\n');
  return { markdown, result, seconds };
}
