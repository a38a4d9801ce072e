/**
 * HTTP(S) download to a `.part` file that survives interruptions: a later call asks for the rest with an HTTP
 * Range request and appends (a server that ignores Range answers 200 and the file starts over). Uses Node's
 * built-in fetch (it follows redirects such as Hugging Face's CDN hop).
 */
import { open, stat } from 'node:fs/promises';
import { MedSegError } from '../../../src-shared';

export interface DownloadProgress {
  received: number;
  /** Total size when the server says it. */
  total?: number;
  /** Bytes that were already on disk from an earlier, interrupted download. */
  resumedFrom: number;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function failed(url: string, why: string, e?: unknown): MedSegError {
  return new MedSegError('DOWNLOAD_FAILED', `The model download failed: ${why}. Try again; it will continue where it stopped.`, {
    detail: `${url}${e ? `: ${e instanceof Error ? `${e.message}${(e as { cause?: unknown }).cause ? ` (${String((e as { cause?: unknown }).cause)})` : ''}` : String(e)}` : ''}`,
    cause: e,
  });
}

/** Download url into partPath (resuming what is there). Returns the final size. */
export async function downloadResumable(url: string, partPath: string, opts: DownloadOptions = {}): Promise<number> {
  let start = await sizeOf(partPath);
  let res: Response;
  try {
    res = await fetch(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {}, signal: opts.signal, redirect: 'follow' });
  } catch (e) {
    if (opts.signal?.aborted) throw new MedSegError('CANCELLED', 'The model download was cancelled.');
    throw failed(url, 'the server could not be reached', e);
  }
  let total: number | undefined;
  if (res.status === 416 && start > 0) {
    // Nothing left to send: the part file is already complete when the server's size equals ours.
    const m = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
    await res.body?.cancel();
    if (m && Number(m[1]) === start) return start;
    start = 0;
    return downloadResumable(url, partPath, opts);
  }
  if (res.status === 206) {
    const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== start) {
      await res.body?.cancel();
      throw failed(url, 'the server resumed at the wrong place', res.headers.get('content-range'));
    }
    total = m[2] === '*' ? undefined : Number(m[2]);
  } else if (res.status === 200) {
    start = 0; // server ignored the Range header: start over
    const len = res.headers.get('content-length');
    total = len ? Number(len) : undefined;
  } else {
    await res.body?.cancel();
    throw failed(url, `the server answered ${res.status} ${res.statusText}`);
  }
  if (!res.body) throw failed(url, 'the server sent no data');

  const file = await open(partPath, start > 0 ? 'a' : 'w');
  let received = start;
  opts.onProgress?.({ received, total, resumedFrom: start });
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await file.write(value);
      received += value.byteLength;
      opts.onProgress?.({ received, total, resumedFrom: start });
    }
  } catch (e) {
    if (opts.signal?.aborted) throw new MedSegError('CANCELLED', 'The model download was cancelled; it will continue where it stopped next time.');
    throw failed(url, `the connection broke after ${received} bytes`, e);
  } finally {
    await file.close(); // what arrived stays on disk for the next attempt
  }
  if (total !== undefined && received !== total) throw failed(url, `only ${received} of ${total} bytes arrived`);
  return received;
}
