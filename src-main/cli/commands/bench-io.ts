/**
 * `medseg bench-io`: load time and peak memory for every image series under the data folder plus a synthetic
 * 512×512×300 int16 volume (as .nii and .nii.gz). Each case runs in its own child process (`bench-io-case`),
 * because peak RSS is per process. Targets: < 5 s and peak RSS growth < 2× the voxel bytes. Writes a Markdown
 * report. A benchmark, not a test: numbers depend on the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { MedSegError, type Vec3 } from '../../../src-shared';
import { loadEntry, scanPaths, writeVolume } from '../../io';
import { writeSyntheticCtSeries } from '../../io/dicom';
import type { CliCommand } from '../command';

interface CaseResult {
  name: string;
  format: string;
  dims?: Vec3;
  files?: number;
  scanMs?: number;
  loadMs?: number;
  baseRssMB?: number;
  peakRssMB?: number;
  voxelMB?: number;
  error?: string;
}

const MB = 1024 * 1024;

export const benchIoCommand: CliCommand = {
  name: 'bench-io',
  register(program, ctx) {
    program
      .command('bench-io')
      .description('benchmark loading: time and peak memory per series (writes a Markdown report)')
      .option('--data <dir>', 'folder with test data', '../shared/data')
      .option('--out <file>', 'report file', 'bench/io-report.md')
      .option('--formats <list>', 'formats to include from the data folder', 'dicom')
      .action(async (opts: { data: string; out: string; formats: string }) => {
        const formats = opts.formats.split(',');
        const scan = await scanPaths([opts.data]);
        const cases: { name: string; path: string; id: string; format: string; files: string[] }[] = scan.entries
          .filter((e) => e.kind === 'image' && formats.includes(e.format))
          .map((e) => ({ name: `${relative(opts.data, e.files.length === 1 ? e.files[0] : dirOf(e.files[0]))} (${e.description.slice(0, 40)})`, path: e.files.length === 1 ? e.files[0] : dirOf(e.files[0]), id: e.id, format: e.format, files: e.files }));
        const tmp = mkdtempSync(join(tmpdir(), 'medseg-bench-'));
        try {
          const dims: Vec3 = [512, 512, 300];
          const data = new Int16Array(dims[0] * dims[1] * dims[2]);
          // CT-like content (not constant, so gzip has real work): a body ellipse with noise, air around it
          for (let k = 0, n = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, n++) {
            const x = (i - 256) / 200, y = (j - 256) / 150;
            data[n] = x * x + y * y < 1 ? 40 + ((n * 2654435761) >>> 27) : -1000;
          }
          const grid = { dims, spacing: [0.8, 0.8, 1] as Vec3, origin: [-200, -200, -150] as Vec3, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
          for (const ext of ['.nii', '.nii.gz']) {
            const p = join(tmp, `synthetic_512x512x300_int16${ext}`);
            await writeVolume({ ...grid, data }, p);
            cases.push({ name: `synthetic 512×512×300 int16 ${ext}`, path: p, id: p, format: 'nifti', files: [p] });
          }
          // The same volume as a DICOM series: 300 uncompressed single-frame files, written in shuffled order.
          const dcmDir = join(tmp, 'synthetic_dicom_512x512x300');
          const dcmFiles = await writeSyntheticCtSeries(dcmDir, { dims, spacing: grid.spacing, origin: grid.origin, data, shuffle: true });
          cases.push({ name: 'synthetic 512×512×300 int16 DICOM series (300 files)', path: dcmDir, id: '', format: 'dicom', files: dcmFiles });
          const results: CaseResult[] = [];
          const bar = ctx.progress(cases.length, 'Benchmark');
          for (const [n, c] of cases.entries()) {
            bar.update(n, c.name);
            const list = join(tmp, `case-${n}.json`);
            writeFileSync(list, JSON.stringify(c.files));
            const r = spawnSync(process.execPath, [process.argv[1], 'bench-io-case', list, c.id], { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * MB });
            let res: CaseResult;
            try {
              const j = JSON.parse(r.stdout) as Omit<CaseResult, 'error'> & { error?: { code: string; message: string } | string };
              const err = typeof j.error === 'object' ? `${j.error.code}: ${j.error.message}` : j.error;
              res = { ...j, name: c.name, format: c.format, error: err };
            } catch {
              res = { name: c.name, format: c.format, error: `child failed (status ${r.status})` };
            }
            results.push(res);
          }
          bar.stop();
          const md = report(results);
          writeFileSync(resolve(opts.out), md);
          ctx.note(`medseg: wrote ${opts.out}`);
          ctx.json({ report: opts.out, results });
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      });

    program
      .command('bench-io-case', { hidden: true })
      .argument('<list>', 'JSON file listing the files of the series')
      .argument('<id>')
      .action(async (list: string, id: string) => {
        const files = JSON.parse(readFileSync(list, 'utf8')) as string[];
        const path = files[0];
        const baseRss = process.memoryUsage().rss;
        const t0 = performance.now();
        const scan = await scanPaths(files);
        const images = scan.entries.filter((e) => e.kind === 'image');
        const entry = images.find((e) => e.id === id) ?? (images.length === 1 ? images[0] : undefined);
        if (!entry) throw new MedSegError('NO_IMAGES', `series ${id} not found in ${path}`, { path });
        const t1 = performance.now();
        const v = await loadEntry(entry);
        const t2 = performance.now();
        const res: CaseResult = {
          name: path, format: entry.format, dims: v.dims, files: entry.files.length,
          scanMs: Math.round(t1 - t0), loadMs: Math.round(t2 - t1),
          baseRssMB: +(baseRss / MB).toFixed(1), peakRssMB: +(peakRssBytes() / MB).toFixed(1),
          voxelMB: +(v.data.byteLength / MB).toFixed(1),
        };
        const { name: _n, ...rest } = res;
        ctx.json(rest);
      });
  },
};

/**
 * Peak RSS of this process. Linux keeps ru_maxrss across fork+exec (a child reports its parent's peak), so read
 * VmHWM, which belongs to the new address space; elsewhere fall back to ru_maxrss.
 */
