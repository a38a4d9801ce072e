import { describe, expect, it } from 'vitest';
import { brushOffsets, rasterizeStroke } from '../../src-renderer/lib/data/brush';
import { ScribbleLayer } from '../../src-renderer/lib/data/history';
import { classVolumes } from '../../src-renderer/lib/data/volumes';
import { viewAxes, planeRaster, orientationLabels, rasterToIjk, ijkToRaster } from '../../src-renderer/lib/data/viewgeom';
import { makePalette, paintSlice } from '../../src-renderer/lib/data/overlay';
import { dragWindow, presetsFor } from '../../src-renderer/lib/data/windowing';
import { BACKGROUND_ID, IDENTITY3, type Mat3, type Vec3 } from '../../src-shared';

describe('brush rasterisation', () => {
  it('a 2D disc of radius 2 mm on 1 mm voxels covers the 13 voxels within 2 mm, in the slice plane only', () => {
    const off = brushOffsets([1, 1, 1], { radiusMm: 2, shape: '2d', sliceAxis: 2 });
    expect(off.length).toBe(13); // (0,0) + 4 at 1 + 4 at √2 + 4 at 2
    expect(off.every((o) => o[2] === 0)).toBe(true);
  });
  it('a 3D ball of radius 1 mm covers the centre and its 6 face neighbours', () => {
    expect(brushOffsets([1, 1, 1], { radiusMm: 1, shape: '3d', sliceAxis: 2 }).length).toBe(7);
  });
  it('respects anisotropic spacing: 2 mm radius on 0.5×0.5×3 mm voxels is 4 voxels wide in-plane and 1 slice deep', () => {
    const off = brushOffsets([0.5, 0.5, 3], { radiusMm: 2, shape: '3d', sliceAxis: 2 });
    expect(Math.max(...off.map((o) => o[0]))).toBe(4);
    expect(Math.max(...off.map((o) => Math.abs(o[2])))).toBe(0);
  });
  it('a line stroke with radius 0 marks every voxel on the path, without gaps, and clips at the border', () => {
    const dims: Vec3 = [10, 10, 3];
    const idx = rasterizeStroke(dims, [1, 1, 1], [[0, 5, 1], [9.4, 5, 1], [12, 5, 1]], { radiusMm: 0, shape: '2d', sliceAxis: 2 });
    expect(Array.from(idx)).toEqual(Array.from({ length: 10 }, (_, i) => i + 5 * 10 + 1 * 100));
  });
  it('a 2D stroke stays on the slice it started on even if the points drift along the slice axis', () => {
    const idx = rasterizeStroke([8, 8, 8], [1, 1, 1], [[2, 2, 3], [2, 5, 3.9]], { radiusMm: 0, shape: '2d', sliceAxis: 2 });
    expect(idx.length).toBe(4);
    expect(Array.from(idx).every((v) => Math.floor(v / 64) === 3)).toBe(true);
  });
});

describe('scribble layer with undo/redo as voxel diffs', () => {
  it('paints, undoes and redoes with the exact changed voxels, and never overwrites a locked class', () => {
    const s = new ScribbleLayer(10);
    const d1 = s.paint(Uint32Array.from([1, 2, 3]), 5, new Set());
    expect(d1 && Array.from(d1.indices)).toEqual([1, 2, 3]);
    const d2 = s.paint(Uint32Array.from([3, 4]), BACKGROUND_ID, new Set([5]));
    // voxel 3 holds locked class 5 and stays; only voxel 4 changes
    expect(d2 && Array.from(d2.indices)).toEqual([4]);
    expect(Array.from(s.data.slice(0, 6))).toEqual([0, 5, 5, 5, 255, 0]);
    const u = s.undo();
    expect(u && Array.from(u.indices)).toEqual([4]);
    expect(u && Array.from(u.values)).toEqual([0]);
    expect(s.data[4]).toBe(0);
    const u2 = s.undo();
    expect(u2 && Array.from(u2.values)).toEqual([0, 0, 0]);
    expect(Array.from(s.data)).toEqual(new Array(10).fill(0));
    expect(s.undo()).toBeNull();
    const r = s.redo();
    expect(r && Array.from(r.values)).toEqual([5, 5, 5]);
    expect(s.data[2]).toBe(5);
    // a new edit clears the redo stack
    s.paint(Uint32Array.from([7]), 1, new Set());
    expect(s.canRedo).toBe(false);
  });
  it('merges the segments of one stroke into one undo step', () => {
    const s = new ScribbleLayer(10);
    s.paint(Uint32Array.from([0]), 2, new Set());
    s.paint(Uint32Array.from([1, 2]), 1, new Set());
    s.paint(Uint32Array.from([2, 3]), 1, new Set(), true);
    expect(s.undoDepth).toBe(2);
    const last = s.lastEdit();
    expect(last && Array.from(last.indices)).toEqual([1, 2, 3]);
    const u = s.undo();
    expect(u && Array.from(u.values)).toEqual([0, 0, 0]);
    expect(Array.from(s.data.slice(0, 4))).toEqual([2, 0, 0, 0]);
  });
  it('refuses to paint with a locked class and reports no change', () => {
    const s = new ScribbleLayer(4);
    expect(s.paint(Uint32Array.from([0, 1]), 3, new Set([3]))).toBeNull();
    expect(s.canUndo).toBe(false);
  });
  it('erasing (value 0) skips locked voxels', () => {
    const s = new ScribbleLayer(4);
    s.paint(Uint32Array.from([0, 1]), 3, new Set());
    s.paint(Uint32Array.from([2]), 4, new Set());
    const d = s.paint(Uint32Array.from([0, 1, 2]), 0, new Set([3]));
    expect(d && Array.from(d.indices)).toEqual([2]);
    expect(Array.from(s.data)).toEqual([3, 3, 0, 0]);
  });
});

