/**
 * Trainer for the linear probe: multinomial logistic regression, L2-regularised, class-balanced, minimised with
 * L-BFGS. Hand-written because the problem is tiny (hundreds to thousands of samples, tens of channels) and a
 * numeric library would cost more to load than the fit takes (a few ms).
 */
import type { LinearHead, BackboneRef } from '../head';
import type { SampleSet } from '../samples';
import { standardize, type FeatureStats } from '../samples';
import { linearTrainer, type LinearTrainerKernel } from '../simd/linear-batch';

export interface LinearOptions {
  /** Standardise by these (the study's, samples.ts volumeStats) instead of the samples' own. */
  stats?: FeatureStats;
  /** L2 strength on the weights (not the biases). */
  lambda?: number;
  maxIter?: number;
}

/**
 * Balanced multinomial log-loss + λ/2·|W|² and its gradient. w = [W (C×D) | b (C)].
 * Classes go four at a time, so each feature value is read once per four classes in both the forward and the
 * gradient pass, and the four running sums stay in registers (as in predict.ts's kernel); the last one to three
 * classes go two and one at a time instead of being padded to four.
 */
export function lossGrad(w: Float64Array, g: Float64Array, z: Float32Array, y: Uint8Array, n: number, dim: number, C: number, cw: Float64Array, lambda: number, kernel?: LinearTrainerKernel | null): number {
  if (kernel) return lossGradSimd(kernel, w, g, y, n, dim, C, cw, lambda);
  const C4 = C - (C % 4), C2 = C - (C % 2);
  const G = new Float64Array(C * dim);
  const bOff = C * dim;
  const logit = new Float64Array(C), e = new Float64Array(C), gb = new Float64Array(C);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const row = r * dim;
    let c = 0;
    for (; c < C4; c += 4) {
      const o0 = c * dim, o1 = o0 + dim, o2 = o1 + dim, o3 = o2 + dim;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let d = 0; d < dim; d++) {
        const x = z[row + d];
        a0 += w[o0 + d] * x; a1 += w[o1 + d] * x; a2 += w[o2 + d] * x; a3 += w[o3 + d] * x;
      }
      logit[c] = a0; logit[c + 1] = a1; logit[c + 2] = a2; logit[c + 3] = a3;
    }
    if (c < C2) {
      const o0 = c * dim, o1 = o0 + dim;
      let a0 = 0, a1 = 0;
      for (let d = 0; d < dim; d++) { const x = z[row + d]; a0 += w[o0 + d] * x; a1 += w[o1 + d] * x; }
      logit[c] = a0; logit[c + 1] = a1;
      c += 2;
    }
    if (c < C) {
      const o0 = c * dim;
      let a0 = 0;
      for (let d = 0; d < dim; d++) a0 += w[o0 + d] * z[row + d];
      logit[c] = a0;
    }
    let mx = -Infinity;
    for (let q = 0; q < C; q++) { logit[q] += w[bOff + q]; if (logit[q] > mx) mx = logit[q]; }
    let se = 0;
    for (let q = 0; q < C; q++) { logit[q] = Math.exp(logit[q] - mx); se += logit[q]; }
    const yc = y[r];
    const wr = cw[yc];
    loss -= wr * Math.log(logit[yc] / se);
    for (let q = 0; q < C; q++) { e[q] = wr * (logit[q] / se - (q === yc ? 1 : 0)); gb[q] += e[q]; }
    c = 0;
    for (; c < C4; c += 4) {
      const o0 = c * dim, o1 = o0 + dim, o2 = o1 + dim, o3 = o2 + dim;
      const e0 = e[c], e1 = e[c + 1], e2 = e[c + 2], e3 = e[c + 3];
      for (let d = 0; d < dim; d++) {
        const x = z[row + d];
        G[o0 + d] += e0 * x; G[o1 + d] += e1 * x; G[o2 + d] += e2 * x; G[o3 + d] += e3 * x;
      }
    }
    if (c < C2) {
      const o0 = c * dim, o1 = o0 + dim;
      const e0 = e[c], e1 = e[c + 1];
      for (let d = 0; d < dim; d++) { const x = z[row + d]; G[o0 + d] += e0 * x; G[o1 + d] += e1 * x; }
      c += 2;
    }
    if (c < C) {
      const o0 = c * dim, e0 = e[c];
      for (let d = 0; d < dim; d++) G[o0 + d] += e0 * z[row + d];
    }
  }
  for (let i = 0; i < bOff; i++) { loss += 0.5 * lambda * w[i] * w[i]; g[i] = G[i] + lambda * w[i]; }
  for (let c = 0; c < C; c++) g[bOff + c] = gb[c];
  return loss;
}

/**
 * lossGrad with both matrix products in the WebAssembly SIMD kernel (simd/linear-batch.ts): the same f64 sums in
 * the same order, so loss and gradient are bit-identical to the JavaScript loops above; softmax and loss stay here.
 */
