/**
 * Batched linear scoring through the WebAssembly SIMD kernel (linear-score.wat): voxels are queued with their
 * feature row and the accumulator start value (bias plus position terms, computed by the caller exactly as the
 * JavaScript kernel does), scored a batch at a time; the caller (predict.ts) turns the logits into probabilities.
 * The logits are bit-identical to the JavaScript kernel's (same f64 operations in the same order); what changes is
 * speed: about 5× less time in the dot products, of which the copy of each voxel's features into the module's
 * memory takes back part (580 k voxels × 45 channels × 6 classes: 360 → 180 ms on this machine, copies included).
 *
 * One scoring instance per thread (module state is per isolate). Its memory is shared by every batch and grown
 * when a head needs more; views are re-made after a growth, and each batch writes its weights before scoring, so
 * batches of different heads may alternate.
 */
import { simdModule } from '../../../src-shared';
import { WASM_BASE64 } from './linear-score.wasm';

interface Exports {
  memory: WebAssembly.Memory;
  score(n: number, F: number, pairs: number, x: number, w: number, init: number, out: number): void;
  accum(n: number, F: number, pairs: number, x: number, e: number, g: number): void;
}

let exportsCache: Exports | undefined;
let trainerCache: Exports | undefined;

function wasmModule(): WebAssembly.Module | null {
  return simdModule(WASM_BASE64);
}

/** The scoring instance's exports, or null where WebAssembly SIMD is unavailable or MEDSEG_NO_WASM=1 asks for JS. */
export function wasmKernel(): Exports | null {
  const mod = wasmModule();
  if (!mod) return null;
  exportsCache ??= new WebAssembly.Instance(mod, {}).exports as unknown as Exports;
  return exportsCache;
}

/** Which kernel scores and trains linear heads in this thread, for reports: 'wasm-simd' or 'js'. */
export function headKernelName(): 'wasm-simd' | 'js' {
  return wasmKernel() ? 'wasm-simd' : 'js';
}

/**
 * The trainer's two matrix products on the same kernel, for one training set z (n samples × D channels, fixed for
 * the whole fit). Its own module instance and memory, so training never disturbs a scoring batch.
 */
export interface LinearTrainerKernel {
  /** Classes rounded up to even: the stride of logits() and e per sample. */
  readonly stride: number;
  /** Logits without bias, Σ_d w[c·D + d]·z[r][d] per sample r and class c, as a view (valid until the next call). */
  forward(w: Float64Array): Float64Array;
  /** The per-sample, per-class factors of the gradient: fill e[r·stride + c] before gradient(). */
  readonly e: Float64Array;
  /** G[c·D + d] = Σ_r e[r][c]·z[r][d], summed over r in order. */
  gradient(G: Float64Array): void;
}

export function linearTrainer(z: Float32Array, n: number, D: number, C: number): LinearTrainerKernel | null {
  const mod = wasmModule();
  if (!mod) return null;
  // One trainer instance per thread, reused (its memory grown as needed) rather than a new instance and memory per fit.
  trainerCache ??= new WebAssembly.Instance(mod, {}).exports as unknown as Exports;
  return new TrainerKernel(trainerCache, z, n, D, C);
}

/**
 * A class, not an object of closures: lossGradSimd calls forward() and gradient() of a new kernel at every fit, and
 * fresh closures there made V8 throw away its optimised lossGradSimd each time ("wrong call target"), which cost
 * more than the fit's arithmetic (totalseg_ct, k = 3: 26 ms alone, 45–110 ms between predictions).
 */
class TrainerKernel implements LinearTrainerKernel {
  readonly stride: number;
  readonly e: Float64Array;
  private readonly pairs: number;
  private readonly wv: Float64Array;
  private readonly gv: Float64Array;
  private readonly logits: Float64Array;
  private readonly offs: [number, number, number, number, number];

  constructor(private readonly k: Exports, z: Float32Array, private readonly n: number, private readonly D: number, private readonly C: number) {
    const pairs = Math.ceil(C / 2), stride = 2 * pairs;
    const wBytes = pairs * D * 16, rowBytes = n * stride * 8;
    const wOff = 0, zeroOff = wBytes, lOff = zeroOff + rowBytes, eOff = lOff + rowBytes, gOff = eOff + rowBytes, xOff = gOff + wBytes;
    const need = xOff + n * D * 4;
    k.memory.grow(Math.ceil(Math.max(0, need - k.memory.buffer.byteLength) / 65536));
    const buf = k.memory.buffer;
    this.pairs = pairs;
    this.stride = stride;
    this.wv = new Float64Array(buf, wOff, pairs * D * 2);
    this.gv = new Float64Array(buf, gOff, pairs * D * 2);
    this.logits = new Float64Array(buf, lOff, n * stride);
    this.e = new Float64Array(buf, eOff, n * stride);
    this.offs = [xOff, wOff, zeroOff, lOff, eOff];
    new Float32Array(buf, xOff, n * D).set(z.subarray(0, n * D));
    // The memory holds an earlier fit's values: the zero start values, a padded class's weights and factors must be 0.
    new Float64Array(buf, zeroOff, n * stride).fill(0);
    this.wv.fill(0);
    this.e.fill(0);
  }