describe('class volume table', () => {
  it('counts voxels and converts to mL with the voxel volume', () => {
    const data = new Uint8Array(1000);
    data.fill(5, 0, 250);
    data.fill(1, 250, 260);
    const v = classVolumes(data, [0.5, 0.5, 2], [5, 1, 7]);
    expect(v).toEqual([
      { id: 5, voxels: 250, ml: 0.125 },
      { id: 1, voxels: 10, ml: 0.005 },
      { id: 7, voxels: 0, ml: 0 },
    ]);
  });
});

describe('view geometry', () => {
  const dims: Vec3 = [4, 3, 2];
  it('axial view of an LPS-identity grid: i to the right, j down; letters R/L/A/P', () => {
    const ax = viewAxes({ direction: IDENTITY3 }, 'axial');
    expect([ax.slice, ax.right, ax.rightSign, ax.down, ax.downSign]).toEqual([2, 0, 1, 1, 1]);
    expect(orientationLabels({ direction: IDENTITY3 }, ax)).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
    const r = planeRaster(dims, ax, 1);
    expect(r).toEqual({ width: 4, height: 3, origin: 12, strideCol: 1, strideRow: 4 });
  });
  it('coronal view puts superior at the top: k runs upward', () => {
    const ax = viewAxes({ direction: IDENTITY3 }, 'coronal');
    expect([ax.slice, ax.right, ax.down, ax.downSign]).toEqual([1, 0, 2, -1]);
    const r = planeRaster(dims, ax, 2);
    // top-left pixel = voxel (0, 2, 1)
    expect(r.origin).toBe(0 + 2 * 4 + 1 * 12);
    expect(r.strideRow).toBe(-12);
    expect(rasterToIjk(dims, ax, 2, 0, 0)).toEqual([0, 2, 1]);
    expect(ijkToRaster(dims, ax, [0, 2, 1])).toEqual({ col: 0, row: 0, slice: 2 });
  });
  it('a NIfTI-like grid stored with i→Right, j→Anterior (flipped) is still shown radiologically', () => {
    const dir: Mat3 = [-1, 0, 0, 0, -1, 0, 0, 0, 1];
    const ax = viewAxes({ direction: dir }, 'axial');
    expect([ax.right, ax.rightSign, ax.down, ax.downSign]).toEqual([0, -1, 1, -1]);
    expect(orientationLabels({ direction: dir }, ax)).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
    expect(rasterToIjk(dims, ax, 0, 0, 0)).toEqual([3, 2, 0]);
  });
  it('sagittal view: anterior on the left, superior on top', () => {
    const ax = viewAxes({ direction: IDENTITY3 }, 'sagittal');
    expect(orientationLabels({ direction: IDENTITY3 }, ax)).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' });
  });
});

