/**
 * The stroke journal: an append-only log of label diffs, each record checksummed, made durable (fsync) before the
 * edit is acknowledged. Several pending diffs share one write + one fsync (group commit), so fast painting does
 * not wait on the disk once per stroke.
 *
 * Record layout (little endian): magic u32 'MSJ1' | payload length u32 | crc32(payload) u32 | payload
 * payload: version u32 | n u32 | indices u32[n] | values u8[n]
 * A crash can leave a torn last record; readers stop at the first record that does not check out.
 *
 * Hand-written because no maintained npm package offers a small fsync'd append log for binary records; the
 * format is ~40 lines and fully tested by the SIGKILL test.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { LabelDiff } from '../../../src-shared';
import { writeError } from './atomic';

const MAGIC = 0x314a534d; // 'MSJ1'
const HEADER = 12;

export interface JournalRecord extends LabelDiff {
  version: number;
}

export function encodeRecord(r: JournalRecord): Buffer {
  const n = r.indices.length;
  const payloadLen = 8 + n * 4 + n;
  const buf = Buffer.alloc(HEADER + payloadLen);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(payloadLen, 4);
  buf.writeUInt32LE(r.version, HEADER);
  buf.writeUInt32LE(n, HEADER + 4);
  const idx = new Uint32Array(n);
  idx.set(r.indices);
  Buffer.from(idx.buffer, idx.byteOffset, n * 4).copy(buf, HEADER + 8);
  Buffer.from(r.values.buffer, r.values.byteOffset, n).copy(buf, HEADER + 8 + n * 4);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)) >>> 0, 8);
  return buf;
}

/** Parse every intact record; `validBytes` is where the first torn/corrupt record starts (or the end). */
export function decodeJournal(buf: Buffer): { records: JournalRecord[]; validBytes: number; damaged: boolean } {
  const records: JournalRecord[] = [];
  let off = 0;
  while (off + HEADER <= buf.length) {
    if (buf.readUInt32LE(off) !== MAGIC) break;
    const len = buf.readUInt32LE(off + 4);
    if (len < 8 || off + HEADER + len > buf.length) break;
    const payload = buf.subarray(off + HEADER, off + HEADER + len);
    if ((crc32(payload) >>> 0) !== buf.readUInt32LE(off + 8)) break;
    const version = payload.readUInt32LE(0);
    const n = payload.readUInt32LE(4);
    if (8 + n * 5 !== len) break;
    const indices = new Uint32Array(n);
    Buffer.from(indices.buffer).set(payload.subarray(8, 8 + n * 4));
    const values = new Uint8Array(payload.subarray(8 + n * 4, 8 + n * 5));
    records.push({ version, indices, values });
    off += HEADER + len;
  }
  return { records, validBytes: off, damaged: off !== buf.length };
}

export class JournalWriter {
  private pending: { rec: Buffer; resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Records whose write failed (disk full…): kept in order and written first next time, so none is skipped. */
  private unwritten: Buffer[] = [];
  private flushing: Promise<void> | null = null;
  private constructor(private fh: FileHandle, private offset: number, readonly path: string) {}

  static async open(path: string, validBytes: number): Promise<JournalWriter> {
    const fh = await open(path, 'a+');
    // Drop a torn tail left by a crash so new records follow the last intact one.
    const st = await fh.stat();
    if (st.size !== validBytes) await fh.truncate(validBytes);
    return new JournalWriter(fh, validBytes, path);
  }

  /** Resolves once the record is on disk. */
  append(rec: JournalRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ rec: encodeRecord(rec), resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const bytes = Buffer.concat([...this.unwritten, ...batch.map((b) => b.rec)]);
      try {
        // write() may be short (e.g. the disk fills mid-record): loop until every byte is down or it throws.
        for (let done = 0; done < bytes.length; ) {
          const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, this.offset + done);
          if (bytesWritten <= 0) throw Object.assign(new Error('no bytes written'), { code: 'ENOSPC' });
          done += bytesWritten;
        }
        await this.fh.datasync();
        this.offset += bytes.length;
        this.unwritten = [];
        for (const b of batch) b.resolve();
      } catch (e) {
        // Roll back a partial write so the journal stays a clean sequence of whole records.
        await this.fh.truncate(this.offset).catch(() => undefined);
        const err = writeError(e, this.path);
        this.unwritten.push(...batch.map((b) => b.rec));
        for (const b of batch) b.reject(err);
      }
    }
    this.flushing = null;
  }

  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    await this.idle();
    await this.fh.close();
  }
}
