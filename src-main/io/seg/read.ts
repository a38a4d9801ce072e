/**
 * DICOM SEG import: binary, fractional and the Label Map SEG class (1.2.840.10008.5.1.4.1.1.66.7), overlapping
 * segments included. Frames are placed on the target grid through world coordinates (each frame's position and
 * orientation), so a SEG lands where it was drawn whatever the frame order.
 */
import { readFile } from 'node:fs/promises';
import { MedSegError, worldToIndexMatrix, type Grid, type Vec3, type VolumeMeta } from '../../../src-shared';
import { dicomLabToRgb } from './codes';
import { dcmjsSeg, type Naturalized } from './dcmjs-seg';

export const LABELMAP_SEG_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.7';

export interface SegSegmentInfo {
  number: number;
  label: string;
  color?: [number, number, number];
  category?: string;
  type?: string;
}

interface SegFrame {
  /** Segment number for binary/fractional frames; undefined for label-map frames (values are segment numbers). */
  segment?: number;
  position: Vec3;
  rowDir: Vec3;
  colDir: Vec3;
  data: Uint8Array | Uint16Array; // rows*cols
}

export interface SegObject {
  rows: number;
  cols: number;
  pixelSpacing: [number, number]; // [between rows, between columns]
  segments: SegSegmentInfo[];
  frames: SegFrame[];
  referencedSeriesUid?: string;
  frameOfReferenceUid?: string;
  seriesDescription?: string;
  isLabelMap: boolean;
}

type Seq = Naturalized[] | Naturalized | undefined;
const first = (s: Seq): Naturalized | undefined => (Array.isArray(s) ? s[0] : s);
const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : v === undefined ? [] : [Number(v)]);

function fail(path: string, why: string): never {
  throw new MedSegError('DICOM_INVALID', `This file is not a readable DICOM segmentation: ${why}.`, { path });
}

export async function readSegFile(path: string): Promise<SegObject> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new MedSegError('FILE_NOT_FOUND', 'The segmentation file could not be read.', { path, detail: String(e) });
  }
  if (buf.length === 0) throw new MedSegError('FILE_EMPTY', 'The segmentation file is empty (0 bytes).', { path });
  const api = dcmjsSeg().data;
  let ds: Naturalized;
  try {
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    ds = api.DicomMetaDictionary.naturalizeDataset(api.DicomMessage.readFile(ab, { ignoreErrors: true }).dict);
  } catch (e) {
    throw new MedSegError('DICOM_INVALID', 'This file is not a readable DICOM file.', { path, detail: String(e) });
  }
  return parseSeg(ds, path);
}

