import { describe, expect, it } from 'vitest';
import { computeFilterChannels, createFilterBackbone, filterChannelNames, type FilterSettings } from '../../src-main/features/filters';
import { gaussianSmooth } from '../../src-main/features/filters/convolve';
import { symEig3 } from '../../src-main/features/filters/eigen';
import { IDENTITY3, type Vec3, type Volume } from '../../src-shared';

function ctVolume(dims: Vec3, spacing: Vec3, f: (x: number, y: number, z: number) => number): Volume {
  const [nx, ny, nz] = dims;
  const data = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + j * nx + k * nx * ny] = f(i * spacing[0], j * spacing[1], k * spacing[2]);
  return { dims, spacing, origin: [0, 0, 0], direction: IDENTITY3, data, voxelType: 'float32', modality: 'CT', meta: {}, window: { center: 40, width: 400 }, warnings: [] };
}

const small: FilterSettings = { sigmas: [1], tensorRho: 1, binSigmas: [1] };

function channels(vol: Volume, s: FilterSettings): Map<string, Float32Array> {
  const names = filterChannelNames(s);
  const m = new Map<string, Float32Array>();
  computeFilterChannels(vol, s, (c, d) => m.set(names[c], d));
  return m;
}

describe('filter bank known answers', () => {
  it('Gaussian of a constant is the constant (anisotropic spacing, every scale)', () => {
    const dims: Vec3 = [9, 7, 5];
    const src = new Float32Array(9 * 7 * 5).fill(3.25);
    for (const s of [0.5, 2, 6]) {
      const g = gaussianSmooth(src, dims, [0.7, 1.3, 3], s);
      for (const v of g) expect(v).toBeCloseTo(3.25, 5);
    }
  });

  it('gradient magnitude of a linear ramp is its slope per mm, with anisotropic spacing', () => {
    // HU = 4·x + 2·y − 3·z (x, y, z in mm); CT features are HU/100 → |∇| = sqrt(16+4+9)/100 per mm.
    const vol = ctVolume([31, 31, 31], [1, 2, 0.5], (x, y, z) => 4 * x + 2 * y - 3 * z);
    const ch = channels(vol, small);
    const c = 15 + 15 * 31 + 15 * 31 * 31;
    expect(ch.get('gradmag_s1')![c]).toBeCloseTo(Math.sqrt(29) / 100, 5);
    expect(ch.get('log_s1')![c]).toBeCloseTo(0, 6);
    // Gaussian of a ramp is the ramp itself away from the borders.
    expect(ch.get('gauss_s1')![c]).toBeCloseTo((4 * 15 + 2 * 30 - 3 * 7.5) / 100, 4);
  });

  it('Hessian eigenvalues of a quadratic are twice its coefficients (sorted ascending)', () => {
    // HU = (x−15)² + 0.5(y−30)² − 2(z−7.5)² in mm → Hessian diag(2, 1, −4) HU/mm² → /100.
    const vol = ctVolume([31, 31, 31], [1, 2, 0.5], (x, y, z) => (x - 15) ** 2 + 0.5 * (y - 30) ** 2 - 2 * (z - 7.5) ** 2);
    const ch = channels(vol, small);
    const c = 15 + 15 * 31 + 15 * 31 * 31;
    expect(ch.get('hess1_s1')![c]).toBeCloseTo(-0.04, 4);
    expect(ch.get('hess2_s1')![c]).toBeCloseTo(0.01, 4);
    expect(ch.get('hess3_s1')![c]).toBeCloseTo(0.02, 4);
    expect(ch.get('log_s1')![c]).toBeCloseTo(-0.01, 4);
  });

  it('LoG is negative at the centre of a bright blob and positive at the centre of a dark one', () => {
    const blob = (sign: number) => ctVolume([25, 25, 25], [1, 1, 1], (x, y, z) => sign * 500 * Math.exp(-((x - 12) ** 2 + (y - 12) ** 2 + (z - 12) ** 2) / (2 * 9)));
    const c = 12 + 12 * 25 + 12 * 25 * 25;
    expect(channels(blob(1), { ...small, sigmas: [2] }).get('log_s2')![c]).toBeLessThan(-0.05);
    expect(channels(blob(-1), { ...small, sigmas: [2] }).get('log_s2')![c]).toBeGreaterThan(0.05);
  });

  it('symmetric 3×3 eigenvalues match a rotated diagonal matrix', () => {
    // R·diag(1,2,5)·Rᵀ for a rotation of 30° about z.
    const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
    const a = c * c * 1 + s * s * 2, b = s * s * 1 + c * c * 2, d = c * s * (1 - 2);
    const out = new Float64Array(3);
    symEig3(a, b, 5, d, 0, 0, out);
    expect(Array.from(out).map((x) => +x.toFixed(6))).toEqual([1, 2, 5]);
  });

  it('extract returns channel-last slices of the declared dim, and honours the abort signal', async () => {
    const vol = ctVolume([12, 10, 6], [1, 1, 2], (x) => x * 10);
    const bb = createFilterBackbone({ sigmas: [1, 2], binSigmas: [2] });
    expect(bb.id).toBe('filters');
    const fv = await bb.extract(vol, { slices: [3, 1] });
    expect(fv.dim).toBe(1 + 2 * 10 + 7);
    expect(fv.names.length).toBe(fv.dim);
    expect(fv.slices[3]!.length).toBe(12 * 10 * fv.dim);
    expect(fv.slices[0]).toBeUndefined();
    // Channel 0 is the normalised intensity: voxel i=5 of a 10 HU/mm ramp → 50 HU → 0.5.
    expect(fv.slices[1]![5 * fv.dim]).toBeCloseTo(0.5, 5);
    const ac = new AbortController();
    ac.abort();
    await expect(bb.extract(vol, { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(bb.extract(vol, { slices: [6] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
