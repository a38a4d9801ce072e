/**
 * The per-slice feature cache: compact per-slice feature grids (fp16, Uint16Array) in a memory LRU with a byte
 * budget, backed by an on-disk cache so that reopening a study does not recompute. Entries are keyed by a
 * content hash of the voxels + backbone id + settings, so a changed volume or setting never reads stale features.
 *
 * Disk layout: <cacheDir>/<key>/meta.json, <slot>.f16 (raw little-endian halves), <name>.f32 (named blobs).
 * Every memory eviction is backed by disk (with `cacheDir: null` a temporary spill folder is used and removed on
 * dispose), which is what lets volumes larger than the memory budget stream instead of crashing.
 * Imports node built-ins and src-shared only.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

export function cacheKey(volume: Volume, backboneId: string, settings: BackboneSettings): string {
  const sorted = Object.keys(settings).sort().map((k) => [k, settings[k]]);
  return createHash('sha256')
    .update(JSON.stringify({ v: CACHE_FORMAT, volume: volumeContentHash(volume), backboneId, settings: sorted }))
    .digest('hex')
    .slice(0, 40);
}

export class FeatureCache {
  readonly dir: string;
  readonly persistent: boolean;
  private readonly lru: ByteLru<Uint16Array>;
  private readonly stats_ = { memoryHits: 0, diskHits: 0, misses: 0, writes: 0 };
  /** Slots known to be on disk (avoids a stat per lookup). */
  private readonly onDisk = new Set<string>();

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

  stats(): FeatureCacheStats {
    return { ...this.stats_, evictions: this.lru.evictions, bytesInMemory: this.lru.byteLength };
  }

  /** Drop everything held in memory (disk stays): used by tests and when the app is low on memory. */
  clearMemory(): void {
    this.lru.clear();
  }

  dispose(): void {
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
  /** @internal */ forget(key: string, dir: string): void {
    for (const p of [...this.onDisk]) if (p.startsWith(dir)) this.onDisk.delete(p);
    this.lru.deleteWhere((k) => k.startsWith(`${key}/`));
  }
}

/** One volume × backbone × settings. Slots are per-slice compact feature grids (fp16). */
export class CacheEntry {
  readonly dir: string;

  constructor(private readonly cache: FeatureCache, readonly key: string) {
    this.dir = join(cache.dir, key);
  }

  private slotPath(slot: string): string {
    return join(this.dir, `${slot}.f16`);
  }

  has(slot: string): boolean {
    return this.cache.memGet(this.id(slot)) !== undefined || this.cache.knownOnDisk(this.slotPath(slot));
  }

  get(slot: string): Uint16Array | undefined {
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
    this.writeFile(this.slotPath(slot), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.cache.markOnDisk(this.slotPath(slot));
    this.cache.memSet(this.id(slot), data);
    this.cache.countWrite();
  }

  getMeta<T>(): T | undefined {
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
    this.writeFile(join(this.dir, 'meta.json'), new TextEncoder().encode(JSON.stringify(meta)));
  }

  getBlob(name: string): Float32Array | undefined {
    const p = join(this.dir, `${name}.f32`);
    if (!existsSync(p)) return undefined;
    const buf = readFileSync(p);
    const out = new Float32Array(buf.byteLength / 4);
    new Uint8Array(out.buffer).set(buf);
    return out;
  }

  putBlob(name: string, data: Float32Array): void {
    this.writeFile(join(this.dir, `${name}.f32`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  /** Forget this entry on disk (e.g. its meta no longer matches the model). */
  clear(): void {
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
