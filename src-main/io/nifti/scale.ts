/**
 * NIfTI scl_slope / scl_inter. Integer slope and intercept keep integer storage (the common CT case: uint16 with
 * intercept −1024 becomes int16 HU); anything else becomes float32.
 */
import { valueRange, type VoxelArray } from '../../../src-shared';

export function applyScaling(raw: VoxelArray, slope: number, inter: number): VoxelArray {
  if (slope === 1 && inter === 0) return raw;
  const n = raw.length;
  if (Number.isInteger(slope) && Number.isInteger(inter) && !(raw instanceof Float32Array || raw instanceof Float64Array)) {
    const [lo, hi] = valueRange(raw);
    const a = lo * slope + inter, b = hi * slope + inter;
    const min = Math.min(a, b), max = Math.max(a, b);
    const out = min >= -32768 && max <= 32767 ? new Int16Array(n) : min >= -2147483648 && max <= 2147483647 ? new Int32Array(n) : null;
    if (out) {
      for (let i = 0; i < n; i++) out[i] = raw[i] * slope + inter;
      return out;
    }
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = raw[i] * slope + inter;
  return out;
}
