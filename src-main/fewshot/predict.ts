/**
 * Scoring features with a trained head: per-voxel class probabilities, written into a caller-owned Float32Array
 * (voxel-major, C per voxel) so the hot loop allocates nothing. The linear head's normalisation is folded into
 * its weights once, which halves the work per voxel. Position channels (if the head has them) are computed
 * from the voxel index here rather than stored with the features.
 */
import type { Vec3 } from '../../src-shared';
import { MedSegError } from '../../src-shared';
import type { FeatureVolume } from '../features/types';
import type { TrainedHead } from './head';
import { positionFeatures } from './samples';
import { BATCH, claimBatch, linearBatch, releaseBatch } from './simd/linear-batch';

export interface CompiledHead {
  C: number;
  /** Probabilities for one feature row (backbone channels at f[fo..], position channels in pos) → out[o..o+C). */
  score(f: Float32Array, fo: number, pos: Float32Array, out: Float32Array, o: number): void;
}

function softmaxInPlace(out: Float32Array, o: number, C: number): void {
  let mx = -Infinity;
  for (let c = 0; c < C; c++) if (out[o + c] > mx) mx = out[o + c];
  let se = 0;
  for (let c = 0; c < C; c++) { const e = Math.exp(out[o + c] - mx); out[o + c] = e; se += e; }
  const inv = 1 / se;
  for (let c = 0; c < C; c++) out[o + c] *= inv;
}

export function compileHead(head: TrainedHead): CompiledHead {
  const C = head.classes.length;
  const F = head.backbone.dim;
  const P = head.positionChannels;
  const D = F + P;
  const { mean, std } = head;
  if (head.kind === 'linear') {
    const W = new Float32Array(C * D), b = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      let bb = head.bias[c];
      for (let d = 0; d < D; d++) {
        const w = head.weights[c * D + d] / std[d];
        W[c * D + d] = w;
        bb -= w * mean[d];
      }
      b[c] = bb;
    }
    return {
      C,
      score(f, fo, pos, out, o) {
        for (let c = 0; c < C; c++) {
          let s = b[c];
          const wc = c * D;
          for (let d = 0; d < F; d++) s += W[wc + d] * f[fo + d];
          for (let d = 0; d < P; d++) s += W[wc + F + d] * pos[d];
          out[o + c] = s;
        }
        softmaxInPlace(out, o, C);
      },
    };
  }
  const NP = head.protoClass.length;
  const protos = head.prototypes, pc = head.protoClass;
  const invT = 1 / head.temperature;
  const zrow = new Float32Array(D);
  const best = new Float32Array(C);
  const istd = Float32Array.from(std, (s) => 1 / s);
  return {
    C,
    score(f, fo, pos, out, o) {
      for (let d = 0; d < F; d++) zrow[d] = (f[fo + d] - mean[d]) * istd[d];
      for (let d = 0; d < P; d++) zrow[F + d] = (pos[d] - mean[F + d]) * istd[F + d];
      best.fill(Infinity);
      for (let p = 0; p < NP; p++) {
        let d2 = 0;
        const po = p * D;
        for (let d = 0; d < D; d++) { const t = zrow[d] - protos[po + d]; d2 += t * t; }
        if (d2 < best[pc[p]]) best[pc[p]] = d2;
      }
      let mn = Infinity;
      for (let c = 0; c < C; c++) if (best[c] < mn) mn = best[c];
      for (let c = 0; c < C; c++) out[o + c] = -(best[c] - mn) * invT;
      softmaxInPlace(out, o, C);
    },
  };
}

/**
 * The linear head as plain arrays for the hot loop (standardisation folded into the weights), and the position channels, which are
 * linear in (i, j, k), folded into a per-row offset plus a per-column slope instead of being computed per voxel.
 */
