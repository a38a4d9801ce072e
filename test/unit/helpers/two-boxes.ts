/** The engine tests' phantom: two boxes through every slice, and strokes inside each and in the background. */
import { BACKGROUND_ID, IDENTITY3, type Volume } from '../../../src-shared';

export const NX = 32, NY = 32, NZ = 8;
export const inA = (i: number, j: number): boolean => i >= 4 && i < 14 && j >= 4 && j < 14;
export const inB = (i: number, j: number): boolean => i >= 18 && i < 28 && j >= 18 && j < 28;

/** Two boxes through all slices: A (class 1, 200 HU) and B (class 2, 600 HU) on a 0 HU background with mild noise. */
export function twoBoxes(): { volume: Volume; truth: Uint8Array } {
  const n = NX * NY * NZ;
  const data = new Int16Array(n);
  const truth = new Uint8Array(n);
  let seed = 1;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 21) - 10;
  for (let k = 0; k < NZ; k++) for (let j = 0; j < NY; j++) for (let i = 0; i < NX; i++) {
    const v = i + j * NX + k * NX * NY;
    const c = inA(i, j) ? 1 : inB(i, j) ? 2 : 0;
    truth[v] = c;
    data[v] = (c === 1 ? 200 : c === 2 ? 600 : 0) + noise();
  }
  const volume: Volume = {
    dims: [NX, NY, NZ], spacing: [1, 1, 2], origin: [0, 0, 0], direction: [...IDENTITY3] as Volume['direction'],
    data, voxelType: 'int16', modality: 'CT', meta: { format: 'synthetic' }, window: { center: 300, width: 800 }, warnings: [],
  };
  return { volume, truth };
}

/** Scribbles: a short line inside each box and one in the background, on slice k. */
export function strokes(k: number): { indices: Uint32Array; values: Uint8Array } {
  const idx: number[] = [], val: number[] = [];
  for (let i = 6; i < 12; i++) { idx.push(i + 8 * NX + k * NX * NY); val.push(1); }
  for (let i = 20; i < 26; i++) { idx.push(i + 22 * NX + k * NX * NY); val.push(2); }
  for (let i = 2; i < 30; i++) { idx.push(i + 1 * NX + k * NX * NY); val.push(BACKGROUND_ID); }
  return { indices: Uint32Array.from(idx), values: Uint8Array.from(val) };
}

export function dice(a: Uint8Array, b: Uint8Array, c: number): number {
  let inter = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === c) na++;
    if (b[i] === c) nb++;
    if (a[i] === c && b[i] === c) inter++;
  }
  return (2 * inter) / (na + nb);
}
