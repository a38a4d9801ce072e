/**
 * File bytes for the single-file formats (NIfTI, NRRD, MGH): reading with typed errors, gzip, and turning raw
 * sample bytes into typed arrays with the right endianness. node built-ins only.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { constants as zc, createGunzip, gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { MedSegError, arrayForType, type ErrorCode, type VoxelArray, type VoxelType } from '../../src-shared';

const gunzipAsync = promisify(gunzip);

export const BYTES_PER_SAMPLE: Record<VoxelType, number> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8,
};

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function fsError(e: unknown, path: string): MedSegError {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return new MedSegError('FILE_NOT_FOUND', `The file ${path} does not exist.`, { path, cause: e });
  if (code === 'EISDIR') return new MedSegError('FILE_UNREADABLE', `${path} is a folder, not a file.`, { path, cause: e });
  return new MedSegError('FILE_UNREADABLE', `The file ${path} could not be read.`, { path, detail: String((e as Error)?.message ?? e), cause: e });
}

/** Whole file; FILE_EMPTY for zero bytes. */
export async function readWholeFile(path: string): Promise<Buffer> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw fsError(e, path);
  }
  if (buf.length === 0) throw new MedSegError('FILE_EMPTY', `The file ${path} is empty (0 bytes).`, { path });
  return buf;
}

/** Up to n raw bytes from the start of a file. */
export async function readHeadBytes(path: string, n: number): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, 'r');
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } catch (e) {
    throw fsError(e, path);
  } finally {
    await fh?.close();
  }
}

export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    throw fsError(e, path);
  }
}

/**
 * Decompress as much of a gzip prefix as possible (for sniffing and header peeks): a partial stream is not an
 * error here, garbage gives an empty result.
 */
export function gunzipPrefix(head: Uint8Array): Uint8Array {
  try {
    return gunzipSync(head, { finishFlush: zc.Z_SYNC_FLUSH });
  } catch {
    return new Uint8Array(0);
  }
}

/** The first bytes of a file's content, transparently gunzipped (header peeks without reading the volume). */
export async function readContentHead(path: string, rawBytes = 16384): Promise<Uint8Array> {
  const head = await readHeadBytes(path, rawBytes);
  return isGzip(head) ? gunzipPrefix(head) : head;
}

/** Gunzip a whole file's bytes off the main thread; a cut-off stream is FILE_TRUNCATED. */
export async function gunzipFile(buf: Uint8Array, path: string, invalidCode: ErrorCode): Promise<Buffer> {
  try {
    return await gunzipAsync(buf);
  } catch (e) {
    const zcode = (e as { code?: string }).code;
    if (zcode === 'Z_BUF_ERROR' || /unexpected end/i.test(String((e as Error)?.message))) {
      throw new MedSegError('FILE_TRUNCATED', `The compressed file ${path} is incomplete (cut off); it may still be copying or the download failed.`, { path, detail: String((e as Error)?.message), cause: e });
    }
    throw new MedSegError(invalidCode, `The compressed data in ${path} is damaged and cannot be decompressed.`, { path, detail: String((e as Error)?.message), cause: e });
  }
}

/** Whole file content, gunzipped when it is gzip (streamed, so the compressed file is never held whole). */
export async function readContent(path: string, invalidCode: ErrorCode): Promise<Uint8Array> {
  const head = await readHeadBytes(path, 2);
  if (head.length === 0) throw new MedSegError('FILE_EMPTY', `The file ${path} is empty (0 bytes).`, { path });
  return isGzip(head) ? gunzipFileStreaming(path, invalidCode) : readWholeFile(path);
}

/**
 * Stream-decompress into one buffer sized from the gzip trailer (ISIZE = uncompressed size mod 2^32): peak
 * memory is the decompressed size, not 2× (zlib's one-shot gunzip concatenates a list of chunks at the end).
 */
