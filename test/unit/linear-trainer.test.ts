import { describe, expect, it } from 'vitest';
import { lossGrad } from '../../src-main/fewshot/heads/linear';

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
