/**
 * The per-slice feature cache: compact per-slice feature grids (fp16, Uint16Array) in a memory LRU with a byte
 * budget, backed by an on-disk cache so that reopening a study does not recompute. Entries are keyed by a
 * content hash of the voxels + backbone id + settings, so a changed volume or setting never reads stale features.
 * The key is `<prefix>-<full>`: the prefix hashes the grid and a sparse sample of voxels (microseconds), the full
 * part every voxel (~0.1 s for a 512×512×300 CT). When no entry on disk has the prefix, the volume cannot have
 * been cached before (the prefix is a function of the content), so the first slices are computed into a deferred
 * entry and the full hash is taken afterwards (`flush`): off the path to the first visible slice.
 *
 * Disk layout: <cacheDir>/<key>/meta.json, <slot>.f16 (raw little-endian halves), <name>.f32 (named blobs).
 * Every memory eviction is backed by disk (with `cacheDir: null` a temporary spill folder is used and removed on
 * dispose), which is what lets volumes larger than the memory budget stream instead of crashing.
 * Imports node built-ins and src-shared only.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MedSegError, type Volume } from '../../src-shared';
import type { BackboneSettings } from './types';
import { ByteLru } from './cache/lru';

export interface FeatureCacheOptions {
  /** Folder of the on-disk cache. undefined → default (see defaultCacheDir); null → no persistent cache. */
  cacheDir?: string | null;
  /** Memory budget for cached slices in bytes (default 512 MiB). */
  memoryBudgetBytes?: number;
}

export interface FeatureCacheStats {
  memoryHits: number;
  diskHits: number;
  misses: number;
  writes: number;
  evictions: number;
  bytesInMemory: number;
}

/** `$MEDSEG_HOME/cache`, else `~/.medseg/cache`. */
export function defaultCacheDir(): string {
  const home = process.env.MEDSEG_HOME;
  return home ? join(home, 'cache') : join(homedir(), '.medseg', 'cache');
}

const CACHE_FORMAT = 1;
const volumeHashes = new WeakMap<Volume, string>();

/**
 * sha256 of the voxels and the grid, memoised per Volume object (hashing 150 MB takes a few hundred ms and
 * extract() is called many times per study). Image voxels are immutable in this app: labels live elsewhere.
 */
export function volumeContentHash(volume: Volume): string {
  const known = volumeHashes.get(volume);
  if (known) return known;
  const h = createHash('sha256');
  h.update(JSON.stringify({ dims: volume.dims, spacing: volume.spacing, direction: volume.direction, type: volume.voxelType }));
  const d = volume.data;
  h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  const hex = h.digest('hex');
  volumeHashes.set(volume, hex);
  return hex;
}

/**
 * A cheap fingerprint of the content: the grid plus at most 65 536 evenly spaced voxels. Equal volumes always
 * have equal fingerprints; different ones usually differ (only the full hash decides, see cacheKey).
 */
export function volumeFingerprint(volume: Volume): string {
  const h = createHash('sha256');
  const d = volume.data;
  h.update(JSON.stringify({ dims: volume.dims, spacing: volume.spacing, direction: volume.direction, type: volume.voxelType, n: d.length }));
  const step = Math.max(1, Math.floor(d.length / 65536));
  const sample = new Float64Array(Math.ceil(d.length / step));
  for (let i = 0, o = 0; i < d.length; i += step) sample[o++] = d[i];
  h.update(new Uint8Array(sample.buffer));
  return h.digest('hex');
}

function settingsJson(backboneId: string, settings: BackboneSettings): string {
  const sorted = Object.keys(settings).sort().map((k) => [k, settings[k]]);
  return JSON.stringify({ v: CACHE_FORMAT, backboneId, settings: sorted });
}

/** The first part of cacheKey: fingerprint + backbone + settings (16 hex digits). */
export function cacheKeyPrefix(volume: Volume, backboneId: string, settings: BackboneSettings): string {
  return createHash('sha256').update(volumeFingerprint(volume)).update(settingsJson(backboneId, settings)).digest('hex').slice(0, 16);
}

/** `<prefix>-<40 hex digits over every voxel + backbone + settings>`. */
export function cacheKey(volume: Volume, backboneId: string, settings: BackboneSettings): string {
  const full = createHash('sha256').update(volumeContentHash(volume)).update(settingsJson(backboneId, settings)).digest('hex').slice(0, 40);
  return `${cacheKeyPrefix(volume, backboneId, settings)}-${full}`;
}

/** Whether the content hash of this Volume object is already known (then cacheKey costs nothing). */
export function contentHashKnown(volume: Volume): boolean {
  return volumeHashes.has(volume);
}

export class FeatureCache {
  readonly dir: string;
  readonly persistent: boolean;
  private readonly lru: ByteLru<Uint16Array>;
  private readonly stats_ = { memoryHits: 0, diskHits: 0, misses: 0, writes: 0 };
  /** Slots known to be on disk (avoids a stat per lookup). */
  private readonly onDisk = new Set<string>();
  private readonly deferred = new Set<CacheEntry>();
  private disposed = false;

