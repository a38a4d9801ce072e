/**
 * The simulated annotator of /work/shared/BENCHMARK.md, implemented to the letter so that numbers from other
 * tools are comparable. Every integer rule (slice choice, centroid rounding, erosion border, the 3×3 rule of
 * slice mode, the background region) follows the "exact details" there.
 */
import { BACKGROUND_ID, MedSegError, type Vec3 } from '../../src-shared';

export type AnnotatorMode = 'slice' | 'scribble';

export interface AnnotatorInput {
  /** Reference label map (class ids, 0 = nothing), i fastest. */
  reference: Uint8Array;
  /** Raw image values on the same grid (HU for CT). */
  image: ArrayLike<number>;
  dims: Vec3;
  modality: 'CT' | 'MR' | string;
  classes: number[];
  k: number;
  mode: AnnotatorMode;
}

/** z_i = z0 + floor((2i+1)·n / (2k)), n = z1 − z0 + 1, duplicates removed keeping the first. */
export function chooseSlices(reference: Uint8Array, dims: Vec3, classes: number[], k: number): number[] {
  if (!Number.isInteger(k) || k < 1) throw new MedSegError('INVALID_ARGUMENT', `The number of annotated slices must be a whole number ≥ 1 (got ${k}).`);
  const isTarget = new Uint8Array(256);
  for (const c of classes) isTarget[c] = 1;
  const plane = dims[0] * dims[1];
  let z0 = -1, z1 = -1;
  for (let z = 0; z < dims[2]; z++) {
    const base = z * plane;
    for (let p = 0; p < plane; p++) {
      if (isTarget[reference[base + p]]) {
        if (z0 < 0) z0 = z;
        z1 = z;
        break;
      }
    }
  }
  if (z0 < 0) throw new MedSegError('LABELS_EMPTY', `None of the target classes (${classes.join(', ')}) is present in the reference labels.`);
  const n = z1 - z0 + 1;
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const z = z0 + Math.floor(((2 * i + 1) * n) / (2 * k));
    if (!out.includes(z)) out.push(z);
  }
  return out;
}

/** One 3×3 erosion step; voxels outside the image count as outside the mask. */
export function erode3x3(m: Uint8Array, nx: number, ny: number): Uint8Array {
  const out = new Uint8Array(m.length);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      if (!m[j * nx + i]) continue;
      if (i === 0 || j === 0 || i === nx - 1 || j === ny - 1) continue;
      let all = 1;
      for (let dj = -1; dj <= 1 && all; dj++) for (let di = -1; di <= 1; di++) if (!m[(j + dj) * nx + i + di]) { all = 0; break; }
      out[j * nx + i] = all;
    }
  }
  return out;
}

/** Centroid rounded half up: r = floor((2Σi + N) / (2N)). Null for an empty mask. */
export function centroid(m: Uint8Array, nx: number, ny: number): [number, number] | null {
  let si = 0, sj = 0, N = 0;
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (m[j * nx + i]) { si += i; sj += j; N++; }
  if (N === 0) return null;
  return [Math.floor((2 * si + N) / (2 * N)), Math.floor((2 * sj + N) / (2 * N))];
}

/** Paint the full row and column through the centroid, where they lie inside `m`. */
function paintCross(m: Uint8Array, nx: number, ny: number, value: number, out: Uint8Array, base: number): void {
  const c = centroid(m, nx, ny);
  if (!c) return;
  const [ci, cj] = c;
  for (let i = 0; i < nx; i++) if (m[cj * nx + i]) out[base + cj * nx + i] = value;
  for (let j = 0; j < ny; j++) if (m[j * nx + ci]) out[base + j * nx + ci] = value;
}

function sliceThreshold(image: ArrayLike<number>, base: number, plane: number, modality: string): number {
  if (modality === 'CT') return -500;
  // 10th percentile of the slice, nearest rank on the sorted values: sorted[floor(0.1·(N−1))].
  const vals = new Float64Array(plane);
  for (let p = 0; p < plane; p++) vals[p] = image[base + p];
  vals.sort();
  return vals[Math.floor(0.1 * (plane - 1))];
}

/** Scribble map (0 unlabeled, 255 background, class ids) for the chosen slices, and the slices. */
export function simulateAnnotation(inp: AnnotatorInput): { scribbles: Uint8Array; slices: number[] } {
  const { reference, image, dims, classes, k, mode, modality } = inp;
  const [nx, ny] = dims;
  const plane = nx * ny;
  if (reference.length !== plane * dims[2] || image.length !== reference.length) {
    throw new MedSegError('GRID_MISMATCH', 'The reference labels are not on the image grid.');
  }
  const slices = chooseSlices(reference, dims, classes, k);
  const isTarget = new Uint8Array(256);
  for (const c of classes) isTarget[c] = 1;
  const out = new Uint8Array(reference.length);
  const T = new Uint8Array(plane);
  for (const z of slices) {
    const base = z * plane;
    for (let p = 0; p < plane; p++) { const v = reference[base + p]; T[p] = isTarget[v] ? v : 0; }
    if (mode === 'slice') {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const t = T[j * nx + i];
          let uniform = true;
          for (let dj = -1; dj <= 1 && uniform; dj++) {
            const jj = j + dj;
            if (jj < 0 || jj >= ny) continue;
            for (let di = -1; di <= 1; di++) {
              const ii = i + di;
              if (ii < 0 || ii >= nx) continue;
              if (T[jj * nx + ii] !== t) { uniform = false; break; }
            }
          }
          if (uniform) out[base + j * nx + i] = t === 0 ? BACKGROUND_ID : t;
        }
      }
      continue;
    }
    for (const c of classes) {
      const m = new Uint8Array(plane);
      let any = false;
      for (let p = 0; p < plane; p++) if (T[p] === c) { m[p] = 1; any = true; }
      if (!any) continue;
      let e = erode3x3(erode3x3(m, nx, ny), nx, ny);
      if (!e.some((x) => x)) e = m;
      paintCross(e, nx, ny, c, out, base);
    }
    // Background: farther than 3 voxels (Euclidean, in-plane) from every target voxel, and inside the body.
    const near = new Uint8Array(plane);
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        if (!T[j * nx + i]) continue;
        for (let dj = -3; dj <= 3; dj++) {
          const jj = j + dj;
          if (jj < 0 || jj >= ny) continue;
          for (let di = -3; di <= 3; di++) {
            const ii = i + di;
            if (ii < 0 || ii >= nx || di * di + dj * dj > 9) continue;
            near[jj * nx + ii] = 1;
          }
        }
      }
    }
    const thr = sliceThreshold(image, base, plane, modality);
    const bg = new Uint8Array(plane);
    for (let p = 0; p < plane; p++) bg[p] = !near[p] && image[base + p] > thr ? 1 : 0;
    paintCross(bg, nx, ny, BACKGROUND_ID, out, base);
  }
  return { scribbles: out, slices };
}
