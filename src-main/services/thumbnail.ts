/** A small grayscale preview of a volume's middle axial slice, windowed with the volume's default window. */
import type { Thumbnail, Volume } from '../../src-shared';

export function thumbnailOf(volume: Volume, maxSize = 64): Thumbnail {
  const [nx, ny, nz] = volume.dims;
  const scale = Math.max(nx, ny) / maxSize;
  const step = Math.max(1, scale);
  const width = Math.max(1, Math.round(nx / step));
  const height = Math.max(1, Math.round(ny / step));
  const gray = new Uint8Array(width * height);
  const k = Math.floor(nz / 2);
  const lo = volume.window.center - volume.window.width / 2;
  const w = volume.window.width || 1;
  for (let y = 0; y < height; y++) {
    const j = Math.min(ny - 1, Math.floor((y + 0.5) * step));
    for (let x = 0; x < width; x++) {
      const i = Math.min(nx - 1, Math.floor((x + 0.5) * step));
      const v = volume.data[i + j * nx + k * nx * ny];
      gray[x + y * width] = Math.max(0, Math.min(255, Math.round(((v - lo) / w) * 255)));
    }
  }
  return { width, height, gray };
}