  constructor(opts: FeatureCacheOptions = {}) {
    if (opts.cacheDir === null) {
      this.dir = mkdtempSync(join(tmpdir(), 'medseg-spill-'));
      this.persistent = false;
    } else {
      this.dir = opts.cacheDir ?? defaultCacheDir();
      this.persistent = true;
      try {
        mkdirSync(this.dir, { recursive: true });
      } catch (e) {
        throw new MedSegError('WRITE_FAILED', `The feature cache folder ${this.dir} cannot be created.`, { detail: String(e), path: this.dir, cause: e });
      }
    }
    this.lru = new ByteLru<Uint16Array>(opts.memoryBudgetBytes ?? 512 * 2 ** 20);
  }

  entry(key: string): CacheEntry {
    return new CacheEntry(this, key);
  }

  /**
   * An entry whose key is not known yet: reads and writes stay in memory (nothing of it can be on disk) until
   * `flush()` computes the key with `resolveKey` and writes them. Only for prefixes `hasPrefix` denies.
   */
  deferredEntry(prefix: string, resolveKey: () => string): CacheEntry {
    const e = new CacheEntry(this, undefined, prefix, resolveKey);
    this.deferred.add(e);
    return e;
  }

  /** Whether any entry on disk has this key prefix (i.e. the volume may have been cached). */
  hasPrefix(prefix: string): boolean {
    try {
      return readdirSync(this.dir).some((n) => n.startsWith(`${prefix}-`));
    } catch {
      return false; // no cache folder yet
    }
  }

  stats(): FeatureCacheStats {
    return { ...this.stats_, evictions: this.lru.evictions, bytesInMemory: this.lru.byteLength };
  }

  /** Drop everything held in memory (disk stays): used by tests and when the app is low on memory. */
  clearMemory(): void {
    this.lru.clear();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    this.disposed = true;
    if (this.persistent) {
      for (const e of this.deferred) {
        try {
          e.flush();
        } catch {
          // Closing must not fail on the cache: features not written are recomputed next time (and a full disk
          // was already reported by the extract that could not write).
        }
      }
    }
    this.deferred.clear();
    this.lru.clear();
    if (!this.persistent) rmSync(this.dir, { recursive: true, force: true });
  }

  /** @internal */ memGet(id: string): Uint16Array | undefined {
    const v = this.lru.get(id);
    if (v) this.stats_.memoryHits++;
    return v;
  }
  /** @internal */ memSet(id: string, v: Uint16Array): void { this.lru.set(id, v); }
  /** @internal */ countDiskHit(): void { this.stats_.diskHits++; }
  /** @internal */ countMiss(): void { this.stats_.misses++; }
  /** @internal */ countWrite(): void { this.stats_.writes++; }
  /** @internal */ knownOnDisk(path: string): boolean {
    if (this.onDisk.has(path)) return true;
    if (existsSync(path)) {
      this.onDisk.add(path);
      return true;
    }
    return false;
  }
  /** @internal */ markOnDisk(path: string): void { this.onDisk.add(path); }
  /** @internal */ flushed(e: CacheEntry): void { this.deferred.delete(e); }
  /** @internal */ forget(key: string, dir: string): void {
    for (const p of [...this.onDisk]) if (p.startsWith(dir)) this.onDisk.delete(p);
    this.lru.deleteWhere((k) => k.startsWith(`${key}/`));
  }
}

interface Pending {
  slots: Map<string, Uint16Array>;
  blobs: Map<string, Float32Array>;
  meta?: unknown;
}

/** One volume × backbone × settings. Slots are per-slice compact feature grids (fp16). */
export class CacheEntry {
  private key_: string | undefined;
  /** Writes held in memory until the key is known (deferred entries only); undefined once flushed. */
  private pending: Pending | undefined;

  constructor(private readonly cache: FeatureCache, key: string | undefined, private readonly prefix?: string, private readonly resolveKey?: () => string) {
    this.key_ = key;
    if (key === undefined) {
      if (!resolveKey) throw new MedSegError('INTERNAL', 'A cache entry needs a key or a way to compute it.');
      this.pending = { slots: new Map(), blobs: new Map() };
    }
  }

  /** Why the last background flush (flushSoon) failed; undefined when it did not. */
  flushError: unknown;
  private flushScheduled = false;

  /** True while writes are held in memory waiting for flush(). */
  get deferred(): boolean {
    return this.pending !== undefined;
  }

  get key(): string {
    return this.key_ ?? `${this.prefix}-(not hashed yet)`;
  }

  get dir(): string {
    return join(this.cache.dir, this.key);
  }

