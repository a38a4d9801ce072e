/**
 * Bytes → naturalized dataset. dcmjs reads Part 10 files; this module makes the files it refuses readable
 * first: no preamble, no file meta, meta without group length or without TransferSyntaxUID. Those repairs are
 * hand-written because they are a few dozen lines of byte layout that no library offers as a separate step.
 * Deflated datasets are inflated by dcmjs itself (it bundles pako).
 */
import { open, readFile, stat } from 'node:fs/promises';
import { MedSegError } from '../../../src-shared';
import { dcmjs, type DicomDataset } from './dcmjs';
import { TS } from './uids';

export interface ParsedDicom {
  path: string;
  dataset: DicomDataset;
  /** File meta (group 0002), naturalized; SOP Class/Instance UIDs live here when the data set's are empty. */
  meta: DicomDataset;
  transferSyntax: string;
  /** Things noticed while reading (e.g. the transfer syntax had to be guessed). */
  notes: string[];
}

const VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV']);
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

function vrAt(b: Uint8Array, o: number): string | undefined {
  if (o + 2 > b.length) return undefined;
  const vr = String.fromCharCode(b[o], b[o + 1]);
  return VRS.has(vr) ? vr : undefined;
}

function hasPreamble(b: Uint8Array): boolean {
  return b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;
}

/**
 * Guess the transfer syntax of a raw dataset (no meta) from its first element: group 0x0008 (or 0x0002 for a
 * bare meta) read little- or big-endian, and whether a valid VR follows the tag.
 */
export function guessSyntax(b: Uint8Array, o = 0): string | undefined {
  if (o + 8 > b.length) return undefined;
  const groupLE = b[o] | (b[o + 1] << 8);
  const groupBE = (b[o] << 8) | b[o + 1];
  const plausible = (g: number) => g >= 0x0002 && g <= 0x0010 && g % 2 === 0;
  if (plausible(groupLE)) {
    if (vrAt(b, o + 4)) return TS.explicitLE;
    const len = (b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16) | (b[o + 7] << 24)) >>> 0;
    if (len === 0xffffffff || o + 8 + len <= b.length) return TS.implicitLE;
    return undefined;
  }
  if (plausible(groupBE) && vrAt(b, o + 4)) return TS.explicitBE;
  return undefined;
}

/** Cheap content test: Part 10 preamble, or a dataset/meta that starts like DICOM. */
export function looksLikeDicom(head: Uint8Array): boolean {
  return hasPreamble(head) || guessSyntax(head) !== undefined;
}

interface MetaElement { group: number; element: number; vr: string; value: Uint8Array }

/** Read explicit-LE group-0002 elements starting at o; returns them and the offset of the dataset. */
function readMeta(b: Uint8Array, o: number): { elements: MetaElement[]; end: number } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const elements: MetaElement[] = [];
  while (o + 8 <= b.length) {
    const group = dv.getUint16(o, true);
    if (group !== 0x0002) break;
    const element = dv.getUint16(o + 2, true);
    const vr = vrAt(b, o + 4);
    if (!vr) throw new MedSegError('DICOM_INVALID', 'This DICOM file has a damaged file header.', { detail: `bad VR in file meta at byte ${o}` });
    let len: number, start: number;
    if (LONG_VRS.has(vr)) { len = dv.getUint32(o + 8, true); start = o + 12; }
    else { len = dv.getUint16(o + 6, true); start = o + 8; }
    if (start + len > b.length) throw new MedSegError('FILE_TRUNCATED', 'This DICOM file is cut short (its header is incomplete).');
    elements.push({ group, element, vr, value: b.subarray(start, start + len) });
    o = start + len;
  }
  return { elements, end: o };
}

function metaText(e: MetaElement | undefined): string | undefined {
  if (!e) return undefined;
  const s = String.fromCharCode(...e.value).replace(/[\0 ]+$/, '');
  return s || undefined;
}

function encodeMeta(elements: MetaElement[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of elements) {
    const long = LONG_VRS.has(e.vr);
    let value = e.value;
    if (value.length % 2) { const p = new Uint8Array(value.length + 1); p.set(value); value = p; }
    const h = new Uint8Array(long ? 12 : 8);
    const dv = new DataView(h.buffer);
    dv.setUint16(0, e.group, true); dv.setUint16(2, e.element, true);
    h[4] = e.vr.charCodeAt(0); h[5] = e.vr.charCodeAt(1);
    if (long) dv.setUint32(8, value.length, true); else dv.setUint16(6, value.length, true);
    parts.push(h, value);
  }
  const bodyLen = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(12 + bodyLen);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0x0002, true); dv.setUint16(2, 0x0000, true);
  out[4] = 0x55; out[5] = 0x4c; // UL
  dv.setUint16(6, 4, true); dv.setUint32(8, bodyLen, true);
  let o = 12;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function textElement(element: number, text: string): MetaElement {
  return { group: 2, element, vr: 'UI', value: new Uint8Array([...text].map((c) => c.charCodeAt(0))) };
}

/**
 * Return a buffer dcmjs accepts (preamble + meta with group length and TransferSyntaxUID) and the syntax.
 * Untouched when the file is already well formed, so the common case costs nothing.
 */
