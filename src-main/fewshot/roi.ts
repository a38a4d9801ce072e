/**
 * Where no organ can be: the air around the patient in CT. Those voxels are background without scoring the head or
 * running the propagation through them, which on a typical body CT skips a third to a half of the volume per
 * update. Only CT: its air value is physical (−1000 HU); MR has no such fixed value.
 */
import type { Vec3, Volume } from '../../src-shared';

/** Smoothed HU/100 below this is air (−500 HU: halfway between air and any tissue). */
const AIR = -5;
/** Voxels of body margin kept around the tissue, so skin and the body edge stay inside the scored region. */
const MARGIN = 2;

const cache = new WeakMap<Volume, Uint8Array | null>();

/**
 * 1 for air connected to the volume's border (outside the patient), eroded by MARGIN voxels; null when the image
 * is not CT or nothing is outside. `edge` is the smoothed normalised intensity (HU/100 for CT). Cached per volume.
 */
export function outsideAir(volume: Volume, edge: Float32Array): Uint8Array | null {
  const hit = cache.get(volume);
  if (hit !== undefined) return hit;
  const result = volume.modality === 'CT' ? computeOutside(volume.dims as Vec3, edge) : null;
  cache.set(volume, result);
  return result;
}

function computeOutside(dims: Vec3, edge: Float32Array): Uint8Array | null {
  const [nx, ny, nz] = dims;
  const plane = nx * ny, n = plane * nz;
  const out = new Uint8Array(n);
  const stack = new Int32Array(n);
  let top = 0;
  // Seed from the in-plane border of every slice: the first and last slices cut through the body, so air touching
  // them is not necessarily outside (lungs, bowel gas).
  const seed = (v: number): void => { if (!out[v] && edge[v] < AIR) { out[v] = 1; stack[top++] = v; } };
  for (let k = 0; k < nz; k++) {
    for (let i = 0; i < nx; i++) { seed(k * plane + i); seed(k * plane + (ny - 1) * nx + i); }
    for (let j = 0; j < ny; j++) { seed(k * plane + j * nx); seed(k * plane + j * nx + nx - 1); }
  }
  // In-plane 4-connected flood fill: a slice's outside air is connected to its own border.
  while (top > 0) {
    const v = stack[--top];
    const r = v % plane, i = r % nx, j = (r / nx) | 0;
    if (i > 0) seed(v - 1);
    if (i < nx - 1) seed(v + 1);
    if (j > 0) seed(v - nx);
    if (j < ny - 1) seed(v + nx);
  }
  // Erode the outside (grow the body) by MARGIN voxels in-plane.
  for (let it = 0; it < MARGIN; it++) {
    const prev = out.slice();
    for (let v = 0; v < n; v++) {
      if (!prev[v]) continue;
      const r = v % plane, i = r % nx, j = (r / nx) | 0;
      if ((i > 0 && !prev[v - 1]) || (i < nx - 1 && !prev[v + 1]) || (j > 0 && !prev[v - nx]) || (j < ny - 1 && !prev[v + nx])) out[v] = 0;
    }
  }
  let count = 0;
  for (let v = 0; v < n; v++) count += out[v];
  return count > 0 ? out : null;
}
