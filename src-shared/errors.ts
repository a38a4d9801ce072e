/**
 * Typed errors a user can meet. Each has a stable code (for tests, CLI exit output and the UI) and a message
 * written for a radiologist, not a programmer. Pure TypeScript.
 */
export const ERROR_CODES = [
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'FILE_EMPTY',
  'FILE_TRUNCATED',
  'UNKNOWN_FORMAT',
  'NO_IMAGES',
  'NOT_AN_IMAGE', // SEG, RTSTRUCT, SR… offered as an image
  'DICOM_INVALID',
  'DICOM_UNSUPPORTED_SYNTAX',
  'DICOM_DECODE_FAILED',
  'DICOM_MISSING_PIXELS',
  'DICOM_MISSING_GEOMETRY',
  'DICOM_4D', // repeated positions that cannot be split
  'DICOM_INCONSISTENT', // slices of different size/orientation in one series
  'MULTIPLE_SERIES', // a single volume was asked for but several series were found
  'NIFTI_INVALID',
  'NRRD_INVALID',
  'MGH_INVALID',
  'UNSUPPORTED_DATATYPE',
  'GRID_MISMATCH',
  'NO_OVERLAP',
  'SEQUENCE_MISMATCH', // sequences of different patients/studies: the user must confirm
  'SEQUENCE_4D', // a time series offered as one sequence
  'SEQUENCE_SOURCE_CHANGED', // a saved sequence's file now holds another image: it is left out when the study reopens
  'LABELS_SINGLE_CLASS',
  'LABELS_EMPTY',
  'MODEL_INVALID',
  'MODEL_MISMATCH',
  'MODEL_NOT_FOUND',
  'HEAD_MISMATCH',
  'HEAD_INVALID',
  'DOWNLOAD_FAILED',
  'CHECKSUM_MISMATCH',
  'CANCELLED',
  'OUT_OF_MEMORY',
  'INVALID_ARGUMENT',
  'WRITE_FAILED',
  'FILE_EXISTS', // refusing to overwrite an existing output without an explicit --force
  'UNAUTHORIZED',
  'SERVER_UNREACHABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface MedSegErrorInfo {
  code: ErrorCode;
  message: string;
  /** Technical detail for the log / a "details" disclosure; never needed to understand the problem. */
  detail?: string;
  /** File or series the error is about, when there is one. */
  path?: string;
}

export class MedSegError extends Error implements MedSegErrorInfo {
  readonly code: ErrorCode;
  readonly detail?: string;
  readonly path?: string;
  constructor(code: ErrorCode, message: string, opts: { detail?: string; path?: string; cause?: unknown } = {}) {
    super(message);
    this.name = 'MedSegError';
    this.code = code;
    this.detail = opts.detail;
    this.path = opts.path;
    if (opts.cause !== undefined) (this as { cause?: unknown }).cause = opts.cause;
  }
  toJSON(): MedSegErrorInfo {
    return { code: this.code, message: this.message, detail: this.detail, path: this.path };
  }
}

export function isMedSegError(e: unknown): e is MedSegError {
  return e instanceof MedSegError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'MedSegError' && typeof (e as { code?: unknown }).code === 'string');
}

/** Turn anything thrown into a typed error, keeping typed ones as they are. */
export function toMedSegError(e: unknown, fallback: ErrorCode = 'INTERNAL', message = 'An unexpected error occurred.'): MedSegError {
  if (e instanceof MedSegError) return e;
  if (isMedSegError(e)) return new MedSegError(e.code, e.message, { detail: e.detail, path: e.path });
  const detail = e instanceof Error ? e.message : String(e);
  return new MedSegError(fallback, message, { detail, cause: e });
}
