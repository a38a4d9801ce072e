/**
 * Where a simulated radiologist draws on one axial slice (in the spirit of BENCHMARK.md's scribble mode, but
 * as mouse strokes): through the target's eroded centroid along its row and column, and background lines
 * across the body kept well away from the target. Pure functions over a slice (i fastest, nx × ny).
 */
export type Seg = [[number, number], [number, number]]; // (i,j) start and end, inclusive

export function erode(mask: Uint8Array, nx: number, ny: number, r: number): Uint8Array {
  let cur = mask;
  for (let it = 0; it < r; it++) {
    const out = new Uint8Array(nx * ny);
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        let keep = cur[i + j * nx] === 1;
        for (let dj = -1; dj <= 1 && keep; dj++)
          for (let di = -1; di <= 1 && keep; di++) {
            const a = i + di, b = j + dj;
            if (a < 0 || b < 0 || a >= nx || b >= ny || cur[a + b * nx] !== 1) keep = false;
          }
        out[i + j * nx] = keep ? 1 : 0;
      }
    cur = out;
  }
  return cur;
}

/** Chebyshev-distance dilation (cheap, conservative "stay away" zone). */
export function dilate(mask: Uint8Array, nx: number, ny: number, r: number): Uint8Array {
  const inv = mask.map((v) => (v ? 0 : 1));
  return erode(inv, nx, ny, r).map((v) => (v ? 0 : 1));
}

/** Longest run of 1s along row j (or column i when vertical) as a segment; null when none is ≥ minLen. */
function longestRun(mask: Uint8Array, nx: number, ny: number, fixed: number, vertical: boolean, minLen: number): Seg | null {
  const n = vertical ? ny : nx;
  let best: [number, number] | null = null;
  let start = -1;
  for (let t = 0; t <= n; t++) {
    const on = t < n && mask[vertical ? fixed + t * nx : t + fixed * nx] === 1;
    if (on && start < 0) start = t;
    if (!on && start >= 0) {
      if (!best || t - 1 - start > best[1] - best[0]) best = [start, t - 1];
      start = -1;
    }
  }
  if (!best || best[1] - best[0] + 1 < minLen) return null;
  return vertical ? [[fixed, best[0]], [fixed, best[1]]] : [[best[0], fixed], [best[1], fixed]];
}

export function centroid(mask: Uint8Array, nx: number): [number, number] | null {
  let si = 0, sj = 0, n = 0;
  for (let p = 0; p < mask.length; p++)
    if (mask[p]) {
      si += p % nx;
      sj += Math.floor(p / nx);
      n++;
    }
  return n ? [Math.round(si / n), Math.round(sj / n)] : null;
}

/** Target strokes: row and column through the centroid of the mask eroded by `margin` voxels. */
export function targetStrokes(target: Uint8Array, nx: number, ny: number, margin: number): Seg[] {
  const er = erode(target, nx, ny, margin);
  const c = centroid(er, nx);
  if (!c) return [];
  const out: Seg[] = [];
  for (const [fixed, vertical] of [[c[1], false], [c[0], true], [c[1] - 20, false], [c[1] + 20, false]] as [number, boolean][]) {
    if (fixed < 0 || fixed >= (vertical ? nx : ny)) continue;
    const s = longestRun(er, nx, ny, fixed, vertical, 8);
    if (s) out.push(s);
  }
  return out;
}

/** Background strokes: rows and columns through body voxels (HU > −500) farther than `keepAway` from the target. */
export function backgroundStrokes(target: Uint8Array, hu: ArrayLike<number>, nx: number, ny: number, keepAway: number, every: number): Seg[] {
  const near = dilate(target, nx, ny, keepAway);
  const body = new Uint8Array(nx * ny);
  for (let p = 0; p < body.length; p++) body[p] = hu[p] > -500 && !near[p] ? 1 : 0;
  // keep strokes a few voxels inside the body so the brush does not spill into air
  const safe = erode(body, nx, ny, 3);
  const out: Seg[] = [];
  for (let j = every / 2; j < ny; j += every) {
    const s = longestRun(safe, nx, ny, Math.round(j), false, 12);
    if (s) out.push(s);
  }
  for (let i = every / 2; i < nx; i += every * 2) {
    const s = longestRun(safe, nx, ny, Math.round(i), true, 12);
    if (s) out.push(s);
  }
  return out;
}

export function dice(a: Uint8Array, av: number, b: Uint8Array, bv: number): number {
  let inter = 0, na = 0, nb = 0;
  for (let p = 0; p < a.length; p++) {
    const x = a[p] === av, y = b[p] === bv;
    if (x) na++;
    if (y) nb++;
    if (x && y) inter++;
  }
  return na + nb === 0 ? 1 : (2 * inter) / (na + nb);
}