function lossGradSimd(k: LinearTrainerKernel, w: Float64Array, g: Float64Array, y: Uint8Array, n: number, dim: number, C: number, cw: Float64Array, lambda: number): number {
  const bOff = C * dim, S = k.stride;
  const L = k.forward(w), E = k.e;
  const logit = new Float64Array(C), gb = new Float64Array(C);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const o = r * S;
    let mx = -Infinity;
    for (let q = 0; q < C; q++) { logit[q] = L[o + q] + w[bOff + q]; if (logit[q] > mx) mx = logit[q]; }
    let se = 0;
    for (let q = 0; q < C; q++) { logit[q] = Math.exp(logit[q] - mx); se += logit[q]; }
    const yc = y[r];
    const wr = cw[yc];
    loss -= wr * Math.log(logit[yc] / se);
    for (let q = 0; q < C; q++) { const eq = wr * (logit[q] / se - (q === yc ? 1 : 0)); E[o + q] = eq; gb[q] += eq; }
  }
  const G = new Float64Array(bOff);
  k.gradient(G);
  for (let i = 0; i < bOff; i++) { loss += 0.5 * lambda * w[i] * w[i]; g[i] = G[i] + lambda * w[i]; }
  for (let c = 0; c < C; c++) g[bOff + c] = gb[c];
  return loss;
}

export function trainLinear(s: SampleSet, backbone: BackboneRef, opts: LinearOptions = {}): LinearHead {
  const lambda = opts.lambda ?? 1e-2;
  // 60 L-BFGS steps reach the Dice of a full fit (the tail only polishes the loss) at half the time.
  const maxIter = opts.maxIter ?? 60;
  const { mean, std, z } = standardize(s, opts.stats);
  const C = s.classes.length, D = s.dim, n = s.n;
  // Each class carries the same total weight, so a long background stroke does not drown a small organ.
  const cw = new Float64Array(C);
  const cnt = new Float64Array(C);
  for (let r = 0; r < n; r++) cnt[s.y[r]]++;
  for (let c = 0; c < C; c++) cw[c] = cnt[c] > 0 ? 1 / (C * cnt[c]) : 0;
  const w = minimizeLoss(z, s.y, n, D, C, cw, lambda, maxIter);
  return {
    kind: 'linear',
    classes: s.classes.slice(),
    backbone,
    positionChannels: 0,
    mean,
    std,
    counts: s.counts.slice(),
    weights: Float32Array.from(w.subarray(0, C * D)),
    bias: Float32Array.from(w.subarray(C * D)),
    lambda,
  };
}

/**
 * L-BFGS (memory 8, Armijo backtracking) on lossGrad from zero weights; returns w = [W (C×D) | b (C)]. A function of
 * its own, with only typed arrays and numbers in and out: inside trainLinear, V8 optimised the loop on stack
 * replacement and threw that code away again at the head-building code after it at every fit, so most iterations ran
 * unoptimised.
 */
function minimizeLoss(z: Float32Array, y: Uint8Array, n: number, D: number, C: number, cw: Float64Array, lambda: number, maxIter: number): Float64Array {
  const P = C * D + C;
  const w = new Float64Array(P), g = new Float64Array(P);
  const kernel = linearTrainer(z, n, D, C);
  let f = lossGrad(w, g, z, y, n, D, C, cw, lambda, kernel);
  const m = 8;
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const q = new Float64Array(P), alpha = new Float64Array(m);
  const wNew = new Float64Array(P), gNew = new Float64Array(P);
  for (let it = 0; it < maxIter; it++) {
    // Two-loop recursion for the search direction.
    q.set(g);
    for (let i = S.length - 1; i >= 0; i--) {
      let a = 0;
      for (let p = 0; p < P; p++) a += S[i][p] * q[p];
      a *= rho[i];
      alpha[i] = a;
      for (let p = 0; p < P; p++) q[p] -= a * Y[i][p];
    }
    if (S.length) {
      const last = S.length - 1;
      let sy = 0, yy = 0;
      for (let p = 0; p < P; p++) { sy += S[last][p] * Y[last][p]; yy += Y[last][p] * Y[last][p]; }
      const gamma = sy / yy;
      for (let p = 0; p < P; p++) q[p] *= gamma;
    } else {
      let gn = 0;
      for (let p = 0; p < P; p++) gn += g[p] * g[p];
      const sc = 1 / Math.max(1e-12, Math.sqrt(gn));
      for (let p = 0; p < P; p++) q[p] *= sc;
    }
    for (let i = 0; i < S.length; i++) {
      let b = 0;
      for (let p = 0; p < P; p++) b += Y[i][p] * q[p];
      b *= rho[i];
      for (let p = 0; p < P; p++) q[p] += S[i][p] * (alpha[i] - b);
    }
    let dg = 0;
    for (let p = 0; p < P; p++) dg -= g[p] * q[p];
    if (dg >= 0) { S.length = 0; Y.length = 0; rho.length = 0; continue; }
    // Backtracking (Armijo) line search along −q.
    let step = 1, fNew = Infinity;
    for (let ls = 0; ls < 20; ls++) {
      for (let p = 0; p < P; p++) wNew[p] = w[p] - step * q[p];
      fNew = lossGrad(wNew, gNew, z, y, n, D, C, cw, lambda, kernel);
      if (fNew <= f + 1e-4 * step * dg) break;
      step *= 0.5;
    }
    if (!(fNew < f)) break;
    const sv = new Float64Array(P), yv = new Float64Array(P);
    let sy = 0;
    for (let p = 0; p < P; p++) { sv[p] = wNew[p] - w[p]; yv[p] = gNew[p] - g[p]; sy += sv[p] * yv[p]; }
    if (sy > 1e-12) {
      if (S.length === m) { S.shift(); Y.shift(); rho.shift(); }
      S.push(sv); Y.push(yv); rho.push(1 / sy);
    }
    const rel = (f - fNew) / Math.max(1e-12, Math.abs(f));
    w.set(wNew); g.set(gNew); f = fNew;
    if (rel < 1e-7) break;
  }
  return w;
}