export function normalizePart10(b: Uint8Array, notes: string[]): { buffer: ArrayBuffer; syntax: string } {
  let metaStart: number;
  if (hasPreamble(b)) metaStart = 132;
  else if (b.length >= 8 && b[0] === 0x02 && b[1] === 0x00) metaStart = 0; // file meta without the preamble
  else metaStart = -1;

  let elements: MetaElement[] = [];
  let datasetStart = 0;
  if (metaStart >= 0) {
    const m = readMeta(b, metaStart);
    elements = m.elements;
    datasetStart = m.end;
  }
  const hasGroupLength = elements.length > 0 && elements[0].element === 0x0000;
  const tsElement = elements.find((e) => e.element === 0x0010);
  let syntax = metaText(tsElement);
  if (metaStart === 132 && hasGroupLength && syntax) {
    return { buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, syntax };
  }
  if (!syntax) {
    syntax = guessSyntax(b, datasetStart);
    if (!syntax) {
      throw new MedSegError('DICOM_INVALID', 'This file does not look like a readable DICOM image.', {
        detail: metaStart < 0 ? 'no DICM preamble and the data does not start with a DICOM element' : 'file meta has no TransferSyntaxUID and the data set encoding could not be recognised',
      });
    }
    notes.push(metaStart < 0 ? 'File has no DICOM header; its encoding was recognised from the data.' : 'File header does not state the encoding; it was recognised from the data.');
  }
  const kept = elements.filter((e) => e.element !== 0x0000 && e.element !== 0x0010);
  kept.push(textElement(0x0010, syntax));
  kept.sort((a, c) => a.element - c.element);
  const meta = encodeMeta(kept);
  const dataset = b.subarray(datasetStart);
  const out = new Uint8Array(132 + meta.length + dataset.length);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  out.set(meta, 132);
  out.set(dataset, 132 + meta.length);
  return { buffer: out.buffer, syntax };
}

function isEndOfData(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return e instanceof RangeError || /out of (range|bounds)|outside the bounds|beyond|past end|end of (buffer|stream)/i.test(msg);
}

/** Parse DICOM bytes. headerOnly stops before the pixel data (scan). Throws MedSegError. */
export function parseDicomBytes(bytes: Uint8Array, path: string, headerOnly = false): ParsedDicom {
  if (bytes.length === 0) throw new MedSegError('FILE_EMPTY', 'The file is empty (0 bytes).', { path });
  const notes: string[] = [];
  let buffer: ArrayBuffer, syntax: string;
  try {
    ({ buffer, syntax } = normalizePart10(bytes, notes));
  } catch (e) {
    if (e instanceof MedSegError) throw new MedSegError(e.code, e.message, { detail: e.detail, path });
    throw e;
  }
  const api = dcmjs();
  let dict: Record<string, unknown>, metaDict: Record<string, unknown>;
  const untilTag = headerOnly ? '7FE00010' : null;
  try {
    let read;
    try {
      read = api.data.DicomMessage.readFile(buffer, { ignoreErrors: false, untilTag, includeUntilTagValue: false });
    } catch (e) {
      // dcmjs refuses ISO 2022 code extensions (several character sets, common in Japanese data) unless errors
      // are ignored; only text in those extensions can be garbled, pixels and geometry are unaffected.
      if (!/multiple character sets/i.test(e instanceof Error ? e.message : '')) throw e;
      read = api.data.DicomMessage.readFile(buffer, { ignoreErrors: true, untilTag, includeUntilTagValue: false });
      notes.push('The file uses several character sets; names and descriptions may show garbled characters.');
    }
    dict = read.dict;
    metaDict = read.meta;
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    if (isEndOfData(e) && hasPreamble(bytes)) {
      throw new MedSegError('FILE_TRUNCATED', 'This DICOM file is cut short; it may have been copied incompletely.', { path, detail, cause: e });
    }
    throw new MedSegError('DICOM_INVALID', 'This DICOM file is damaged and cannot be read.', { path, detail, cause: e });
  }
  let dataset: DicomDataset, meta: DicomDataset;
  try {
    dataset = api.data.DicomMetaDictionary.naturalizeDataset(dict);
    meta = api.data.DicomMetaDictionary.naturalizeDataset(metaDict);
  } catch (e) {
    throw new MedSegError('DICOM_INVALID', 'This DICOM file contains values that cannot be interpreted.', { path, detail: e instanceof Error ? e.message : String(e), cause: e });
  }
  return { path, dataset, meta, transferSyntax: syntax, notes };
}

/** Scans read only this much of large files first; the header of nearly every image fits. */
const HEADER_PROBE_BYTES = 128 * 1024;

async function readHead(path: string, n: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Read and parse one file, turning file-system failures into typed errors. */
export async function readDicomFile(path: string, headerOnly = false): Promise<ParsedDicom> {
  let bytes: Uint8Array;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new MedSegError('FILE_UNREADABLE', 'Expected a file but found a folder.', { path });
    if (st.size === 0) throw new MedSegError('FILE_EMPTY', 'The file is empty (0 bytes).', { path });
    if (headerOnly && st.size > 2 * HEADER_PROBE_BYTES) {
      // A cut-off read is trusted only if parsing reached the pixel data element; otherwise elements could be
      // missing silently, so anything else falls back to reading the whole file.
      try {
        const parsed = parseDicomBytes(await readHead(path, HEADER_PROBE_BYTES), path, true);
        if (parsed.dataset.PixelData !== undefined) return parsed;
      } catch {
        /* header longer than the probe, or damaged: the full read below decides */
      }
    }
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof MedSegError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MedSegError('FILE_NOT_FOUND', 'The file does not exist (it may have been moved or deleted).', { path, cause: e });
    throw new MedSegError('FILE_UNREADABLE', 'The file cannot be read (check that you have permission to open it).', { path, detail: String(code ?? e), cause: e });
  }
  return parseDicomBytes(bytes, path, headerOnly);
}
