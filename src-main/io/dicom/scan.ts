/**
 * Files → series entries. Image frames are grouped by SeriesInstanceUID (or, when UIDs are empty, by frame of
 * reference + orientation + size + description), then by geometry (one orientation and matrix size per
 * volume), then split where positions repeat (time points, echoes, or image types stored in one series).
 * Non-image objects (SEG, RTSTRUCT, SR, RT plan/dose…) are listed one per file and never opened as images.
 */
import { MedSegError, toMedSegError, orientationLetter, type MedSegErrorInfo, type Vec3, type VolumeMeta } from '../../../src-shared';
import type { SeriesEntry } from '../types';
import type { DicomDataset } from './dcmjs';
import { num, nums, str } from './dataset';
import { frameInfos, imageInfo, normalOf, type FrameInfo, type ImageInfo } from './frames';
import { SAME_POSITION_MM, hasGeometry, sliceDistance, stackGeometry } from './geometry';
import { readDicomFile, type ParsedDicom } from './parse';
import { classify } from './uids';

/** The series-level identity of a DICOM series: the Volume's metadata fields plus the modality. */
export type SeriesInfo = Pick<VolumeMeta,
  'patientName' | 'patientId' | 'studyInstanceUid' | 'studyDate' | 'studyDescription' | 'seriesInstanceUid' |
  'seriesDescription' | 'seriesNumber' | 'frameOfReferenceUid' | 'sopClassUid'> & { modality: string };

/** What load() needs, kept in SeriesEntry.handle (memory only). */
export interface DicomImageHandle {
  type: 'dicom-image';
  /** Frames in k order. */
  frames: FrameInfo[];
  images: Record<string, ImageInfo>;
  series: SeriesInfo;
}

export interface DicomObjectHandle {
  type: 'dicom-object';
  sopClassUid?: string;
}

export function isImageHandle(h: unknown): h is DicomImageHandle {
  return typeof h === 'object' && h !== null && (h as { type?: unknown }).type === 'dicom-image' && Array.isArray((h as { frames?: unknown }).frames);
}

function seriesInfo(p: ParsedDicom): SeriesInfo {
  const ds = p.dataset;
  return {
    patientName: str(ds, 'PatientName'),
    patientId: str(ds, 'PatientID'),
    studyInstanceUid: str(ds, 'StudyInstanceUID'),
    studyDate: str(ds, 'StudyDate'),
    studyDescription: str(ds, 'StudyDescription'),
    seriesInstanceUid: str(ds, 'SeriesInstanceUID'),
    seriesDescription: str(ds, 'SeriesDescription'),
    seriesNumber: num(ds, 'SeriesNumber'),
    frameOfReferenceUid: str(ds, 'FrameOfReferenceUID'),
    sopClassUid: str(ds, 'SOPClassUID') ?? str(p.meta, 'MediaStorageSOPClassUID'),
    modality: (str(ds, 'Modality') ?? 'OT').toUpperCase(),
  };
}

const r3 = (v: number) => (Math.round(v * 1000) / 1000).toFixed(3);

/** Series key; when UIDs are empty (anonymised exports) geometry and description stand in for the UID. */
function seriesKey(ds: DicomDataset, s: SeriesInfo, info: ImageInfo): string {
  if (s.seriesInstanceUid) return `uid:${s.seriesInstanceUid}`;
  const iop = nums(ds, 'ImageOrientationPatient')?.map(r3).join(',') ?? '';
  return `geom:${s.frameOfReferenceUid ?? ''}|${iop}|${info.rows}x${info.columns}|${s.seriesDescription ?? ''}|${s.studyInstanceUid ?? ''}`;
}

function geometryKey(f: FrameInfo, info: ImageInfo): string {
  const o = f.orientation ? f.orientation.map(r3).join(',') : 'none';
  return `${o}|${info.rows}x${info.columns}|${info.samplesPerPixel}`;
}

