/**
 * A DICOMweb client: browse studies (QIDO-RS), fetch a series (WADO-RS) with progress, store objects (STOW-RS).
 * Plain fetch (Node 20 / Electron main), basic or bearer authentication. Retrieved instances are written to a
 * folder and then opened by the ordinary DICOM reader, so a PACS series behaves exactly like files on disk.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MedSegError, type PacsSeries, type PacsStudy } from '../../../src-shared';
import { boundaryOf, buildMultipart, MultipartParser } from './multipart';

export type DicomWebAuth = { type: 'none' } | { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string };

export interface DicomWebConfig {
  /** e.g. http://127.0.0.1:8042/dicom-web */
  baseUrl: string;
  auth?: DicomWebAuth;
  /** Milliseconds before a request with no answer is abandoned. */
  timeoutMs?: number;
}

/** Results use the contract's types, so the PACS service hands them to the page unchanged. */
export type StudySummary = PacsStudy;
export type SeriesSummary = PacsSeries;

type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

function str(ds: DicomJson, tag: string): string {
  const v = ds[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && v !== null && 'Alphabetic' in v) return String((v as { Alphabetic: string }).Alphabetic);
  return String(v);
}
function num(ds: DicomJson, tag: string): number | undefined {
  const v = ds[tag]?.Value?.[0];
  return v === undefined ? undefined : Number(v);
}

export class DicomWebClient {
  private readonly base: string;
  constructor(private readonly cfg: DicomWebConfig) {
    this.base = cfg.baseUrl.replace(/\/+$/, '');
  }

  private headers(accept: string, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { Accept: accept, ...extra };
    const a = this.cfg.auth;
    if (a?.type === 'basic') h.Authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
    if (a?.type === 'bearer') h.Authorization = `Bearer ${a.token}`;
    return h;
  }

  private async request(path: string, init: { method?: string; accept: string; body?: Buffer; contentType?: string; signal?: AbortSignal }): Promise<Response> {
    const url = `${this.base}${path}`;
    const timeout = AbortSignal.timeout(this.cfg.timeoutMs ?? 30_000);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(url, {
        method: init.method ?? 'GET',
        headers: this.headers(init.accept, init.contentType ? { 'Content-Type': init.contentType } : {}),
        body: init.body ? new Uint8Array(init.body.buffer as ArrayBuffer, init.body.byteOffset, init.body.byteLength) : undefined,
        signal,
      });
    } catch (e) {
      if (init.signal?.aborted) throw new MedSegError('CANCELLED', 'The transfer was cancelled.');
      throw new MedSegError('SERVER_UNREACHABLE', `The image server at ${this.base} does not answer. Check the address and that the server is running; nothing was changed.`, { detail: String((e as Error)?.cause ?? e) });
    }
    if (res.status === 401 || res.status === 403) {
      throw new MedSegError('UNAUTHORIZED', `The image server refused the login (HTTP ${res.status}). Check the user name and password or token in the server settings.`);
    }
    if (!res.ok && res.status !== 204) {
      const text = await res.text().catch(() => '');
      throw new MedSegError('DOWNLOAD_FAILED', `The image server answered with an error (HTTP ${res.status}).`, { detail: text.slice(0, 500) });
    }
    return res;
  }

  private async json(path: string): Promise<DicomJson[]> {
    const res = await this.request(path, { accept: 'application/dicom+json' });
    if (res.status === 204) return [];
    const text = await res.text();
    if (!text.trim()) return [];
    try {
      return JSON.parse(text) as DicomJson[];
    } catch {
      throw new MedSegError('DOWNLOAD_FAILED', 'The image server sent an answer that is not DICOM JSON.', { detail: text.slice(0, 200) });
    }
  }

  async searchStudies(query: Record<string, string> = {}): Promise<StudySummary[]> {
    const q = new URLSearchParams({ includefield: '00081030,00080061,00201206', ...query }).toString();
    return (await this.json(`/studies?${q}`)).map((d) => ({
      studyInstanceUid: str(d, '0020000D'),
      patientName: str(d, '00100010'),
      patientId: str(d, '00100020'),
      studyDate: str(d, '00080020'),
      description: str(d, '00081030'),
      modalities: (d['00080061']?.Value ?? []).map(String),
      seriesCount: num(d, '00201206'),
    }));
  }

  async searchSeries(studyUid: string): Promise<SeriesSummary[]> {
    const q = new URLSearchParams({ includefield: '0008103E,00201209' }).toString();
    return (await this.json(`/studies/${encodeURIComponent(studyUid)}/series?${q}`)).map((d) => ({
      studyInstanceUid: studyUid,
      seriesInstanceUid: str(d, '0020000E'),
      modality: str(d, '00080060'),
      description: str(d, '0008103E'),
      seriesNumber: num(d, '00200011'),
      instanceCount: num(d, '00201209'),
    }));
  }

  /** WADO-RS: every instance of a series, written as <dir>/<n>.dcm. Progress is instances done / expected. */
  async retrieveSeries(studyUid: string, seriesUid: string, dir: string, opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<string[]> {
    let expected = 0;
    try {
      const inst = await this.json(`/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}/instances`);
      expected = inst.length;
    } catch (e) {
      if (e instanceof MedSegError && (e.code === 'UNAUTHORIZED' || e.code === 'SERVER_UNREACHABLE')) throw e;
    }
    const res = await this.request(`/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}`, {
      accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
      signal: opts.signal,
    });
    const boundary = boundaryOf(res.headers.get('content-type'));
    if (!boundary || !res.body) throw new MedSegError('DOWNLOAD_FAILED', 'The image server did not send the series as DICOM instances.');
    await mkdir(dir, { recursive: true });
    const parser = new MultipartParser(boundary);
    const files: string[] = [];
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const part of parser.push(value)) {
        const f = join(dir, `${String(files.length + 1).padStart(5, '0')}.dcm`);
        await writeFile(f, part);
        files.push(f);
        opts.onProgress?.(files.length, Math.max(expected, files.length));
      }
    }
    if (files.length === 0) throw new MedSegError('NO_IMAGES', 'The image server sent no images for this series.');
    return files;
  }

  /** STOW-RS: store DICOM objects (e.g. a SEG). Returns the server's response as DICOM JSON (may be empty). */
  async store(objects: Uint8Array[], studyUid?: string): Promise<void> {
    const boundary = `medseg-${randomBytes(12).toString('hex')}`;
    const body = buildMultipart(objects, boundary);
    const path = studyUid ? `/studies/${encodeURIComponent(studyUid)}` : '/studies';
    await this.request(path, {
      method: 'POST',
      accept: 'application/dicom+json',
      body,
      contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
    });
  }
}
