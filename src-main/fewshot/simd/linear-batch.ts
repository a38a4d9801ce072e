/**
 * Batched linear scoring through the WebAssembly SIMD kernel (linear-score.wat): voxels are queued with their
 * feature row and the accumulator start value (bias plus position terms, computed by the caller exactly as the
 * JavaScript kernel does), scored a batch at a time, and their softmax written by the caller's `finish`. The
 * logits are bit-identical to the JavaScript kernel's (same f64 operations in the same order); what changes is
 * speed: about 5× less time in the dot products, of which the copy of each voxel's features into the module's
 * memory takes back part (band scoring of 580 k voxels × 45 channels × 6 classes: 360 → 180 ms on this machine).
 *
 * One module instance per thread (module state is per isolate). Its memory is shared by every batch and grown
 * when a head needs more; views are re-made after a growth, and each batch writes its weights before scoring, so
 * batches of different heads may alternate.
 */
import { WASM_BASE64 } from './linear-score.wasm';

interface Exports {
  memory: WebAssembly.Memory;
  score(n: number, F: number, pairs: number, x: number, w: number, init: number, out: number): void;
}

let exportsCache: Exports | null | undefined;

/** The kernel's exports, or null where WebAssembly SIMD is unavailable or MEDSEG_NO_WASM=1 asks for plain JS. */
export function wasmKernel(): Exports | null {
  if (typeof process !== 'undefined' && process.env.MEDSEG_NO_WASM === '1') return null; // read per call: A/B timing
  if (exportsCache !== undefined) return exportsCache;
  try {
    const bytes = Uint8Array.from(atob(WASM_BASE64), (ch) => ch.charCodeAt(0));
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    exportsCache = inst.exports as unknown as Exports;
  } catch {
    exportsCache = null; // no SIMD support: the JavaScript kernel does the work
  }
  return exportsCache;
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
  // Weights as f64 pairs: lane 0 = class 2p, lane 1 = class 2p+1 (0 for a missing last class).
  const W = new Float64Array(pairs * F * 2);
  for (let p = 0; p < pairs; p++) for (let d = 0; d < F; d++) {
    W[(p * F + d) * 2] = rows[2 * p][d];
    W[(p * F + d) * 2 + 1] = 2 * p + 1 < C ? rows[2 * p + 1][d] : 0;
  }
  let buf: ArrayBuffer | null = null;
  let wv!: Float64Array, xv!: Float32Array;
  const batch: LinearBatch = {
    init: new Float64Array(0),
    logits: new Float64Array(0),
    stride,
    begin() {
      if (buf === k.memory.buffer) return;
      buf = k.memory.buffer;
      wv = new Float64Array(buf, wOff, pairs * F * 2);
      batch.init = new Float64Array(buf, iOff, BATCH * stride);
      batch.logits = new Float64Array(buf, oOff, BATCH * stride);
      xv = new Float32Array(buf, xOff, BATCH * F);
    },
    setRun(t, f, from, to) {
      xv.set(f.subarray(from, to), t * F);
    },
    score(n) {
      batch.begin();
      wv.set(W);
      k.score(n, F, pairs, xOff, wOff, iOff, oOff);
    },
  };
  batch.begin();
  return batch;
}
