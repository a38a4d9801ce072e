import { describe, expect, it } from 'vitest';
import {
  MedSegError, SERVICE_TABLE, SERVICE_NAMES, allEventChannels, allMethodChannels, createServiceClient, decodeMessage,
  encodeMessage, errorFromInfo, parseMethodChannel, type ServiceTransport,
} from '../../src-shared';
import { ARG_SCHEMAS, validateArgs } from '../../src-main/services/validate';

describe('service table', () => {
  it('derives unique method and event channels, never colliding', () => {
    const methods = allMethodChannels().map((c) => c.channel);
    const events = allEventChannels().map((c) => c.channel);
    expect(methods).toContain('study.openPath');
    expect(methods).toContain('segmentation.applyLabelDiff');
    expect(events).toContain('segmentation:prediction');
    expect(new Set([...methods, ...events]).size).toBe(methods.length + events.length);
    expect(methods.length).toBe(SERVICE_NAMES.reduce((s, n) => s + SERVICE_TABLE[n].methods.length, 0));
  });

  it('has an argument schema for exactly every method of the table', () => {
    for (const s of SERVICE_NAMES) {
      expect(Object.keys(ARG_SCHEMAS[s]).sort(), s).toEqual([...SERVICE_TABLE[s].methods].sort());
    }
  });

  it('parses channels only against the table (no prototype tricks)', () => {
    expect(parseMethodChannel('study.open')).toEqual({ service: 'study', method: 'open' });
    for (const bad of ['study.constructor', 'study.__proto__', 'toString.call', 'study', '.open', 'study.open.x', 'segmentation:prediction']) {
      expect(parseMethodChannel(bad), bad).toBeNull();
    }
  });
});

describe('argument validation', () => {
  it('accepts good arguments and drops trailing null/undefined optionals', () => {
    expect(validateArgs('study', 'upload', [[{ name: 'a/b.dcm', bytes: new Uint8Array(3) }], null])).toHaveLength(1);
    expect(validateArgs('segmentation', 'setVisibleSlice', ['vol-1', 12])).toEqual(['vol-1', 12]);
  });

  it.each([
    ['study', 'openPath', [42]],
    ['study', 'openPath', ['a\0b']],
    ['study', 'openPath', []],
    ['study', 'openPath', ['/x', 'extra']],
    ['study', 'scan', [[]]],
    ['segmentation', 'applyLabelDiff', ['v', { indices: [1, 2], values: [1, 1] }]],
    ['segmentation', 'applyLabelDiff', ['v', { indices: Uint32Array.of(1), values: Uint8Array.of(1, 2) }]],
    ['segmentation', 'setClasses', ['v', [{ id: 0, name: 'x', color: [0, 0, 0] }]]],
    ['segmentation', 'setClasses', ['v', [{ id: 3, name: 'x', color: [0, 0, 0] }, { id: 3, name: 'y', color: [1, 1, 1] }]]],
    ['segmentation', 'setVisibleSlice', ['v', 1.5]],
    ['segmentation', 'setSettings', [{ debounceMs: 50, evil: true }]],
    ['study', 'upload', [[{ name: '/etc/passwd', bytes: new Uint8Array(1) }]]],
    ['study', 'upload', [[{ name: 'a/../../b', bytes: new Uint8Array(1) }]]],
    ['study', 'upload', [[{ name: 'C:\\x', bytes: new Uint8Array(1) }]]],
    ['study', 'nope', []],
    ['nope', 'open', []],
    ['study', 'hasOwnProperty', []],
  ])('%s.%s(%j) → INVALID_ARGUMENT', (s, m, args) => {
    expect(() => validateArgs(s, m, args)).toThrow(expect.objectContaining({ name: 'MedSegError', code: 'INVALID_ARGUMENT' }));
  });
});

