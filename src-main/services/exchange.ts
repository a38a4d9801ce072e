/**
 * ExchangeService: export the prediction (DICOM SEG / NIfTI / NRRD), import existing labels as strokes or locked
 * classes, and carry a trained head from one study to another (a multi-sequence head to a study holding some of its
 * sequences: engine/multiseq/carried.ts).
 */
import { open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import {
  DEFAULT_COLORS, MAX_CLASS_ID, MedSegError, sameGrid,
  type ClassSpec, type ExchangeService, type ExportResult, type ImportLabelsResult,
} from '../../src-shared';
import { exportSegmentation, isSegPath, openVolume, resampleLabels } from '../io';
import { readSegFile, segToGrid } from '../io/seg';
import { headFromJson } from '../fewshot';
import { loadedHeadFromJson } from '../fewshot/serialize';
import { checkCarriedHead } from '../engine/multiseq/carried';
import type { Engine } from '../engine/engine';

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

export class ExchangeServiceImpl implements ExchangeService {
  constructor(private readonly engine: Engine) {}

  async exportSegmentation(volumeId: string, path: string, overwrite = false): Promise<ExportResult> {
    const s = this.engine.session(volumeId);
    const pred = s.getPrediction();
    if (!pred) throw new MedSegError('LABELS_EMPTY', 'There is no segmentation to export yet: paint at least two classes (for example background) and wait for the result.');
    const r = await exportSegmentation(s.volume, pred.data, path, { classes: s.getClasses(), overwrite });
    return { path: r.path, format: r.format, warnings: r.warnings };
  }

  async importLabels(volumeId: string, path: string, mode: 'labels' | 'locked', allowOtherSeries = false): Promise<ImportLabelsResult> {
    const s = this.engine.session(volumeId);
    const vol = s.volume;
    const warnings: string[] = [];
    // label value → voxels, plus a name/colour for each
    const found = new Map<number, { name: string; color?: [number, number, number] }>();
    let map: Uint8Array;
    if (isSegPath(path) || (await looksLikeSeg(path))) {
      const seg = await readSegFile(path);
      const placed = segToGrid(seg, vol, { allowOtherSeries });
      warnings.push(...placed.warnings);
      map = placed.labels;
      for (const seg0 of placed.segments) if (placed.masks.has(seg0.number)) found.set(Math.min(seg0.number, MAX_CLASS_ID), { name: seg0.label, color: seg0.color });
    } else {
      const lab = await openVolume(path);
      const data = new Uint8Array(lab.data.length);
      let clipped = 0;
      for (let i = 0; i < data.length; i++) {
        const v = lab.data[i];
        if (v > 0 && v <= MAX_CLASS_ID && Number.isInteger(v)) data[i] = v;
        else if (v !== 0) clipped++;
      }
      if (clipped) warnings.push(`${clipped} voxels had values outside 1–${MAX_CLASS_ID} and were left unlabeled.`);
      map = sameGrid(lab, vol) ? data : resampleLabels({ ...lab, data }, vol).data;
      if (!sameGrid(lab, vol)) warnings.push('The labels are on another grid; they were placed through world coordinates.');
      for (let i = 0; i < map.length; i++) if (map[i] && !found.has(map[i])) found.set(map[i], { name: `Label ${map[i]}` });
    }
    let count = 0;
    for (let i = 0; i < map.length; i++) if (map[i]) count++;
    if (count === 0) throw new MedSegError('LABELS_EMPTY', 'The file holds no labeled voxels inside this image.', { path });
    const indices = new Uint32Array(count);
    const values = new Uint8Array(count);
    for (let i = 0, j = 0; i < map.length; i++) if (map[i]) { indices[j] = i; values[j++] = map[i]; }

    const classes = s.getClasses();
    const changed: ClassSpec[] = [];
    for (const [id, info] of found) {
      const existing = classes.find((c) => c.id === id);
      const c: ClassSpec = existing
        ? { ...existing, locked: mode === 'locked' ? true : existing.locked }
        : { id, name: info.name, color: info.color ?? DEFAULT_COLORS[(id - 1) % DEFAULT_COLORS.length], locked: mode === 'locked' };
      if (existing) classes[classes.indexOf(existing)] = c;
      else classes.push(c);
      changed.push(c);
    }
    s.setClasses(classes);
    const version = s.applyLabelDiff({ indices, values });
    await s.flush();
    return { classes: changed, version, labeledVoxels: count, warnings };
  }

  async saveHead(volumeId: string, path: string, overwrite = false): Promise<{ path: string; classes: number[] }> {
    const json = this.engine.session(volumeId).currentHead();
    if (!json) throw new MedSegError('HEAD_INVALID', 'There is no trained model to save yet: paint at least two classes and wait for the result.');
    if (!overwrite && (await exists(path))) throw new MedSegError('FILE_EXISTS', `${path} already exists and was not overwritten.`, { path });
    const tmp = `${path}.${process.pid}.${Date.now()}.part`;
    try {
      await writeFile(tmp, json);
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw new MedSegError('WRITE_FAILED', `Could not write ${path}.`, { path, detail: String(e) });
    }
    return { path, classes: headFromJson(json).classes.filter((id) => id !== 0) };
  }

  async applyHead(volumeId: string, path: string): Promise<{ classes: ClassSpec[]; version: number }> {
    const s = this.engine.session(volumeId);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new MedSegError('FILE_NOT_FOUND', 'The model file could not be read.', { path, detail: String(e) });
    }
    const loaded = loadedHeadFromJson(text, path);
    const head = loaded.head;
    const backbone = this.engine.getSettings().backbone;
    const names = this.engine.sequences(volumeId).map((q) => q.name);
    // A combined study: the head must be a multi-sequence head that knows every sequence here (the update checks
    // again, as sequences may be added or renamed later); said now so that the user hears it when applying.
    if (names.length > 1) checkCarriedHead(loaded, names, backbone);
    else if (loaded.sequences) {
      throw new MedSegError('HEAD_MISMATCH', `This model was trained on several sequences together (${loaded.sequences.join(', ')}); add them to this study in the Sequences panel first, then apply it.`, { path });
    } else if (head.backbone.id !== backbone) {
      throw new MedSegError('HEAD_MISMATCH', `This model was trained on other features (${head.backbone.id}) than the ones selected (${backbone}). Choose the same feature type, then apply it again.`, { path });
    }
    const known = s.getClasses();
    const classes = head.classes.filter((id) => id !== 0).map((id) => known.find((c) => c.id === id) ?? { id, name: `Class ${id}`, color: DEFAULT_COLORS[(id - 1) % DEFAULT_COLORS.length] });
    const version = s.applyHead(text, classes);
    return { classes, version };
  }
}

async function looksLikeSeg(path: string): Promise<boolean> {
  if (/\.(nii|nii\.gz|nrrd|nhdr|mgz|mgh)$/i.test(path)) return false;
  try {
    const fh = await open(path, 'r');
    try {
      const b = Buffer.alloc(132);
      const { bytesRead } = await fh.read(b, 0, 132, 0);
      return bytesRead === 132 && b.toString('latin1', 128, 132) === 'DICM';
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}
