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

/** a [n, k] · b [m, k]ᵀ → [n, m], row-major float64 (see projection.ts's DoubleGemm: onnxruntime's kernels). */
export type MulABt = (a: Float64Array, n: number, b: Float64Array, m: number, k: number) => Promise<Float64Array>;

export interface FitOptions {
  maxSamples?: number;
  /** The two big products (covariance, power iterations) through this instead of the JS loops; same float64. */
  mulABt?: MulABt;
}

export async function fitPca(x: Float32Array, dim: number, k: number, opts: FitOptions = {}): Promise<Pca> {
  const { maxSamples = 8192, mulABt } = opts;
  const n = x.length / dim;
  const step = Math.max(1, Math.floor(n / maxSamples));
  const rows: number[] = [];
  for (let t = 0; t < n; t += step) rows.push(t);
  const mean = new Float64Array(dim);
  for (const t of rows) for (let c = 0; c < dim; c++) mean[c] += x[t * dim + c];
  for (let c = 0; c < dim; c++) mean[c] /= rows.length;
  // Covariance (upper triangle, then mirrored). The centred samples are stored feature-major so that every entry
  // is one contiguous dot product over the samples, computed 4×2 entries at a time in registers: the old
  // sample-by-sample rank-1 update streamed the whole 1.2 MB matrix once per token (~0.4 s for 1024 tokens, most
  // of the first slice's CPU time outside the model). Each entry still sums its products in sample order, so the
  // result is bit-for-bit what the rank-1 loop gave.
  const m = rows.length;
  const xt = new Float64Array(dim * m);
  // Transposed 8 samples at a time: each feature's 8 values fill one cache line instead of 8 scattered writes.
  for (let r0 = 0; r0 < m; r0 += 8) {
    const r1 = Math.min(m, r0 + 8);
    for (let c = 0; c < dim; c++) {
      const mc = mean[c], o = c * m;
      for (let r = r0; r < r1; r++) xt[o + r] = x[rows[r] * dim + c] - mc;
    }
  }
  let cov: Float64Array = new Float64Array(dim * dim);
  if (mulABt) cov = await mulABt(xt, dim, xt, dim, m);
  else gramUpper(xt, dim, m, cov);
  for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) {
    const v = cov[a * dim + b] / m;
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
  // C·Q with Q column-major is Q·Cᵀ row-major ([p, dim]), and C is symmetric.
  const times = (q: Float64Array) => (mulABt ? mulABt(q, p, cov, dim, dim) : mulSym(cov, q, dim, p));
  for (let it = 0; it < 8; it++) {
    q = await times(q);
    orthonormalize(q, dim, p);
  }
  // Rayleigh–Ritz: T = Qᵀ C Q, eigen-decompose, rotate.
  const cq = await times(q);
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

/**
 * Project [n, inDim] tokens to [n, outDim] (into `out` when given, e.g. a reused buffer). This runs on every slice,
 * so it works on 2 tokens × 4 components per pass (6 loads per 8 products instead of 2 per product); every output
 * still sums over i in ascending order from float32 centred values, as the plain loop did, so the values are
 * bit-for-bit the same.
 */
export function applyPca(pca: Pca, x: Float32Array, out: Float32Array = new Float32Array((x.length / pca.inDim) * pca.outDim)): Float32Array {
  const { inDim, outDim, mean, components } = pca;
  const n = x.length / inDim;
  const c0 = new Float32Array(inDim), c1 = new Float32Array(inDim);
  const r4 = outDim - (outDim % 4);
  let t = 0;
  for (; t + 1 < n; t += 2) {
    const x0 = t * inDim, x1 = x0 + inDim;
    for (let i = 0; i < inDim; i++) { c0[i] = x[x0 + i] - mean[i]; c1[i] = x[x1 + i] - mean[i]; }
    const y0 = t * outDim, y1 = y0 + outDim;
    for (let r = 0; r < r4; r += 4) {
      const o0 = r * inDim, o1 = o0 + inDim, o2 = o1 + inDim, o3 = o2 + inDim;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let i = 0; i < inDim; i++) {
        const a = c0[i], b = c1[i];
        const w0 = components[o0 + i], w1 = components[o1 + i], w2 = components[o2 + i], w3 = components[o3 + i];
        s00 += a * w0; s01 += a * w1; s02 += a * w2; s03 += a * w3;
        s10 += b * w0; s11 += b * w1; s12 += b * w2; s13 += b * w3;
      }
      out[y0 + r] = s00; out[y0 + r + 1] = s01; out[y0 + r + 2] = s02; out[y0 + r + 3] = s03;
      out[y1 + r] = s10; out[y1 + r + 1] = s11; out[y1 + r + 2] = s12; out[y1 + r + 3] = s13;
    }
    for (let r = r4; r < outDim; r++) {
      out[y0 + r] = dot32(c0, components, r * inDim, inDim);
      out[y1 + r] = dot32(c1, components, r * inDim, inDim);
    }
  }
  for (; t < n; t++) {
    for (let i = 0; i < inDim; i++) c0[i] = x[t * inDim + i] - mean[i];
    for (let r = 0; r < outDim; r++) out[t * outDim + r] = dot32(c0, components, r * inDim, inDim);
  }
  return out;
}