describe('overlay slice painting', () => {
  it('fills class colours with opacity and outlines only boundary pixels', () => {
    const dims: Vec3 = [4, 4, 1];
    const labels = new Uint8Array(16);
    for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) labels[i + 4 * j] = 2;
    const pal = makePalette([{ id: 2, color: [10, 20, 30] }], 0.5);
    const ax = viewAxes({ direction: IDENTITY3 }, 'axial');
    const out = new Uint8ClampedArray(64);
    paintSlice(labels, planeRaster(dims, ax, 0), pal, 'fill', out);
    expect(Array.from(out.slice(0, 4))).toEqual([10, 20, 30, 128]);
    expect(out[3 * 4 + 3]).toBe(0);
    paintSlice(labels, planeRaster(dims, ax, 0), pal, 'outline', out);
    const alpha = Array.from({ length: 16 }, (_, p) => out[p * 4 + 3]);
    // the 3×3 block's centre (1,1) is interior; its 8 other pixels are outline
    expect(alpha.filter((a) => a === 255).length).toBe(8);
    expect(alpha[1 + 4]).toBe(0);
  });
});

describe('window/level', () => {
  it('has the four CT presets and none for MR', () => {
    expect(presetsFor('CT').map((p) => [p.center, p.width])).toEqual([[40, 400], [-600, 1500], [300, 1500], [40, 80]]);
    expect(presetsFor('MR')).toEqual([]);
  });
  it('dragging right widens, down raises the level, width never below 1', () => {
    expect(dragWindow({ center: 40, width: 400 }, 10, 5)).toEqual({ center: 45, width: 420 });
    expect(dragWindow({ center: 0, width: 5 }, -1000, 0).width).toBe(1);
  });
});

import { fitViewport, panBy, rasterToScreen, screenToRaster, zoomAt } from '../../src-renderer/lib/data/viewport';

describe('viewport transform', () => {
  const p = { width: 200, height: 100, sc: 0.5, sr: 1 };
  it('fits the slice and maps the screen centre to the slice centre, round-trip exact', () => {
    const v = fitViewport(p, 400, 400);
    expect(v.mmPerPx).toBeCloseTo((100 / 400) * 1.02, 9);
    const c = screenToRaster(v, p, 400, 400, 200, 200);
    expect(c.col).toBeCloseTo(99.5, 9);
    expect(c.row).toBeCloseTo(49.5, 9);
    const s = rasterToScreen(v, p, 400, 400, 10, 20);
    const back = screenToRaster(v, p, 400, 400, s.x, s.y);
    expect(back.col).toBeCloseTo(10, 9);
    expect(back.row).toBeCloseTo(20, 9);
  });
  it('zoom keeps the point under the cursor fixed; pan moves content with the mouse', () => {
    const v = fitViewport(p, 400, 400);
    const before = screenToRaster(v, p, 400, 400, 50, 300);
    const z = zoomAt(v, 400, 400, 50, 300, 2);
    expect(z.mmPerPx).toBeCloseTo(v.mmPerPx / 2, 12);
    const after = screenToRaster(z, p, 400, 400, 50, 300);
    expect(after.col).toBeCloseTo(before.col, 9);
    expect(after.row).toBeCloseTo(before.row, 9);
    const moved = panBy(v, 10, 0);
    expect(rasterToScreen(moved, p, 400, 400, 10, 20).x - rasterToScreen(v, p, 400, 400, 10, 20).x).toBeCloseTo(10, 9);
  });
});

import { downsample, downsampleStep } from '../../src-renderer/lib/data/downsample';

describe('3D downsampling', () => {
  it('keeps every step-th voxel and scales spacing', () => {
    const dims: Vec3 = [4, 4, 2];
    const data = Float32Array.from({ length: 32 }, (_, n) => n);
    expect(downsampleStep([512, 512, 20], 96)).toBe(6);
    const d = downsample(data, dims, [1, 1, 2], 2, (n) => new Float32Array(n));
    expect(d.dims).toEqual([2, 2, 1]);
    expect(d.spacing).toEqual([2, 2, 4]);
    expect(Array.from(d.data)).toEqual([0, 2, 8, 10]);
  });
});

import { SHORTCUTS, shortcutFor } from '../../src-renderer/lib/state/shortcuts';

describe('keyboard shortcuts', () => {
  const ev = (key: string, o: Partial<{ ctrlKey: boolean; shiftKey: boolean }> = {}) => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...o });
  it('maps undo/redo with and without Shift, and plain keys to tools', () => {
    expect(shortcutFor(ev('z', { ctrlKey: true }))).toBe('undo');
    expect(shortcutFor(ev('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(shortcutFor(ev('y', { ctrlKey: true }))).toBe('redo');
    expect(shortcutFor(ev('b'))).toBe('brush');
    expect(shortcutFor(ev('b', { ctrlKey: true }))).toBeNull();
  });
  it('every shortcut in the help sheet is reachable', () => {
    const ids = new Set(SHORTCUTS.map((s) => s.id));
    expect(ids.size).toBe(SHORTCUTS.length);
  });
});
