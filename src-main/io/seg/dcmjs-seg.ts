/**
 * The part of dcmjs's API the SEG reader/writer needs beyond what io/dicom declares (writing Part 10).
 * dcmjs is loaded once, by io/dicom/dcmjs.ts; this only states the extra methods' types.
 */
import { dcmjs } from '../dicom/dcmjs';

export type Naturalized = Record<string, unknown>;

interface DicomDictLike {
  dict: Record<string, unknown>;
  write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
}
interface DcmjsWrite {
  data: {
    DicomDict: new (meta: Record<string, unknown>) => DicomDictLike;
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): { dict: Record<string, unknown>; meta: Record<string, unknown> } };
    DicomMetaDictionary: {
      naturalizeDataset(dict: Record<string, unknown>): Naturalized;
      denaturalizeDataset(ds: Naturalized): Record<string, unknown>;
    };
  };
}

export function dcmjsSeg(): DcmjsWrite {
  return dcmjs() as unknown as DcmjsWrite;
}
