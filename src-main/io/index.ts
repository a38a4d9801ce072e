/**
 * io/: readers and writers per format. The ONLY place that imports dcmjs, codecs or format libraries.
 * Output: a Volume (typed voxels + LPS geometry). May import src-shared and node built-ins only.
 *
 * Public surface (other folders import from here, not from format subfolders):
 *   scanPaths(paths)  → every series found in files/folders (images and non-image objects), plus per-file errors
 *   openVolume(path)  → the single image volume at a path (file or folder), MULTIPLE_SERIES if ambiguous
 *   loadEntry(entry)  → open one scanned entry
 * Registry and helpers live in ./registry.ts (filled in as formats land).
 */
export * from './types';