  forward(w: Float64Array): Float64Array {
    const { wv, C, D } = this;
    for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) wv[((c >> 1) * D + d) * 2 + (c & 1)] = w[c * D + d];
    const [xOff, wOff, zeroOff, lOff] = this.offs;
    this.k.score(this.n, D, this.pairs, xOff, wOff, zeroOff, lOff);
    return this.logits;
  }

  gradient(G: Float64Array): void {
    const { gv, C, D } = this;
    gv.fill(0);
    const [xOff, , , , eOff] = this.offs;
    this.k.accum(this.n, D, this.pairs, xOff, eOff, gv.byteOffset);
    for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) G[c * D + d] = gv[((c >> 1) * D + d) * 2 + (c & 1)];
  }
}

// The module's memory holds one batch at a time. A kernel that starts a batch while another has voxels queued
// first has that one flushed (each kernel's batch lives at its own offsets, which the next one overwrites).
let pendingFlush: (() => void) | null = null;

/** Called by a kernel before it queues the first voxel of a batch. */
export function claimBatch(flush: () => void): void {
  const other = pendingFlush;
  pendingFlush = flush;
  if (other && other !== flush) other();
}

/** Called by a kernel once its batch is scored. */
export function releaseBatch(flush: () => void): void {
  if (pendingFlush === flush) pendingFlush = null;
}

/** Voxels per batch: 512 × 45 channels of features (92 kB) stay in the core's cache between copy and score. */
export const BATCH = 512;

export interface LinearBatch {
  /** Accumulator start values, `stride` per slot: the caller writes C of them per queued voxel. */
  init: Float64Array;
  /** Logits after score(), `stride` per slot. */
  logits: Float64Array;
  /** Classes rounded up to even. */
  readonly stride: number;
  /** Call before filling or scoring a batch: re-makes the views if another head's batch grew the memory. */
  begin(): void;
  /** Copies the features f[from..to) (whole voxels, F each) into the slots from slot t on. */
  setRun(t: number, f: Float32Array, from: number, to: number): void;
  /** Scores slots 0..n−1. */
  score(n: number): void;
}

/** A batch for a head of C classes over F channels; `rows[c]` are the class weights (f32, standardisation folded). */
export function linearBatch(rows: Float32Array[], F: number): LinearBatch | null {
  const k = wasmKernel();
  if (!k) return null;
  const C = rows.length, pairs = Math.ceil(C / 2), stride = 2 * pairs;
  const wBytes = pairs * F * 16, ioBytes = BATCH * stride * 8, xBytes = BATCH * F * 4;
  const wOff = 0, iOff = wBytes, oOff = iOff + ioBytes, xOff = oOff + ioBytes;
  const need = xOff + xBytes;
  if (k.memory.buffer.byteLength < need) {
    // Growing detaches every view: a batch still being filled is scored first, and starts again with new views.
    const other = pendingFlush;
    pendingFlush = null;
    other?.();
    k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  }
  return new Batch(k, rows, F, C, pairs, [wOff, iOff, oOff, xOff]);
}

/** A class rather than an object of closures: fresh closures per prediction ran unoptimised at every update in V8. */
class Batch implements LinearBatch {
  init = new Float64Array(0);
  logits = new Float64Array(0);
  readonly stride: number;
  /** Weights as f64 pairs: lane 0 = class 2p, lane 1 = class 2p+1 (0 for a missing last class). */
  private readonly W: Float64Array;
  private buf: ArrayBuffer | null = null;
  private wv = new Float64Array(0);
  private xv = new Float32Array(0);

  constructor(private readonly k: Exports, rows: Float32Array[], private readonly F: number, C: number, private readonly pairs: number, private readonly offs: [number, number, number, number]) {
    this.stride = 2 * pairs;
    const W = (this.W = new Float64Array(pairs * F * 2));
    for (let p = 0; p < pairs; p++) for (let d = 0; d < F; d++) {
      W[(p * F + d) * 2] = rows[2 * p][d];
      W[(p * F + d) * 2 + 1] = 2 * p + 1 < C ? rows[2 * p + 1][d] : 0;
    }
    this.begin();
  }

  begin(): void {
    const buf = this.k.memory.buffer;
    if (buf === this.buf) return;
    this.buf = buf;
    const [wOff, iOff, oOff, xOff] = this.offs;
    this.wv = new Float64Array(buf, wOff, this.pairs * this.F * 2);
    this.init = new Float64Array(buf, iOff, BATCH * this.stride);
    this.logits = new Float64Array(buf, oOff, BATCH * this.stride);
    this.xv = new Float32Array(buf, xOff, BATCH * this.F);
  }

  setRun(t: number, f: Float32Array, from: number, to: number): void {
    this.xv.set(f.subarray(from, to), t * this.F);
  }

  score(n: number): void {
    this.begin();
    this.wv.set(this.W);
    const [wOff, iOff, oOff, xOff] = this.offs;
    this.k.score(n, this.F, this.pairs, xOff, wOff, iOff, oOff);
  }
}
