import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convolveAxis, gaussianKernel, gaussianSmooth } from '../../src-main/features/filters/convolve';
import type { Vec3 } from '../../src-shared';
// @ts-expect-error plain .mjs build script without types
import { compileWat, moduleText } from '../../scripts/build-wasm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

function withoutWasm<T>(f: () => T): T {
  process.env.MEDSEG_NO_WASM = '1';
  try {
    return f();
  } finally {
    delete process.env.MEDSEG_NO_WASM;
  }
}

/** The definition: every output Σ_q k[q]·src[clamp(t + q − r)] along the axis, summed in f64 from 0 in kernel order. */
function direct(src: Float32Array, dims: Vec3, axis: number, k: Float32Array): Float32Array {
  const [nx, ny] = dims;
  const r = (k.length - 1) >> 1;
  const out = new Float32Array(src.length);
  const stride = [1, nx, nx * ny][axis];
  for (let v = 0; v < src.length; v++) {
    const pos = [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))][axis];
    let acc = 0;
    for (let q = 0; q < k.length; q++) {
      const t = Math.min(dims[axis] - 1, Math.max(0, pos + q - r));
      acc += k[q] * src[v + (t - pos) * stride];
    }
    out[v] = acc;
  }
  return out;
}

describe('WebAssembly SIMD Gaussian filtering (conv.wat)', () => {
  it('the committed module is what conv.wat compiles to', async () => {
    const wat = join(root, 'src-main/features/filters/conv.wat');
    const committed = readFileSync(join(root, 'src-main/features/filters/conv.wasm.ts'), 'utf8');
    expect(committed).toBe(moduleText('conv', await compileWat(wat)));
  });

  it('the JavaScript loop along each axis is the definition (replicated borders, f64 sums)', () => {
    const dims: Vec3 = [11, 6, 4];
    const src = Float32Array.from({ length: 264 }, (_, i) => Math.sin(i * 0.37) * 50 + (i % 5));
    for (const axis of [0, 1, 2] as const) {
      const k = gaussianKernel(axis === 2 ? 1.4 : 2.2); // radius 5 and 7: wider than the axis in two cases
      const out = new Float32Array(src.length);
      convolveAxis(src, out, dims, axis, k);
      expect(out).toEqual(direct(src, dims, axis, k));
    }
  });

  // Odd and even sizes, kernels wider than an axis, a flat axis, anisotropic spacing, zeros (the sign of a zero counts).
  it.each([
    [[17, 9, 5], [0.7, 1.3, 3], 2],
    [[64, 33, 12], [1, 1, 2.5], 4],
    [[5, 4, 3], [1, 1, 1], 3],
    [[122, 101, 9], [3, 3, 3], 12],
    [[31, 1, 7], [0.5, 1, 1], 1.5],
    [[300, 3, 2], [0.8, 0.8, 5], 0.6],
  ] as [Vec3, Vec3, number][])('%j voxels of %j mm, σ %f mm: bit-identical to the JavaScript loops', (dims, spacing, sigma) => {
    let s = 11;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    const n = dims[0] * dims[1] * dims[2];
    const src = Float32Array.from({ length: n }, () => (rnd() < 0.1 ? 0 : (rnd() - 0.5) * 1000));
    const js = withoutWasm(() => gaussianSmooth(src, dims, spacing, sigma));
    const wasm = gaussianSmooth(src, dims, spacing, sigma);
    expect(wasm).not.toBe(src);
    let differ = 0;
    for (let i = 0; i < n; i++) if (!Object.is(js[i], wasm[i])) differ++;
    expect(differ).toBe(0);
    // And it did smooth: the spread of the values shrank.
    const sd = (a: Float32Array) => Math.sqrt(a.reduce((t, x) => t + x * x, 0) / a.length);
    expect(sd(wasm)).toBeLessThan(sd(src));
  });

  it('consecutive calls of different sizes reuse the module without leftovers', () => {
    const a = Float32Array.from({ length: 40 * 30 * 20 }, (_, i) => (i * 7919) % 101);
    const b = Float32Array.from({ length: 7 * 5 * 3 }, (_, i) => (i * 31) % 13);
    const bJs = withoutWasm(() => gaussianSmooth(b, [7, 5, 3], [1, 1, 1], 2));
    gaussianSmooth(a, [40, 30, 20], [1, 1, 1], 3);
    expect(gaussianSmooth(b, [7, 5, 3], [1, 1, 1], 2)).toEqual(bJs);
  });
});
