/** JPEG bitstream helpers and the JPEG Lossless decoder (jpeg-lossless-decoder-js, loaded via createRequire). */
import { createRequire } from 'node:module';

/** Sample precision from the first SOF marker, or undefined when there is none. */
export function jpegPrecision(b: Uint8Array): number | undefined {
  let o = 2;
  while (o + 4 < b.length) {
    if (b[o] !== 0xff) { o++; continue; }
    const m = b[o + 1];
    if (m === 0xff) { o++; continue; }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return b[o + 4];
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { o += 2; continue; }
    o += 2 + ((b[o + 2] << 8) | b[o + 3]);
  }
  return undefined;
}

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): Uint8Array | Uint16Array;
}

let Ctor: (new () => LosslessDecoder) | undefined;

export function decodeJpegLossless(encoded: Uint8Array, bytesPerSample: number): Uint8Array {
  if (!Ctor) {
    const require = createRequire(import.meta.url);
    Ctor = (require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder }).Decoder;
  }
  const copy = encoded.slice().buffer;
  const out = new Ctor().decode(copy, 0, copy.byteLength, bytesPerSample);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
