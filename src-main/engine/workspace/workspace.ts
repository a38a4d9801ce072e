/**
 * A study's workspace on disk: the user's strokes (scribble map), classes, trained head and view settings.
 * Never lose work: every stroke is journaled and fsync'd before it is acknowledged; snapshots are written
 * atomically (write, flush, rename) and only then is the older journal dropped. After a crash, open() rebuilds
 * the exact state from the newest intact snapshot plus its journal.
 *
 * Layout of <dir>:
 *   snapshot-<gen>.bin   full scribble map at the start of generation <gen> (zlib, crc32-checked)
 *   journal-<gen>.log    diffs since that snapshot (see journal.ts)
 *   meta.json            classes, view settings, head file name (atomic writes)
 *   head.json            the last trained head (written by the engine through saveBlob)
 */
import { copyFile, mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { MedSegError, type ClassSpec, type LabelDiff } from '../../../src-shared';
import { writeError, writeFileAtomic } from './atomic';
import { decodeJournal, JournalWriter } from './journal';

export interface WorkspaceMeta {
  classes: ClassSpec[];
  view?: Record<string, unknown>;
  /** Free-form description of the source (series UID, paths) so a reopened study finds its workspace. */
  source?: Record<string, unknown>;
  /** The sequences added to the study (engine/multiseq/persist.ts writes and checks this). */
  study?: unknown;
}

export interface OpenResult {
  workspace: Workspace;
  /** True when strokes were found on disk (a reopened or recovered study). */
  restored: boolean;
  /** What recovery had to do, in words a user understands (shown in the UI). */
  warnings: string[];
}

const SNAP_MAGIC = 0x31534d53; // 'SMS1'

function encodeSnapshot(version: number, labels: Uint8Array): Buffer {
  const body = deflateSync(labels, { level: 1 });
  const buf = Buffer.alloc(16 + body.length);
  buf.writeUInt32LE(SNAP_MAGIC, 0);
  buf.writeUInt32LE(version, 4);
  buf.writeUInt32LE(labels.length, 8);
  body.copy(buf, 16);
  buf.writeUInt32LE(crc32(buf.subarray(16)) >>> 0, 12);
  return buf;
}

function decodeSnapshot(buf: Buffer, voxels: number): { version: number; labels: Uint8Array } | null {
  if (buf.length < 16 || buf.readUInt32LE(0) !== SNAP_MAGIC) return null;
  if (buf.readUInt32LE(8) !== voxels) return null;
  if ((crc32(buf.subarray(16)) >>> 0) !== buf.readUInt32LE(12)) return null;
  try {
    const labels = new Uint8Array(inflateSync(buf.subarray(16)));
    return labels.length === voxels ? { version: buf.readUInt32LE(4), labels } : null;
  } catch {
    return null;
  }
}

export class Workspace {
  private journal!: JournalWriter;
  private sinceSnapshot = 0;
  private snapshotting: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    readonly labels: Uint8Array,
    private gen: number,
    public version: number,
    public meta: WorkspaceMeta,
    /** Diffs between snapshots that trigger a new snapshot (keeps recovery fast). */
    private snapshotEvery: number,
  ) {}

  static async open(dir: string, voxelCount: number, opts: { snapshotEvery?: number; defaultMeta?: WorkspaceMeta } = {}): Promise<OpenResult> {
    const warnings: string[] = [];
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new MedSegError('WRITE_FAILED', 'The workspace folder cannot be created, so work could not be saved.', { path: dir, detail: String(e) });
    }
    const files = await readdir(dir);
    const gens = files
      .map((f) => /^snapshot-(\d+)\.bin$/.exec(f)?.[1])
      .filter((g): g is string => g !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
    const journalGens = files.map((f) => /^journal-(\d+)\.log$/.exec(f)?.[1]).filter((g): g is string => !!g).map(Number);

    let labels: Uint8Array = new Uint8Array(voxelCount);
    let version = 0;
    let snapGen = -1;
    let restored = false;
    for (const g of gens) {
      const snap = decodeSnapshot(await readFile(join(dir, `snapshot-${g}.bin`)), voxelCount);
      if (snap) {
        labels = snap.labels;
        version = snap.version;
        snapGen = g;
        restored = true;
        break;
      }
      warnings.push(`A damaged workspace snapshot (generation ${g}) was set aside; the previous intact one was used.`);
      await rename(join(dir, `snapshot-${g}.bin`), join(dir, `snapshot-${g}.bin.damaged`)).catch(() => undefined);
    }

    // Replay every journal from the snapshot's generation on, in order. Versions grow monotonically across
    // journals, so records the snapshot already holds are skipped. A journal newer than the newest snapshot is
    // the trace of a crash in the middle of snapshotting: its strokes were acknowledged and must be kept.
    const replay = journalGens.filter((g) => g >= snapGen).sort((a, b) => a - b);
    let gen = Math.max(0, snapGen, ...journalGens);
    let validBytes = 0;
    for (const g of replay) {
      const jbuf = await readFile(join(dir, `journal-${g}.log`));
      const { records, validBytes: vb, damaged } = decodeJournal(jbuf);
      for (const r of records) {
        if (r.version <= version) continue;
        const { indices, values } = r;
        for (let i = 0; i < indices.length; i++) if (indices[i] < voxelCount) labels[indices[i]] = values[i];
        version = r.version;
        restored = true;
      }
      if (g === gen) validBytes = vb;
      // A torn last record is the expected trace of a crash mid-write (never acknowledged), not damage.
      if (damaged && jbuf.length - vb > 4096) warnings.push('The end of the stroke journal was damaged; every stroke before it was recovered.');
    }
    const journalPath = join(dir, `journal-${gen}.log`);

    let meta: WorkspaceMeta = opts.defaultMeta ?? { classes: [] };
    const metaPath = join(dir, 'meta.json');
    const metaText = await readFile(metaPath, 'utf8').catch(() => null);
    if (metaText !== null) {
      try {
        const parsed = JSON.parse(metaText) as WorkspaceMeta;
        if (!Array.isArray(parsed.classes)) throw new Error('classes missing');
        meta = parsed;
      } catch {
        warnings.push('The workspace settings file was damaged; it was kept aside as meta.json.damaged and default classes were used. Your strokes are intact.');
        await rename(metaPath, `${metaPath}.damaged`).catch(() => undefined);
      }
    }

    const ws = new Workspace(dir, labels, gen, version, meta, opts.snapshotEvery ?? 200);
    ws.journal = await JournalWriter.open(journalPath, validBytes);
    return { workspace: ws, restored, warnings };
  }

  /** Apply a diff in memory and resolve once it is durable on disk. Returns the new version. */
  async apply(diff: LabelDiff): Promise<number> {
    if (diff.indices.length !== diff.values.length) {
      throw new MedSegError('INVALID_ARGUMENT', 'A label edit was malformed (indices and values differ in length).');
    }
    const n = this.labels.length;
    for (let i = 0; i < diff.indices.length; i++) {
      if (diff.indices[i] >= n) throw new MedSegError('INVALID_ARGUMENT', 'A label edit points outside the image.');
    }
    for (let i = 0; i < diff.indices.length; i++) this.labels[diff.indices[i]] = diff.values[i];
    const version = ++this.version;
    await this.journal.append({ version, indices: diff.indices, values: diff.values });
    if (++this.sinceSnapshot >= this.snapshotEvery && !this.snapshotting) {
      this.snapshotting = this.snapshot().finally(() => (this.snapshotting = null));
    }
    return version;
  }

  /**
   * Write the full state as a new generation, then drop the old files. The new journal is switched in at the
   * same instant the state is copied, so every diff is either in the snapshot or in a journal that recovery
   * replays (see open()).
   */
  async snapshot(): Promise<void> {
    const next = this.gen + 1;
    const fresh = await JournalWriter.open(join(this.dir, `journal-${next}.log`), 0);
    // Synchronous from here to the swap: no apply() can interleave.
    const version = this.version;
    const copy = this.labels.slice();
    const old = this.journal;
    this.journal = fresh;
    this.gen = next;
    this.sinceSnapshot = 0;
    await writeFileAtomic(join(this.dir, `snapshot-${next}.bin`), encodeSnapshot(version, copy));
    await old.close();
    for (const f of await readdir(this.dir)) {
      const m = /^(snapshot|journal)-(\d+)\.(bin|log)$/.exec(f);
      if (m && Number(m[2]) < next) await unlink(join(this.dir, f)).catch(() => undefined);
    }
  }

  async saveMeta(meta: WorkspaceMeta): Promise<void> {
    this.meta = meta;
    await writeFileAtomic(join(this.dir, 'meta.json'), JSON.stringify(meta, null, 1));
  }

  async saveBlob(name: string, data: Uint8Array | string): Promise<void> {
    if (!/^[\w.-]+$/.test(name)) throw new MedSegError('INVALID_ARGUMENT', 'Invalid workspace file name.');
    await writeFileAtomic(join(this.dir, name), data);
  }

  /**
   * Copy files into a folder of the workspace (e.g. a sequence read from a temporary upload, which is deleted when
   * the app closes); resolves with the copies' paths. Base names are kept (formats and sequence names are read
   * from them), prefixed with their index where two would collide.
   */
  async copyIn(folder: string, files: string[]): Promise<string[]> {
    if (!/^[\w-]+(\/[\w-]+)*$/.test(folder)) throw new MedSegError('INVALID_ARGUMENT', 'Invalid workspace folder name.');
    const dest = join(this.dir, folder);
    const used = new Set<string>();
    const out: string[] = [];
    try {
      await mkdir(dest, { recursive: true });
      for (const [i, f] of files.entries()) {
        let name = basename(f);
        if (used.has(name)) name = `${i}-${name}`;
        used.add(name);
        await copyFile(f, join(dest, name));
        out.push(join(dest, name));
      }
    } catch (e) {
      throw writeError(e, dest);
    }
    return out;
  }

  async readBlob(name: string): Promise<Buffer | null> {
    if (!/^[\w.-]+$/.test(name)) throw new MedSegError('INVALID_ARGUMENT', 'Invalid workspace file name.');
    return readFile(join(this.dir, name)).catch(() => null);
  }

  async close(): Promise<void> {
    if (this.snapshotting) await this.snapshotting;
    await this.journal.close();
  }
}
