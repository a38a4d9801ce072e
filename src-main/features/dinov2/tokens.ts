/** Patch tokens out of a last_hidden_state block, and their optional per-token normalisation. */
export type TokenNorm = 'none' | 'l2' | 'layernorm';

/** Copy item b's patch tokens (after CLS and R registers) of a [B, T, D] output. */
export function patchTokens(out: Float32Array, tokens: number, dim: number, registers: number, b: number, patches: number): Float32Array {
  const start = (b * tokens + 1 + registers) * dim;
  return out.slice(start, start + patches * dim);
}

/** In place. 'layernorm' is without affine parameters (zero mean, unit variance per token). */
export function normalizeTokens(x: Float32Array, dim: number, mode: TokenNorm): void {
  if (mode === 'none') return;
  const n = x.length / dim;
  for (let t = 0; t < n; t++) {
    const o = t * dim;
    if (mode === 'l2') {
      let s = 0;
      for (let c = 0; c < dim; c++) s += x[o + c] * x[o + c];
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let c = 0; c < dim; c++) x[o + c] *= inv;
    } else {
      let m = 0;
      for (let c = 0; c < dim; c++) m += x[o + c];
      m /= dim;
      let v = 0;
      for (let c = 0; c < dim; c++) v += (x[o + c] - m) ** 2;
      const inv = 1 / Math.sqrt(v / dim + 1e-6);
      for (let c = 0; c < dim; c++) x[o + c] = (x[o + c] - m) * inv;
    }
  }
}