export function parseSeg(ds: Naturalized, path = ''): SegObject {
  const sop = String(ds.SOPClassUID ?? '');
  const isLabelMap = sop === LABELMAP_SEG_SOP_CLASS || ds.SegmentationType === 'LABELMAP';
  if (ds.Modality !== 'SEG' && !isLabelMap && sop !== '1.2.840.10008.5.1.4.1.1.66.4') {
    throw new MedSegError('NOT_AN_IMAGE', 'This DICOM file is not a segmentation (SEG) object.', { path });
  }
  const rows = Number(ds.Rows), cols = Number(ds.Columns);
  const nFrames = Number(ds.NumberOfFrames ?? 1);
  if (!(rows > 0 && cols > 0 && nFrames > 0)) fail(path, 'rows, columns or number of frames missing');
  const bits = Number(ds.BitsAllocated);
  const segType = String(ds.SegmentationType ?? (isLabelMap ? 'LABELMAP' : 'BINARY'));

  const shared = first(ds.SharedFunctionalGroupsSequence as Seq) ?? {};
  const perFrame = (ds.PerFrameFunctionalGroupsSequence as Naturalized[] | undefined) ?? [];
  const sharedIop = nums(first(shared.PlaneOrientationSequence as Seq)?.ImageOrientationPatient);
  const sharedPm = first(shared.PixelMeasuresSequence as Seq);
  const sharedSeg = first(shared.SegmentIdentificationSequence as Seq)?.ReferencedSegmentNumber;

  const segments: SegSegmentInfo[] = ((ds.SegmentSequence as Naturalized[] | Naturalized | undefined) ? ([] as Naturalized[]).concat(ds.SegmentSequence as Naturalized) : []).map((s) => {
    const lab = nums(s.RecommendedDisplayCIELabValue);
    return {
      number: Number(s.SegmentNumber),
      label: String(s.SegmentLabel ?? `Segment ${s.SegmentNumber}`),
      color: lab.length === 3 ? dicomLabToRgb(lab) : undefined,
      category: String(first(s.SegmentedPropertyCategoryCodeSequence as Seq)?.CodeMeaning ?? ''),
      type: String(first(s.SegmentedPropertyTypeCodeSequence as Seq)?.CodeMeaning ?? ''),
    };
  });

  // Pixel data: dcmjs gives one ArrayBuffer (native) per value; binary frames are bit-packed back to back.
  let pd = ds.PixelData as ArrayBuffer | ArrayBuffer[] | undefined;
  if (Array.isArray(pd)) pd = pd.length === 1 ? pd[0] : (concat(pd) as unknown as ArrayBuffer);
  if (!pd) fail(path, 'it has no pixel data');
  const bytes = new Uint8Array(pd as ArrayBuffer);
  const frameLen = rows * cols;

  const frames: SegFrame[] = [];
  for (let f = 0; f < nFrames; f++) {
    const pf = perFrame[f] ?? {};
    const iop = nums(first(pf.PlaneOrientationSequence as Seq)?.ImageOrientationPatient);
    const o = iop.length === 6 ? iop : sharedIop;
    const pos = nums(first(pf.PlanePositionSequence as Seq)?.ImagePositionPatient);
    if (o.length !== 6 || pos.length !== 3) fail(path, `frame ${f + 1} has no position or orientation`);
    const segNo = first(pf.SegmentIdentificationSequence as Seq)?.ReferencedSegmentNumber ?? sharedSeg;
    let data: Uint8Array | Uint16Array;
    if (bits === 1) {
      data = new Uint8Array(frameLen);
      const base = f * frameLen;
      if ((base + frameLen + 7) >> 3 > bytes.length) fail(path, 'its pixel data is shorter than its frames');
      for (let p = 0; p < frameLen; p++) {
        const bit = base + p;
        data[p] = (bytes[bit >> 3] >> (bit & 7)) & 1;
      }
    } else if (bits === 8) {
      if ((f + 1) * frameLen > bytes.length) fail(path, 'its pixel data is shorter than its frames');
      data = bytes.slice(f * frameLen, (f + 1) * frameLen);
      if (segType === 'FRACTIONAL') {
        const max = Number(ds.MaximumFractionalValue ?? 255);
        for (let p = 0; p < frameLen; p++) data[p] = data[p] * 2 >= max ? 1 : 0;
      }
    } else if (bits === 16 && isLabelMap) {
      if ((f + 1) * frameLen * 2 > bytes.length) fail(path, 'its pixel data is shorter than its frames');
      data = new Uint16Array(bytes.slice(f * frameLen * 2, (f + 1) * frameLen * 2).buffer);
    } else {
      throw new MedSegError('UNSUPPORTED_DATATYPE', `This segmentation stores ${bits}-bit ${segType} frames, which are not supported.`, { path });
    }
    if (isLabelMap && ds.PixelPaddingValue !== undefined) {
      // Label-map SEGs may mark "no segment" with a padding value instead of 0.
      const pad = Number(ds.PixelPaddingValue);
      for (let p = 0; p < frameLen; p++) if (data[p] === pad) data[p] = 0;
    }
    frames.push({
      segment: isLabelMap ? undefined : Number(segNo ?? 1),
      position: pos as Vec3,
      rowDir: o.slice(0, 3) as Vec3,
      colDir: o.slice(3, 6) as Vec3,
      data,
    });
  }
  const ps = nums(first(perFrame[0]?.PixelMeasuresSequence as Seq)?.PixelSpacing ?? sharedPm?.PixelSpacing);
  if (ps.length !== 2) fail(path, 'its pixel spacing is missing');
  const refSeries = first(ds.ReferencedSeriesSequence as Seq)?.SeriesInstanceUID;
  return {
    rows,
    cols,
    pixelSpacing: [ps[0], ps[1]],
    segments,
    frames,
    referencedSeriesUid: refSeries ? String(refSeries) : undefined,
    frameOfReferenceUid: ds.FrameOfReferenceUID ? String(ds.FrameOfReferenceUID) : undefined,
    seriesDescription: ds.SeriesDescription ? String(ds.SeriesDescription) : undefined,
    isLabelMap,
  };
}

function concat(parts: ArrayBuffer[]): ArrayBufferLike {
  const n = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out.buffer;
}

export interface SegOnGrid {
  segments: SegSegmentInfo[];
  /** One binary mask per segment number (overlaps preserved). */
  masks: Map<number, Uint8Array>;
  /** Combined map of segment numbers (a later segment wins where segments overlap). */
  labels: Uint8Array;
  /** Voxels that belong to more than one segment. */
  overlapVoxels: number;
  warnings: string[];
}

