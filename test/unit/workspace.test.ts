import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src-main/engine/workspace';
import { diffForVersion, expectedLabels, VOXELS } from './fixtures/workspace-diffs';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-ws-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('workspace journal and snapshots', () => {
  it('reopens exactly as it was after a clean close', async () => {
    const dir = join(tmp, 'clean');
    const { workspace, restored } = await Workspace.open(dir, VOXELS, { snapshotEvery: 5 });
    expect(restored).toBe(false);
    for (let v = 1; v <= 23; v++) await workspace.apply(diffForVersion(v));
    await workspace.saveMeta({ classes: [{ id: 5, name: 'liver', color: [200, 100, 50], locked: true }] });
    await workspace.close();
    const again = await Workspace.open(dir, VOXELS);
    expect(again.restored).toBe(true);
    expect(again.workspace.version).toBe(23);
    expect(Buffer.compare(Buffer.from(again.workspace.labels), Buffer.from(expectedLabels(23)))).toBe(0);
    expect(again.workspace.meta.classes[0]).toMatchObject({ id: 5, name: 'liver', locked: true });
    // only the current generation is left on disk
    expect(readdirSync(dir).filter((f) => f.startsWith('snapshot-')).length).toBe(1);
    await again.workspace.close();
  });

  it('recovers from a damaged settings file and a damaged newest snapshot without losing strokes', async () => {
    const dir = join(tmp, 'damaged');
    const { workspace } = await Workspace.open(dir, VOXELS, { snapshotEvery: 1000 });
    for (let v = 1; v <= 10; v++) await workspace.apply(diffForVersion(v));
    await workspace.snapshot();
    await workspace.saveMeta({ classes: [{ id: 1, name: 'spleen', color: [1, 2, 3] }] });
    await workspace.close();
    writeFileSync(join(dir, 'meta.json'), '{"classes": [ {"id": 1, "na');
    const r = await Workspace.open(dir, VOXELS);
    expect(r.workspace.version).toBe(10);
    expect(Buffer.compare(Buffer.from(r.workspace.labels), Buffer.from(expectedLabels(10)))).toBe(0);
    expect(r.warnings.join(' ')).toMatch(/settings file was damaged/);
    expect(readdirSync(dir)).toContain('meta.json.damaged');
    await r.workspace.close();

    // flip a byte inside the only snapshot: the journal cannot rebuild what the snapshot held, so the user is told
    const snap = readdirSync(dir).find((f) => /^snapshot-\d+\.bin$/.test(f))!;
    const bytes = readFileSync(join(dir, snap));
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(join(dir, snap), bytes);
    const r2 = await Workspace.open(dir, VOXELS);
    expect(r2.warnings.join(' ')).toMatch(/damaged workspace snapshot/);
    expect(readdirSync(dir)).toContain(`${snap}.damaged`);
    await r2.workspace.close();
  });

  it('rejects edits outside the image with a typed error and keeps the state', async () => {
    const { workspace } = await Workspace.open(join(tmp, 'bad'), VOXELS);
    await expect(workspace.apply({ indices: new Uint32Array([VOXELS]), values: new Uint8Array([1]) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(workspace.version).toBe(0);
    await workspace.close();
  });
});

function tryMountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('a full disk', () => {
  const mnt = join(tmp, 'small-disk');
  const mounted = (() => {
    execFileSync('mkdir', ['-p', mnt]);
    return tryMountTmpfs(mnt, '256k');
  })();
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', mnt]);
  });
  // Needs a tiny tmpfs (root, as on CI and the dev machines); elsewhere it says why it did not run.
  it.skipIf(!mounted)('reports WRITE_FAILED, loses nothing, and saves the held edits once space is free (skipped: cannot mount a tmpfs without root)', async () => {
    const dir = join(mnt, 'ws');
    const { workspace } = await Workspace.open(dir, VOXELS, { snapshotEvery: 100000 });
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(200 * 1024));
    let failed: unknown = null;
    let v = 0;
    while (!failed && v < 500) {
      try {
        await workspace.apply(diffForVersion(v + 1));
      } catch (e) {
        failed = e;
      }
      v++;
    }
    expect(failed).toMatchObject({ code: 'WRITE_FAILED' });
    expect(String((failed as Error).message)).toMatch(/disk is full/);
    rmSync(join(mnt, 'filler'));
    await workspace.apply(diffForVersion(v + 1));
    await workspace.close();
    const again = await Workspace.open(dir, VOXELS);
    expect(again.workspace.version).toBe(v + 1);
    expect(Buffer.compare(Buffer.from(again.workspace.labels), Buffer.from(expectedLabels(v + 1)))).toBe(0);
    await again.workspace.close();
  });
});

describe('crash safety: SIGKILL while saving', () => {
  let child = '';
  beforeAll(async () => {
    // Bundle the TypeScript child once so it runs in plain Node, like the real main process does.
    child = join(tmp, 'child.mjs');
    await build({
      input: resolve(__dirname, 'fixtures/workspace-child.ts'),
      platform: 'node',
      output: { file: child, format: 'esm' },
      logLevel: 'silent',
    });
  });

  it('keeps every acknowledged stroke across 25 kills at random moments', async () => {
    const dir = join(tmp, 'crash');
    let maxAcked = 0;
    for (let round = 0; round < 25; round++) {
      const acked = await new Promise<number>((res, rej) => {
        const p = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
        let last = 0;
        let buf = '';
        let killTimer: NodeJS.Timeout | undefined;
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        p.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          for (const l of lines) {
            const [kind, v] = l.split(' ');
            if (kind === 'ready' && !killTimer) killTimer = setTimeout(() => p.kill('SIGKILL'), 20 + Math.random() * 250);
            if (kind === 'ack') last = Math.max(last, Number(v));
          }
        });
        p.on('exit', (code, signal) => (signal === 'SIGKILL' ? res(last) : rej(new Error(`child ended ${code}: ${err}`))));
      });
      maxAcked = Math.max(maxAcked, acked);
      const { workspace } = await Workspace.open(dir, VOXELS);
      expect(workspace.version).toBeGreaterThanOrEqual(maxAcked);
      // Exactly the state after `version` diffs: nothing lost, nothing half-applied.
      expect(Buffer.compare(Buffer.from(workspace.labels), Buffer.from(expectedLabels(workspace.version)))).toBe(0);
      await workspace.close();
    }
    expect(maxAcked).toBeGreaterThan(25); // the kills really happened mid-stream, after many saves
  });
});
