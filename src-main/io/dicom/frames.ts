/**
 * What one file contributes: its pixel format (ImageInfo) and one FrameInfo per frame with that frame's own
 * geometry and value transform. Enhanced multi-frame objects keep these in functional groups (per-frame first,
 * then shared); classic single-frame files keep them at the top level.
 */
import type { Vec3 } from '../../../src-shared';
import type { DicomDataset } from './dcmjs';
import { item, num, nums, seq, str, strs } from './dataset';

export interface ImageInfo {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  numberOfFrames: number;
  transferSyntax: string;
  /** Siemens mosaic: several slices tiled into one image. */
  mosaic: boolean;
  floatPixels: boolean;
}

export interface FrameInfo {
  file: string;
  /** 0-based frame index inside the file. */
  frame: number;
  position?: Vec3;
  /** Row direction then column direction (ImageOrientationPatient). */
  orientation?: [number, number, number, number, number, number];
  /** [row spacing (between rows), column spacing (between columns)] as in PixelSpacing. */
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  spacingBetweenSlices?: number;
  slope: number;
  intercept: number;
  windowCenter?: number;
  windowWidth?: number;
  sopInstanceUid?: string;
  instanceNumber?: number;
  /** Sort key that orders frames sharing one position into time points / stacks. */
  temporalKey: (number | string)[];
  /** Short text naming what distinguishes this frame's volume (e.g. a frame type), for split entries. */
  typeLabel?: string;
}

export function imageInfo(ds: DicomDataset, transferSyntax: string): ImageInfo | undefined {
  const rows = num(ds, 'Rows');
  const columns = num(ds, 'Columns');
  if (!rows || !columns) return undefined;
  const bitsAllocated = num(ds, 'BitsAllocated') ?? (ds.FloatPixelData !== undefined ? 32 : 16);
  const bitsStored = num(ds, 'BitsStored') ?? bitsAllocated;
  const imageType = strs(ds, 'ImageType').map((s) => s.toUpperCase());
  const frames = num(ds, 'NumberOfFrames');
  return {
    rows,
    columns,
    samplesPerPixel: num(ds, 'SamplesPerPixel') ?? 1,
    photometric: (str(ds, 'PhotometricInterpretation') ?? 'MONOCHROME2').toUpperCase(),
    bitsAllocated,
    bitsStored,
    highBit: num(ds, 'HighBit') ?? bitsStored - 1,
    pixelRepresentation: num(ds, 'PixelRepresentation') ?? 0,
    planarConfiguration: num(ds, 'PlanarConfiguration') ?? 0,
    numberOfFrames: frames !== undefined && frames >= 1 ? Math.floor(frames) : 1,
    transferSyntax,
    mosaic: imageType.includes('MOSAIC'),
    floatPixels: ds.FloatPixelData !== undefined || ds.DoubleFloatPixelData !== undefined,
  };
}

function vec3(v: number[] | undefined): Vec3 | undefined {
  return v && v.length >= 3 ? [v[0], v[1], v[2]] : undefined;
}

function orient(v: number[] | undefined): FrameInfo['orientation'] {
  return v && v.length >= 6 ? [v[0], v[1], v[2], v[3], v[4], v[5]] : undefined;
}

/** A functional-group attribute: the frame's own group first, then the shared one. */
function fg(perFrame: DicomDataset | undefined, shared: DicomDataset | undefined, seqName: string): DicomDataset | undefined {
  return item(perFrame, seqName) ?? item(shared, seqName);
}

function frameTypeOf(group: DicomDataset | undefined): string[] {
  if (!group) return [];
  for (const key of Object.keys(group)) {
    if (key.endsWith('FrameTypeSequence')) return strs(item(group, key), 'FrameType');
  }
  return [];
}

