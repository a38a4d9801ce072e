/**
 * Separable 1D filtering of a 3D Float32 volume (i fastest). Hand-written because no maintained JS library does
 * anisotropic 3D separable convolution on typed arrays; it is ~40 lines and the inner loop must not allocate.
 * Borders replicate the edge voxel, so a constant stays constant and a ramp stays a ramp away from the edges.
 */
import type { Vec3 } from '../../../src-shared';

/** Normalised sampled Gaussian of standard deviation `sigmaVox` voxels; radius 3σ (at least 1). */
export function gaussianKernel(sigmaVox: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigmaVox));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let x = -r; x <= r; x++) {
    const v = Math.exp(-(x * x) / (2 * sigmaVox * sigmaVox));
    k[x + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Convolve along one axis (0 = i, 1 = j, 2 = k) into `dst` (must not alias `src`). */
export function convolveAxis(src: Float32Array, dst: Float32Array, dims: Vec3, axis: 0 | 1 | 2, kernel: Float32Array): void {
  const [nx, ny, nz] = dims;
  const r = (kernel.length - 1) >> 1;
  const n = dims[axis];
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  const line = new Float32Array(n + 2 * r);
  // Lines run along `axis`; the other two indices enumerate the line starts.
  const outerA = axis === 2 ? ny : nz;
  const outerB = axis === 0 ? ny : nx;
  for (let a = 0; a < outerA; a++) {
    for (let b = 0; b < outerB; b++) {
      let start: number;
      if (axis === 0) start = a * nx * ny + b * nx;
      else if (axis === 1) start = a * nx * ny + b;
      else start = a * nx + b;
      // Copy with replicated borders so the inner loop has no bounds checks.
      const first = src[start];
      const last = src[start + (n - 1) * stride];
      for (let t = 0; t < r; t++) line[t] = first;
      for (let t = 0, p = start; t < n; t++, p += stride) line[t + r] = src[p];
      for (let t = 0; t < r; t++) line[n + r + t] = last;
      for (let t = 0, p = start; t < n; t++, p += stride) {
        let acc = 0;
        for (let q = 0; q < kernel.length; q++) acc += kernel[q] * line[t + q];
        dst[p] = acc;
      }
    }
  }
}

/**
 * Gaussian smoothing with σ in millimetres per axis (anisotropic spacing respected).
 * Axes whose σ is below a third of a voxel are left alone: the sampled kernel would be a delta anyway.
 */
export function gaussianSmooth(src: Float32Array, dims: Vec3, spacing: Vec3, sigmaMm: number): Float32Array {
  let cur: Float32Array = src;
  let tmp: Float32Array = new Float32Array(src.length);
  let out: Float32Array = new Float32Array(src.length);
  let first = true;
  for (const axis of [0, 1, 2] as const) {
    const sv = sigmaMm / spacing[axis];
    if (sv < 1 / 3 || dims[axis] < 2) continue;
    convolveAxis(cur, out, dims, axis, gaussianKernel(sv));
    if (first) {
      cur = out;
      out = tmp;
      tmp = cur;
      first = false;
    } else {
      const t = cur;
      cur = out;
      out = t;
    }
  }
  return cur === src ? new Float32Array(src) : cur;
}
