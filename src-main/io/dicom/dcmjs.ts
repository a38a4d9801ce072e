/**
 * The one place that loads dcmjs. dcmjs ships no type declarations, so this module states the small part of its
 * API we use and loads it through createRequire (keeps an untyped package out of the type graph and avoids a
 * global `declare module` that could clash with another folder's declaration).
 */
import { createRequire } from 'node:module';

export type DicomDataset = Record<string, unknown>;

interface DicomDict {
  meta: Record<string, unknown>;
  dict: Record<string, unknown>;
}

interface ReadOptions {
  ignoreErrors?: boolean;
  untilTag?: string | null;
  includeUntilTagValue?: boolean;
  noCopy?: boolean;
  forceStoreRaw?: boolean;
}

interface Logger {
  setLevel(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'): void;
  getLogger(name: string): Logger;
}

interface DcmjsApi {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict };
    DicomMetaDictionary: { naturalizeDataset(dict: Record<string, unknown>): DicomDataset };
  };
  log: Logger;
}

let api: DcmjsApi | undefined;

export function dcmjs(): DcmjsApi {
  if (!api) {
    const require = createRequire(import.meta.url);
    api = require('dcmjs') as DcmjsApi;
    // dcmjs logs every recoverable oddity (private VRs, short values) to the console; we report what matters
    // ourselves as typed errors or volume warnings, so keep the app log readable. The validation logger reports
    // ambiguous implicit-VR types (xs/ox) at error level on nearly every implicit file, so it is silenced.
    api.log.setLevel('error');
    api.log.getLogger('validation.dcmjs').setLevel('silent');
  }
  return api;
}
