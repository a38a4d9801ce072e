/**
 * features/filters: the weights-free default backbone (id 'filters'). 3D Gaussian, gradient magnitude,
 * Laplacian of Gaussian, difference of Gaussians, Hessian and structure-tensor eigenvalues at several scales in
 * MILLIMETRES (anisotropic spacing respected), plus smoothed soft intensity bins. Plain TypeScript on Float32.
 * Imports src-shared and features/types only.
 */
import { MedSegError, type Vec3, type Volume } from '../../../src-shared';
import type { BackboneSettings, ExtractOptions, FeatureBackbone, FeatureVolume } from '../types';
import { gaussianSmooth } from './convolve';
import { symEig3 } from './eigen';
import { binCentres, intensityMode, normalizeIntensity } from './normalize';

export interface FilterSettings extends BackboneSettings {
  /** Gaussian scales in mm. */
  sigmas: number[];
  /** Structure tensor integration scale as a multiple of σ. */
  tensorRho: number;
  /** Smoothing scales (mm) for the soft intensity bins. */
  binSigmas: number[];
}

export const DEFAULT_FILTER_SETTINGS: FilterSettings = { sigmas: [1.5, 3, 6], tensorRho: 2, binSigmas: [3, 8] };

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new MedSegError('CANCELLED', 'Feature computation was cancelled.');
}

/** Channel names in output order; fixed by the settings, so a head can check it gets the features it was trained on. */
export function filterChannelNames(s: FilterSettings): string[] {
  const names = ['intensity'];
  for (const sg of s.sigmas) {
    names.push(`gauss_s${sg}`, `gradmag_s${sg}`, `log_s${sg}`, `dog_s${sg}`,
      `hess1_s${sg}`, `hess2_s${sg}`, `hess3_s${sg}`, `st1_s${sg}`, `st2_s${sg}`, `st3_s${sg}`);
  }
  for (const bs of s.binSigmas) for (let b = 0; b < 7; b++) names.push(`bin${b}_s${bs}`);
  return names;
}

/**
 * Compute every channel as a whole-volume Float32 array, in the order of filterChannelNames.
 * Derivatives are central differences of the smoothed image divided by the spacing, so they are per mm.
 */
