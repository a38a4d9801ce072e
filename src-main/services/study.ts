/**
 * StudyService: open and scan files through io/, hand the voxels to the UI once, register the volume with the
 * engine. Web-mode uploads land in a private temp folder per upload id.
 */
import { appendFile, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import {
  MedSegError, blockFactors, valueRange,
  type AddedSequence, type OpenedVolume, type RecentItem, type SequenceInfo, type ScanResult, type SeriesSummary, type StudyService, type UploadReceipt,
  type UploadedFile, type Volume, type VoxelArray,
} from '../../src-shared';
import { loadEntry, openVolume, scanPaths, WORK_VOXELS, type SeriesEntry } from '../io';
import type { Engine } from '../engine/engine';
import { sourceOfEntry, sourceOfPath, type SequenceSource } from '../engine/multiseq/persist';
import type { EmitFn } from './host';
import { thumbnailOf } from './thumbnail';

export interface StudyOptions {
  engine: Engine;
  emit: EmitFn;
  /** JSON file with the recent list; absent → kept in memory only. */
  recentFile?: string;
  /** Stop making scan thumbnails after this long (each needs a decode); the rest are listed without one. */
  thumbnailBudgetMs?: number;
  /** Most bytes one upload may hold. */
  maxUploadBytes?: number;
}

const MAX_RECENT = 20;

export class StudyServiceImpl implements StudyService {
  private readonly entries = new Map<string, SeriesEntry>();
  private readonly uploads = new Map<string, { dir: string; files: number; bytes: number }>();
  private recentList: RecentItem[] | null = null;
  private nextSeries = 1;
  private nextUpload = 1;

  constructor(private readonly o: StudyOptions) {}

  async openPath(path: string): Promise<OpenedVolume> {
    const volume = await openVolume(path, { onProgress: (fraction) => this.o.emit('study', 'openProgress', { path, fraction }) });
    await this.remember(path, volume);
    return this.register(volume);
  }

  async scan(paths: string[]): Promise<ScanResult> {
    const r = await scanPaths(paths);
    const started = Date.now();
    const budget = this.o.thumbnailBudgetMs ?? 5000;
    const series: SeriesSummary[] = [];
    for (const e of r.entries) {
      const id = `series-${this.nextSeries++}`;
      this.entries.set(id, e);
      const s: SeriesSummary = {
        id, format: e.format, kind: e.kind, description: e.description, modality: e.modality, dims: e.dims,
        frameCount: e.frameCount, fileCount: e.files.length, patientName: e.patientName, patientId: e.patientId,
        studyInstanceUid: e.studyInstanceUid, seriesInstanceUid: e.seriesInstanceUid, warnings: [...e.warnings],
      };
      if (e.kind === 'image' && Date.now() - started < budget) {
        try {
          s.thumbnail = thumbnailOf(await loadEntry(e));
        } catch (err) {
          s.warnings.push(`No preview: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      series.push(s);
    }
    return { series, errors: r.errors };
  }

  async open(seriesId: string): Promise<OpenedVolume> {
    const e = this.entries.get(seriesId);
    if (!e) throw new MedSegError('INVALID_ARGUMENT', 'This series is no longer in the list; scan the folder again.', { detail: seriesId });
    const volume = await loadEntry(e, { onProgress: (fraction) => this.o.emit('study', 'openProgress', { path: e.files[0] ?? '', fraction }) });
    await this.remember(e.files.length > 1 ? dirname(e.files[0]) : e.files[0], volume, e.description);
    return this.register(volume);
  }

  async close(volumeId: string): Promise<void> {
    await this.o.engine.close(volumeId);
  }

  async recent(): Promise<RecentItem[]> {
    return [...(await this.loadRecent())];
  }

  async upload(files: UploadedFile[], uploadId?: string): Promise<UploadReceipt> {
    let up = uploadId ? this.uploads.get(uploadId) : undefined;
    if (uploadId && !up) throw new MedSegError('INVALID_ARGUMENT', 'This upload has expired; drop the files again.', { detail: uploadId });
    const id = uploadId ?? `upload-${this.nextUpload++}`;
    if (!up) {
      up = { dir: await mkdtemp(join(tmpdir(), 'medseg-upload-')), files: 0, bytes: 0 };
      this.uploads.set(id, up);
    }
    const max = this.o.maxUploadBytes ?? 8 * 2 ** 30;
    const batch = files.reduce((s, f) => s + f.bytes.byteLength, 0);
    if (up.bytes + batch > max) {
      throw new MedSegError('INVALID_ARGUMENT', `The dropped files are larger than ${Math.round(max / 2 ** 30)} GB; open them from a folder instead.`);
    }
    for (const f of files) {
      const target = resolve(up.dir, f.name);
      // Names are validated as relative already; this keeps a second lock on the door.
      if (!target.startsWith(up.dir + sep)) throw new MedSegError('INVALID_ARGUMENT', `The file name "${f.name}" is not allowed.`);
      try {
        await mkdir(dirname(target), { recursive: true });
        if (f.append) await appendFile(target, f.bytes);
        else await writeFile(target, f.bytes);
      } catch (e) {
        throw new MedSegError('WRITE_FAILED', 'The dropped files could not be stored in the temporary folder (is the disk full?).', { detail: String(e), cause: e });
      }
      if (!f.append) up.files++;
      up.bytes += f.bytes.byteLength;
    }
    return { uploadId: id, fileCount: up.files, byteCount: up.bytes };
  }

  async scanUpload(uploadId: string): Promise<ScanResult> {
    const up = this.uploads.get(uploadId);
    if (!up) throw new MedSegError('INVALID_ARGUMENT', 'This upload has expired; drop the files again.', { detail: uploadId });
    return this.scan([up.dir]);
  }

  async addSequence(volumeId: string, path: string, name?: string, confirmMismatch?: boolean): Promise<AddedSequence> {
    this.o.engine.session(volumeId); // a closed study fails before a long decode, not after
    let volume: Volume;
    try {
      volume = await openVolume(path, { onProgress: (fraction) => this.o.emit('study', 'openProgress', { path, fraction }) });
    } catch (e) {
      await refuseTimeSeries(path, e);
      throw e;
    }
    return this.addToStudy(volumeId, volume, sourceOfPath(resolve(path)), name, confirmMismatch);
  }

  async addSequenceSeries(volumeId: string, seriesId: string, name?: string, confirmMismatch?: boolean): Promise<AddedSequence> {
    this.o.engine.session(volumeId);
    const e = this.entries.get(seriesId);
    if (!e) throw new MedSegError('INVALID_ARGUMENT', 'This series is no longer in the list; scan the folder again.', { detail: seriesId });
    const volume = await loadEntry(e, { onProgress: (fraction) => this.o.emit('study', 'openProgress', { path: e.files[0] ?? '', fraction }) });
    return this.addToStudy(volumeId, volume, sourceOfEntry(e), name, confirmMismatch);
  }

  async listSequences(volumeId: string): Promise<SequenceInfo[]> {
    return this.o.engine.sequences(volumeId);
  }

  async renameSequence(volumeId: string, sequenceId: string, name: string): Promise<SequenceInfo[]> {
    return this.o.engine.renameSequence(volumeId, sequenceId, name);
  }

  async removeSequence(volumeId: string, sequenceId: string): Promise<SequenceInfo[]> {
    return this.o.engine.removeSequence(volumeId, sequenceId);
  }

  async sequenceVoxels(volumeId: string, sequenceId: string): Promise<VoxelArray> {
    return this.o.engine.sequenceVoxels(volumeId, sequenceId);
  }

  private addToStudy(volumeId: string, volume: Volume, source: SequenceSource, name?: string, confirmMismatch?: boolean): AddedSequence {
    // Uploads are deleted when the app closes: the study's workspace keeps a copy so the sequence comes back.
    const keepCopy = source.paths.some((p) => this.isUpload(p));
    const r = this.o.engine.addSequence(volumeId, volume, { name, confirmMismatch, source, keepCopy });
    return { sequence: r.sequence, voxels: r.volume.data, sequences: r.sequences, warnings: [...r.warnings, ...volume.warnings] };
  }

  /** Remove upload folders (at shutdown). */
  async dispose(): Promise<void> {
    for (const up of this.uploads.values()) await rm(up.dir, { recursive: true, force: true });
    this.uploads.clear();
  }

  private async register(volume: Volume): Promise<OpenedVolume> {
    const { volumeId, warnings, issues } = await this.o.engine.openWithWorkspace(volume);
    const [lo, hi] = valueRange(volume.data);
    // The compute side segments studies this large on a block-averaged working grid (io/workgrid.ts): say so.
    const f = blockFactors(volume.dims, volume.spacing, WORK_VOXELS);
    if (f.some((x) => x > 1)) {
      warnings.push(`Large study: segmentation works on blocks of ${f.join('×')} voxels (${volume.spacing.map((s, a) => (s * f[a]).toFixed(1)).join('×')} mm) and is shown at full resolution; painting and viewing are unaffected.`);
    }
    return {
      header: {
        volumeId, dims: [...volume.dims], spacing: [...volume.spacing], origin: [...volume.origin], direction: [...volume.direction],
        voxelType: volume.voxelType, modality: volume.modality, meta: volume.meta, window: volume.window,
        range: [lo, hi], warnings: [...warnings, ...volume.warnings], ...(issues.length ? { notices: issues } : {}),
      },
      voxels: volume.data,
    };
  }

  private isUpload(path: string): boolean {
    return [...this.uploads.values()].some((u) => path.startsWith(u.dir + sep));
  }

  private async loadRecent(): Promise<RecentItem[]> {
    if (this.recentList) return this.recentList;
    this.recentList = [];
    if (this.o.recentFile) {
      try {
        const parsed: unknown = JSON.parse(await readFile(this.o.recentFile, 'utf8'));
        if (Array.isArray(parsed)) {
          this.recentList = parsed.filter((r): r is RecentItem =>
            typeof r === 'object' && r !== null && typeof r.path === 'string' && typeof r.description === 'string' && typeof r.openedAt === 'string');
        }
      } catch {
        // No or unreadable recent list: start a new one (it is a convenience, not data).
      }
    }
    return this.recentList;
  }

  private async remember(path: string, volume: Volume, description?: string): Promise<void> {
    // Uploaded copies are temporary: listing them as recent would point at files that soon vanish.
    if (this.isUpload(path)) return;
    const list = await this.loadRecent();
    const item: RecentItem = {
      path, description: description ?? volume.meta.seriesDescription ?? path.split(/[\\/]/).pop() ?? path, openedAt: new Date().toISOString(),
    };
    this.recentList = [item, ...list.filter((r) => r.path !== path)].slice(0, MAX_RECENT);
    if (this.o.recentFile) {
      try {
        await mkdir(dirname(this.o.recentFile), { recursive: true });
        await writeFile(this.o.recentFile, JSON.stringify(this.recentList, null, 1));
      } catch {
        // The recent list is a convenience; failing to save it must not fail the open.
      }
    }
  }
}

/**
 * A folder holding one DICOM time series opens as several volumes (one per time point), which openVolume reports as
 * MULTIPLE_SERIES. Offered as a sequence, that is a 4D series: say so (SEQUENCE_4D, as for a 4D NIfTI) instead of
 * asking the user to choose between "series" that are really time points.
 */
async function refuseTimeSeries(path: string, e: unknown): Promise<void> {
  if (!(e instanceof MedSegError) || e.code !== 'MULTIPLE_SERIES') return;
  const { entries } = await scanPaths([path]);
  const images = entries.filter((x) => x.kind === 'image');
  const uid = images[0]?.seriesInstanceUid;
  if (!uid || !images.every((x) => x.seriesInstanceUid === uid && (x.timePoints ?? 0) > 1)) return;
  throw new MedSegError('SEQUENCE_4D',
    `“${images[0].description.replace(/ \(time point .*\)$/, '')}” is a time series (${images[0].timePoints} time points), not one sequence. Scan the folder and add one time point from the series list.`,
    { path });
}
