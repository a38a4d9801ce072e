/**
 * Label conventions shared by engine, CLI, UI and files. Pure TypeScript.
 *
 * Two kinds of maps, both Uint8Array on the image's grid (i fastest):
 * - a SCRIBBLE map (what the user painted): 0 = unlabeled, BACKGROUND_ID (255) = background, 1..254 = class ids.
 * - a PREDICTION / segmentation map (what the engine outputs and what is exported): 0 = background,
 *   1..254 = class ids.
 * Class ids are the user's (e.g. TotalSegmentator ids 5 liver, 1 spleen…), so files keep their meaning.
 */
export const UNLABELED = 0;
export const BACKGROUND_ID = 255;
export const MAX_CLASS_ID = 254;

export interface ClassSpec {
  id: number; // 1..254
  name: string;
  color: [number, number, number]; // 0..255 RGB
  locked?: boolean;
  hidden?: boolean;
}

/** A sparse edit of the scribble map: voxel indices and the new value at each (0 erases). Undo is another diff. */
export interface LabelDiff {
  indices: Uint32Array;
  values: Uint8Array;
}

export const DEFAULT_COLORS: [number, number, number][] = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255],
];

/**
 * fn(v) for every non-zero byte of a label map, in ascending order. Strokes are a tiny fraction of a study, so zero
 * words are skipped four bytes at a time (a 512×512×300 map is 79 M bytes, read at every update).
 */
export function forEachLabeled(labels: Uint8Array, fn: (v: number) => void): void {
  const n = labels.length;
  const head = Math.min(n, (4 - (labels.byteOffset % 4)) % 4);
  for (let v = 0; v < head; v++) if (labels[v]) fn(v);
  const words = (n - head) >> 2;
  // No word view when there is no whole word (a view shorter than its alignment gap would start unaligned).
  const w32 = words > 0 ? new Uint32Array(labels.buffer, labels.byteOffset + head, words) : null;
  for (let q = 0; q < words; q++) {
    if (w32![q] === 0) continue;
    const v = head + q * 4;
    if (labels[v]) fn(v);
    if (labels[v + 1]) fn(v + 1);
    if (labels[v + 2]) fn(v + 2);
    if (labels[v + 3]) fn(v + 3);
  }
  for (let v = head + words * 4; v < n; v++) if (labels[v]) fn(v);
}
