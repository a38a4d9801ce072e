/**
 * io/: readers and writers per format. The ONLY place that imports dcmjs, codecs or format libraries.
 * Output: a Volume (typed voxels + LPS geometry). May import src-shared and node built-ins only.
 *
 * Public surface (other folders import from here, not from format subfolders):
 *   scanPaths(paths)          → every series found in files/folders (images and non-image objects), plus per-file errors
 *   openVolume(path)          → the single image volume at a path (file or folder), MULTIPLE_SERIES if ambiguous
 *   loadEntry(entry)          → open one scanned entry
 *   writeVolume(vol, path)    → .nii / .nii.gz / .nrrd by extension, geometry intact, never overwriting unasked
 *   resampleVolume / resampleLabels / resampleData → another grid through world coordinates
 */
export * from './types';
export { scanPaths, openVolume, loadEntry, LOADERS, type ScanOptions, type ScanResult } from './registry';
export { writeVolume, encodeVolume, outputFormat, WRITE_EXTENSIONS, type WritableVolume, type WriteOptions } from './write';
export { resampleData, resampleVolume, resampleLabels, indexToIndexMatrix, type ResampleOptions } from './resample';
export { workingGrid, downsampleVolume, labelsToWork, labelsToFull, WORK_VOXELS, type WorkGrid } from './workgrid';
export { exportSegmentation, checkOutputPath, classesFor, isSegPath, EXPORT_EXTENSIONS, type ExportResult } from './export';
