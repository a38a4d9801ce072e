/**
 * Pan/zoom state of a 2D slice view and the screen ↔ slice-raster mapping shared by the vtk.js image layer
 * and the 2D overlay canvas, so both always line up. Raster units: (col, row) as in viewgeom.planeRaster;
 * millimetres: col·spacingCol, row·spacingRow. Data-only.
 */
export interface Viewport {
  /** Screen centre, in raster millimetres. */
  cx: number;
  cy: number;
  /** Millimetres per CSS pixel. */
  mmPerPx: number;
}

export interface PlaneSize {
  width: number; // raster columns
  height: number; // raster rows
  sc: number; // mm per column
  sr: number; // mm per row
}

/** Fit the whole slice in a w×h pixel view with a small margin. */
export function fitViewport(p: PlaneSize, w: number, h: number): Viewport {
  const wmm = p.width * p.sc, hmm = p.height * p.sr;
  const mmPerPx = Math.max(wmm / Math.max(1, w), hmm / Math.max(1, h)) * 1.02;
  return { cx: (p.width - 1) * p.sc / 2, cy: (p.height - 1) * p.sr / 2, mmPerPx };
}

export function screenToRaster(v: Viewport, p: PlaneSize, w: number, h: number, px: number, py: number): { col: number; row: number } {
  return { col: (v.cx + (px - w / 2) * v.mmPerPx) / p.sc, row: (v.cy + (py - h / 2) * v.mmPerPx) / p.sr };
}

export function rasterToScreen(v: Viewport, p: PlaneSize, w: number, h: number, col: number, row: number): { x: number; y: number } {
  return { x: w / 2 + (col * p.sc - v.cx) / v.mmPerPx, y: h / 2 + (row * p.sr - v.cy) / v.mmPerPx };
}

/** Zoom by `factor` (>1 = magnify) keeping the point under (px, py) fixed, as in every viewer. */
export function zoomAt(v: Viewport, w: number, h: number, px: number, py: number, factor: number): Viewport {
  const mx = v.cx + (px - w / 2) * v.mmPerPx;
  const my = v.cy + (py - h / 2) * v.mmPerPx;
  const mmPerPx = Math.min(50, Math.max(0.005, v.mmPerPx / factor));
  return { cx: mx - (px - w / 2) * mmPerPx, cy: my - (py - h / 2) * mmPerPx, mmPerPx };
}

export function panBy(v: Viewport, dxPx: number, dyPx: number): Viewport {
  return { ...v, cx: v.cx - dxPx * v.mmPerPx, cy: v.cy - dyPx * v.mmPerPx };
}
