/**
 * DICOM RLE Lossless (PS3.5 Annex G). Hand-written: it is a 64-byte header plus PackBits, and no maintained
 * npm package decodes it outside a viewer stack. Output is little-endian, one plane per sample (RLE stores
 * segments by sample, then by byte significance, most significant first).
 */
import { MedSegError } from '../../../../src-shared';

export function decodeRle(encoded: Uint8Array, rows: number, columns: number, samples: number, bytesPerSample: number): Uint8Array {
  const pixels = rows * columns;
  const dv = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  if (encoded.length < 64) throw new MedSegError('DICOM_DECODE_FAILED', 'The compressed (RLE) image data is damaged.', { detail: 'RLE header shorter than 64 bytes' });
  const nSeg = dv.getUint32(0, true);
  if (nSeg !== samples * bytesPerSample) {
    throw new MedSegError('DICOM_DECODE_FAILED', 'The compressed (RLE) image data does not match the image description.', { detail: `RLE has ${nSeg} segments, expected ${samples * bytesPerSample}` });
  }
  const out = new Uint8Array(pixels * samples * bytesPerSample);
  for (let s = 0; s < nSeg; s++) {
    const start = dv.getUint32(4 + 4 * s, true);
    const end = s + 1 < nSeg ? dv.getUint32(8 + 4 * s, true) : encoded.length;
    const sample = Math.floor(s / bytesPerSample);
    const byteIndex = bytesPerSample - 1 - (s % bytesPerSample); // segment 0 = most significant byte
    const planeBase = sample * pixels * bytesPerSample;
    let o = start, px = 0;
    while (o < end && px < pixels) {
      const n = (encoded[o++] << 24) >> 24; // signed header byte
      if (n >= 0) {
        for (let i = 0; i <= n && px < pixels && o < end; i++) out[planeBase + (px++) * bytesPerSample + byteIndex] = encoded[o++];
      } else if (n !== -128) {
        const v = encoded[o++];
        for (let i = 0; i < 1 - n && px < pixels; i++) out[planeBase + (px++) * bytesPerSample + byteIndex] = v;
      }
    }
    if (px < pixels) throw new MedSegError('DICOM_DECODE_FAILED', 'The compressed (RLE) image data is cut short.', { detail: `segment ${s} decoded ${px} of ${pixels} pixels` });
  }
  return out;
}
