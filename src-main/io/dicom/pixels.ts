/**
 * Decoded sample bytes → real values: bits-stored masking and sign extension, colour → luminance,
 * MONOCHROME1 inversion, then the modality rescale (slope/intercept; HU for CT).
 */
import type { DecodedFrame } from './decode';
import type { ImageInfo } from './frames';

export interface FrameTransform {
  slope: number;
  intercept: number;
  /** Invert MONOCHROME1 so that high values are bright, as for every other image. */
  invert: boolean;
  /** Data was sliced from native pixel data (where bits above HighBit may carry overlays). */
  native: boolean;
}

export interface ValueStats { min: number; max: number; integral: boolean }

function sampleReader(f: DecodedFrame): (i: number) => number {
  const b = f.bytes;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = f.littleEndian;
  if (f.float) return f.bytesPerSample === 4 ? (i) => dv.getFloat32(i * 4, le) : (i) => dv.getFloat64(i * 8, le);
  switch (f.bytesPerSample) {
    case 1: return (i) => b[i];
    case 2: return le ? (i) => b[2 * i] | (b[2 * i + 1] << 8) : (i) => (b[2 * i] << 8) | b[2 * i + 1];
    default: return (i) => dv.getUint32(i * 4, le);
  }
}

/** Write one frame's values into out[offset … offset+rows·columns) and return their range. */
export function frameValues(f: DecodedFrame, info: ImageInfo, t: FrameTransform, out: Float32Array, offset: number): ValueStats {
  const pixels = info.rows * info.columns;
  const read = sampleReader(f);
  const containerBits = f.bytesPerSample * 8;
  const bitsStored = f.float ? 0 : Math.min(info.bitsStored || containerBits, containerBits);
  const shift = !f.float && t.native ? Math.max(0, Math.min(info.highBit + 1 - bitsStored, containerBits - bitsStored)) : 0;
  const full = bitsStored >= 32;
  const mask = full ? 0xffffffff : 2 ** bitsStored - 1;
  const signed = info.pixelRepresentation === 1;
  const signBit = 2 ** (bitsStored - 1);
  const range = 2 ** bitsStored;
  const invertSum = signed ? -1 : mask; // min + max of the stored range
  const stored = (raw: number): number => {
    if (f.float) return raw;
    let v = full ? raw : ((raw >>> shift) & mask) >>> 0;
    if (signed && v >= signBit) v -= range;
    return v;
  };

  const samples = f.samples;
  const colour = samples >= 3;
  if (!colour && !f.float && f.bytesPerSample <= 2 && (f.littleEndian || f.bytesPerSample === 1)) {
    return monoFast(f, pixels, { shift, mask, signed, signBit, range, invertSum }, t, out, offset);
  }
  const { slope, intercept, invert } = t;
  let min = Infinity, max = -Infinity, integral = Number.isInteger(slope) && Number.isInteger(intercept) && !f.float;
  for (let i = 0; i < pixels; i++) {
    let v: number;
    if (!colour) v = stored(read(i));
    else if (f.color === 'ybr') v = stored(read(f.planar ? i : i * samples));
    else {
      const r = stored(read(f.planar ? i : i * samples));
      const g = stored(read(f.planar ? pixels + i : i * samples + 1));
      const b = stored(read(f.planar ? 2 * pixels + i : i * samples + 2));
      v = 0.299 * r + 0.587 * g + 0.114 * b;
    }
    if (invert && !f.float) v = invertSum - v;
    v = v * slope + intercept;
    out[offset + i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (colour && f.color === 'rgb') integral = false;
  return { min, max, integral };
}

interface BitLayout { shift: number; mask: number; signed: boolean; signBit: number; range: number; invertSum: number }

/** The common case (grey 8/16-bit little-endian) without per-sample closures: ~10× faster on 512² slices. */
function monoFast(f: DecodedFrame, pixels: number, b: BitLayout, t: FrameTransform, out: Float32Array, offset: number): ValueStats {
  const bytes = f.bytes;
  const src = f.bytesPerSample === 1
    ? bytes
    : bytes.byteOffset % 2 === 0
      ? new Uint16Array(bytes.buffer, bytes.byteOffset, pixels)
      : new Uint16Array(bytes.slice(0, pixels * 2).buffer);
  const { shift, mask, signed, signBit, range, invertSum } = b;
  const { slope, intercept, invert } = t;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < pixels; i++) {
    let v = (src[i] >>> shift) & mask;
    if (signed && v >= signBit) v -= range;
    if (invert) v = invertSum - v;
    const r = v * slope + intercept;
    out[offset + i] = r;
    if (r < min) min = r;
    if (r > max) max = r;
  }
  return { min, max, integral: Number.isInteger(slope) && Number.isInteger(intercept) };
}