function linearScorer(head: Extract<TrainedHead, { kind: 'linear' }>, dims: Vec3, spacing: Vec3) {
  const C = head.classes.length, F = head.backbone.dim, P = head.positionChannels, D = F + P;
  const W = new Float32Array(C * F), b = new Float64Array(C), wpos = new Float64Array(3 * C);
  for (let c = 0; c < C; c++) {
    let bb = head.bias[c];
    for (let d = 0; d < D; d++) {
      const w = head.weights[c * D + d] / head.std[d];
      bb -= w * head.mean[d];
      if (d < F) W[c * F + d] = w;
      else if (d - F < 3) wpos[(d - F) * C + c] = w;
    }
    b[c] = bb;
  }
  // positionFeatures: x = (i − (nx−1)/2)·sx/100 etc.; a weight on x becomes a slope per column step.
  const centre = dims.map((n) => (n - 1) / 2);
  return { C, F, W, b, wpos, centre, scale: spacing.map((s) => s / 100) };
}

function C0(head: TrainedHead): number { return head.classes.length; }

export interface LinearKernel {
  /** Softmax probabilities of one voxel (features at f[fo..], grid position i, j, k) into out[o..o+C). */
  score(f: Float32Array, fo: number, i: number, j: number, k: number, out: Float32Array, o: number): void;
  /**
   * The same result, possibly deferred: the voxel is queued for the WebAssembly SIMD kernel (simd/) and written
   * when the batch fills or at flush(). The features must stay unchanged until then. Without SIMD, add = score.
   */
  add(f: Float32Array, fo: number, i: number, j: number, k: number, out: Float32Array, o: number): void;
  /** Writes every queued voxel. */
  flush(): void;
}

/**
 * The linear head's hot loop. Classes are scored four at a time so that the four running sums live in registers and
 * each feature value is read once per four classes (3–4× faster than one class at a time in V8); the last one to
 * three classes go two and one at a time rather than padded to four (a two-class head did twice the work before).
 */
export function linearKernel(head: Extract<TrainedHead, { kind: 'linear' }>, dims: Vec3, spacing: Vec3): LinearKernel {
  return new LinearScorer(head, dims, spacing);
}

/**
 * A class rather than an object of closures: every prediction makes a new kernel, and V8 optimises a closure's code
 * for its own instance, so fresh closures ran unoptimised (and were compiled again) at every update.
 */
class LinearScorer implements LinearKernel {
  private readonly C: number;
  private readonly F: number;
  private readonly C4: number;
  private readonly C2: number;
  private readonly rows: Float32Array[] = [];
  private readonly acc: Float64Array;
  private readonly cx: Float64Array;
  private readonly cy: Float64Array;
  private readonly cz: Float64Array;
  private readonly c0: Float64Array;
  /** The WebAssembly SIMD batch, or null: then add() scores at once. */
  private readonly lb: ReturnType<typeof linearBatch>;
  // Queued voxels: slot t's probabilities go to out0[offs[t]..]; its start values are the JavaScript kernel's a0.
  private readonly offs = new Int32Array(BATCH);
  private out0: Float32Array | null = null;
  private n = 0;
  // Features of consecutive queued voxels that lie one after another in the same array are copied in one go
  // (a per-value copy loop cost more than the dot products it feeds).
  private runF: Float32Array | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runSlot = 0;
  private readonly flushFn = (): void => this.flush();

  constructor(head: Extract<TrainedHead, { kind: 'linear' }>, dims: Vec3, spacing: Vec3) {
    const { C, F, W, b, wpos, centre, scale } = linearScorer(head, dims, spacing);
    this.C = C; this.F = F;
    this.C4 = C - (C % 4); this.C2 = C - (C % 2);
    for (let c = 0; c < C; c++) this.rows.push(W.slice(c * F, (c + 1) * F));
    this.acc = new Float64Array(C);
    const cx = (this.cx = new Float64Array(C)), cy = (this.cy = new Float64Array(C)), cz = (this.cz = new Float64Array(C)), c0 = (this.c0 = new Float64Array(C));
    for (let c = 0; c < C; c++) {
      cx[c] = wpos[c] * scale[0]; cy[c] = wpos[C + c] * scale[1]; cz[c] = wpos[2 * C + c] * scale[2];
      c0[c] = b[c] - cx[c] * centre[0] - cy[c] * centre[1] - cz[c] * centre[2];
    }
    this.lb = linearBatch(this.rows, F);
  }

