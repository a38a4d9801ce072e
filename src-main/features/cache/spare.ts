/**
 * One spare zeroed Float32Array whose memory pages are already mapped, made on a libuv thread pool thread.
 * Why: a voxel-resolution feature slice is large (512² voxels × 48 channels × 4 B = 50 MB), such allocations are
 * fresh mmap'd pages, and faulting them in on first write took 45–85 ms here — as long as the upsampling itself.
 * Reading /dev/zero into the array makes the kernel map the pages on a thread pool thread, while the main thread
 * is busy (e.g. blocked in the model's run). Buffers handed out are never taken back (callers may keep them), so
 * there is no reuse, only the page faults moved off the critical path. Without /dev/zero (Windows) the spare is
 * simply a plain allocation.
 */
import { open } from 'node:fs/promises';

const CHUNK = 1 << 26;

export class SpareBuffer {
  private spare: Float32Array | undefined;
  private pending: Promise<void> | undefined;

  /** Start preparing a spare of `length` floats unless one of that size is ready or being prepared. */
  prepare(length: number): Promise<void> {
    if (this.pending) return this.pending;
    if (this.spare?.length === length) return Promise.resolve();
    const buf = new Float32Array(length);
    const p = faultIn(buf).then(() => {
      this.spare = buf;
    }).finally(() => {
      if (this.pending === p) this.pending = undefined;
    });
    this.pending = p;
    return p;
  }

  /**
   * A zeroed array of `length` floats: the prepared spare when it is ready and fits, else a new one. Taking the
   * spare starts preparing the next one, for the next slice.
   */
  take(length: number): Float32Array {
    const s = this.spare;
    if (s && s.length === length) {
      this.spare = undefined;
      void this.prepare(length);
      return s;
    }
    return new Float32Array(length);
  }

  dispose(): void {
    this.spare = undefined;
  }
}

/** Fill with zeros from /dev/zero on the thread pool (maps every page); a no-op where there is no /dev/zero. */
async function faultIn(a: Float32Array): Promise<void> {
  let fh;
  try {
    fh = await open('/dev/zero', 'r');
  } catch {
    return;
  }
  try {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let off = 0; off < bytes.length;) {
      const { bytesRead } = await fh.read(bytes, off, Math.min(CHUNK, bytes.length - off), null);
      if (bytesRead <= 0) break;
      off += bytesRead;
    }
  } catch {
    // The array is still zeroed (fresh allocation, and /dev/zero only writes zeros): only the head start is lost.
  } finally {
    await fh.close();
  }
}
