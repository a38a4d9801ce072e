/**
 * io/dicom: DICOM reading — scan files into series entries and open an entry as a Volume.
 *
 * What lives here: Part 10 parsing through dcmjs, with repairs for files dcmjs refuses (no preamble/meta,
 * missing TransferSyntaxUID) — parse.ts; typed reads of naturalized datasets — dataset.ts; per-file pixel
 * format and per-frame geometry incl. enhanced multi-frame functional groups — frames.ts; grouping, 4D
 * splitting and non-image classification — scan.ts, uids.ts; slice order/spacing along the normal —
 * geometry.ts; frame decoding per transfer syntax (native, RLE, JPEG baseline/lossless, JPEG-LS, JPEG 2000)
 * — decode.ts, codecs/; value interpretation (bits stored, sign, colour, MONOCHROME1, rescale) — pixels.ts;
 * assembling the Volume — load.ts; path helpers (walk folders, open the one series) — open.ts.
 *
 * May import: src-shared, ../types, node built-ins, dcmjs, the Cornerstone WASM codecs and
 * jpeg-lossless-decoder-js. Nothing from features/, engine/ or any UI code. Other folders import this folder
 * only through `dicomLoader` (and the small helpers re-exported below).
 */
import type { Loader } from '../types';
import { loadDicom } from './load';
import { looksLikeDicom } from './parse';
import { scanDicom } from './scan';

const DICOM_EXT = /\.(dcm|dicom|dic|ima)$/i;

export const dicomLoader: Loader = {
  format: 'dicom',
  sniff(path: string, head: Uint8Array): boolean {
    if (head.length === 0) return DICOM_EXT.test(path);
    return looksLikeDicom(head) || (DICOM_EXT.test(path) && head.length < 132);
  },
  scan: scanDicom,
  load: loadDicom,
};

export { scanDicom, loadDicom };
export { parseDicomBytes, readDicomFile, looksLikeDicom } from './parse';
export { dicomFilesIn, scanDicomPaths, openDicomVolume } from './open';
export type { DicomImageHandle, DicomObjectHandle, SeriesInfo } from './scan';
export { writeSyntheticCtSeries, type SyntheticSeriesOptions } from './synthetic';