/**
 * Place a SEG on a target grid through world coordinates. Refuses a SEG made on another series (typed
 * GRID_MISMATCH) unless `allowOtherSeries`, and one whose frames fall outside the target.
 */
export function segToGrid(seg: SegObject, target: Grid & { meta?: VolumeMeta }, opts: { allowOtherSeries?: boolean } = {}): SegOnGrid {
  const warnings: string[] = [];
  const tSeries = target.meta?.seriesInstanceUid;
  if (!opts.allowOtherSeries && seg.referencedSeriesUid && tSeries && seg.referencedSeriesUid !== tSeries) {
    throw new MedSegError(
      'GRID_MISMATCH',
      'This segmentation was made on a different series than the one open. Open the series it refers to, or import it anyway to place it by position.',
      { detail: `SEG references series ${seg.referencedSeriesUid}; open series is ${tSeries}` },
    );
  }
  const tFor = target.meta?.frameOfReferenceUid;
  if (seg.frameOfReferenceUid && tFor && seg.frameOfReferenceUid !== tFor) {
    warnings.push('The segmentation and the image have different frames of reference; it was placed by position, which assumes the scanner coordinates agree.');
  }
  const [nx, ny, nz] = target.dims;
  const n = nx * ny * nz;
  const m = worldToIndexMatrix(target);
  const masks = new Map<number, Uint8Array>();
  const maskFor = (s: number) => {
    let mk = masks.get(s);
    if (!mk) masks.set(s, (mk = new Uint8Array(n)));
    return mk;
  };
  let outside = 0;
  let offSlice = 0;
  const [dr, dc] = seg.pixelSpacing;
  for (const fr of seg.frames) {
    // index of pixel (r=0,c=0) and the index steps per column and per row
    const p0 = fr.position;
    const stepC: Vec3 = [fr.rowDir[0] * dc, fr.rowDir[1] * dc, fr.rowDir[2] * dc];
    const stepR: Vec3 = [fr.colDir[0] * dr, fr.colDir[1] * dr, fr.colDir[2] * dr];
    const tx = (v: Vec3, w: number) => [
      m[0] * v[0] + m[1] * v[1] + m[2] * v[2] + m[3] * w,
      m[4] * v[0] + m[5] * v[1] + m[6] * v[2] + m[7] * w,
      m[8] * v[0] + m[9] * v[1] + m[10] * v[2] + m[11] * w,
    ];
    const i0 = tx(p0, 1), ic = tx(stepC, 0), ir = tx(stepR, 0);
    if (Math.abs(i0[2] - Math.round(i0[2])) > 0.25 && Math.abs(ic[2]) < 1e-6 && Math.abs(ir[2]) < 1e-6) offSlice++;
    for (let r = 0; r < seg.rows; r++) {
      for (let c = 0; c < seg.cols; c++) {
        const v = fr.data[r * seg.cols + c];
        if (!v) continue;
        const i = Math.round(i0[0] + ic[0] * c + ir[0] * r);
        const j = Math.round(i0[1] + ic[1] * c + ir[1] * r);
        const k = Math.round(i0[2] + ic[2] * c + ir[2] * r);
        if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) {
          outside++;
          continue;
        }
        const s = fr.segment ?? v;
        maskFor(s)[i + j * nx + k * nx * ny] = 1;
      }
    }
  }
  if (outside > 0) warnings.push(`${outside} segmented pixels lie outside the open image and were left out.`);
  if (offSlice > 0) warnings.push(`${offSlice} segmentation frames lie between image slices and were placed on the nearest slice.`);
  if (masks.size === 0 && outside > 0) {
    throw new MedSegError('NO_OVERLAP', 'This segmentation lies entirely outside the open image.');
  }
  const labels = new Uint8Array(n);
  let overlapVoxels = 0;
  const order = [...masks.keys()].sort((a, b) => a - b);
  for (const s of order) {
    const mk = masks.get(s)!;
    for (let p = 0; p < n; p++) {
      if (mk[p]) {
        if (labels[p]) overlapVoxels++;
        labels[p] = Math.min(s, 255);
      }
    }
  }
  if (overlapVoxels > 0) warnings.push(`${overlapVoxels} voxels belong to more than one segment; the combined map shows the higher-numbered segment there, and each segment keeps its full extent.`);
  return { segments: seg.segments, masks, labels, overlapVoxels, warnings };
}
