/**
 * Typed reads from a dcmjs naturalized dataset. Naturalized values are loosely typed (a number or a numeric
 * string, a scalar or a one-element array, PN as an object), so every read goes through these helpers.
 */
import type { DicomDataset } from './dcmjs';

function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function toText(v: unknown): string | undefined {
  if (typeof v === 'string') return v.replace(/\0/g, '').trim();
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const alpha = (v as { Alphabetic?: unknown }).Alphabetic;
    if (typeof alpha === 'string') return alpha.trim();
  }
  return undefined;
}

export function str(ds: DicomDataset | undefined, key: string): string | undefined {
  if (!ds) return undefined;
  const s = toText(first(ds[key]));
  return s === '' ? undefined : s;
}

export function strs(ds: DicomDataset | undefined, key: string): string[] {
  if (!ds) return [];
  const v = ds[key];
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.map(toText).filter((s): s is string => s !== undefined);
}

export function num(ds: DicomDataset | undefined, key: string): number | undefined {
  if (!ds) return undefined;
  return toNumber(first(ds[key]));
}

/** All values as numbers; undefined when absent or when any value is not a number (a broken value). */
export function nums(ds: DicomDataset | undefined, key: string): number[] | undefined {
  if (!ds) return undefined;
  const v = ds[key];
  if (v === undefined || v === null) return undefined;
  let list: unknown[];
  if (Array.isArray(v)) list = v;
  else if (typeof v === 'string' && v.includes('\\')) list = v.split('\\');
  else list = [v];
  const out = list.map(toNumber);
  return out.length > 0 && out.every((n) => n !== undefined) ? (out as number[]) : undefined;
}

export function seq(ds: DicomDataset | undefined, key: string): DicomDataset[] {
  if (!ds) return [];
  const v = ds[key];
  if (Array.isArray(v)) return v.filter((x): x is DicomDataset => typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && !(x instanceof ArrayBuffer));
  if (v && typeof v === 'object' && !(v instanceof ArrayBuffer) && !ArrayBuffer.isView(v)) return [v as DicomDataset];
  return [];
}

export function item(ds: DicomDataset | undefined, key: string): DicomDataset | undefined {
  return seq(ds, key)[0];
}

export function has(ds: DicomDataset, key: string): boolean {
  return ds[key] !== undefined;
}

/** Encoded pixel data as dcmjs gives it: one ArrayBuffer per frame or per fragment. */
export function pixelBuffers(ds: DicomDataset): ArrayBuffer[] {
  const v = ds.PixelData;
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const out: ArrayBuffer[] = [];
  for (const x of list) {
    if (x instanceof ArrayBuffer) out.push(x);
    else if (ArrayBuffer.isView(x)) out.push(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength) as ArrayBuffer);
    else if (Array.isArray(x)) {
      // dcmjs with noCopy can hand back a frame as a list of fragments; join them.
      const parts = x.filter((p): p is ArrayBuffer => p instanceof ArrayBuffer);
      const total = parts.reduce((s, p) => s + p.byteLength, 0);
      const joined = new Uint8Array(total);
      let o = 0;
      for (const p of parts) { joined.set(new Uint8Array(p), o); o += p.byteLength; }
      out.push(joined.buffer);
    }
  }
  return out;
}
