/**
 * Starts Debian's Orthanc with its DICOMweb plugin on 127.0.0.1 (a free port, a temp storage folder, basic auth)
 * for integration tests. `.ci/run` installs orthanc and orthanc-dicomweb.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORTHANC_BIN = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

export function orthancAvailable(): boolean {
  return existsSync(ORTHANC_BIN) && existsSync(DICOMWEB_PLUGIN);
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export interface OrthancHandle {
  port: number;
  baseUrl: string; // the DICOMweb root
  restUrl: string;
  username: string;
  password: string;
  stop(): Promise<void>;
}

export async function startOrthanc(): Promise<OrthancHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'medseg-orthanc-'));
  const port = await freePort();
  const username = 'medseg';
  const password = 'test-secret';
  const cfg = {
    Name: 'MEDSEG_TEST',
    StorageDirectory: join(dir, 'db'),
    IndexDirectory: join(dir, 'db'),
    HttpPort: port,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [username]: password },
    DicomServerEnabled: false,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false },
  };
  const cfgPath = join(dir, 'orthanc.json');
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const proc: ChildProcess = spawn(ORTHANC_BIN, [cfgPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.on('data', (d) => (log += d));
  const restUrl = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Orthanc exited: ${log.slice(-2000)}`);
    try {
      const r = await fetch(`${restUrl}/system`, { headers: { Authorization: auth } });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`Orthanc did not start: ${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    restUrl,
    baseUrl: `${restUrl}/dicom-web`,
    username,
    password,
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
