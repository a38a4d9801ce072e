/**
 * Large-study benchmark: totalseg_ct (122×101×112, 3 mm) resampled through world coordinates onto a 512×512×300
 * grid over the same field of view (0.71×0.59×1.12 mm; trilinear image, nearest labels), so the anatomy and the
 * reference are real while the size is that of a diagnostic CT. The engine segments it on its working grid
 * (src-main/io/workgrid.ts) and the result is scored on all 78.6 M voxels.
 * Protocol: BENCHMARK.md simulated annotator on the FULL grid (k = 3, scribble mode), strokes mapped to the working
 * grid; update = strokes → working grid + train + predict + labels back to the full grid (median of 5).
 * Run: npx jiti bench/large-volume.ts   (writes bench/large-report.md; ≈ 3–5 min and ≈ 4 GB on this machine)
 */
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import type { FeatureVolume } from '../src-main/features/types';
import { join } from 'node:path';
import type { Grid, Vec3, Volume } from '../src-shared';
import { labelsToFull, labelsToWork, openVolume, resampleData, workingGrid } from '../src-main/io';
import { createFilterBackbone, diceAll, segment, simulateAnnotation, trainHead } from '../src-main/fewshot';
import { labelsOnImage } from '../src-main/cli/commands/segment';
import { machineLine, peakRssMb } from '../src-main/cli/commands/bench';

const data = process.env.MEDSEG_DATA ?? join(process.cwd(), '../shared/data');
const classes = [5, 1, 2, 3, 52];
const now = () => performance.now();

async function cachedFeatures(file: string | undefined, make: () => Promise<FeatureVolume>, nz: number): Promise<FeatureVolume> {
  if (file && existsSync(file)) {
    const meta = JSON.parse(readFileSync(file + '.json', 'utf8')) as { dim: number; names: string[] };
    const buf = readFileSync(file);
    const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const per = all.length / nz;
    return { dim: meta.dim, names: meta.names, slices: Array.from({ length: nz }, (_, k) => all.subarray(k * per, (k + 1) * per)) };
  }
  const f = await make();
  if (file) {
    const fd = openSync(file, 'w');
    for (const s of f.slices) writeSync(fd, new Uint8Array(s!.buffer, s!.byteOffset, s!.byteLength));
    closeSync(fd);
    writeFileSync(file + '.json', JSON.stringify({ dim: f.dim, names: f.names }));
  }
  return f;
}

async function main(): Promise<void> {
  const small = await openVolume(join(data, 'totalseg_ct/example_ct.nii.gz'));
  const smallRef = await labelsOnImage(join(data, 'totalseg_ct/example_seg_fast_force_split.nii.gz'), small);
  const dims: Vec3 = [512, 512, 300];
  const spacing = [0, 1, 2].map((a) => (small.dims[a] * small.spacing[a]) / dims[a]) as Vec3;
  // Same field of view: the first voxel centre moves half a voxel of each grid inwards from the common corner.
  const origin = [0, 1, 2].map((r) => {
    let o = small.origin[r];
    for (let a = 0; a < 3; a++) o += small.direction[r * 3 + a] * (spacing[a] - small.spacing[a]) / 2;
    return o;
  }) as Vec3;
  const grid: Grid = { dims, spacing, origin, direction: small.direction };
  let t = now();
  const big: Volume = { ...small, ...grid, data: resampleData(small, small.data, grid), warnings: [] };
  const ref = resampleData({ ...small }, smallRef, grid, { interpolation: 'nearest', fill: 0 });
  const resampleMs = now() - t;
  const wg = workingGrid(big);
  const bb = createFilterBackbone();
  t = now();
  // MEDSEG_BENCH_FEATURES=<file>: keep the working-grid features between runs (for profiling; not for reported numbers).
  const fromCache = !!process.env.MEDSEG_BENCH_FEATURES && existsSync(process.env.MEDSEG_BENCH_FEATURES);
  const features = await cachedFeatures(process.env.MEDSEG_BENCH_FEATURES, () => bb.extract(wg.volume), wg.volume.dims[2]);
  const featureMs = now() - t;
  const { scribbles: full, slices } = simulateAnnotation({ reference: ref, image: big.data, dims, modality: big.modality, classes, k: 3, mode: 'scribble' });
  const times: number[] = [], parts: Record<string, number[]> = { toWork: [], train: [], predict: [], toFull: [] };
  let labels: Uint8Array | undefined;
  for (let r = 0; r < 5; r++) {
    const t0 = now();
    const scribbles = labelsToWork(full, wg);
    const t1 = now();
    const head = trainHead('linear', features, scribbles, wg.volume.dims as Vec3, { backbone: { id: bb.id, settings: bb.settings }, spacing: wg.volume.spacing as Vec3 });
    const t2 = now();
    const res = await segment({ volume: wg.volume, features, scribbles, head });
    if (process.env.MEDSEG_BENCH_VERBOSE) console.error(JSON.stringify(res.timings));
    const t3 = now();
    labels = labelsToFull(res.labels, wg);
    const t4 = now();
    times.push(t4 - t0);
    parts.toWork.push(t1 - t0); parts.train.push(t2 - t1); parts.predict.push(t3 - t2); parts.toFull.push(t4 - t3);
  }
  const med = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  const d = diceAll(labels!, ref, classes);
  const r3 = (x: number) => x.toFixed(3);
  const md = [
    '# Large-study benchmark (512×512×300)',
    '',
    `Generated by \`npx jiti bench/large-volume.ts\` on ${new Date().toISOString()} · ${machineLine()} · CPU, filter-bank backbone, linear head.`,
    '',
    `Case: totalseg_ct resampled onto ${dims.join('×')} voxels of ${spacing.map((s) => s.toFixed(2)).join('×')} mm (same field of view; resampling took ${(resampleMs / 1000).toFixed(1)} s and is not part of any timing below).`,
    `Working grid: ${wg.volume.dims.join('×')} (${(wg.volume.data.length / 1e6).toFixed(1)} M voxels, blocks of ${wg.f.join('×')}); features ${features.dim} channels, ${fromCache ? `read back from a cache file (MEDSEG_BENCH_FEATURES) in ${(featureMs / 1000).toFixed(1)} s, not computed` : `${(featureMs / 1000).toFixed(1)} s cold`}; peak RSS of the run ${peakRssMb()} MB.`,
    `Annotation: k = 3 scribble mode on the full grid, slices ${slices.join(', ')}.`,
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| update median / p95 (ms) | ${Math.round(med(times))} / ${Math.round(times.slice().sort((a, b) => a - b)[times.length - 1])} | < 1000 |`,
    `| strokes → working grid (ms, median) | ${Math.round(med(parts.toWork))} | |`,
    `| train (ms, median) | ${Math.round(med(parts.train))} | |`,
    `| predict on the working grid (ms, median) | ${Math.round(med(parts.predict))} | |`,
    `| labels → 78.6 M voxels (ms, median) | ${Math.round(med(parts.toFull))} | |`,
    `| Dice on the full grid | ${Object.entries(d.dice).map(([c, v]) => `${c}: ${r3(v)}`).join(', ')} (mean ${r3(d.meanDice)}) | |`,
    '',
    'The machine is a shared 2-core CPU; other jobs ran at the same time unless noted, so timings are pessimistic.',
    '',
  ];
  writeFileSync(join(process.cwd(), 'bench/large-report.md'), md.join('\n'));
  process.stdout.write(md.join('\n'));
}

main().catch((e) => { console.error(e); process.exit(1); });