function timeValue(t: string | undefined): number | undefined {
  if (!t) return undefined;
  const n = Number(t.replace(/[^0-9.]/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

/** Frames of one file, in file order. */
export function frameInfos(ds: DicomDataset, path: string, info: ImageInfo): FrameInfo[] {
  const shared = item(ds, 'SharedFunctionalGroupsSequence');
  const perFrame = seq(ds, 'PerFrameFunctionalGroupsSequence');
  const enhanced = shared !== undefined || perFrame.length > 0;
  const topPosition = vec3(nums(ds, 'ImagePositionPatient'));
  const topOrientation = orient(nums(ds, 'ImageOrientationPatient'));
  const topSpacing = nums(ds, 'PixelSpacing') ?? nums(ds, 'ImagerPixelSpacing');
  const gridOffsets = nums(ds, 'GridFrameOffsetVector');
  const imageType = strs(ds, 'ImageType').map((s) => s.toUpperCase());
  const sop = str(ds, 'SOPInstanceUID');
  const instanceNumber = num(ds, 'InstanceNumber');
  const baseTemporal: (number | string)[] = [
    num(ds, 'TemporalPositionIdentifier') ?? 0,
    num(ds, 'AcquisitionNumber') ?? 0,
    timeValue(str(ds, 'AcquisitionTime')) ?? 0,
    num(ds, 'TriggerTime') ?? 0,
    num(ds, 'EchoNumbers') ?? 0,
  ];

  const out: FrameInfo[] = [];
  for (let f = 0; f < info.numberOfFrames; f++) {
    const pf = perFrame[f];
    let position = topPosition, orientation = topOrientation;
    let spacing = topSpacing;
    let thickness = num(ds, 'SliceThickness');
    let between = num(ds, 'SpacingBetweenSlices');
    let slope = num(ds, 'RescaleSlope') ?? 1;
    let intercept = num(ds, 'RescaleIntercept') ?? 0;
    let wc = num(ds, 'WindowCenter');
    let ww = num(ds, 'WindowWidth');
    let temporalKey = baseTemporal;
    let typeLabel = imageType.length > 2 ? imageType.slice(2).join('\\') : undefined;
    if (enhanced) {
      position = vec3(nums(fg(pf, shared, 'PlanePositionSequence'), 'ImagePositionPatient')) ?? (info.numberOfFrames === 1 ? position : undefined);
      orientation = orient(nums(fg(pf, shared, 'PlaneOrientationSequence'), 'ImageOrientationPatient')) ?? orientation;
      const pm = fg(pf, shared, 'PixelMeasuresSequence');
      spacing = nums(pm, 'PixelSpacing') ?? spacing;
      thickness = num(pm, 'SliceThickness') ?? thickness;
      between = num(pm, 'SpacingBetweenSlices') ?? between;
      const pvt = fg(pf, shared, 'PixelValueTransformationSequence');
      slope = num(pvt, 'RescaleSlope') ?? slope;
      intercept = num(pvt, 'RescaleIntercept') ?? intercept;
      const voi = fg(pf, shared, 'FrameVOILUTSequence');
      wc = num(voi, 'WindowCenter') ?? wc;
      ww = num(voi, 'WindowWidth') ?? ww;
      const content = item(pf, 'FrameContentSequence');
      const frameType = frameTypeOf(pf).length ? frameTypeOf(pf) : frameTypeOf(shared);
      if (frameType.length > 2) typeLabel = frameType.slice(2).join('\\');
      temporalKey = [
        num(content, 'TemporalPositionIndex') ?? 0,
        str(content, 'StackID') ?? '',
        typeLabel ?? '',
        timeValue(str(content, 'FrameAcquisitionDateTime')) ?? 0,
        f,
      ];
    } else if (info.numberOfFrames > 1) {
      // Classic multi-frame: frames are parallel planes at GridFrameOffsetVector (RT dose, some NM) or evenly
      // spaced from the first position; without either, frames stay in stored order (load warns).
      if (topPosition && topOrientation) {
        const n = normalOf(topOrientation);
        const d = gridOffsets && gridOffsets.length === info.numberOfFrames ? gridOffsets[f] : between !== undefined ? f * between : undefined;
        position = d === undefined ? undefined : [topPosition[0] + n[0] * d, topPosition[1] + n[1] * d, topPosition[2] + n[2] * d];
      } else position = undefined;
      temporalKey = [...baseTemporal, f];
    } else {
      temporalKey = [...baseTemporal, typeLabel ?? '', instanceNumber ?? 0];
    }
    out.push({
      file: path,
      frame: f,
      position,
      orientation,
      pixelSpacing: spacing && spacing.length >= 2 ? [spacing[0], spacing[1]] : undefined,
      sliceThickness: thickness,
      spacingBetweenSlices: between,
      slope,
      intercept,
      windowCenter: wc,
      windowWidth: ww,
      sopInstanceUid: sop,
      instanceNumber,
      temporalKey,
      typeLabel,
    });
  }
  return out;
}

export function normalOf(o: NonNullable<FrameInfo['orientation']>): Vec3 {
  const n: Vec3 = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
  const len = Math.hypot(n[0], n[1], n[2]) || 1;
  return [n[0] / len, n[1] / len, n[2] / len];
}
