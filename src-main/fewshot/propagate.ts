/**
 * Spatial refinement: competitive geodesic propagation from the strokes through the image (a seeded
 * Dijkstra / grow-cut). Every voxel takes the class whose strokes reach it along the cheapest 6-connected path,
 * where a step costs its length in mm, more where the head doubts the class, and more across an intensity edge.
 * This is what turns a noisy per-voxel classifier into connected organs that stop at anatomical boundaries.
 * Hand-written: no JS library does multi-label geodesic propagation on typed 3D arrays.
 */
import { MedSegError, type Vec3 } from '../../src-shared';

export interface PropagationParams {
  /** Cost per mm paid everywhere (keeps regions compact). */
  base: number;
  /** Cost per mm times (1 − p_class): the head's opinion. */
  doubt: number;
  /** Cost per unit of normalised intensity change (CT: 100 HU) across a step: the image edges. */
  edge: number;
}

export const DEFAULT_PROPAGATION: PropagationParams = { base: 0.05, doubt: 1, edge: 2 };

/**
 * The balance on the finer levels' bands, where only the borders between regions are decided again: `blocks` for the
 * bands of blocks below the top level, `voxels` for the band decided per voxel. Each overrides the top level's
 * parameters there; the top level keeps them (it decides which region is which).
 */
export interface BandBalance {
  blocks?: Partial<PropagationParams>;
  voxels?: Partial<PropagationParams>;
}

/**
 * CT's band balance: on the borders the image counts more and the head less (doubt 1 → 0.5 on block bands and 0.25
 * on the voxel band; edge 2 → 3 and 4). CT intensities are calibrated (HU) and organ borders are sharp steps, while
 * the head's probabilities fall on the partial-volume voxels of an organ's rim: with the top level's balance the
 * borders sat about one voxel inside the organs (on totalseg_ct k = 3 scribble, one-voxel rim misses outnumbered rim
 * false positives 817 : 432 for the spleen and 791 : 334 for kidney R). Measured (filter bank, linear head, mean
 * over k = 1, 3, 5 × scribble / slice): totalseg_ct 0.796 → 0.832 (k = 3 scribble 0.832 → 0.849), the second CT
 * 0.930 → 0.939. On totalseg_ct structures it was not chosen on: stomach, bladder, IVC, iliopsoas ×2 and sacrum
 * 0.373 → 0.393; small bowel, colon, gallbladder, pancreas and the two autochthon muscles 0.419 → 0.409. Not for MR:
 * its normalised intensities are not calibrated, and the same balance lowered totalseg_mr 0.810 → 0.778 and brain1
 * 0.735 → 0.673.
 */
export const CT_BAND_BALANCE: BandBalance = { blocks: { doubt: 0.5, edge: 3 }, voxels: { doubt: 0.25, edge: 4 } };

export interface PropagationInput {
  dims: Vec3;
  spacing: Vec3;
  /** Class probabilities, C per voxel. */
  probs: Float32Array;
  C: number;
  /** Edge image (smoothed, normalised intensity). */
  image: Float32Array;
  /** Seed class index per voxel, −1 for none. */
  seeds: Int16Array;
  /** Voxels that must not be entered (locked classes); optional. */
  blocked?: Uint8Array;
  params?: Partial<PropagationParams>;
  signal?: AbortSignal;
}

/** Binary min-heap on (key, voxel, class) in typed arrays; grows by doubling. */
export class Heap {
  keys: Float64Array;
  vox: Int32Array;
  cls: Uint8Array;
  size = 0;
  constructor(cap: number) {
    this.keys = new Float64Array(cap);
    this.vox = new Int32Array(cap);
    this.cls = new Uint8Array(cap);
  }
  push(key: number, v: number, c: number): void {
    if (this.size === this.keys.length) {
      const k = new Float64Array(this.size * 2); k.set(this.keys); this.keys = k;
      const v2 = new Int32Array(this.size * 2); v2.set(this.vox); this.vox = v2;
      const c2 = new Uint8Array(this.size * 2); c2.set(this.cls); this.cls = c2;
    }
    const keys = this.keys, vox = this.vox, cls = this.cls;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p] <= key) break;
      keys[i] = keys[p]; vox[i] = vox[p]; cls[i] = cls[p];
      i = p;
    }
    keys[i] = key; vox[i] = v; cls[i] = c;
  }
  /** Pops the minimum into this.topKey/topVox/topCls. */
  topKey = 0;
  topVox = 0;
  topCls = 0;
  pop(): void {
    const keys = this.keys, vox = this.vox, cls = this.cls;
    this.topKey = keys[0]; this.topVox = vox[0]; this.topCls = cls[0];
    const n = --this.size;
    if (n === 0) return;
    const key = keys[n], v = vox[n], c = cls[n];
    let i = 0;
    for (;;) {
      let l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      if (r < n && keys[r] < keys[l]) l = r;
      if (keys[l] >= key) break;
      keys[i] = keys[l]; vox[i] = vox[l]; cls[i] = cls[l];
      i = l;
    }
    keys[i] = key; vox[i] = v; cls[i] = c;
  }
}

/**
 * Bucket (Dial) queue for keys that grow by at least `width` per step: a bucket holds keys in [b·w, (b+1)·w), and
 * since no step is shorter than w, voxels popped from one bucket can never improve each other, so popping a bucket
 * in any order gives the same distances as a heap at O(1) per operation instead of O(log n). Buckets are a ring
 * (live keys span at most the largest step) of singly linked stacks in typed arrays; freed entries are reused.
 * Pops may come out of key order within a bucket: the caller skips entries whose key is stale.
 */
