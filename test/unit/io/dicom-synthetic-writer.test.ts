import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openVolume } from '../../../src-main/io';
import { writeSyntheticCtSeries } from '../../../src-main/io/dicom';

const tmp = mkdtempSync(join(tmpdir(), 'medseg-synth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('synthetic DICOM series writer (benchmarks)', () => {
  it('writes a shuffled series that reads back with its geometry and HU values', async () => {
    const dims: [number, number, number] = [32, 24, 10];
    const data = new Int16Array(32 * 24 * 10).map((_, n) => (n % 2000) - 1000);
    await writeSyntheticCtSeries(tmp, { dims, spacing: [0.7, 0.8, 2.5], origin: [-10, -20, 30], data, shuffle: true });
    const v = await openVolume(tmp);
    expect(v.dims).toEqual(dims);
    expect(v.spacing[0]).toBeCloseTo(0.7, 6);
    expect(v.spacing[1]).toBeCloseTo(0.8, 6);
    expect(v.spacing[2]).toBeCloseTo(2.5, 6);
    expect(v.origin).toEqual([-10, -20, 30]);
    expect(v.modality).toBe('CT');
    expect(Array.from(v.data)).toEqual(Array.from(data));
  });
});