describe('wire protocol', () => {
  it('round-trips every typed array kind byte-identically, nested, with the right types', () => {
    const payload = {
      u8: Uint8Array.of(0, 255), i8: Int8Array.of(-128, 127), u16: Uint16Array.of(65535), i16: Int16Array.of(-1024, 3071),
      u32: Uint32Array.of(4294967295), i32: Int32Array.of(-5), f32: Float32Array.of(1.5, -0), f64: Float64Array.of(Math.PI),
      nested: [{ deep: Uint8Array.of(7, 8, 9).subarray(1) }], text: 'CT ü', n: null, empty: new Int16Array(0),
    };
    const out = decodeMessage(encodeMessage({ t: 'event', ch: 'x:y', payload }));
    expect(out.t).toBe('event');
    const p = (out as { payload: typeof payload }).payload;
    expect(p.i16).toBeInstanceOf(Int16Array);
    expect([...p.i16]).toEqual([-1024, 3071]);
    expect(p.f64[0]).toBe(Math.PI);
    expect(Object.is(p.f32[1], -0)).toBe(true);
    expect(p.u32[0]).toBe(4294967295);
    expect([...p.nested[0].deep]).toEqual([8, 9]);
    expect(p.text).toBe('CT ü');
    expect(p.empty).toBeInstanceOf(Int16Array);
    expect(p.empty.length).toBe(0);
  });

  it('sends a Node Buffer as bytes and decodes from a misaligned copy', () => {
    const frame = encodeMessage({ t: 'call', id: 1, ch: 'study.upload', args: [[{ name: 'a', bytes: Buffer.from([1, 2, 3]) }], Float64Array.of(2.5)] });
    const shifted = new Uint8Array(frame.byteLength + 1);
    shifted.set(frame, 1);
    const m = decodeMessage(shifted.subarray(1));
    const args = (m as unknown as { args: [[{ bytes: Uint8Array }], Float64Array] }).args;
    expect([...args[0][0].bytes]).toEqual([1, 2, 3]);
    expect(args[1][0]).toBe(2.5);
  });

  it('rejects malformed frames with INVALID_ARGUMENT and never reads past the frame', () => {
    const good = encodeMessage({ t: 'call', id: 1, ch: 'a.b', args: [Uint8Array.of(1, 2, 3, 4)] });
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      new TextEncoder().encode('{"t":"call"}'),
      good.subarray(0, good.length - 8), // blob cut off
      (() => { const b = good.slice(); new DataView(b.buffer).setUint32(4, 1e9, true); return b; })(),
      encodeMessage({ t: 'call', id: 1, ch: 'a.b', args: [] }).map((x, i) => (i === 9 ? 0x7b : x)), // broken JSON
      (() => {
        const h = new TextEncoder().encode(JSON.stringify({ m: { t: 'call', id: 1, ch: 'a', args: [{ __medseg_bin__: 3 }] }, b: [] }));
        const f = new Uint8Array(8 + h.length); f.set([0x4d, 0x53, 0x47, 0x31]); new DataView(f.buffer).setUint32(4, h.length, true); f.set(h, 8); return f;
      })(),
      (() => {
        const h = new TextEncoder().encode(JSON.stringify({ m: { t: 'hack' }, b: [] }));
        const f = new Uint8Array(8 + h.length); f.set([0x4d, 0x53, 0x47, 0x31]); new DataView(f.buffer).setUint32(4, h.length, true); f.set(h, 8); return f;
      })(),
    ];
    for (const [i, c] of cases.entries()) {
      expect(() => decodeMessage(c), `case ${i}`).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

describe('client Proxy', () => {
  it('maps calls to "<service>.<method>" and re-throws error infos as MedSegError', async () => {
    const calls: [string, unknown[]][] = [];
    const t: ServiceTransport = {
      invoke: async (ch, args) => {
        calls.push([ch, args]);
        if (ch === 'study.openPath') throw { code: 'FILE_NOT_FOUND', message: '/x does not exist.', path: '/x' };
        if (ch === 'models.list') throw { code: 'SOMETHING_NEW', message: 'future code' };
        return { version: 3 };
      },
      subscribe: () => () => undefined,
    };
    const api = createServiceClient(t);
    await expect(api.segmentation.applyLabelDiff('v', { indices: Uint32Array.of(1), values: Uint8Array.of(1) })).resolves.toEqual({ version: 3 });
    expect(calls[0][0]).toBe('segmentation.applyLabelDiff');
    const err = await api.study.openPath('/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MedSegError);
    expect(err).toMatchObject({ code: 'FILE_NOT_FOUND', path: '/x' });
    await expect(api.models.list()).rejects.toMatchObject({ code: 'INTERNAL' });
    expect((api.study as unknown as Record<string, unknown>).deleteAll).toBeUndefined();
    expect(() => (api.segmentation.on as (e: string, l: () => void) => void)('nope', () => undefined)).toThrow(MedSegError);
    expect(errorFromInfo(new Error('boom'))).toMatchObject({ code: 'INTERNAL', detail: 'boom' });
  });
});