export class BucketQueue {
  private head: Int32Array;
  private next: Int32Array;
  private keys: Float32Array;
  private vox: Int32Array;
  private cls: Uint8Array;
  private free = -1;
  private used = 0;
  private cur = 0;
  size = 0;
  topKey = 0;
  topVox = 0;
  topCls = 0;
  /** Ring size − 1: the ring is a power of two, so a bucket's slot is a mask rather than a floating-point modulo. */
  private readonly mask: number;
  constructor(private readonly width: number, maxStep: number, cap: number) {
    let B = 1;
    while (B < Math.ceil(maxStep / width) + 2) B *= 2;
    this.mask = B - 1;
    this.head = new Int32Array(B).fill(-1);
    this.next = new Int32Array(cap);
    this.keys = new Float32Array(cap);
    this.vox = new Int32Array(cap);
    this.cls = new Uint8Array(cap);
  }
  private grow(): void {
    const cap = this.next.length * 2;
    const nx = new Int32Array(cap); nx.set(this.next); this.next = nx;
    const k = new Float32Array(cap); k.set(this.keys); this.keys = k;
    const v = new Int32Array(cap); v.set(this.vox); this.vox = v;
    const c = new Uint8Array(cap); c.set(this.cls); this.cls = c;
  }
  push(key: number, v: number, c: number): void {
    let e = this.free;
    if (e >= 0) this.free = this.next[e];
    else {
      if (this.used === this.next.length) this.grow();
      e = this.used++;
    }
    const b = Math.floor(key / this.width) & this.mask;
    this.keys[e] = key; this.vox[e] = v; this.cls[e] = c;
    this.next[e] = this.head[b];
    this.head[b] = e;
    this.size++;
  }
  pop(): void {
    const head = this.head, mask = this.mask;
    let b = this.cur & mask;
    while (head[b] < 0) { this.cur++; b = this.cur & mask; }
    const e = head[b];
    head[b] = this.next[e];
    this.topKey = this.keys[e]; this.topVox = this.vox[e]; this.topCls = this.cls[e];
    this.next[e] = this.free;
    this.free = e;
    this.size--;
  }
}

/**
 * Returns the class index per voxel (255 where nothing reached: blocked voxels, or regions cut off from every
 * seed) and the geodesic distance.
 */
export function propagate(inp: PropagationInput): { labels: Uint8Array; dist: Float32Array } {
  const { dims, spacing, probs, C, image, seeds, blocked, signal } = inp;
  const prm = { ...DEFAULT_PROPAGATION, ...inp.params };
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const labels = new Uint8Array(n).fill(255);
  const dist = new Float32Array(n).fill(Infinity);
  const [hx, hy, hz] = spacing;
  const base = prm.base, doubt = prm.doubt, edge = prm.edge;
  // The bucket queue needs a positive shortest step; a zero base cost (ablations) keeps the exact heap.
  const minStep = Math.min(hx, hy, hz) * base;
  let lo = Infinity, hi = -Infinity;
  for (let v = 0; v < n; v++) { const x = image[v]; if (x < lo) lo = x; if (x > hi) hi = x; }
  const maxStep = Math.max(hx, hy, hz) * (base + doubt) + edge * (hi - lo) + minStep;
  const heap = minStep > 1e-6 && maxStep / minStep < 1e6 ? new BucketQueue(minStep, maxStep, 1 << 16) : new Heap(1 << 16);
  for (let v = 0; v < n; v++) {
    const s = seeds[v];
    if (s >= 0 && !(blocked && blocked[v])) {
      dist[v] = 0;
      heap.push(0, v, s);
    }
  }
  const done = new Uint8Array(n);
  const sx = 1, sy = nx, sz = nx * ny;
  let pops = 0;
  while (heap.size > 0) {
    heap.pop();
    const v = heap.topVox;
    const d0 = heap.topKey, c = heap.topCls;
    if (done[v] || d0 > dist[v]) continue;
    done[v] = 1;
    labels[v] = c;
    if ((++pops & 0xffff) === 0 && signal?.aborted) throw new MedSegError('CANCELLED', 'Prediction was cancelled by a newer edit.');
    const k = (v / sz) | 0;
    const rem = v - k * sz;
    const j = (rem / nx) | 0;
    const i = rem - j * nx;
    const iv = image[v];
    // Six neighbours, unrolled through a small loop over (offset, step length, in-bounds).
    for (let q = 0; q < 6; q++) {
      let u: number, h: number;
      switch (q) {
        case 0: if (i === 0) continue; u = v - sx; h = hx; break;
        case 1: if (i === nx - 1) continue; u = v + sx; h = hx; break;
        case 2: if (j === 0) continue; u = v - sy; h = hy; break;
        case 3: if (j === ny - 1) continue; u = v + sy; h = hy; break;
        case 4: if (k === 0) continue; u = v - sz; h = hz; break;
        default: if (k === nz - 1) continue; u = v + sz; h = hz; break;
      }
      if (done[u] || (blocked && blocked[u])) continue;
      const di = image[u] - iv;
      const w = h * (base + doubt * (1 - probs[u * C + c])) + edge * (di < 0 ? -di : di);
      // Rounded to the stored precision so a queue entry's key compares equal to dist[] when it is current.
      const nd = Math.fround(d0 + w);
      if (nd < dist[u]) {
        dist[u] = nd;
        heap.push(nd, u, c);
      }
    }
  }
  return { labels, dist };
}