function dot32(c: Float32Array, w: Float32Array, wo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += c[i] * w[wo + i];
  return s;
}

/** out[:, j] = cov · q[:, j] for each of the p columns (column-major), 4 rows × 2 columns per pass; each output
 *  sums over b in ascending order, as a plain row-times-column loop would. */
function mulSym(cov: Float64Array, q: Float64Array, dim: number, p: number): Float64Array {
  const out = new Float64Array(dim * p);
  const a4 = dim - (dim % 4), j2 = p - (p % 2);
  for (let j = 0; j < j2; j += 2) {
    const q0 = j * dim, q1 = q0 + dim;
    for (let a = 0; a < a4; a += 4) {
      const o0 = a * dim, o1 = o0 + dim, o2 = o1 + dim, o3 = o2 + dim;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let b = 0; b < dim; b++) {
        const x0 = q[q0 + b], x1 = q[q1 + b];
        const c0 = cov[o0 + b], c1 = cov[o1 + b], c2 = cov[o2 + b], c3 = cov[o3 + b];
        s00 += c0 * x0; s01 += c0 * x1;
        s10 += c1 * x0; s11 += c1 * x1;
        s20 += c2 * x0; s21 += c2 * x1;
        s30 += c3 * x0; s31 += c3 * x1;
      }
      out[q0 + a] = s00; out[q0 + a + 1] = s10; out[q0 + a + 2] = s20; out[q0 + a + 3] = s30;
      out[q1 + a] = s01; out[q1 + a + 1] = s11; out[q1 + a + 2] = s21; out[q1 + a + 3] = s31;
    }
    for (let a = a4; a < dim; a++) {
      out[q0 + a] = dot(cov, a * dim, q, q0, dim);
      out[q1 + a] = dot(cov, a * dim, q, q1, dim);
    }
  }
  for (let j = j2; j < p; j++) for (let a = 0; a < dim; a++) out[j * dim + a] = dot(cov, a * dim, q, j * dim, dim);
  return out;
}

function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[xo + i] * y[yo + i];
  return s;
}

/** cov[a·dim + b] (b ≥ a; some b < a in diagonal blocks too) = Σ_r xt[a·m + r]·xt[b·m + r], summed in r order. */
function gramUpper(xt: Float64Array, dim: number, m: number, cov: Float64Array): void {
  const a4 = dim - (dim % 4);
  for (let a = 0; a < a4; a += 4) {
    const x0 = a * m, x1 = x0 + m, x2 = x1 + m, x3 = x2 + m;
    let b = a;
    for (; b + 1 < dim; b += 2) {
      const y0 = b * m, y1 = y0 + m;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let r = 0; r < m; r++) {
        const u = xt[y0 + r], v = xt[y1 + r];
        const c0 = xt[x0 + r], c1 = xt[x1 + r], c2 = xt[x2 + r], c3 = xt[x3 + r];
        s00 += c0 * u; s01 += c0 * v;
        s10 += c1 * u; s11 += c1 * v;
        s20 += c2 * u; s21 += c2 * v;
        s30 += c3 * u; s31 += c3 * v;
      }
      const o = a * dim + b;
      cov[o] = s00; cov[o + 1] = s01;
      cov[o + dim] = s10; cov[o + dim + 1] = s11;
      cov[o + 2 * dim] = s20; cov[o + 2 * dim + 1] = s21;
      cov[o + 3 * dim] = s30; cov[o + 3 * dim + 1] = s31;
    }
    for (; b < dim; b++) for (let i = 0; i < 4; i++) cov[(a + i) * dim + b] = dot(xt, (a + i) * m, xt, b * m, m);
  }
  for (let a = a4; a < dim; a++) for (let b = a; b < dim; b++) cov[a * dim + b] = dot(xt, a * m, xt, b * m, m);
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
