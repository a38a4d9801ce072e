/** Shared bits of the DINOv2 / cache / hybrid tests: fixture paths and small synthetic volumes with known content. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Volume } from '../../src-shared';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'dinov2');
export const TINY = join(FIXTURES, 'tiny-dinov2.onnx');
export const TINY_REG = join(FIXTURES, 'tiny-dinov2-reg4.onnx');

export interface RefCase { input: number[]; output: number[]; first: number[]; firstPatchLastItem: number[]; sum: number; absSum: number }
export interface Reference { models: Record<string, { registers: number; dim: number; cases: RefCase[] }> }
export function reference(): Reference {
  return JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8')) as Reference;
}

/** The fixed input of scripts/export_tiny_dinov2.py: x[b,c,i,j] = 1.5·sin(0.05i + 0.11j + 0.7c + 0.3b). */
export function fixedInput(b: number, h: number, w: number): Float32Array {
  const out = new Float32Array(b * 3 * h * w);
  let o = 0;
  for (let bb = 0; bb < b; bb++) for (let c = 0; c < 3; c++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    out[o++] = Math.sin(0.05 * i + 0.11 * j + 0.7 * c + 0.3 * bb) * 1.5;
  }
  return out;
}

/** A CT-like phantom: air outside an ellipse of soft tissue (40 HU) holding a bright disc (300 HU) moving with k. */
export function phantomCT(nx: number, ny: number, nz: number, spacing: [number, number, number] = [1, 1, 2.5]): Volume {
  const data = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const ex = (i - nx / 2) / (nx * 0.42), ey = (j - ny / 2) / (ny * 0.4);
    let v = ex * ex + ey * ey < 1 ? 40 : -1000;
    const dx = i - nx * (0.35 + 0.3 * k / Math.max(1, nz)), dy = j - ny * 0.5;
    if (dx * dx + dy * dy < (nx * 0.12) ** 2) v = 300;
    data[i + j * nx + k * nx * ny] = v;
  }
  return {
    dims: [nx, ny, nz], spacing, origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data, voxelType: 'int16', modality: 'CT', meta: { format: 'synthetic' }, window: { center: 40, width: 400 }, warnings: [],
  };
}
