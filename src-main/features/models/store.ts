/**
 * The app's model store: ONNX files copied into one folder (default $MEDSEG_HOME/models or ~/.medseg/models),
 * each checked by loading it as a DINOv2 model, named by the sha256 of its bytes, and listed in models.json.
 * Implements the ModelStore that services/models.ts expects (list/import/remove), plus download and pathOf.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { MedSegError, isMedSegError, type ModelInfo } from '../../../src-shared';
import { inspectDinov2Model } from '../dinov2';
import { catalogEntry } from './catalog';
import { downloadResumable, type DownloadOptions } from './download';

export interface StoredModel extends ModelInfo {
  registers: number;
  /** Where it came from: the imported path or the download URL. */
  source: string;
  file: string;
}

export function defaultModelDir(): string {
  const home = process.env.MEDSEG_HOME;
  return home ? join(home, 'models') : join(homedir(), '.medseg', 'models');
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface DownloadModelOptions extends DownloadOptions {
  sha256?: string;
  name?: string;
}

export class ModelStore {
  readonly dir: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(dir: string = defaultModelDir()) {
    this.dir = dir;
  }

  async list(): Promise<StoredModel[]> {
    return (await this.readIndex()).filter((m) => existsSync(join(this.dir, m.file)));
  }

  /** Absolute path of a stored model's file, for createDinov2Backbone. */
  async pathOf(id: string): Promise<string> {
    const m = (await this.list()).find((x) => x.id === id);
    if (!m) throw new MedSegError('MODEL_NOT_FOUND', 'This model is not in the model store (was it removed?).', { detail: id });
    return join(this.dir, m.file);
  }

  /** Check a file by loading it, then copy it into the store. Importing the same bytes twice is a no-op. */
  import(path: string, opts: { name?: string } = {}): Promise<StoredModel> {
    return this.serial(() => this.add(path, { name: opts.name ?? basename(path).replace(/\.onnx$/i, ''), source: path, move: false }));
  }

  /** Download (resumable), verify sha256 when given, check by loading, and add to the store. */
  async download(url: string, opts: DownloadModelOptions = {}): Promise<StoredModel> {
    await mkdir(join(this.dir, 'downloads'), { recursive: true });
    const part = join(this.dir, 'downloads', `${createHash('sha256').update(url).digest('hex').slice(0, 16)}.part`);
    await downloadResumable(url, part, opts);
    const sha = await sha256File(part);
    if (opts.sha256 && sha !== opts.sha256.toLowerCase()) {
      await rm(part, { force: true }); // corrupt: the next attempt must start from zero
      throw new MedSegError('CHECKSUM_MISMATCH', 'The downloaded model is damaged or not the expected file (its checksum does not match). It was deleted; please download again.', {
        detail: `expected sha256 ${opts.sha256}, got ${sha}; ${url}`,
      });
    }
    const name = opts.name ?? decodeURIComponent(url.split('/').slice(-1)[0] ?? 'model').replace(/\.onnx$/i, '');
    return this.serial(() => this.add(part, { name, source: url, move: true, sha }));
  }

  /** Download a catalog entry by id (e.g. 'dinov2-small'). */
  async downloadCatalog(id: string, opts: DownloadOptions = {}): Promise<StoredModel> {
    const e = catalogEntry(id);
    if (!e) throw new MedSegError('MODEL_NOT_FOUND', `There is no model called "${id}" in the catalog.`);
    return this.download(e.url, { ...opts, sha256: e.sha256, name: e.name });
  }

  remove(id: string): Promise<void> {
    return this.serial(async () => {
      const index = await this.readIndex();
      const m = index.find((x) => x.id === id);
      if (!m) throw new MedSegError('MODEL_NOT_FOUND', 'This model is not in the model store.', { detail: id });
      await rm(join(this.dir, m.file), { force: true });
      await this.writeIndex(index.filter((x) => x.id !== id));
    });
  }

  private async add(src: string, o: { name: string; source: string; move: boolean; sha?: string }): Promise<StoredModel> {
    if (!existsSync(src)) throw new MedSegError('FILE_NOT_FOUND', 'The model file was not found.', { path: src });
    let info: { dim: number; registers: number; patchSize: number };
    try {
      info = await inspectDinov2Model(src);
    } catch (e) {
      if (o.move) await rm(src, { force: true });
      if (isMedSegError(e) && (e.code === 'MODEL_MISMATCH' || e.code === 'MODEL_INVALID')) {
        throw new MedSegError('MODEL_INVALID', `This file cannot be used as a DINOv2 feature model. ${e.message}`, { detail: e.detail, path: o.source, cause: e });
      }
      throw e;
    }
    const sha = o.sha ?? (await sha256File(src));
    const id = sha.slice(0, 16);
    const file = `${id}.onnx`;
    const index = await this.readIndex();
    const existing = index.find((m) => m.id === id);
    if (existing && existsSync(join(this.dir, existing.file))) {
      if (o.move) await rm(src, { force: true });
      return existing;
    }
    await mkdir(this.dir, { recursive: true });
    const dest = join(this.dir, file);
    try {
      const tmp = `${dest}.tmp`;
      if (o.move) await rename(src, tmp);
      else await copyFile(src, tmp);
      await rename(tmp, dest);
    } catch (e) {
      throw new MedSegError('WRITE_FAILED', 'The model could not be copied into the model folder (is the disk full?).', { detail: String(e), path: dest, cause: e });
    }
    const model: StoredModel = {
      id, name: o.name, kind: 'dinov2', dim: info.dim, patchSize: info.patchSize, registers: info.registers,
      sizeBytes: (await stat(dest)).size, sha256: sha, importedAt: new Date().toISOString(), source: o.source, file,
    };
    await this.writeIndex([...index.filter((m) => m.id !== id), model]);
    return model;
  }

  private async readIndex(): Promise<StoredModel[]> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'models.json'), 'utf8')) as StoredModel[];
    } catch {
      return []; // no store yet (a damaged index only hides entries; files stay and can be re-imported)
    }
  }

  private async writeIndex(models: StoredModel[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const p = join(this.dir, 'models.json');
    await writeFile(`${p}.tmp`, JSON.stringify(models, null, 1));
    await rename(`${p}.tmp`, p);
  }

  /** Index read-modify-write must not interleave. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f, f);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