  /** Softmax of the C logits at src[so..] into out[o..] (acc holds the exponentials; src may be acc itself). */
  private softmaxOut(src: Float64Array, so: number, out: Float32Array, o: number): void {
    const C = this.C, acc = this.acc;
    let mx = -Infinity;
    for (let q = 0; q < C; q++) if (src[so + q] > mx) mx = src[so + q];
    let se = 0;
    for (let q = 0; q < C; q++) { const e = Math.exp(src[so + q] - mx); acc[q] = e; se += e; }
    const inv = 1 / se;
    for (let q = 0; q < C; q++) out[o + q] = acc[q] * inv;
  }

  score(f: Float32Array, fo: number, i: number, j: number, k: number, out: Float32Array, o: number): void {
    const { C, F, C4, C2, rows, acc, cx, cy, cz, c0 } = this;
    let c = 0;
    for (; c < C4; c += 4) {
      const w0 = rows[c], w1 = rows[c + 1], w2 = rows[c + 2], w3 = rows[c + 3];
      let a0 = c0[c] + cx[c] * i + cy[c] * j + cz[c] * k;
      let a1 = c0[c + 1] + cx[c + 1] * i + cy[c + 1] * j + cz[c + 1] * k;
      let a2 = c0[c + 2] + cx[c + 2] * i + cy[c + 2] * j + cz[c + 2] * k;
      let a3 = c0[c + 3] + cx[c + 3] * i + cy[c + 3] * j + cz[c + 3] * k;
      for (let d = 0; d < F; d++) {
        const x = f[fo + d];
        a0 += w0[d] * x; a1 += w1[d] * x; a2 += w2[d] * x; a3 += w3[d] * x;
      }
      acc[c] = a0; acc[c + 1] = a1; acc[c + 2] = a2; acc[c + 3] = a3;
    }
    if (c < C2) {
      const w0 = rows[c], w1 = rows[c + 1];
      let a0 = c0[c] + cx[c] * i + cy[c] * j + cz[c] * k;
      let a1 = c0[c + 1] + cx[c + 1] * i + cy[c + 1] * j + cz[c + 1] * k;
      for (let d = 0; d < F; d++) { const x = f[fo + d]; a0 += w0[d] * x; a1 += w1[d] * x; }
      acc[c] = a0; acc[c + 1] = a1;
      c += 2;
    }
    if (c < C) {
      const w0 = rows[c];
      let a0 = c0[c] + cx[c] * i + cy[c] * j + cz[c] * k;
      for (let d = 0; d < F; d++) a0 += w0[d] * f[fo + d];
      acc[c] = a0;
    }
    this.softmaxOut(acc, 0, out, o);
  }

  add(f: Float32Array, fo: number, i: number, j: number, k: number, out: Float32Array, o: number): void {
    const lb = this.lb;
    if (!lb) { this.score(f, fo, i, j, k, out, o); return; }
    if (out !== this.out0) { this.flush(); this.out0 = out; }
    if (this.n === 0) { claimBatch(this.flushFn); lb.begin(); }
    const { C, cx, cy, cz, c0 } = this;
    const I = lb.init, io = this.n * lb.stride;
    for (let c = 0; c < C; c++) I[io + c] = c0[c] + cx[c] * i + cy[c] * j + cz[c] * k;
    if (f !== this.runF || fo !== this.runEnd) { this.copyRun(); this.runF = f; this.runStart = this.runEnd = fo; this.runSlot = this.n; }
    this.runEnd += this.F;
    this.offs[this.n] = o;
    if (++this.n === BATCH) this.flush();
  }

  private copyRun(): void {
    if (this.runF && this.runEnd > this.runStart) this.lb!.setRun(this.runSlot, this.runF, this.runStart, this.runEnd);
    this.runF = null;
  }