export function computeFilterChannels(
  vol: Volume,
  s: FilterSettings,
  onChannel: (c: number, data: Float32Array) => void,
  signal?: AbortSignal,
  onStep?: (done: number, total: number) => void,
): void {
  const dims = vol.dims as Vec3;
  const sp = vol.spacing as Vec3;
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const mode = intensityMode(vol);
  const { data: img } = normalizeIntensity(vol, mode);
  const total = 1 + s.sigmas.length + s.binSigmas.length;
  let done = 0;
  let c = 0;
  onChannel(c++, img);
  onStep?.(++done, total);
  const sx = nx, sy = nx * ny;
  // Central difference steps per axis; a flat axis (1 voxel) has zero derivative.
  const hx = nx > 1 ? 1 / (2 * sp[0]) : 0, hy = ny > 1 ? 1 / (2 * sp[1]) : 0, hz = nz > 1 ? 1 / (2 * sp[2]) : 0;
  const ev = new Float64Array(3);
  for (const sigma of s.sigmas) {
    checkAbort(signal);
    const g = gaussianSmooth(img, dims, sp, sigma);
    const g2 = gaussianSmooth(img, dims, sp, 2 * sigma);
    const gx = new Float32Array(n), gy = new Float32Array(n), gz = new Float32Array(n);
    for (let k = 0; k < nz; k++) {
      const km = k > 0 ? -sy : 0, kp = k < nz - 1 ? sy : 0;
      for (let j = 0; j < ny; j++) {
        const jm = j > 0 ? -sx : 0, jp = j < ny - 1 ? sx : 0;
        const row = k * sy + j * sx;
        for (let i = 0; i < nx; i++) {
          const p = row + i;
          const im = i > 0 ? -1 : 0, ip = i < nx - 1 ? 1 : 0;
          // One-sided at borders: scale by the real step count so a ramp keeps its slope.
          gx[p] = (g[p + ip] - g[p + im]) * hx * (2 / (ip - im || 2));
          gy[p] = (g[p + jp] - g[p + jm]) * hy * (2 / ((jp - jm) / sx || 2));
          gz[p] = (g[p + kp] - g[p + km]) * hz * (2 / ((kp - km) / sy || 2));
        }
      }
    }
    const gm = new Float32Array(n), lap = new Float32Array(n), dog = new Float32Array(n);
    const h1 = new Float32Array(n), h2 = new Float32Array(n), h3 = new Float32Array(n);
    // Hessian from differences of the gradient (second derivatives per mm²).
    for (let k = 0; k < nz; k++) {
      const km = k > 0 ? -sy : 0, kp = k < nz - 1 ? sy : 0;
      const fz = hz * (2 / ((kp - km) / sy || 2));
      for (let j = 0; j < ny; j++) {
        const jm = j > 0 ? -sx : 0, jp = j < ny - 1 ? sx : 0;
        const fy = hy * (2 / ((jp - jm) / sx || 2));
        const row = k * sy + j * sx;
        for (let i = 0; i < nx; i++) {
          const p = row + i;
          const im = i > 0 ? -1 : 0, ip = i < nx - 1 ? 1 : 0;
          const fx = hx * (2 / (ip - im || 2));
          const dxx = (gx[p + ip] - gx[p + im]) * fx;
          const dyy = (gy[p + jp] - gy[p + jm]) * fy;
          const dzz = (gz[p + kp] - gz[p + km]) * fz;
          const dxy = 0.5 * ((gy[p + ip] - gy[p + im]) * fx + (gx[p + jp] - gx[p + jm]) * fy);
          const dxz = 0.5 * ((gz[p + ip] - gz[p + im]) * fx + (gx[p + kp] - gx[p + km]) * fz);
          const dyz = 0.5 * ((gz[p + jp] - gz[p + jm]) * fy + (gy[p + kp] - gy[p + km]) * fz);
          symEig3(dxx, dyy, dzz, dxy, dxz, dyz, ev);
          h1[p] = ev[0]; h2[p] = ev[1]; h3[p] = ev[2];
          lap[p] = dxx + dyy + dzz;
          gm[p] = Math.sqrt(gx[p] * gx[p] + gy[p] * gy[p] + gz[p] * gz[p]);
          dog[p] = g[p] - g2[p];
        }
      }
    }
    checkAbort(signal);
    // Structure tensor: outer product of the gradient, smoothed at ρ = tensorRho·σ.
    const rho = s.tensorRho * sigma;
    const prod = new Float32Array(n);
    const comps: Float32Array[] = [];
    const pairs: [Float32Array, Float32Array][] = [[gx, gx], [gy, gy], [gz, gz], [gx, gy], [gx, gz], [gy, gz]];
    for (const [u, w] of pairs) {
      for (let p = 0; p < n; p++) prod[p] = u[p] * w[p];
      comps.push(gaussianSmooth(prod, dims, sp, rho));
    }
    const s1 = new Float32Array(n), s2 = new Float32Array(n), s3 = new Float32Array(n);
    const [txx, tyy, tzz, txy, txz, tyz] = comps;
    for (let p = 0; p < n; p++) {
      symEig3(txx[p], tyy[p], tzz[p], txy[p], txz[p], tyz[p], ev);
      // sqrt brings the tensor back to gradient units, which keeps the channel distribution less skewed.
      s1[p] = Math.sqrt(Math.max(0, ev[0])); s2[p] = Math.sqrt(Math.max(0, ev[1])); s3[p] = Math.sqrt(Math.max(0, ev[2]));
    }
    for (const ch of [g, gm, lap, dog, h1, h2, h3, s1, s2, s3]) onChannel(c++, ch);
    onStep?.(++done, total);
  }
  const { centres, width } = binCentres(mode);
  const member = new Float32Array(n);
  const inv = 1 / (2 * width * width);
  // Channel order is bin-scale major (filterChannelNames); each bin's membership is computed once and smoothed at every
  // scale, and the progress steps (one per scale) are spread over the bins.
  const nb = centres.length, nbs = s.binSigmas.length;
  let stepsDone = 0;
  centres.forEach((ctr, b) => {
    checkAbort(signal);
    for (let p = 0; p < n; p++) {
      const d = img[p] - ctr;
      member[p] = Math.exp(-d * d * inv);
    }
    s.binSigmas.forEach((bs, si) => onChannel(c + si * nb + b, gaussianSmooth(member, dims, sp, bs)));
    for (; stepsDone < Math.floor(((b + 1) * nbs) / nb); stepsDone++) onStep?.(++done, total);
  });
}

class FilterBackbone implements FeatureBackbone {
  readonly id = 'filters';
  readonly provider = 'js';
  readonly dim: number;
  readonly settings: FilterSettings;
  readonly names: string[];
  constructor(settings: FilterSettings) {
    this.settings = settings;
    this.names = filterChannelNames(settings);
    this.dim = this.names.length;
  }

  async extract(volume: Volume, opts: ExtractOptions = {}): Promise<FeatureVolume> {
    const [nx, ny, nz] = volume.dims;
    const plane = nx * ny;
    const dim = this.dim;
    const want = opts.slices ?? Array.from({ length: nz }, (_, k) => k);
    for (const k of want) {
      if (!Number.isInteger(k) || k < 0 || k >= nz) throw new MedSegError('INVALID_ARGUMENT', `Slice ${k} is outside this volume (0–${nz - 1}).`);
    }
    const slices: (Float32Array | undefined)[] = new Array(nz).fill(undefined);
    // The filters are 3D, so every slice needs the whole volume anyway; only the requested ones are kept.
    for (const k of want) slices[k] = new Float32Array(plane * dim);
    computeFilterChannels(volume, this.settings, (c, data) => {
      for (const k of want) {
        const dst = slices[k]!;
        const base = k * plane;
        for (let p = 0, q = c; p < plane; p++, q += dim) dst[q] = data[base + p];
      }
    }, opts.signal, (done, total) => opts.onProgress?.({ done, total, provider: this.provider }));
    return { dim, slices, names: this.names.slice() };
  }
}

export function createFilterBackbone(settings: Partial<FilterSettings> = {}): FeatureBackbone & { settings: FilterSettings; names: string[] } {
  const s: FilterSettings = { ...DEFAULT_FILTER_SETTINGS, ...settings };
  if (!s.sigmas.length || s.sigmas.some((x) => !(x > 0))) throw new MedSegError('INVALID_ARGUMENT', 'Filter scales must be positive millimetre values.');
  if (s.binSigmas.some((x) => !(x > 0))) throw new MedSegError('INVALID_ARGUMENT', 'Bin smoothing scales must be positive millimetre values.');
  return new FilterBackbone(s);
}
