/**
 * One frame's encoded pixels → its decoded sample bytes, whatever the transfer syntax. Native syntaxes are
 * sliced from the pixel data; compressed ones go through the codec for their syntax. Values are interpreted
 * (bits stored, sign, colour, rescale) later, in pixels.ts.
 */
import { MedSegError } from '../../../src-shared';
import type { DicomDataset } from './dcmjs';
import { pixelBuffers } from './dataset';
import type { ImageInfo } from './frames';
import { TS, TS_NAMES, isNativeSyntax } from './uids';
import { decodeRle } from './codecs/rle';
import { decodeJpegLossless, jpegPrecision } from './codecs/jpeg';
import { charls, libjpegTurbo, openJpeg, runWasm } from './codecs/wasm';

export interface DecodedFrame {
  bytes: Uint8Array;
  /** 1, 2 or 4 for integers; 4 or 8 with `float`. */
  bytesPerSample: number;
  littleEndian: boolean;
  /** Colour samples stored plane by plane (RRR…GGG…BBB…) rather than interleaved. */
  planar: boolean;
  /** Colour model of 3-sample data after decoding ('ybr' means channel 0 is already luminance). */
  color: 'mono' | 'rgb' | 'ybr';
  float?: boolean;
  samples: number;
}

function concat(parts: ArrayBuffer[]): Uint8Array {
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(new Uint8Array(p), o); o += p.byteLength; }
  return out;
}

function startsFrame(b: Uint8Array, ts: string): boolean {
  if (ts === TS.j2k || ts === TS.j2kLossless) {
    return (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51) || (b[4] === 0x6a && b[5] === 0x50 && b[6] === 0x20 && b[7] === 0x20);
  }
  if (ts === TS.rle) return false;
  return b[0] === 0xff && b[1] === 0xd8; // JPEG family: SOI
}

/**
 * dcmjs gives one buffer per frame when the basic offset table is filled, else one buffer per fragment.
 * Regroup fragments into frames by each codec's start-of-image marker.
 */
export function encapsulatedFrames(buffers: ArrayBuffer[], nFrames: number, ts: string, path: string): Uint8Array[] {
  if (buffers.length === nFrames) return buffers.map((b) => new Uint8Array(b));
  if (nFrames === 1 && buffers.length > 1) return [concat(buffers)];
  if (buffers.length > nFrames) {
    const groups: ArrayBuffer[][] = [];
    for (const b of buffers) {
      if (groups.length === 0 || startsFrame(new Uint8Array(b, 0, Math.min(8, b.byteLength)), ts)) groups.push([b]);
      else groups[groups.length - 1].push(b);
    }
    if (groups.length === nFrames) return groups.map(concat);
  }
  throw new MedSegError(buffers.length < nFrames ? 'FILE_TRUNCATED' : 'DICOM_DECODE_FAILED',
    buffers.length < nFrames ? 'Some image frames are missing from this file; it may be cut short.' : 'The compressed image frames in this file cannot be told apart.',
    { path, detail: `${buffers.length} fragments for ${nFrames} frames (${TS_NAMES[ts] ?? ts})` });
}

function colorOf(info: ImageInfo): DecodedFrame['color'] {
  if (info.samplesPerPixel < 3) return 'mono';
  return info.photometric.startsWith('YBR') ? 'ybr' : 'rgb';
}

function nativeFrame(ds: DicomDataset, info: ImageInfo, frame: number, path: string): DecodedFrame {
  const littleEndian = info.transferSyntax !== TS.explicitBE;
  const pixels = info.rows * info.columns;
  if (info.floatPixels) {
    const key = ds.FloatPixelData !== undefined ? 'FloatPixelData' : 'DoubleFloatPixelData';
    const bps = key === 'FloatPixelData' ? 4 : 8;
    const all = concat(pixelBuffers({ PixelData: ds[key] }));
    const len = pixels * bps;
    if (all.length < (frame + 1) * len) throw new MedSegError('FILE_TRUNCATED', 'The image data in this file is cut short.', { path, detail: `${all.length} bytes for frame ${frame + 1}` });
    return { bytes: all.subarray(frame * len, (frame + 1) * len), bytesPerSample: bps, littleEndian, planar: false, color: 'mono', float: true, samples: 1 };
  }
  const all = concat(pixelBuffers(ds));
  if (all.length === 0) throw new MedSegError('DICOM_MISSING_PIXELS', 'This DICOM file has no image data.', { path });
  const samples = info.samplesPerPixel;
  if (info.bitsAllocated === 1) {
    // Bit-packed (e.g. binary masks): frames are contiguous in bits, not bytes.
    const bitStart = frame * pixels * samples;
    const out = new Uint8Array(pixels * samples);
    if (all.length * 8 < bitStart + out.length) throw new MedSegError('FILE_TRUNCATED', 'The image data in this file is cut short.', { path });
    for (let i = 0; i < out.length; i++) { const b = bitStart + i; out[i] = (all[b >> 3] >> (b & 7)) & 1; }
    return { bytes: out, bytesPerSample: 1, littleEndian: true, planar: info.planarConfiguration === 1, color: colorOf(info), samples };
  }
  if (![8, 16, 32].includes(info.bitsAllocated)) {
    throw new MedSegError('UNSUPPORTED_DATATYPE', `Images with ${info.bitsAllocated} bits per pixel are not supported.`, { path });
  }
  const bps = info.bitsAllocated / 8;
  const len = pixels * samples * bps;
  if (all.length < (frame + 1) * len) {
    throw new MedSegError('FILE_TRUNCATED', 'The image data in this file is cut short; it may have been copied incompletely.', { path, detail: `pixel data has ${all.length} bytes, frame ${frame + 1} needs ${(frame + 1) * len}` });
  }
  return { bytes: all.subarray(frame * len, (frame + 1) * len), bytesPerSample: bps, littleEndian, planar: info.planarConfiguration === 1, color: colorOf(info), samples };
}

