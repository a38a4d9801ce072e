/**
 * io/seg: DICOM SEG export (binary, one segment per class, anatomic codes) and import (binary, fractional,
 * Label Map SEG; overlapping segments). Imports src-shared, node built-ins and dcmjs (through io/dicom/dcmjs).
 */
export { buildSeg, newUid, SEG_SOP_CLASS, type SegExportInput, type SegExportResult } from './write';
export { readSegFile, parseSeg, segToGrid, LABELMAP_SEG_SOP_CLASS, type SegObject, type SegOnGrid, type SegSegmentInfo } from './read';
export { codesFor, rgbToDicomLab, dicomLabToRgb } from './codes';
