/**
 * Slice geometry of a stack of frames: order along the slice normal (never file name or InstanceNumber),
 * k spacing from the positions (never SliceThickness), and warnings for anything irregular.
 */
import { MedSegError, cross, dot, fromColumns, normalize, type Mat3, type Vec3 } from '../../../src-shared';
import { normalOf, type FrameInfo } from './frames';

export interface StackGeometry {
  frames: FrameInfo[];
  origin: Vec3;
  spacing: Vec3;
  direction: Mat3;
  warnings: string[];
}

/** Positions closer than this along the normal are the same slice (DS values carry ~1e-4 mm rounding). */
export const SAME_POSITION_MM = 0.01;

export function hasGeometry(f: FrameInfo): boolean {
  return f.position !== undefined && f.orientation !== undefined;
}

export function sliceDistance(f: FrameInfo, normal: Vec3): number {
  return f.position ? dot(f.position, normal) : 0;
}

function fmt(n: number): string {
  return (Math.round(n * 1000) / 1000).toString();
}

function inPlaneSpacing(f: FrameInfo, warnings: string[]): [number, number] {
  const ps = f.pixelSpacing;
  if (ps && ps[0] > 0 && ps[1] > 0) return [ps[1], ps[0]]; // PixelSpacing is [between rows, between columns]
  warnings.push('The file gives no pixel size; 1 mm pixels are assumed, so distances and volumes are not calibrated.');
  return [1, 1];
}

/** Sort frames and derive the grid. The frames must share one orientation and have distinct positions. */
export function stackGeometry(input: FrameInfo[], modality: string): StackGeometry {
  const warnings: string[] = [];
  const first = input[0];
  const [si, sj] = inPlaneSpacing(first, warnings);
  const fallbackK = first.spacingBetweenSlices ?? first.sliceThickness;

  if (!input.every(hasGeometry)) {
    const frames = [...input].sort((a, b) => (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0) || a.frame - b.frame);
    const sk = fallbackK && fallbackK > 0 ? fallbackK : 1;
    if (frames.length > 1) {
      warnings.push(`The images have no patient position, so their order follows the instance numbers and a slice spacing of ${fmt(sk)} mm is assumed. Orientation and distances may be wrong.`);
    } else if (modality !== 'OT' && modality !== 'SC') {
      warnings.push('The image has no patient position or orientation; it is shown as a single slice in a default orientation.');
    } else {
      warnings.push('This is a secondary-capture image without patient geometry; it is shown as a single slice in a default orientation.');
    }
    const o = first.orientation;
    const row = o ? normalize([o[0], o[1], o[2]]) : ([1, 0, 0] as Vec3);
    const col = o ? normalize([o[3], o[4], o[5]]) : ([0, 1, 0] as Vec3);
    return { frames, origin: first.position ?? [0, 0, 0], spacing: [si, sj, sk], direction: fromColumns(row, col, cross(row, col)), warnings };
  }

  const o = first.orientation!;
  const row = normalize([o[0], o[1], o[2]]);
  const col = normalize([o[3], o[4], o[5]]);
  const normal = normalOf(o);
  if (Math.abs(dot(row, col)) > 1e-3) warnings.push('The row and column directions in this file are not perpendicular; the orientation may be imprecise.');
  const direction = fromColumns(row, col, normal);
  const frames = [...input].sort((a, b) => sliceDistance(a, normal) - sliceDistance(b, normal));
  const origin = [...frames[0].position!] as Vec3;

  if (frames.length === 1) {
    const sk = fallbackK && fallbackK > 0 ? fallbackK : 1;
    warnings.push(`Single-slice image: the slice thickness (${fmt(sk)} mm) is used as the spacing along the third axis.`);
    return { frames, origin, spacing: [si, sj, sk], direction, warnings };
  }

  const d = frames.map((f) => sliceDistance(f, normal));
  const gaps = d.slice(1).map((v, i) => v - d[i]);
  if (gaps.some((g) => g < SAME_POSITION_MM)) {
    throw new MedSegError('DICOM_4D', 'Several images of this series lie at the same position, so it cannot be shown as one volume.', { detail: 'duplicate slice positions in one stack' });
  }
  const sk = (d[d.length - 1] - d[0]) / (frames.length - 1);
  const sorted = [...gaps].sort((a, b) => a - b);
  const typical = sorted[Math.floor(sorted.length / 2)];
  const tol = Math.max(SAME_POSITION_MM, 0.01 * typical);
  if (gaps.some((g) => Math.abs(g - typical) > tol)) {
    const missing = gaps.filter((g) => g > 1.5 * typical).length;
    warnings.push(missing > 0
      ? `Slices appear to be missing: ${missing} gap(s) are larger than the usual ${fmt(typical)} mm spacing. The volume uses an average spacing of ${fmt(sk)} mm, so positions near the gaps are shifted.`
      : `Slice spacing is irregular (from ${fmt(sorted[0])} to ${fmt(sorted[sorted.length - 1])} mm); the volume uses the average ${fmt(sk)} mm, so some slices are slightly misplaced.`);
  }
  // Gantry tilt / shear: later slices are offset within the plane, which a plain grid cannot represent.
  const last = frames[frames.length - 1].position!;
  const along = d[d.length - 1] - d[0];
  const off: Vec3 = [last[0] - origin[0] - normal[0] * along, last[1] - origin[1] - normal[1] * along, last[2] - origin[2] - normal[2] * along];
  const shear = Math.hypot(off[0], off[1], off[2]);
  if (shear > Math.max(0.05, 0.01 * Math.abs(along))) {
    warnings.push(`The slices are sheared (e.g. gantry tilt): the last slice is offset by ${fmt(shear)} mm within its plane. The volume is shown without tilt correction.`);
  }
  return { frames, origin, spacing: [si, sj, sk], direction, warnings };
}