function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS * 1024;
}

function dirOf(p: string): string {
  return p.slice(0, Math.max(0, p.lastIndexOf('/'))) || '/';
}

function report(rs: CaseResult[]): string {
  const lines = [
    '# Loading benchmark (`medseg bench-io`)',
    '',
    `Machine: ${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}. Date: ${new Date().toISOString()}.`,
    'Each case runs in a fresh process. Time = scan (headers) + load (decode to a Volume). Memory = peak RSS minus the',
    'RSS before loading, as a multiple of the volume\'s voxel bytes. Targets: total < 5 s, memory growth < 2× voxel bytes.',
    'Shared machines (other jobs on the same cores) make times pessimistic.',
    '',
    '| case | format | dims | files | scan ms | load ms | total s | voxel MB | peak RSS MB | growth / voxel bytes | targets |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rs) {
    if (r.error || r.loadMs === undefined) {
      lines.push(`| ${r.name} | ${r.format} | | | | | | | | | error: ${r.error ?? 'unknown'} |`);
      continue;
    }
    const total = ((r.scanMs ?? 0) + r.loadMs) / 1000;
    const growth = ((r.peakRssMB ?? 0) - (r.baseRssMB ?? 0)) / Math.max(r.voxelMB ?? 0, 0.001);
    const small = (r.voxelMB ?? 0) < 8; // below ~8 MB, fixed costs (codecs, parser) dominate the ratio
    const ok = total < 5 && (growth < 2 || small);
    lines.push(`| ${r.name} | ${r.format} | ${r.dims?.join('×')} | ${r.files} | ${r.scanMs} | ${r.loadMs} | ${total.toFixed(2)} | ${r.voxelMB} | ${r.peakRssMB} | ${growth.toFixed(2)}${small ? ' (small)' : ''} | ${ok ? 'ok' : 'MISSED'} |`);
  }
  return lines.join('\n') + '\n';
}