export async function gunzipFileStreaming(path: string, invalidCode: ErrorCode): Promise<Uint8Array> {
  const size = await fileSize(path);
  let out = new Uint8Array(0);
  if (size >= 18) {
    let fh;
    try {
      fh = await open(path, 'r');
      const t = Buffer.alloc(4);
      await fh.read(t, 0, 4, size - 4);
      // deflate cannot expand more than ~1032:1, so a larger ISIZE (a cut-off file's last bytes) is not trusted
      out = new Uint8Array(Math.min(t.readUInt32LE(0), size * 1032));
    } finally {
      await fh?.close();
    }
  }
  let used = 0;
  await new Promise<void>((resolveP, reject) => {
    const z = createGunzip();
    const src = createReadStream(path);
    src.on('error', reject);
    z.on('data', (chunk: Buffer) => {
      if (used + chunk.length > out.length) {
        // the trailer under-reports (files over 4 GiB, several gzip members): grow
        const bigger = new Uint8Array(Math.max(out.length * 2, used + chunk.length));
        bigger.set(out.subarray(0, used));
        out = bigger;
      }
      out.set(chunk, used);
      used += chunk.length;
    });
    z.on('end', () => resolveP());
    z.on('error', (e: Error & { code?: string }) => {
      src.destroy();
      if (e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message)) {
        reject(new MedSegError('FILE_TRUNCATED', `The compressed file ${path} is incomplete (cut off); it may still be copying or the download failed.`, { path, detail: e.message, cause: e }));
      } else reject(new MedSegError(invalidCode, `The compressed data in ${path} is damaged and cannot be decompressed.`, { path, detail: e.message, cause: e }));
    });
    src.pipe(z);
  });
  return used === out.length ? out : out.subarray(0, used);
}

/**
 * n samples of `type` starting at `offset`. Aligned little-endian data on a little-endian host is viewed
 * without copying (volumes are large; a copy doubles peak memory); otherwise copied and byte-swapped.
 */
export function decodeSamples(buf: Uint8Array, offset: number, type: VoxelType, n: number, littleEndian: boolean, path: string): VoxelArray {
  const bps = BYTES_PER_SAMPLE[type];
  const need = offset + n * bps;
  if (offset < 0 || need > buf.length) {
    throw new MedSegError('FILE_TRUNCATED', `The file ${path} is shorter than its header says: the image needs ${need} bytes but only ${buf.length} are there.`, { path });
  }
  const start = buf.byteOffset + offset;
  if (littleEndian && start % bps === 0) return viewAs(type, buf.buffer as ArrayBuffer, start, n);
  const out = arrayForType(type, n);
  const ob = new Uint8Array(out.buffer, out.byteOffset, n * bps);
  ob.set(buf.subarray(offset, need));
  if (!littleEndian && bps > 1) swapInPlace(ob, bps);
  return out;
}

function viewAs(t: VoxelType, b: ArrayBuffer, off: number, n: number): VoxelArray {
  switch (t) {
    case 'uint8': return new Uint8Array(b, off, n);
    case 'int8': return new Int8Array(b, off, n);
    case 'uint16': return new Uint16Array(b, off, n);
    case 'int16': return new Int16Array(b, off, n);
    case 'uint32': return new Uint32Array(b, off, n);
    case 'int32': return new Int32Array(b, off, n);
    case 'float32': return new Float32Array(b, off, n);
    case 'float64': return new Float64Array(b, off, n);
  }
}

export function swapInPlace(b: Uint8Array, bps: number): void {
  for (let p = 0; p + bps <= b.length; p += bps) {
    for (let a = p, z = p + bps - 1; a < z; a++, z--) {
      const t = b[a];
      b[a] = b[z];
      b[z] = t;
    }
  }
}

/** Bytes of a typed array as little-endian (this project only runs on little-endian hosts; asserted here). */
export function littleEndianBytes(a: VoxelArray): Uint8Array {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('big-endian hosts are not supported');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
