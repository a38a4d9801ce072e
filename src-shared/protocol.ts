/**
 * The wire format of the WebSocket bridge: one binary frame per message, typed arrays carried as raw bytes.
 * Pure TypeScript, used by both ends (src-main/bridge and the renderer's WebSocket client).
 *
 * Why hand-written and not msgpack: both ends must share the exact typed-array encoding, and src-shared may not
 * import packages; an msgpack extension codec would have to be duplicated on each side and drift. The framing
 * below is small: a JSON header for the small structured part (ids, channels, headers) with each typed array
 * replaced by a placeholder, followed by the arrays' bytes, 8-byte aligned so the receiver can view them in place.
 *
 * Frame: "MSG1" | u32le headerLength | header (UTF-8 JSON) | pad to 8 | blob 0 | pad | blob 1 | pad …
 * Header JSON: { m: <message with placeholders>, b: [[<typed array kind>, <byteLength>], …] }
 */
import { MedSegError, type MedSegErrorInfo } from './errors';

export type WireMessage =
  | { t: 'call'; id: number; ch: string; args: unknown[] }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: MedSegErrorInfo }
  | { t: 'event'; ch: string; payload: unknown };

const MAGIC = [0x4d, 0x53, 0x47, 0x31]; // "MSG1"
const BIN_KEY = '__medseg_bin__';

const KINDS = {
  u8: Uint8Array, i8: Int8Array, u8c: Uint8ClampedArray, u16: Uint16Array, i16: Int16Array,
  u32: Uint32Array, i32: Int32Array, f32: Float32Array, f64: Float64Array,
} as const;
type Kind = keyof typeof KINDS;
type AnyTyped = InstanceType<(typeof KINDS)[Kind]>;

function kindOf(v: unknown): Kind | null {
  // A Node Buffer is a Uint8Array subclass: it travels as bytes and arrives as a Uint8Array.
  if (v instanceof Uint8Array) return 'u8';
  if (v instanceof Int8Array) return 'i8';
  if (v instanceof Uint8ClampedArray) return 'u8c';
  if (v instanceof Uint16Array) return 'u16';
  if (v instanceof Int16Array) return 'i16';
  if (v instanceof Uint32Array) return 'u32';
  if (v instanceof Int32Array) return 'i32';
  if (v instanceof Float32Array) return 'f32';
  if (v instanceof Float64Array) return 'f64';
  return null;
}

const pad8 = (n: number): number => (n + 7) & ~7;

export function encodeMessage(msg: WireMessage): Uint8Array {
  const blobs: AnyTyped[] = [];
  const kinds: [Kind, number][] = [];
  // Walk the message ourselves rather than with a JSON replacer: Buffer.toJSON would run before a replacer sees it.
  const strip = (v: unknown): unknown => {
    const kind = kindOf(v);
    if (kind) {
      blobs.push(v as AnyTyped);
      kinds.push([kind, (v as AnyTyped).byteLength]);
      return { [BIN_KEY]: blobs.length - 1 };
    }
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v === 'object' && v !== null && !(v instanceof Date)) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = strip(x);
      return o;
    }
    return v;
  };
  const header = new TextEncoder().encode(JSON.stringify({ m: strip(msg), b: kinds }));
  let size = pad8(8 + header.byteLength);
  for (const b of blobs) size += pad8(b.byteLength);
  const out = new Uint8Array(size);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.byteLength, true);
  out.set(header, 8);
  let off = pad8(8 + header.byteLength);
  for (const b of blobs) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), off);
    off += pad8(b.byteLength);
  }
  return out;
}

function malformed(detail: string): MedSegError {
  return new MedSegError('INVALID_ARGUMENT', 'The app received a message it could not understand.', { detail });
}

/** Decode a frame; throws INVALID_ARGUMENT on anything malformed (never trusts lengths it was given). */
export function decodeMessage(frame: Uint8Array): WireMessage {
  if (frame.byteLength < 8 || MAGIC.some((b, i) => frame[i] !== b)) throw malformed('bad frame magic');
  const headerLen = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(4, true);
  if (8 + headerLen > frame.byteLength) throw malformed('header longer than frame');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw malformed(`header is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { b?: unknown }).b)) throw malformed('header shape');
  const kinds = (parsed as { b: unknown[] }).b;
  const arrays: AnyTyped[] = [];
  let off = pad8(8 + headerLen);
  for (const k of kinds) {
    if (!Array.isArray(k) || typeof k[0] !== 'string' || !(k[0] in KINDS) || !Number.isSafeInteger(k[1]) || (k[1] as number) < 0) {
      throw malformed('blob descriptor');
    }
    const Ctor = KINDS[k[0] as Kind];
    const len = k[1] as number;
    if (len % Ctor.BYTES_PER_ELEMENT !== 0 || off + len > frame.byteLength) throw malformed('blob length');
    const abs = frame.byteOffset + off;
    // View in place when aligned (the usual case), copy otherwise; never alias a misaligned buffer.
    const arr = abs % Ctor.BYTES_PER_ELEMENT === 0
      ? new Ctor(frame.buffer as ArrayBuffer, abs, len / Ctor.BYTES_PER_ELEMENT)
      : new Ctor(frame.slice(off, off + len).buffer);
    arrays.push(arr);
    off += pad8(len);
  }
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (BIN_KEY in o) {
        const idx = o[BIN_KEY];
        if (typeof idx !== 'number' || !(idx >= 0 && idx < arrays.length)) throw malformed('blob reference');
        return arrays[idx];
      }
      for (const key of Object.keys(o)) o[key] = revive(o[key]);
      return o;
    }
    return v;
  };
  const m = revive((parsed as { m?: unknown }).m);
  if (!isWireMessage(m)) throw malformed('message shape');
  return m;
}

function isWireMessage(m: unknown): m is WireMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  switch (o.t) {
    case 'call':
      return Number.isSafeInteger(o.id) && typeof o.ch === 'string' && Array.isArray(o.args);
    case 'result':
      return Number.isSafeInteger(o.id) && typeof o.ok === 'boolean' && (o.ok || (typeof o.error === 'object' && o.error !== null));
    case 'event':
      return typeof o.ch === 'string';
    default:
      return false;
  }
}
