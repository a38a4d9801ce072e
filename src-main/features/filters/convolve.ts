/**
 * Separable 1D filtering of a 3D Float32 volume (i fastest). Hand-written because no maintained JS library does
 * anisotropic 3D separable convolution on typed arrays; it is ~40 lines and the inner loop must not allocate.
 * Borders replicate the edge voxel, so a constant stays constant and a ramp stays a ramp away from the edges.
 */
import { simdModule, type Vec3 } from '../../../src-shared';
import { WASM_BASE64 } from './conv.wasm';

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
 * Runs in the WebAssembly SIMD kernel (conv.wat) where there is one, with the same result bit for bit; the
 * JavaScript loops otherwise, or with MEDSEG_NO_WASM=1.
 */
export function gaussianSmooth(src: Float32Array, dims: Vec3, spacing: Vec3, sigmaMm: number): Float32Array {
  const kernels: [0 | 1 | 2, Float32Array][] = [];
  for (const axis of [0, 1, 2] as const) {
    const sv = sigmaMm / spacing[axis];
    if (sv < 1 / 3 || dims[axis] < 2) continue;
    kernels.push([axis, gaussianKernel(sv)]);
  }
  if (kernels.length === 0) return new Float32Array(src);
  return smoothWasm(src, dims, kernels) ?? smoothJs(src, dims, kernels);
}

function smoothJs(src: Float32Array, dims: Vec3, kernels: [0 | 1 | 2, Float32Array][]): Float32Array {
  let cur: Float32Array = src;
  let tmp: Float32Array = new Float32Array(src.length);
  let out: Float32Array = new Float32Array(src.length);
  let first = true;
  for (const [axis, kernel] of kernels) {
    convolveAxis(cur, out, dims, axis, kernel);
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
  return cur;
}

interface ConvExports {
  memory: WebAssembly.Memory;
  conv_x(src: number, dst: number, nx: number, nrows: number, kern: number, K: number): void;
  conv_strided(src: number, dst: number, len: number, n: number, stride: number, nOuter: number, ostride: number, kern: number, K: number, acc: number): void;
}

let convInstance: ConvExports | undefined;
/** An instance whose memory grew past this is not kept after the call (its memory is never given back otherwise). */
const KEEP_BYTES = 64 * 2 ** 20;

/** Which kernel smooths the filter bank in this thread, for reports: 'wasm-simd' or 'js'. */
export function smoothKernelName(): 'wasm-simd' | 'js' {
  return convExports() ? 'wasm-simd' : 'js';
}

function convExports(): ConvExports | null {
  const mod = simdModule(WASM_BASE64);
  if (!mod) return null; // the JavaScript loops do the work
  convInstance ??= new WebAssembly.Instance(mod, {}).exports as unknown as ConvExports;
  return convInstance;
}

/**
 * The passes in the module's memory: the volume is copied in once, filtered axis after axis between two buffers, and
 * copied out once. Null when WebAssembly SIMD is unavailable or the memory cannot grow that far.
 */
function smoothWasm(src: Float32Array, dims: Vec3, kernels: [0 | 1 | 2, Float32Array][]): Float32Array | null {
  const k = convExports();
  if (!k) return null;
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const maxK = Math.max(...kernels.map(([, kk]) => kk.length));
  const a = 0, b = align16(n * 4), kern = align16(b + n * 4), acc = align16(kern + maxK * 8);
  const need = acc + 256 * 8;
  try {
    if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  } catch {
    convInstance = undefined;
    return null; // over the 4 GB of a 32-bit memory: the JavaScript loops work in ordinary arrays
  }
  const buf = k.memory.buffer;
  new Float32Array(buf, a, n).set(src);
  let cur = a, out = b;
  for (const [axis, kernel] of kernels) {
    new Float64Array(buf, kern, kernel.length).set(kernel);
    const K = kernel.length;
    if (axis === 0) k.conv_x(cur, out, nx, ny * nz, kern, K);
    else if (axis === 1) k.conv_strided(cur, out, nx, ny, nx, nz, nx * ny, kern, K, acc);
    else k.conv_strided(cur, out, nx * ny, nz, nx * ny, 1, 0, kern, K, acc);
    const t = cur; cur = out; out = t;
  }
  const result = new Float32Array(buf, cur, n).slice();
  if (buf.byteLength > KEEP_BYTES) convInstance = undefined;
  return result;
}

function align16(x: number): number {
  return (x + 15) & ~15;
}
