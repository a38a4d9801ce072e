import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomWebClient, MultipartParser, buildMultipart } from '../../src-main/io/dicomweb';
import { describeWithData, dataPath } from './helpers/data';
import { freePort, orthancAvailable, startOrthanc, type OrthancHandle } from './helpers/orthanc';

describe('multipart/related framing', () => {
  it('parses parts split across arbitrary chunk boundaries, binary bytes intact', () => {
    const parts = [new Uint8Array([0, 1, 2, 13, 10, 45, 45, 255]), new Uint8Array(1000).map((_, i) => (i * 7) % 256), new Uint8Array(0)];
    const body = buildMultipart(parts, 'XyZ');
    for (const step of [1, 3, 17, 4096]) {
      const p = new MultipartParser('XyZ');
      const got: Buffer[] = [];
      for (let i = 0; i < body.length; i += step) got.push(...p.push(body.subarray(i, i + step)));
      expect(got.map((g) => [...g])).toEqual(parts.map((x) => [...x]));
    }
  });
});

describe('DICOMweb errors a user can meet', () => {
  it('a server that is down gives SERVER_UNREACHABLE', async () => {
    const port = await freePort();
    const c = new DicomWebClient({ baseUrl: `http://127.0.0.1:${port}/dicom-web`, timeoutMs: 3000 });
    await expect(c.searchStudies()).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
  });
});

// Integration with a real PACS: Debian's Orthanc + DICOMweb plugin (installed by .ci/run).
const needOrthanc = orthancAvailable() || process.env.CI === 'true';
(needOrthanc ? describeWithData : describe.skip)(
  needOrthanc ? 'DICOMweb against Orthanc' : 'DICOMweb against Orthanc — skipped: /usr/sbin/Orthanc or its DICOMweb plugin is not installed (apt-get install orthanc orthanc-dicomweb)',
  ['dcmqi_seg/ct-3slice'],
  () => {
    let orthanc: OrthancHandle;
    let tmp: string;
    beforeAll(async () => {
      orthanc = await startOrthanc();
      tmp = mkdtempSync(join(tmpdir(), 'medseg-dw-'));
    }, 60_000);
    afterAll(async () => {
      await orthanc?.stop();
      rmSync(tmp, { recursive: true, force: true });
    });

    it('stores a series (STOW-RS), finds it (QIDO-RS) and retrieves it byte-for-byte (WADO-RS) with progress', async () => {
      const c = new DicomWebClient({ baseUrl: orthanc.baseUrl, auth: { type: 'basic', username: orthanc.username, password: orthanc.password } });
      const dir = dataPath('dcmqi_seg/ct-3slice');
      const files = readdirSync(dir).filter((f) => f.endsWith('.dcm')).sort();
      await c.store(files.map((f) => readFileSync(join(dir, f))));
      const studies = await c.searchStudies();
      expect(studies.length).toBe(1);
      const series = await c.searchSeries(studies[0].studyInstanceUid);
      expect(series.length).toBe(1);
      expect(series[0].modality).toBe('CT');
      const progress: number[] = [];
      const got = await c.retrieveSeries(studies[0].studyInstanceUid, series[0].seriesInstanceUid, join(tmp, 'wado'), {
        onProgress: (d, t) => progress.push(d / t),
      });
      expect(got.length).toBe(3);
      expect(progress.at(-1)).toBe(1);
      const originals = new Set(files.map((f) => readFileSync(join(dir, f)).toString('base64')));
      // Orthanc returns the instances as stored (same transfer syntax), so each one matches an original file
      for (const g of got) expect(originals.has(readFileSync(g).toString('base64'))).toBe(true);
    });

    it('a wrong password gives UNAUTHORIZED', async () => {
      const c = new DicomWebClient({ baseUrl: orthanc.baseUrl, auth: { type: 'basic', username: orthanc.username, password: 'wrong' } });
      await expect(c.searchStudies()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    });
  },
);
