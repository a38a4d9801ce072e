/**
 * Lazy, once-per-process loading of the Cornerstone WASM codecs (emscripten factories). Their Node builds are
 * CommonJS and find their .wasm next to themselves via __dirname, so we load them with createRequire; the
 * factory is called once and the module promise cached. Their stdout chatter ([INFO] lines) is silenced.
 */
import { createRequire } from 'node:module';

export interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

/** The shape shared by J2KDecoder, JpegLSDecoder and JPEGDecoder. */
export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CodecFrameInfo;
  getInterleaveMode?(): number;
  delete(): void;
}

type DecoderCtor = new () => WasmDecoder;
type Factory = (opts: { print: (s: string) => void; printErr: (s: string) => void }) => Promise<Record<string, unknown>>;

const cache = new Map<string, Promise<DecoderCtor>>();

function load(modulePath: string, className: string): Promise<DecoderCtor> {
  let p = cache.get(modulePath);
  if (!p) {
    p = (async () => {
      const require = createRequire(import.meta.url);
      const factory = require(modulePath) as Factory;
      const quiet = () => {};
      const mod = await factory({ print: quiet, printErr: quiet });
      const ctor = mod[className];
      if (typeof ctor !== 'function') throw new Error(`${modulePath} has no ${className}`);
      return ctor as DecoderCtor;
    })();
    // A failed load must not poison the cache for the rest of the session.
    p.catch(() => cache.delete(modulePath));
    cache.set(modulePath, p);
  }
  return p;
}

export const openJpeg = () => load('@cornerstonejs/codec-openjpeg/decodewasmjs', 'J2KDecoder');
export const charls = () => load('@cornerstonejs/codec-charls/decodewasmjs', 'JpegLSDecoder');
export const libjpegTurbo = () => load('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', 'JPEGDecoder');

/** Run one decoder over one encoded frame; the output is copied out of WASM memory before the decoder is freed. */
export async function runWasm(ctorP: Promise<DecoderCtor>, encoded: Uint8Array): Promise<{ bytes: Uint8Array; info: CodecFrameInfo; interleave?: number }> {
  const Ctor = await ctorP;
  const dec = new Ctor();
  try {
    dec.getEncodedBuffer(encoded.length).set(encoded);
    dec.decode();
    const info = dec.getFrameInfo();
    const interleave = dec.getInterleaveMode ? dec.getInterleaveMode() : undefined;
    const bytes = new Uint8Array(dec.getDecodedBuffer());
    return { bytes, info: { ...info }, interleave };
  } finally {
    dec.delete();
  }
}