  /**
   * Compute the key (hashing every voxel) and write what was held in memory. Idempotent; after a failed write
   * (WRITE_FAILED) what is left stays in memory and a later flush retries.
   */
  flush(): void {
    const p = this.pending;
    if (!p) return;
    if (this.key_ === undefined) this.key_ = this.resolveKey!();
    // Blobs and meta first: a crash between them and the slots leaves meta without slices, which only costs a
    // recompute; slices without their PCA basis are never trusted (see the backbone).
    for (const [name, data] of p.blobs) { this.writeBlob(name, data); p.blobs.delete(name); }
    if (p.meta !== undefined) { this.writeMeta(p.meta); p.meta = undefined; }
    for (const [slot, data] of p.slots) { this.writeSlot(slot, data); p.slots.delete(slot); }
    this.pending = undefined;
    this.flushError = undefined;
    this.cache.flushed(this);
  }

  /**
   * flush() once the current task and its continuations are done (setImmediate), so the caller gets its slices
   * before the volume is hashed. A failure is kept in flushError, and the data in memory, for the next call.
   */
  flushSoon(): void {
    if (!this.pending || this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.cache.isDisposed) return; // dispose() flushed (or, for a spill folder, removed) everything
      try {
        this.flush();
      } catch (e) {
        this.flushError = e;
      }
    });
  }

  private slotPath(slot: string): string {
    return join(this.dir, `${slot}.f16`);
  }

  has(slot: string): boolean {
    if (this.pending?.slots.has(slot)) return true;
    if (this.key_ === undefined) return false;
    return this.cache.memGet(this.id(slot)) !== undefined || this.cache.knownOnDisk(this.slotPath(slot));
  }

  get(slot: string): Uint16Array | undefined {
    const held = this.pending?.slots.get(slot);
    if (held) return held;
    if (this.key_ === undefined) {
      this.cache.countMiss();
      return undefined;
    }
    const id = this.id(slot);
    const mem = this.cache.memGet(id);
    if (mem) return mem;
    const p = this.slotPath(slot);
    if (this.cache.knownOnDisk(p)) {
      const buf = readFileSync(p);
      const out = new Uint16Array(buf.byteLength / 2);
      new Uint8Array(out.buffer).set(buf);
      this.cache.countDiskHit();
      this.cache.memSet(id, out);
      return out;
    }
    this.cache.countMiss();
    return undefined;
  }

  put(slot: string, data: Uint16Array): void {
    if (this.pending) this.pending.slots.set(slot, data);
    else this.writeSlot(slot, data);
  }

  private writeSlot(slot: string, data: Uint16Array): void {
    this.writeFile(this.slotPath(slot), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.cache.markOnDisk(this.slotPath(slot));
    this.cache.memSet(this.id(slot), data);
    this.cache.countWrite();
  }

  getMeta<T>(): T | undefined {
    if (this.pending?.meta !== undefined) return this.pending.meta as T;
    if (this.key_ === undefined) return undefined;
    const p = join(this.dir, 'meta.json');
    if (!existsSync(p)) return undefined;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as T;
    } catch {
      // A torn or hand-edited meta file only costs a recompute; the entry is rebuilt.
      return undefined;
    }
  }

  putMeta(meta: unknown): void {
    if (this.pending) this.pending.meta = meta;
    else this.writeMeta(meta);
  }

  private writeMeta(meta: unknown): void {
    this.writeFile(join(this.dir, 'meta.json'), new TextEncoder().encode(JSON.stringify(meta)));
  }

  getBlob(name: string): Float32Array | undefined {
    const held = this.pending?.blobs.get(name);
    if (held) return held;
    if (this.key_ === undefined) return undefined;
    const p = join(this.dir, `${name}.f32`);
    if (!existsSync(p)) return undefined;
    const buf = readFileSync(p);
    const out = new Float32Array(buf.byteLength / 4);
    new Uint8Array(out.buffer).set(buf);
    return out;
  }

  putBlob(name: string, data: Float32Array): void {
    if (this.pending) this.pending.blobs.set(name, data);
    else this.writeBlob(name, data);
  }

  private writeBlob(name: string, data: Float32Array): void {
    this.writeFile(join(this.dir, `${name}.f32`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  /** Forget this entry on disk (e.g. its meta no longer matches the model). */
  clear(): void {
    if (this.pending) this.pending = { slots: new Map(), blobs: new Map() };
    if (this.key_ === undefined) return;
    rmSync(this.dir, { recursive: true, force: true });
    this.cache.forget(this.key, this.dir);
  }

  private id(slot: string): string {
    return `${this.key}/${slot}`;
  }

  /** Write then rename, so a crash never leaves a half-written slice that a later session would trust. */
  private writeFile(path: string, bytes: Uint8Array): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    } catch (e) {
      throw new MedSegError('WRITE_FAILED', 'Image features could not be saved to the cache folder (is the disk full?).', {
        detail: String(e), path, cause: e,
      });
    }
  }
}
