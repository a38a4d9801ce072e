/**
 * Where server passwords and tokens are kept. Electron passes a store backed by the OS keychain (safeStorage);
 * web mode and the CLI use a private file (mode 0600) in the user's folder — stated in the UI, since it is not
 * encrypted.
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../engine/workspace';

export interface SecretStore {
  readonly kind: 'keychain' | 'file';
  get(key: string): Promise<string | null>;
  set(key: string, value: string | null): Promise<void>;
}

export class FileSecretStore implements SecretStore {
  readonly kind = 'file' as const;
  constructor(private readonly file: string) {}

  private async all(): Promise<Record<string, string>> {
    try {
      const v: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      return v && typeof v === 'object' ? (v as Record<string, string>) : {};
    } catch {
      return {};
    }
  }

  async get(key: string): Promise<string | null> {
    return (await this.all())[key] ?? null;
  }

  async set(key: string, value: string | null): Promise<void> {
    const all = await this.all();
    if (value === null) delete all[key];
    else all[key] = value;
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, JSON.stringify(all));
    await chmod(this.file, 0o600);
  }
}

/** Secrets encrypted with a function pair (Electron: safeStorage.encryptString / decryptString) in a file. */
export class EncryptedSecretStore implements SecretStore {
  readonly kind = 'keychain' as const;
  private readonly inner: FileSecretStore;
  constructor(file: string, private readonly enc: (s: string) => Buffer, private readonly dec: (b: Buffer) => string) {
    this.inner = new FileSecretStore(file);
  }
  async get(key: string): Promise<string | null> {
    const v = await this.inner.get(key);
    return v === null ? null : this.dec(Buffer.from(v, 'base64'));
  }
  async set(key: string, value: string | null): Promise<void> {
    await this.inner.set(key, value === null ? null : this.enc(value).toString('base64'));
  }
}
