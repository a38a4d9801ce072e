import { describe, expect, it } from 'vitest';
import { lossGrad, trainLinear } from '../../src-main/fewshot/heads/linear';
import { linearTrainer } from '../../src-main/fewshot/simd/linear-batch';

/** The plain per-class definition of the balanced, L2-regularised multinomial log-loss, in float64. */
function referenceLoss(w: Float64Array, z: Float32Array, y: Uint8Array, n: number, dim: number, C: number, cw: Float64Array, lambda: number): number {
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const s = Array.from({ length: C }, (_, c) => {
      let a = w[C * dim + c];
      for (let d = 0; d < dim; d++) a += w[c * dim + d] * z[r * dim + d];
      return a;
    });
    const mx = Math.max(...s);
    const lse = mx + Math.log(s.reduce((t, a) => t + Math.exp(a - mx), 0));
    loss -= cw[y[r]] * (s[y[r]] - lse);
  }
  for (let i = 0; i < C * dim; i++) loss += 0.5 * lambda * w[i] * w[i];
  return loss;
}

// 7 classes (a block of four, a pair and a single), 2 (a pair alone), 5 (four and a single); an odd feature count.
describe.each([7, 2, 5])('linear probe trainer: loss and gradient, %i classes', (C) => {
  const n = 40, dim = 9, lambda = 0.05;
  const z = Float32Array.from({ length: n * dim }, (_, i) => Math.sin(1.7 * i) * 2);
  const y = Uint8Array.from({ length: n }, (_, r) => (r * 3) % C);
  const cw = Float64Array.from({ length: C }, (_, c) => 1 / (C * (1 + c)));
  const w = Float64Array.from({ length: C * dim + C }, (_, i) => Math.cos(0.9 * i) * 0.3);

  it('the loss equals the per-class definition', () => {
    const g = new Float64Array(w.length);
    expect(lossGrad(w, g, z, y, n, dim, C, cw, lambda)).toBeCloseTo(referenceLoss(w, z, y, n, dim, C, cw, lambda), 10);
  });

  it('the gradient equals central finite differences of the loss, weights and biases alike', () => {
    const g = new Float64Array(w.length);
    lossGrad(w, g, z, y, n, dim, C, cw, lambda);
    const h = 1e-6;
    for (let i = 0; i < w.length; i++) {
      const wp = w.slice(), wm = w.slice();
      wp[i] += h; wm[i] -= h;
      const fd = (referenceLoss(wp, z, y, n, dim, C, cw, lambda) - referenceLoss(wm, z, y, n, dim, C, cw, lambda)) / (2 * h);
      expect(g[i]).toBeCloseTo(fd, 6);
    }
  });
});

// The WebAssembly SIMD trainer kernel must give exactly the JavaScript loops' loss and gradient (same f64 sums in the
// same order), so a head fitted either way is the same head.
describe.each([[2, 9], [3, 45], [6, 45], [7, 184]])('SIMD trainer kernel, %i classes × %i channels', (C, dim) => {
  const n = 301, lambda = 0.01;
  const z = Float32Array.from({ length: n * dim }, (_, i) => Math.sin(1.3 * i) * (1 + (i % 3)));
  const y = Uint8Array.from({ length: n }, (_, r) => (r * 5) % C);
  const cw = Float64Array.from({ length: C }, (_, c) => 1 / (C * (2 + c)));
  const w = Float64Array.from({ length: C * dim + C }, (_, i) => Math.cos(0.7 * i) * 0.2);

  it('loss and gradient bit-identical to the JavaScript loops', () => {
    const k = linearTrainer(z, n, dim, C);
    expect(k).not.toBeNull();
    const gJs = new Float64Array(w.length), gSimd = new Float64Array(w.length);
    const fJs = lossGrad(w, gJs, z, y, n, dim, C, cw, lambda);
    const fSimd = lossGrad(w, gSimd, z, y, n, dim, C, cw, lambda, k);
    expect(fSimd).toBe(fJs);
    expect(gSimd).toEqual(gJs);
    // A second evaluation at other weights reuses the kernel (its samples stay in its memory).
    const w2 = w.map((x, i) => x + 0.01 * Math.sin(i));
    const g2Js = new Float64Array(w.length), g2Simd = new Float64Array(w.length);
    expect(lossGrad(w2, g2Simd, z, y, n, dim, C, cw, lambda, k)).toBe(lossGrad(w2, g2Js, z, y, n, dim, C, cw, lambda));
    expect(g2Simd).toEqual(g2Js);
  });

  it('a fitted head is the same with MEDSEG_NO_WASM=1', () => {
    const s = { n, dim, x: z.slice(), y, classes: Array.from({ length: C }, (_, c) => c), counts: Array.from({ length: C }, () => 0) };
    const bb = { id: 't', dim, names: Array.from({ length: dim }, (_, d) => `f${d}`) };
    const a = trainLinear(s, bb, { maxIter: 15 });
    process.env.MEDSEG_NO_WASM = '1';
    try {
      const b = trainLinear(s, bb, { maxIter: 15 });
      expect(a.weights).toEqual(b.weights);
      expect(a.bias).toEqual(b.bias);
    } finally {
      delete process.env.MEDSEG_NO_WASM;
    }
  });
});
