import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMedSegError, type MedSegError } from '../../src-shared';
import { MODEL_CATALOG, ModelStore, type DownloadProgress } from '../../src-main/features/models';
import { createDinov2Backbone } from '../../src-main/features/dinov2';
import { FIXTURES, TINY, TINY_REG } from './dinov2-helpers';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-models-test-'));
const tinyBytes = readFileSync(TINY);
const tinySha = createHash('sha256').update(tinyBytes).digest('hex');

async function errorOf(p: Promise<unknown>): Promise<MedSegError> {
  try { await p; } catch (e) { if (isMedSegError(e)) return e as MedSegError; throw e; }
  throw new Error('expected a MedSegError');
}

/** A local model server: Range support, and a switch that cuts the first download of /flaky halfway. */
let server: Server;
let base = '';
const ranges: (string | undefined)[] = [];
let cutNext = false;
beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const body = req.url === '/wrong.onnx' ? readFileSync(TINY_REG) : req.url?.startsWith('/flaky') || req.url === '/tiny.onnx' ? tinyBytes : undefined;
    if (req.url?.startsWith('/flaky')) ranges.push(req.headers.range);
    if (!body) { res.writeHead(404, 'Not Found').end(); return; }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const headers: Record<string, string | number> = { 'Content-Length': body.length - start, 'Accept-Ranges': 'bytes' };
    if (m) headers['Content-Range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(m ? 206 : 200, headers);
    if (cutNext && req.url?.startsWith('/flaky')) {
      cutNext = false;
      res.write(body.subarray(start, start + Math.floor((body.length - start) / 2)), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

describe('model store: import, list, remove', () => {
  it('imports a DINOv2 ONNX file (checked by loading, sha256, copied) and lists it', async () => {
    const store = new ModelStore(join(tmp, 'store1'));
    const m = await store.import(TINY_REG);
    expect(m).toMatchObject({ kind: 'dinov2', dim: 32, patchSize: 14, registers: 4, name: 'tiny-dinov2-reg4', sizeBytes: statSync(TINY_REG).size });
    expect(m.sha256).toBe(createHash('sha256').update(readFileSync(TINY_REG)).digest('hex'));
    expect(m.id).toBe(m.sha256.slice(0, 16));
    const path = await store.pathOf(m.id);
    expect(path.startsWith(join(tmp, 'store1'))).toBe(true);
    expect(readFileSync(path).equals(readFileSync(TINY_REG))).toBe(true);
    // Same bytes again: no duplicate. A second store instance on the same folder sees it.
    await store.import(TINY_REG);
    expect((await new ModelStore(join(tmp, 'store1')).list()).map((x) => x.id)).toEqual([m.id]);
    // The stored file is usable as a backbone.
    const bb = await createDinov2Backbone({ modelPath: path, cacheDir: null, provider: 'cpu' });
    expect(bb.id).toBe(`dinov2:${m.sha256.slice(0, 16)}`);
    await bb.dispose();
    await store.remove(m.id);
    expect(await store.list()).toEqual([]);
    expect(existsSync(path)).toBe(false);
    expect((await errorOf(store.remove(m.id))).code).toBe('MODEL_NOT_FOUND');
  });

  it('refuses files that are not DINOv2 models with MODEL_INVALID', async () => {
    const store = new ModelStore(join(tmp, 'store2'));
    const e1 = await errorOf(store.import(join(FIXTURES, 'wrong-names.onnx')));
    expect(e1.code).toBe('MODEL_INVALID');
    expect(e1.detail).toContain('found inputs image');
    const junk = join(tmp, 'junk.onnx');
    writeFileSync(junk, 'not a model');
    expect((await errorOf(store.import(junk))).code).toBe('MODEL_INVALID');
    expect((await errorOf(store.import(join(tmp, 'absent.onnx')))).code).toBe('FILE_NOT_FOUND');
    expect(await store.list()).toEqual([]);
  });
});

describe('model store: download', () => {
  it('downloads with progress and a sha256 check', async () => {
    const store = new ModelStore(join(tmp, 'store3'));
    const progress: DownloadProgress[] = [];
    const m = await store.download(`${base}/tiny.onnx`, { sha256: tinySha, onProgress: (p) => progress.push(p) });
    expect(m.sha256).toBe(tinySha);
    expect(m.name).toBe('tiny');
    expect(progress[progress.length - 1]).toEqual({ received: tinyBytes.length, total: tinyBytes.length, resumedFrom: 0 });
    expect(readFileSync(await store.pathOf(m.id)).equals(tinyBytes)).toBe(true);
  });

  it('resumes an interrupted download with an HTTP Range request', async () => {
    const store = new ModelStore(join(tmp, 'store4'));
    cutNext = true;
    ranges.length = 0;
    const e = await errorOf(store.download(`${base}/flaky.onnx`, { sha256: tinySha }));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(await store.list()).toEqual([]);
    const progress: DownloadProgress[] = [];
    const m = await store.download(`${base}/flaky.onnx`, { sha256: tinySha, onProgress: (p) => progress.push(p) });
    expect(ranges[0]).toBeUndefined();
    const resumedFrom = progress[0].resumedFrom;
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThan(tinyBytes.length);
    expect(ranges[1]).toBe(`bytes=${resumedFrom}-`);
    expect(progress[progress.length - 1].received).toBe(tinyBytes.length);
    expect(m.sha256).toBe(tinySha);
    expect(readFileSync(await store.pathOf(m.id)).equals(tinyBytes)).toBe(true);
  });

  it('rejects a wrong checksum, a missing file and an unreachable server with typed errors', async () => {
    const store = new ModelStore(join(tmp, 'store5'));
    const e = await errorOf(store.download(`${base}/wrong.onnx`, { sha256: tinySha }));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.detail).toContain(`expected sha256 ${tinySha}`);
    expect((await errorOf(store.download(`${base}/missing.onnx`))).code).toBe('DOWNLOAD_FAILED');
    expect((await errorOf(store.download('http://127.0.0.1:1/x.onnx'))).code).toBe('DOWNLOAD_FAILED');
    expect(await store.list()).toEqual([]);
  });

  it('has a catalog of DINOv2 small/base with and without registers', () => {
    const ids = MODEL_CATALOG.map((e) => e.id);
    expect(ids).toEqual(['dinov2-small', 'dinov2-with-registers-small', 'dinov2-base', 'dinov2-with-registers-base']);
    expect(MODEL_CATALOG.find((e) => e.id === 'dinov2-small')!.url).toBe('https://huggingface.co/onnx-community/dinov2-small/resolve/main/onnx/model.onnx');
    expect(MODEL_CATALOG.map((e) => [e.dim, e.registers])).toEqual([[384, 0], [384, 4], [768, 0], [768, 4]]);
  });
});