  flush(): void {
    const lb = this.lb;
    if (!lb || this.n === 0) return;
    releaseBatch(this.flushFn);
    this.copyRun();
    lb.score(this.n);
    const L = lb.logits, out = this.out0!, S = lb.stride, offs = this.offs, n = this.n;
    for (let t = 0; t < n; t++) this.softmaxOut(L, t * S, out, offs[t]);
    this.n = 0;
  }
}

/**
 * Probabilities for the voxels where `mask` is non-zero (all when absent); others are left untouched.
 * Checks the abort signal once per slice. `spacing` places the position channels (default 1 mm).
 */
export function predictProbabilities(head: TrainedHead, features: FeatureVolume, dims: Vec3, out: Float32Array, mask?: Uint8Array, signal?: AbortSignal, spacing: Vec3 = [1, 1, 1]): void {
  const plane = dims[0] * dims[1];
  const checkSlice = (k: number): Float32Array => {
    if (signal?.aborted) throw new MedSegError('CANCELLED', 'Prediction was cancelled by a newer edit.');
    const sl = features.slices[k];
    if (!sl) throw new MedSegError('INVALID_ARGUMENT', `Features for slice ${k} are not computed yet.`);
    return sl;
  };
  if (head.kind === 'linear' && head.positionChannels <= 3) {
    const lk = linearKernel(head, dims, spacing);
    const D = features.dim;
    for (let k = 0; k < dims[2]; k++) {
      const sl = checkSlice(k);
      for (let j = 0; j < dims[1]; j++) {
        const rowV = k * plane + j * dims[0];
        for (let i = 0; i < dims[0]; i++) {
          const v = rowV + i;
          if (mask && !mask[v]) continue;
          lk.add(sl, (v - k * plane) * D, i, j, k, out, v * C0(head));
        }
      }
    }
    lk.flush();
    return;
  }
  const ch = compileHead(head);
  const C = ch.C, D = features.dim;
  const pos = new Float32Array(Math.max(1, head.positionChannels));
  for (let k = 0; k < dims[2]; k++) {
    const sl = checkSlice(k);
    const base = k * plane;
    for (let p = 0; p < plane; p++) {
      const v = base + p;
      if (mask && !mask[v]) continue;
      if (head.positionChannels) positionFeatures(v, dims, spacing, pos, 0);
      ch.score(sl, p * D, pos, out, v * C);
    }
  }
}

/** Probabilities for a list of voxels (ascending indices), C per listed voxel, into out. */
export function scoreVoxels(head: TrainedHead, features: FeatureVolume, dims: Vec3, spacing: Vec3, voxels: Int32Array, out: Float32Array, signal?: AbortSignal): void {
  const plane = dims[0] * dims[1], nx = dims[0], D = features.dim, C = head.classes.length;
  const lk = head.kind === 'linear' && head.positionChannels <= 3 ? linearKernel(head, dims, spacing) : null;
  const ch = lk ? null : compileHead(head);
  const pos = new Float32Array(Math.max(1, head.positionChannels));
  let lastK = -1;
  let sl: Float32Array | undefined;
  for (let t = 0; t < voxels.length; t++) {
    const v = voxels[t];
    const k = (v / plane) | 0, r = v - k * plane;
    if (k !== lastK) {
      if (signal?.aborted) throw new MedSegError('CANCELLED', 'Prediction was cancelled by a newer edit.');
      sl = features.slices[k];
      if (!sl) throw new MedSegError('INVALID_ARGUMENT', `Features for slice ${k} are not computed yet.`);
      lastK = k;
    }
    if (lk) { const j = (r / nx) | 0; lk.add(sl!, r * D, r - j * nx, j, k, out, t * C); continue; }
    if (head.positionChannels) positionFeatures(v, dims, spacing, pos, 0);
    ch!.score(sl!, r * D, pos, out, t * C);
  }
  lk?.flush();
}
