/**
 * DICOM reader on files generated here (a tiny explicit/implicit VR writer independent of dcmjs), so every
 * expected value is known by construction: slice order, spacing, bit masking, sign, photometric, errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dicomLoader, openDicomVolume, readDicomFile, scanDicomPaths } from '../../../src-main/io/dicom';
import { isMedSegError, type Volume } from '../../../src-shared';

// ---------- a minimal DICOM writer (test-only) ----------
type Value = string | number | number[] | string[] | Uint8Array;
type El = [group: number, element: number, vr: string, value: Value];
const NUMERIC: Record<string, [number, (dv: DataView, o: number, v: number) => void]> = {
  US: [2, (dv, o, v) => dv.setUint16(o, v, true)],
  SS: [2, (dv, o, v) => dv.setInt16(o, v, true)],
  UL: [4, (dv, o, v) => dv.setUint32(o, v, true)],
};
const LONG = new Set(['OB', 'OW', 'SQ', 'UN', 'UT']);

function encode(vr: string, v: Value): Uint8Array {
  if (v instanceof Uint8Array) return v.length % 2 ? Uint8Array.from([...v, 0]) : v;
  const num = NUMERIC[vr];
  if (num) {
    const list = Array.isArray(v) ? (v as number[]) : [v as number];
    const out = new Uint8Array(list.length * num[0]);
    const dv = new DataView(out.buffer);
    list.forEach((x, i) => num[1](dv, i * num[0], x));
    return out;
  }
  let s = Array.isArray(v) ? v.join('\\') : String(v);
  if (s.length % 2) s += vr === 'UI' ? '\0' : ' ';
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function element([g, e, vr, v]: El, explicit: boolean): Uint8Array {
  const value = encode(vr, v);
  const long = LONG.has(vr);
  const head = new Uint8Array(explicit ? (long ? 12 : 8) : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, g, true); dv.setUint16(2, e, true);
  if (!explicit) dv.setUint32(4, value.length, true);
  else {
    head[4] = vr.charCodeAt(0); head[5] = vr.charCodeAt(1);
    if (long) dv.setUint32(8, value.length, true); else dv.setUint16(6, value.length, true);
  }
  const out = new Uint8Array(head.length + value.length);
  out.set(head); out.set(value, head.length);
  return out;
}

function cat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

function dicomBytes(els: El[], opts: { syntax?: string; meta?: 'full' | 'none' | 'no-ts' } = {}): Uint8Array {
  const syntax = opts.syntax ?? EXPLICIT;
  const sorted = [...els].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const body = cat(sorted.map((e) => element(e, syntax !== IMPLICIT)));
  if (opts.meta === 'none') return body;
  const metaEls: El[] = [[2, 1, 'OB', Uint8Array.from([0, 1])], [2, 2, 'UI', '1.2.840.10008.5.1.4.1.1.2'], [2, 3, 'UI', '1.2.3.4']];
  if (opts.meta !== 'no-ts') metaEls.push([2, 0x10, 'UI', syntax]);
  const meta = cat(metaEls.map((e) => element(e, true)));
  return cat([new Uint8Array(128), Uint8Array.from('DICM', (c) => c.charCodeAt(0)), element([2, 0, 'UL', meta.length], true), meta, body]);
}

interface SliceOpts {
  series?: string; sop: string; instance?: number; desc?: string; modality?: string; frameOfRef?: string; study?: string;
  rows?: number; cols?: number; ipp?: number[]; iop?: number[]; spacing?: number[]; thickness?: number;
  bitsAllocated?: number; bitsStored?: number; pixelRep?: number; photometric?: string; samples?: number; planar?: number;
  slope?: number; intercept?: number; window?: [number, number]; pixels: number[]; noGeometry?: boolean;
}

function slice(o: SliceOpts): El[] {
  const rows = o.rows ?? 4, cols = o.cols ?? 5, samples = o.samples ?? 1;
  const ba = o.bitsAllocated ?? 16;
  const px = new Uint8Array(rows * cols * samples * (ba / 8));
  const dv = new DataView(px.buffer);
  o.pixels.forEach((v, i) => (ba === 8 ? px[i] = v & 0xff : dv.setUint16(2 * i, v & 0xffff, true)));
  const els: El[] = [
    [8, 0x16, 'UI', '1.2.840.10008.5.1.4.1.1.2'], [8, 0x18, 'UI', o.sop], [8, 0x60, 'CS', o.modality ?? 'CT'],
    [0x20, 0x0d, 'UI', o.study ?? '1.2.826.0.1.9.1'], [0x20, 0x0e, 'UI', o.series ?? '1.2.826.0.1.9.2'],
    [0x20, 0x13, 'IS', o.instance ?? 1],
    [0x28, 0x02, 'US', samples], [0x28, 0x04, 'CS', o.photometric ?? 'MONOCHROME2'],
    [0x28, 0x10, 'US', rows], [0x28, 0x11, 'US', cols],
    [0x28, 0x100, 'US', ba], [0x28, 0x101, 'US', o.bitsStored ?? ba], [0x28, 0x102, 'US', (o.bitsStored ?? ba) - 1],
    [0x28, 0x103, 'US', o.pixelRep ?? 1],
    [0x7fe0, 0x10, ba === 8 ? 'OB' : 'OW', px],
  ];
  if (o.desc !== undefined) els.push([8, 0x103e, 'LO', o.desc]);
  if (o.frameOfRef) els.push([0x20, 0x52, 'UI', o.frameOfRef]);
  if (!o.noGeometry) {
    els.push([0x20, 0x32, 'DS', (o.ipp ?? [0, 0, 0]).map(String)], [0x20, 0x37, 'DS', (o.iop ?? [1, 0, 0, 0, 1, 0]).map(String)]);
    els.push([0x28, 0x30, 'DS', (o.spacing ?? [0.5, 0.7]).map(String)]);
  }
  if (o.thickness !== undefined) els.push([0x18, 0x50, 'DS', String(o.thickness)]);
  if (samples > 1) els.push([0x28, 0x06, 'US', o.planar ?? 0]);
  if (o.slope !== undefined) els.push([0x28, 0x1053, 'DS', String(o.slope)]);
  if (o.intercept !== undefined) els.push([0x28, 0x1052, 'DS', String(o.intercept)]);
  if (o.window) els.push([0x28, 0x1050, 'DS', String(o.window[0])], [0x28, 0x1051, 'DS', String(o.window[1])]);
  return els;
}

const fill = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

let root: string;
let counter = 0;
function dir(name: string): string {
  const d = join(root, `${name}-${counter++}`);
  mkdirSync(d, { recursive: true });
  return d;
}
function put(d: string, name: string, bytes: Uint8Array): string {
  const p = join(d, name);
  writeFileSync(p, bytes);
  return p;
}
async function codeOf(p: Promise<unknown>): Promise<string> {
  try { await p; return 'resolved'; } catch (e) { return isMedSegError(e) ? e.code : `untyped: ${String(e)}`; }
}
const sliceValues = (v: Volume, k: number) => Array.from(v.data.subarray(k * v.dims[0] * v.dims[1], (k + 1) * v.dims[0] * v.dims[1]));

beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'medseg-dicom-')); });
afterAll(() => { rmSync(root, { recursive: true, force: true }); });

describe('slice order and spacing', () => {
  it('sorts along the slice normal, not by file name or InstanceNumber, and takes spacing from positions', async () => {
    const d = dir('order');
    const zs = [10, 0, 40, 20, 30];
    zs.forEach((z, n) => put(d, `${String.fromCharCode(97 + n)}.dcm`, dicomBytes(slice({ sop: `1.2.3.${n}`, instance: 100 - n, ipp: [-5, 7, z], thickness: 1.25, pixels: fill(20, (i) => z * 10 + i) }))));
    const v = await openDicomVolume([d]);
    expect(v.dims).toEqual([5, 4, 5]);
    expect(v.spacing).toEqual([0.7, 0.5, 10]); // PixelSpacing is [row spacing, column spacing]
    expect(v.origin).toEqual([-5, 7, 0]);
    expect(v.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    for (let k = 0; k < 5; k++) expect(sliceValues(v, k)).toEqual(fill(20, (i) => k * 100 + i));
    expect(v.meta.sourceFiles?.map((f) => f.slice(-5))).toEqual(['b.dcm', 'a.dcm', 'd.dcm', 'e.dcm', 'c.dcm']);
    expect(v.meta.sopInstanceUids).toEqual(['1.2.3.1', '1.2.3.0', '1.2.3.3', '1.2.3.4', '1.2.3.2']);
    expect(v.warnings).toEqual([]);
    expect(v.voxelType).toBe('int16');
    expect(v.meta.format).toBe('dicom');
  });

  it('handles an oblique stack: direction columns are row, column and their cross product', async () => {
    const d = dir('oblique');
    const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
    const row = [1, 0, 0], col = [0, c, s], normal = [0, -s, c];
    const p0 = [10, 20, 30];
    [3, 1, 0, 2].forEach((k) => {
      const ipp = p0.map((x, a) => x + normal[a] * 2.5 * k);
      put(d, `s${k}.dcm`, dicomBytes(slice({ sop: `1.9.${k}`, ipp, iop: [...row, ...col], pixels: fill(20, () => k) })));
    });
    const v = await openDicomVolume([d]);
    expect(v.origin.map((x, a) => x - p0[a]).every((x) => Math.abs(x) < 1e-6)).toBe(true);
    expect(v.spacing[2]).toBeCloseTo(2.5, 6);
    const dir3 = v.direction;
    expect([dir3[2], dir3[5], dir3[8]].map((x, a) => x - normal[a]).every((x) => Math.abs(x) < 1e-6)).toBe(true);
    expect([dir3[1], dir3[4], dir3[7]].map((x, a) => x - col[a]).every((x) => Math.abs(x) < 1e-6)).toBe(true);
    expect([0, 1, 2, 3].map((k) => v.data[k * 20])).toEqual([0, 1, 2, 3]);
    expect(v.warnings).toEqual([]);
  });

  it('warns about irregular spacing and about missing slices instead of guessing silently', async () => {
    const irregular = dir('irregular');
    [0, 2, 4, 7, 9].forEach((z, n) => put(irregular, `${n}.dcm`, dicomBytes(slice({ sop: `1.5.${n}`, ipp: [0, 0, z], pixels: fill(20, () => 0) }))));
    const a = await openDicomVolume([irregular]);
    expect(a.spacing[2]).toBeCloseTo(9 / 4, 6);
    expect(a.warnings.join(' ')).toMatch(/irregular/i);

    const missing = dir('missing');
    [0, 2, 4, 8, 10].forEach((z, n) => put(missing, `${n}.dcm`, dicomBytes(slice({ sop: `1.6.${n}`, ipp: [0, 0, z], pixels: fill(20, () => 0) }))));
    const b = await openDicomVolume([missing]);
    expect(b.warnings.join(' ')).toMatch(/missing: 1 gap/i);
  });

  it('opens a single slice as dims [x,y,1] with the slice thickness as k spacing and a warning', async () => {
    const d = dir('single');
    put(d, 'one.dcm', dicomBytes(slice({ sop: '1.7.1', thickness: 3, ipp: [1, 2, 3], pixels: fill(20, (i) => i - 10) })));
    const v = await openDicomVolume([d]);
    expect(v.dims).toEqual([5, 4, 1]);
    expect(v.spacing[2]).toBe(3);
    expect(v.warnings.join(' ')).toMatch(/single-slice/i);
    expect(sliceValues(v, 0)).toEqual(fill(20, (i) => i - 10));
  });

  it('refuses a stack with uneven repeated positions (DICOM_4D) and splits even ones into time points', async () => {
    const uneven = dir('uneven');
    [0, 0, 1, 2].forEach((z, n) => put(uneven, `${n}.dcm`, dicomBytes(slice({ sop: `1.8.${n}`, ipp: [0, 0, z], pixels: fill(20, () => n) }))));
    const r = await scanDicomPaths([uneven]);
    expect(r.entries).toEqual([]);
    expect(r.errors.map((e) => e.code)).toEqual(['DICOM_4D']);

    const even = dir('even');
    [0, 1, 0, 1].forEach((z, n) => put(even, `${n}.dcm`, dicomBytes(slice({ sop: `1.10.${n}`, instance: n + 1, ipp: [0, 0, z], pixels: fill(20, () => n) }))));
    const s = await scanDicomPaths([even]);
    expect(s.entries.map((e) => e.dims)).toEqual([[5, 4, 2], [5, 4, 2]]);
    const vols = await Promise.all(s.entries.map((e) => dicomLoader.load(e)));
    // InstanceNumber orders the time points: files 0,1 are the first pass, 2,3 the second.
    expect(vols.map((v) => [v.data[0], v.data[20]])).toEqual([[0, 1], [2, 3]]);
    expect(vols[0].warnings.join(' ')).toMatch(/split into 2 volumes/);
  });
});

describe('grouping', () => {
  it('lists two series in one folder as two entries; openDicomVolume then asks to choose', async () => {
    const d = dir('two-series');
    for (const [n, series] of ['1.2.826.0.1.9.2', '1.2.826.0.1.9.3'].entries()) {
      for (let k = 0; k < 2; k++) put(d, `s${n}_${k}.dcm`, dicomBytes(slice({ series, desc: `Series ${n}`, sop: `1.11.${n}.${k}`, ipp: [0, 0, k], pixels: fill(20, () => n) })));
    }
    const r = await scanDicomPaths([d]);
    expect(r.entries.map((e) => [e.kind, e.description, e.files.length])).toEqual([['image', 'Series 0', 2], ['image', 'Series 1', 2]]);
    expect(await codeOf(openDicomVolume([d]))).toBe('MULTIPLE_SERIES');
  });

  it('groups files with empty UIDs by frame of reference, orientation, size and description', async () => {
    const d = dir('empty-uids');
    for (const desc of ['Body', 'Lung']) {
      for (let k = 0; k < 3; k++) put(d, `${desc}${k}.dcm`, dicomBytes(slice({ series: '', study: '', sop: '', desc, frameOfRef: '1.2.99', ipp: [0, 0, k * 2], pixels: fill(20, () => k) })));
    }
    const r = await scanDicomPaths([d]);
    expect(r.errors).toEqual([]);
    expect(r.entries.map((e) => [e.description, e.dims])).toEqual([['Body', [5, 4, 3]], ['Lung', [5, 4, 3]]]);
  });

  it('treats copies of one SOP instance as one image, with a warning', async () => {
    const d = dir('dupes');
    const bytes = dicomBytes(slice({ sop: '1.12.1', pixels: fill(20, (i) => i) }));
    put(d, 'a.dcm', bytes);
    put(d, 'b.dcm', bytes);
    const r = await scanDicomPaths([d]);
    expect(r.entries.length).toBe(1);
    expect(r.entries[0].files.length).toBe(1);
    expect(r.entries[0].warnings.join(' ')).toMatch(/1 file\(s\) repeat/);
  });
});

describe('pixel values', () => {
  it('masks BitsStored, ignores overlay bits above HighBit and sign-extends signed 12-bit data', async () => {
    const d = dir('bits');
    const raw = [0xf000 | 0x0fff, 0x1000 | 0x07ff, 0x0800, 0x0001, ...fill(16, () => 0)];
    put(d, 's.dcm', dicomBytes(slice({ sop: '1.13.1', bitsStored: 12, pixelRep: 1, pixels: raw })));
    const v = await openDicomVolume([d]);
    expect(Array.from(v.data.subarray(0, 4))).toEqual([-1, 2047, -2048, 1]);

    const u = dir('bits-unsigned');
    put(u, 's.dcm', dicomBytes(slice({ sop: '1.13.2', bitsStored: 12, pixelRep: 0, pixels: [0xf123, 0x0fff, ...fill(18, () => 0)] })));
    const w = await openDicomVolume([u]);
    expect(Array.from(w.data.subarray(0, 2))).toEqual([0x123, 4095]);
  });

  it('applies rescale slope/intercept (HU) and picks Float32 only when values are not 16-bit integers', async () => {
    const d = dir('rescale');
    put(d, 's.dcm', dicomBytes(slice({ sop: '1.14.1', pixelRep: 0, intercept: -1024, pixels: fill(20, (i) => i * 100) })));
    const v = await openDicomVolume([d]);
    expect(v.voxelType).toBe('int16');
    expect(v.data).toBeInstanceOf(Int16Array);
    expect(Array.from(v.data.subarray(0, 3))).toEqual([-1024, -924, -824]);
    expect(v.window).toEqual({ center: 40, width: 400 }); // no window in the file → CT default

    const f = dir('rescale-float');
    put(f, 's.dcm', dicomBytes(slice({ sop: '1.14.2', modality: 'PT', pixelRep: 0, slope: 0.5, intercept: 0, window: [10, 20], pixels: fill(20, (i) => i) })));
    const w = await openDicomVolume([f]);
    expect(w.voxelType).toBe('float32');
    expect(w.data).toBeInstanceOf(Float32Array);
    expect(Array.from(w.data.subarray(0, 3))).toEqual([0, 0.5, 1]);
    expect(w.window).toEqual({ center: 10, width: 20 });

    const big = dir('unsigned-big');
    put(big, 's.dcm', dicomBytes(slice({ sop: '1.14.3', modality: 'MR', pixelRep: 0, pixels: fill(20, (i) => 40000 + i) })));
    const b = await openDicomVolume([big]);
    expect(b.voxelType).toBe('float32');
    expect(b.data[1]).toBe(40001);
  });

  it('inverts MONOCHROME1 (bright = high) except CT, whose HU are kept, and says so', async () => {
    const mr = dir('mono1-mr');
    put(mr, 's.dcm', dicomBytes(slice({ sop: '1.15.1', modality: 'MR', photometric: 'MONOCHROME1', bitsAllocated: 8, pixelRep: 0, pixels: fill(20, (i) => i * 10) })));
    const a = await openDicomVolume([mr]);
    expect(Array.from(a.data.subarray(0, 3))).toEqual([255, 245, 235]);
    expect(a.warnings.join(' ')).toMatch(/MONOCHROME1.*inverted/);

    const ct = dir('mono1-ct');
    put(ct, 's.dcm', dicomBytes(slice({ sop: '1.15.2', photometric: 'MONOCHROME1', intercept: -1024, pixelRep: 0, pixels: fill(20, (i) => i) })));
    const b = await openDicomVolume([ct]);
    expect(b.data[3]).toBe(-1021);
    expect(b.warnings.join(' ')).toMatch(/Hounsfield values are kept/);
  });

  it('converts RGB to luminance identically for interleaved and planar storage, with a warning', async () => {
    const rgb = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]];
    const px = fill(20, (i) => i % 4);
    const interleaved = px.flatMap((p) => rgb[p]);
    const planar = [0, 1, 2].flatMap((c) => px.map((p) => rgb[p][c]));
    const vols: Volume[] = [];
    for (const [n, pixels] of [interleaved, planar].entries()) {
      const d = dir(`rgb${n}`);
      put(d, 's.dcm', dicomBytes(slice({ sop: `1.16.${n}`, modality: 'OT', photometric: 'RGB', samples: 3, planar: n, bitsAllocated: 8, pixelRep: 0, pixels })));
      vols.push(await openDicomVolume([d]));
    }
    const expected = [0.299 * 255, 0.587 * 255, 0.114 * 255, 0.299 * 10 + 0.587 * 20 + 0.114 * 30];
    for (const v of vols) {
      Array.from(v.data.subarray(0, 4)).forEach((x, i) => expect(x).toBeCloseTo(expected[i], 3));
      expect(v.warnings.join(' ')).toMatch(/luminance/);
    }
  });

  it('reports progress from 0 to 1 and honours cancellation', async () => {
    const d = dir('progress');
    for (let k = 0; k < 4; k++) put(d, `${k}.dcm`, dicomBytes(slice({ sop: `1.17.${k}`, ipp: [0, 0, k], pixels: fill(20, () => k) })));
    const seen: number[] = [];
    await openDicomVolume([d], { onProgress: (f) => seen.push(f) });
    expect(seen).toEqual([0.25, 0.5, 0.75, 1]);
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(openDicomVolume([d], { signal: ac.signal }))).toBe('CANCELLED');
  });
});

describe('file structure variants', () => {
  it('opens a bare implicit-VR data set with no preamble or file meta, and notes it', async () => {
    const d = dir('no-meta');
    const p = put(d, 'raw', dicomBytes(slice({ sop: '1.18.1', pixels: fill(20, (i) => i) }), { syntax: IMPLICIT, meta: 'none' }));
    expect(dicomLoader.sniff(p, dicomBytes(slice({ sop: '1.18.1', pixels: [] }), { syntax: IMPLICIT, meta: 'none' }).subarray(0, 1024))).toBe(true);
    const r = await scanDicomPaths([p]);
    expect(r.errors).toEqual([]);
    expect(r.entries[0].warnings.join(' ')).toMatch(/no DICOM header/);
    const v = await dicomLoader.load(r.entries[0]);
    expect(sliceValues(v, 0)).toEqual(fill(20, (i) => i));
  });

  it('opens a file whose meta lacks TransferSyntaxUID by recognising the encoding', async () => {
    const d = dir('no-ts');
    put(d, 's.dcm', dicomBytes(slice({ sop: '1.19.1', pixels: fill(20, (i) => 2 * i) }), { meta: 'no-ts' }));
    const v = await openDicomVolume([d]);
    expect(sliceValues(v, 0)).toEqual(fill(20, (i) => 2 * i));
  });

  it('scans large files whose header is longer than the scan probe (falls back to a full read)', async () => {
    const d = dir('long-header');
    const els = slice({ sop: '1.24.1', rows: 300, cols: 300, pixels: fill(90000, (i) => i % 1000) });
    els.push([0x0029, 0x0010, 'LO', 'ACME'], [0x0029, 0x1010, 'OB', new Uint8Array(200_000).fill(7)]); // 200 KB private header
    put(d, 'big.dcm', dicomBytes(els));
    const r = await scanDicomPaths([d]);
    expect(r.entries.map((e) => [e.kind, e.dims])).toEqual([['image', [300, 300, 1]]]);
    const v = await dicomLoader.load(r.entries[0]);
    expect(v.data[1234]).toBe(234);
  });

  it('reports truncated pixel data as FILE_TRUNCATED at load', async () => {
    const d = dir('trunc');
    const full = dicomBytes(slice({ sop: '1.20.1', pixels: fill(20, (i) => i) }));
    // Keep the header and the declared pixel length, drop the last 10 bytes of pixels.
    put(d, 's.dcm', full.subarray(0, full.length - 10));
    expect(await codeOf(openDicomVolume([d]))).toBe('FILE_TRUNCATED');
  });

  it('opens an image without patient geometry as a single slice and warns', async () => {
    const d = dir('nogeo');
    put(d, 's.dcm', dicomBytes(slice({ sop: '1.21.1', modality: 'OT', noGeometry: true, pixels: fill(20, (i) => i) })));
    const v = await openDicomVolume([d]);
    expect(v.dims).toEqual([5, 4, 1]);
    expect(v.spacing).toEqual([1, 1, 1]);
    expect(v.warnings.join(' ')).toMatch(/no pixel size/);
    expect(v.warnings.join(' ')).toMatch(/without patient geometry/);
  });
});

describe('bad input gives typed errors', () => {
  it('zero-byte file → FILE_EMPTY; text file → DICOM_INVALID and not sniffed; both listed as per-file errors', async () => {
    const d = dir('bad');
    const empty = put(d, 'empty.dcm', new Uint8Array(0));
    const text = put(d, 'notes.txt', Uint8Array.from('This is a radiology report, not an image.\n'.repeat(40), (c) => c.charCodeAt(0)));
    expect(dicomLoader.sniff(text, Uint8Array.from('This is a radiology report', (c) => c.charCodeAt(0)))).toBe(false);
    const r = await dicomLoader.scan([empty, text]);
    expect(r.entries).toEqual([]);
    expect(r.errors.map((e) => [e.path, e.code])).toEqual([[empty, 'FILE_EMPTY'], [text, 'DICOM_INVALID']]);
    expect(r.errors.every((e) => e.message.length > 10)).toBe(true);
  });

  it('a folder with no images → NO_IMAGES (empty folder, and a folder holding only a non-image object)', async () => {
    const empty = dir('empty');
    expect(await codeOf(openDicomVolume([empty]))).toBe('NO_IMAGES');
    const sr = dir('sr-only');
    put(sr, 'report.dcm', dicomBytes([[8, 0x16, 'UI', '1.2.840.10008.5.1.4.1.1.88.22'], [8, 0x18, 'UI', '1.22.1'], [8, 0x60, 'CS', 'SR'], [0x20, 0x0e, 'UI', '1.22.2']]));
    const r = await scanDicomPaths([sr]);
    expect(r.entries.map((e) => e.kind)).toEqual(['other']);
    expect(await codeOf(dicomLoader.load(r.entries[0]))).toBe('NOT_AN_IMAGE');
    expect(await codeOf(openDicomVolume([sr]))).toBe('NO_IMAGES');
  });

  it('missing file → FILE_NOT_FOUND; a folder given as a file → FILE_UNREADABLE', async () => {
    const d = dir('unreadable');
    expect(await codeOf(readDicomFile(join(d, 'nope.dcm')))).toBe('FILE_NOT_FOUND');
    // Tests run as root, where chmod 000 does not block reading; a path that cannot be read as a file does.
    expect(await codeOf(readDicomFile(d))).toBe('FILE_UNREADABLE');
    const r = await dicomLoader.scan([d, join(d, 'nope.dcm')]);
    expect(r.errors.map((e) => e.code)).toEqual(['FILE_UNREADABLE', 'FILE_NOT_FOUND']);
  });

  it.skipIf(process.getuid?.() === 0)('a file without read permission → FILE_UNREADABLE', async () => {
    const d = dir('perm');
    const p = put(d, 's.dcm', dicomBytes(slice({ sop: '1.23.1', pixels: fill(20, () => 0) })));
    chmodSync(p, 0o000);
    expect(await codeOf(readDicomFile(p))).toBe('FILE_UNREADABLE');
  });

  it('an entry that did not come from a DICOM scan → INVALID_ARGUMENT', async () => {
    const code = await codeOf(dicomLoader.load({ id: 'x', format: 'dicom', kind: 'image', description: 'x', modality: 'CT', files: ['/x'], warnings: [], handle: { type: 'other' } }));
    expect(code).toBe('INVALID_ARGUMENT');
  });
});