function checkSize(w: number, h: number, info: ImageInfo, path: string): void {
  if (w !== info.columns || h !== info.rows) {
    throw new MedSegError('DICOM_DECODE_FAILED', 'The compressed image has a different size than the file says.', { path, detail: `decoded ${w}×${h}, header ${info.columns}×${info.rows}` });
  }
}

async function compressedFrame(ds: DicomDataset, info: ImageInfo, frame: number, path: string): Promise<DecodedFrame> {
  const ts = info.transferSyntax;
  const frames = encapsulatedFrames(pixelBuffers(ds), info.numberOfFrames, ts, path);
  const enc = frames[frame];
  const samples = info.samplesPerPixel;
  const pixels = info.rows * info.columns;
  if (ts === TS.rle) {
    const bps = Math.max(1, info.bitsAllocated / 8);
    return { bytes: decodeRle(enc, info.rows, info.columns, samples, bps), bytesPerSample: bps, littleEndian: true, planar: true, color: colorOf(info), samples };
  }
  if (ts === TS.jpegLossless57 || ts === TS.jpegLossless70) {
    const bps = info.bitsAllocated > 8 ? 2 : 1;
    const bytes = decodeJpegLossless(enc, bps);
    if (bytes.length !== pixels * samples * bps) throw new MedSegError('DICOM_DECODE_FAILED', 'The JPEG Lossless image has a different size than the file says.', { path, detail: `${bytes.length} bytes decoded` });
    return { bytes, bytesPerSample: bps, littleEndian: true, planar: false, color: samples >= 3 ? 'rgb' : 'mono', samples };
  }
  if (ts === TS.jpegBaseline || ts === TS.jpegExtended) {
    const precision = jpegPrecision(enc);
    if (precision !== undefined && precision > 8) {
      throw new MedSegError('DICOM_UNSUPPORTED_SYNTAX', `This image uses ${precision}-bit lossy JPEG compression, which this version cannot decode. Export the series uncompressed or lossless and try again.`, { path, detail: `${TS_NAMES[ts]} (${ts}), precision ${precision}` });
    }
    const { bytes, info: fi } = await runWasm(libjpegTurbo(), enc);
    checkSize(fi.width, fi.height, info, path);
    return { bytes, bytesPerSample: 1, littleEndian: true, planar: false, color: fi.componentCount >= 3 ? 'rgb' : 'mono', samples: fi.componentCount };
  }
  if (ts === TS.jpegLsLossless || ts === TS.jpegLsNear) {
    const { bytes, info: fi, interleave } = await runWasm(charls(), enc);
    checkSize(fi.width, fi.height, info, path);
    const bps = bytes.length / (pixels * fi.componentCount);
    return { bytes, bytesPerSample: bps, littleEndian: true, planar: fi.componentCount > 1 && interleave === 0, color: fi.componentCount >= 3 ? colorOf(info) : 'mono', samples: fi.componentCount };
  }
  if (ts === TS.j2k || ts === TS.j2kLossless) {
    const { bytes, info: fi } = await runWasm(openJpeg(), enc);
    checkSize(fi.width, fi.height, info, path);
    const bps = bytes.length / (pixels * fi.componentCount);
    // OpenJPEG undoes the JPEG 2000 colour transform itself, so 3 components come out as RGB.
    return { bytes, bytesPerSample: bps, littleEndian: true, planar: false, color: fi.componentCount >= 3 ? 'rgb' : 'mono', samples: fi.componentCount };
  }
  throw new MedSegError('DICOM_UNSUPPORTED_SYNTAX', `This image is stored with ${TS_NAMES[ts] ?? 'an unsupported'} compression, which this version cannot decode.`, { path, detail: `transfer syntax ${ts}` });
}

/** Decode one frame. Throws MedSegError (codec failures become DICOM_DECODE_FAILED). */
export async function decodeFrame(ds: DicomDataset, info: ImageInfo, frame: number, path: string): Promise<DecodedFrame> {
  try {
    const out = isNativeSyntax(info.transferSyntax) ? nativeFrame(ds, info, frame, path) : await compressedFrame(ds, info, frame, path);
    if (![1, 2, 4, 8].includes(out.bytesPerSample)) {
      throw new MedSegError('DICOM_DECODE_FAILED', 'The decoded image has an unexpected sample size.', { path, detail: `bytes per sample ${out.bytesPerSample}` });
    }
    return out;
  } catch (e) {
    if (e instanceof MedSegError) throw e;
    const detail = e instanceof Error ? e.message : typeof e === 'number' ? `codec error ${e}` : String(e);
    throw new MedSegError('DICOM_DECODE_FAILED', `The compressed image (${TS_NAMES[info.transferSyntax] ?? info.transferSyntax}) could not be decoded; the file may be damaged.`, { path, detail, cause: e });
  }
}
