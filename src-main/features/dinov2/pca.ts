/**
 * PCA of token features: fitted once per volume (on the first batch of slices computed, i.e. the visible ones),
 * then applied to every slice, so D = 384 tokens become 32–64 channels. That shrinks the cache ~8× and makes
 * the few-shot head fast. Hand-written (no maintained numeric-linear-algebra package for Node covers this small
 * need): covariance, then subspace iteration with a Rayleigh–Ritz step (Jacobi on the small k×k matrix).
 * Deterministic: a seeded start and a sign convention (largest |component| positive).
 */
export interface Pca {
  inDim: number;
  outDim: number;
  mean: Float32Array;
  /** Row-major [outDim, inDim]: component r is components[r·inDim … ]. */
  components: Float32Array;
  /** Variance along each component, descending. */
  variances: Float64Array;
}

export function fitPca(x: Float32Array, dim: number, k: number, maxSamples = 8192): Pca {
  const n = x.length / dim;
  const step = Math.max(1, Math.floor(n / maxSamples));
  const rows: number[] = [];
  for (let t = 0; t < n; t += step) rows.push(t);
  const mean = new Float64Array(dim);
  for (const t of rows) for (let c = 0; c < dim; c++) mean[c] += x[t * dim + c];
  for (let c = 0; c < dim; c++) mean[c] /= rows.length;
  // Covariance (upper triangle, then mirrored).
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (const t of rows) {
    for (let c = 0; c < dim; c++) centred[c] = x[t * dim + c] - mean[c];
    for (let a = 0; a < dim; a++) {
      const va = centred[a];
      if (va === 0) continue;
      const o = a * dim;
      for (let b = a; b < dim; b++) cov[o + b] += va * centred[b];
    }
  }
  for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) {
    const v = cov[a * dim + b] / rows.length;
    cov[a * dim + b] = v; cov[b * dim + a] = v;
  }
  const kk = Math.min(dim, k);
  // Randomized-SVD practice: oversampling by 16 plus a few power iterations gives the leading subspace to well
  // within what a linear head notices, at a fraction of the cost of full convergence (matters: first slice < 1.5 s).
  const p = Math.min(dim, kk + 16);
  let q: Float64Array = new Float64Array(dim * p); // column-major: column j at j·dim
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  for (let i = 0; i < q.length; i++) q[i] = rnd();
  orthonormalize(q, dim, p);
  for (let it = 0; it < 8; it++) {
    q = mulSym(cov, q, dim, p);
    orthonormalize(q, dim, p);
  }
  // Rayleigh–Ritz: T = Qᵀ C Q, eigen-decompose, rotate.
  const cq = mulSym(cov, q, dim, p);
  const tmat = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
    let s = 0;
    for (let r = 0; r < dim; r++) s += q[i * dim + r] * cq[j * dim + r];
    tmat[i * p + j] = s;
  }
  const { values, vectors } = jacobiEigen(tmat, p);
  const order = [...values.keys()].sort((a, b) => values[b] - values[a]).slice(0, kk);
  const components = new Float32Array(kk * dim);
  const variances = new Float64Array(kk);
  order.forEach((e, r) => {
    variances[r] = Math.max(0, values[e]);
    let big = 0;
    const comp = new Float64Array(dim);
    for (let i = 0; i < p; i++) {
      const w = vectors[i * p + e];
      for (let c = 0; c < dim; c++) comp[c] += w * q[i * dim + c];
    }
    for (let c = 0; c < dim; c++) if (Math.abs(comp[c]) > Math.abs(big)) big = comp[c];
    const sgn = big < 0 ? -1 : 1;
    for (let c = 0; c < dim; c++) components[r * dim + c] = sgn * comp[c];
  });
  return { inDim: dim, outDim: kk, mean: Float32Array.from(mean), components, variances };
}

/** Project [n, inDim] tokens to [n, outDim]. */
export function applyPca(pca: Pca, x: Float32Array): Float32Array {
  const { inDim, outDim, mean, components } = pca;
  const n = x.length / inDim;
  const out = new Float32Array(n * outDim);
  const c = new Float32Array(inDim);
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < inDim; i++) c[i] = x[t * inDim + i] - mean[i];
    for (let r = 0; r < outDim; r++) {
      let s = 0;
      const o = r * inDim;
      for (let i = 0; i < inDim; i++) s += c[i] * components[o + i];
      out[t * outDim + r] = s;
    }
  }
  return out;
}

function mulSym(cov: Float64Array, q: Float64Array, dim: number, p: number): Float64Array {
  const out = new Float64Array(dim * p);
  for (let j = 0; j < p; j++) {
    const qj = j * dim;
    for (let a = 0; a < dim; a++) {
      let s = 0;
      const o = a * dim;
      for (let b = 0; b < dim; b++) s += cov[o + b] * q[qj + b];
      out[qj + a] = s;
    }
  }
  return out;
}

/** Modified Gram–Schmidt on p columns of length dim (column-major). */
function orthonormalize(q: Float64Array, dim: number, p: number): void {
  for (let j = 0; j < p; j++) {
    const cj = j * dim;
    for (let i = 0; i < j; i++) {
      const ci = i * dim;
      let d = 0;
      for (let r = 0; r < dim; r++) d += q[ci + r] * q[cj + r];
      for (let r = 0; r < dim; r++) q[cj + r] -= d * q[ci + r];
    }
    let nrm = 0;
    for (let r = 0; r < dim; r++) nrm += q[cj + r] ** 2;
    nrm = Math.sqrt(nrm);
    if (nrm < 1e-300) {
      // Degenerate (rank-deficient data): use a unit vector; its variance is ~0 and it sorts last.
      for (let r = 0; r < dim; r++) q[cj + r] = r === j ? 1 : 0;
      continue;
    }
    for (let r = 0; r < dim; r++) q[cj + r] /= nrm;
  }
}

/** Cyclic Jacobi for a small symmetric matrix (row-major). vectors[i·p + e] = component i of eigenvector e. */
function jacobiEigen(a0: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(a0);
  const v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) off += a[i * p + j] ** 2;
    if (off < 1e-24) break;
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) {
      const aij = a[i * p + j];
      if (Math.abs(aij) < 1e-300) continue;
      const theta = (a[j * p + j] - a[i * p + i]) / (2 * aij);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let r = 0; r < p; r++) {
        const ari = a[r * p + i], arj = a[r * p + j];
        a[r * p + i] = c * ari - s * arj;
        a[r * p + j] = s * ari + c * arj;
      }
      for (let r = 0; r < p; r++) {
        const air = a[i * p + r], ajr = a[j * p + r];
        a[i * p + r] = c * air - s * ajr;
        a[j * p + r] = s * air + c * ajr;
      }
      for (let r = 0; r < p; r++) {
        const vri = v[r * p + i], vrj = v[r * p + j];
        v[r * p + i] = c * vri - s * vrj;
        v[r * p + j] = s * vri + c * vrj;
      }
    }
  }
  const values = new Float64Array(p);
  for (let i = 0; i < p; i++) values[i] = a[i * p + i];
  return { values, vectors: v };
}
