/** Transfer syntax and SOP class UIDs we act on, and what kind of object a SOP class / modality is. */
import { randomBytes } from 'node:crypto';
import type { SeriesEntry } from '../types';

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflatedLE: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless57: '1.2.840.10008.1.2.4.57',
  jpegLossless70: '1.2.840.10008.1.2.4.70',
  jpegLsLossless: '1.2.840.10008.1.2.4.80',
  jpegLsNear: '1.2.840.10008.1.2.4.81',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  rle: '1.2.840.10008.1.2.5',
} as const;

export const TS_NAMES: Record<string, string> = {
  [TS.implicitLE]: 'Implicit VR Little Endian',
  [TS.explicitLE]: 'Explicit VR Little Endian',
  [TS.deflatedLE]: 'Deflated Explicit VR Little Endian',
  [TS.explicitBE]: 'Explicit VR Big Endian',
  [TS.jpegBaseline]: 'JPEG Baseline',
  [TS.jpegExtended]: 'JPEG Extended (12-bit)',
  [TS.jpegLossless57]: 'JPEG Lossless',
  [TS.jpegLossless70]: 'JPEG Lossless SV1',
  [TS.jpegLsLossless]: 'JPEG-LS Lossless',
  [TS.jpegLsNear]: 'JPEG-LS Near-Lossless',
  [TS.j2kLossless]: 'JPEG 2000 Lossless',
  [TS.j2k]: 'JPEG 2000',
  [TS.rle]: 'RLE Lossless',
  '1.2.840.10008.1.2.4.100': 'MPEG2',
  '1.2.840.10008.1.2.4.102': 'MPEG-4',
  '1.2.840.10008.1.2.4.201': 'HTJ2K Lossless',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
};

export function isNativeSyntax(ts: string): boolean {
  return ts === TS.implicitLE || ts === TS.explicitLE || ts === TS.deflatedLE || ts === TS.explicitBE;
}

const SEG_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.66.7']);
const RTSTRUCT_CLASS = '1.2.840.10008.5.1.4.1.1.481.3';
/** SOP classes that carry pixel data but are not anatomy to segment (dose grids, plans, raw, presentation states…). */
const OTHER_CLASS_PREFIXES = [
  '1.2.840.10008.5.1.4.1.1.481.', // RT objects (dose, plan, image is .481.1 and handled below)
  '1.2.840.10008.5.1.4.1.1.88.', // structured reports
  '1.2.840.10008.5.1.4.1.1.11.', // presentation states
  '1.2.840.10008.5.1.4.1.1.104.', // encapsulated PDF/CDA
  '1.2.840.10008.5.1.4.1.1.66', // raw data, registration, fiducials (SEG handled above)
  '1.2.840.10008.5.1.4.1.1.9.', // waveforms
];
const OTHER_MODALITIES = new Set(['SR', 'PR', 'KO', 'REG', 'RTPLAN', 'RTDOSE', 'RTRECORD', 'FID', 'DOC', 'ECG', 'AU', 'PLAN']);

export function classify(sopClassUid: string | undefined, modality: string | undefined, hasImagePixels: boolean): SeriesEntry['kind'] {
  if ((sopClassUid && SEG_CLASSES.has(sopClassUid)) || modality === 'SEG') return 'seg';
  if (sopClassUid === RTSTRUCT_CLASS || modality === 'RTSTRUCT') return 'rtstruct';
  if (sopClassUid === '1.2.840.10008.5.1.4.1.1.481.1') return hasImagePixels ? 'image' : 'other'; // RT Image
  if (sopClassUid && OTHER_CLASS_PREFIXES.some((p) => sopClassUid.startsWith(p))) return 'other';
  if (modality && OTHER_MODALITIES.has(modality)) return 'other';
  return hasImagePixels ? 'image' : 'other';
}

/** A new globally unique UID from 128 random bits (the 2.25 UUID-derived root, PS3.5 B.2). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString()}`;
}