function compareKeys(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0, y = b[i] ?? 0;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

function describe(s: SeriesInfo): string {
  if (s.seriesDescription) return s.seriesDescription;
  const n = s.seriesNumber !== undefined ? ` ${s.seriesNumber}` : '';
  return `${s.modality} series${n}`;
}

const KIND_LABEL: Record<string, string> = { seg: 'Segmentation', rtstruct: 'RT structure set', other: 'Non-image object' };

/** Split frames sharing positions into volumes: the t-th frame (in temporal order) at each position → volume t. */
function splitRepeated(frames: FrameInfo[]): { volumes: FrameInfo[][]; positions: number } | { error: string } {
  if (!frames.every(hasGeometry)) return { volumes: [frames], positions: frames.length };
  const normal = normalOf(frames[0].orientation!);
  const byDistance = frames.map((f) => ({ f, d: sliceDistance(f, normal) })).sort((a, b) => a.d - b.d);
  const clusters: FrameInfo[][] = [];
  let last = -Infinity;
  for (const { f, d } of byDistance) {
    if (d - last >= SAME_POSITION_MM || clusters.length === 0) clusters.push([f]);
    else clusters[clusters.length - 1].push(f);
    last = d;
  }
  const counts = new Set(clusters.map((c) => c.length));
  if (counts.size > 1) {
    const list = [...counts].sort((a, b) => a - b).join(', ');
    return { error: `${clusters.length} slice positions hold different numbers of images (${list}), so the series cannot be split into complete volumes` };
  }
  const n = clusters[0].length;
  if (n === 1) return { volumes: [frames], positions: clusters.length };
  const volumes: FrameInfo[][] = Array.from({ length: n }, () => []);
  for (const c of clusters) {
    c.sort((a, b) => compareKeys(a.temporalKey, b.temporalKey));
    c.forEach((f, t) => volumes[t].push(f));
  }
  return { volumes, positions: clusters.length };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => { while (next < items.length) { const i = next++; out[i] = await fn(items[i]); } };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface ImageFile { path: string; info: ImageInfo; frames: FrameInfo[]; series: SeriesInfo; key: string; mosaic: boolean; notes: string[] }

export async function scanDicom(files: string[]): Promise<{ entries: SeriesEntry[]; errors: MedSegErrorInfo[] }> {
  const errors: MedSegErrorInfo[] = [];
  const entries: SeriesEntry[] = [];
  const parsed = await mapLimit(files, 8, async (path) => {
    try {
      return await readDicomFile(path, true);
    } catch (e) {
      const err = toMedSegError(e, 'DICOM_INVALID', 'This DICOM file could not be read.');
      errors.push({ ...err.toJSON(), path: err.path ?? path });
      return undefined;
    }
  });

  const imageFiles: ImageFile[] = [];
  // The same SOP instance found twice (copies, or one image saved in several encodings) is one image.
  const seenSop = new Map<string, string>();
  const duplicates = new Map<string, string[]>();
  for (const p of parsed) {
    if (!p) continue;
    const s = seriesInfo(p);
    const info = imageInfo(p.dataset, p.transferSyntax);
    const hasPixels = p.dataset.PixelData !== undefined || p.dataset.FloatPixelData !== undefined || p.dataset.DoubleFloatPixelData !== undefined;
    const kind = classify(s.sopClassUid, s.modality, hasPixels && info !== undefined);
    if (kind !== 'image' || !info) {
      entries.push({
        id: `dicom:${kind}:${str(p.dataset, 'SOPInstanceUID') ?? str(p.meta, 'MediaStorageSOPInstanceUID') ?? p.path}`,
        format: 'dicom', kind, description: s.seriesDescription ?? KIND_LABEL[kind] ?? s.modality, modality: s.modality,
        files: [p.path], frameCount: num(p.dataset, 'NumberOfFrames'),
        patientName: s.patientName, patientId: s.patientId, studyInstanceUid: s.studyInstanceUid, seriesInstanceUid: s.seriesInstanceUid,
        warnings: [...p.notes], handle: { type: 'dicom-object', sopClassUid: s.sopClassUid } satisfies DicomObjectHandle,
      });
      continue;
    }
    const key = seriesKey(p.dataset, s, info);
    const sop = str(p.dataset, 'SOPInstanceUID');
    if (sop) {
      if (seenSop.has(sop)) {
        duplicates.set(key, [...(duplicates.get(key) ?? []), p.path]);
        continue;
      }
      seenSop.set(sop, p.path);
    }
    imageFiles.push({ path: p.path, info, frames: frameInfos(p.dataset, p.path, info), series: s, key, mosaic: info.mosaic, notes: p.notes });
  }

  const bySeries = new Map<string, ImageFile[]>();
  for (const f of imageFiles) {
    const list = bySeries.get(f.key) ?? [];
    list.push(f);
    bySeries.set(f.key, list);
  }

  for (const [key, group] of bySeries) {
    const images: Record<string, ImageInfo> = {};
    const byGeometry = new Map<string, FrameInfo[]>();
    for (const f of group) {
      images[f.path] = f.info;
      for (const fr of f.frames) {
        const g = geometryKey(fr, f.info);
        const list = byGeometry.get(g) ?? [];
        list.push(fr);
        byGeometry.set(g, list);
      }
    }
    const series = group[0].series;
    const seriesWarnings: string[] = [...new Set(group.flatMap((f) => f.notes))];
    const dup = duplicates.get(key);
    if (dup) seriesWarnings.push(`${dup.length} file(s) repeat images already found (same SOP Instance UID) and were ignored: ${dup.slice(0, 3).map((d) => d.split(/[\\/]/).pop()).join(', ')}${dup.length > 3 ? ', …' : ''}.`);
    if (byGeometry.size > 1) seriesWarnings.push(`This series mixes ${byGeometry.size} different orientations or image sizes; each is listed as its own volume.`);
    for (const [gkey, frames] of byGeometry) {
      const split = splitRepeated(frames);
      const firstFile = frames[0].file;
      if ('error' in split) {
        errors.push(new MedSegError('DICOM_4D', `“${describe(series)}” has repeated slice positions that do not form complete volumes, so it cannot be opened.`, { path: firstFile, detail: split.error }).toJSON());
        continue;
      }
      const nVol = split.volumes.length;
      const labels = split.volumes.map((v) => v[0].typeLabel ?? '');
      const distinctLabels = new Set(labels).size === nVol;
      split.volumes.forEach((vol, t) => {
        const info = images[vol[0].file];
        const warnings = [...seriesWarnings];
        let description = describe(series);
        if (byGeometry.size > 1 && vol[0].orientation) {
          const n = normalOf(vol[0].orientation);
          description += ` (${orientationLetter(n as Vec3)} ${info.columns}×${info.rows})`;
        }
        if (nVol > 1) {
          const what = distinctLabels ? `image type ${labels[t]}` : `time point ${t + 1} of ${nVol}`;
          description += distinctLabels ? ` (${labels[t]})` : ` (time point ${t + 1} of ${nVol})`;
          warnings.push(`This series holds ${nVol} images at each of its ${split.positions} slice positions; it was split into ${nVol} volumes. This one is ${what}.`);
        }
        let ordered = vol;
        try {
          ordered = stackGeometry(vol, series.modality).frames;
        } catch (e) {
          errors.push({ ...toMedSegError(e).toJSON(), path: firstFile });
          return;
        }
        if (ordered.some((f) => images[f.file]?.mosaic)) {
          warnings.push('This is a Siemens mosaic: several slices are tiled in one image. It is shown as a single 2D image, not as a volume.');
        }
        const filesInOrder = [...new Set(ordered.map((f) => f.file))];
        entries.push({
          id: `dicom:${key}|${gkey}|${t}`,
          format: 'dicom', kind: 'image', description, modality: series.modality,
          files: filesInOrder, dims: [info.columns, info.rows, ordered.length], frameCount: ordered.length,
          patientName: series.patientName, patientId: series.patientId, studyInstanceUid: series.studyInstanceUid, seriesInstanceUid: series.seriesInstanceUid,
          warnings, handle: { type: 'dicom-image', frames: ordered, images, series } satisfies DicomImageHandle,
          ...(nVol > 1 && !distinctLabels ? { timePoints: nVol } : {}),
        });
      });
    }
  }
  entries.sort((a, b) => (a.studyInstanceUid ?? '').localeCompare(b.studyInstanceUid ?? '') || a.description.localeCompare(b.description, undefined, { numeric: true }) || a.id.localeCompare(b.id));
  return { entries, errors };
}
