/**
 * multipart/related framing for DICOMweb (WADO-RS responses, STOW-RS requests).
 * Hand-written: the maintained multipart parsers on npm (busboy, formidable, multipasta) handle
 * multipart/form-data only; DICOMweb needs multipart/related with binary parts, which is a few dozen lines.
 */
export function boundaryOf(contentType: string | null): string | null {
  if (!contentType) return null;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : null;
}

/** Incremental parser: push chunks, get whole parts (body bytes only) as soon as they are complete. */
export class MultipartParser {
  private buf: Buffer = Buffer.alloc(0);
  private readonly delim: Buffer;
  private started = false;
  constructor(boundary: string) {
    this.delim = Buffer.from(`--${boundary}`);
  }

  push(chunk: Uint8Array): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const parts: Buffer[] = [];
    for (;;) {
      if (!this.started) {
        const i = this.buf.indexOf(this.delim);
        if (i < 0) return parts;
        this.buf = this.buf.subarray(i + this.delim.length);
        this.started = true;
      }
      // after a delimiter: "--" ends the body, otherwise CRLF, headers, CRLF CRLF, body, CRLF, delimiter
      if (this.buf.length < 2) return parts;
      if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
        this.buf = Buffer.alloc(0);
        return parts;
      }
      const headerEnd = this.buf.indexOf('\r\n\r\n');
      if (headerEnd < 0) return parts;
      const next = this.buf.indexOf(this.delim, headerEnd + 4);
      if (next < 0) return parts;
      let end = next;
      if (end >= 2 && this.buf[end - 2] === 0x0d && this.buf[end - 1] === 0x0a) end -= 2;
      parts.push(Buffer.from(this.buf.subarray(headerEnd + 4, end)));
      this.buf = this.buf.subarray(next + this.delim.length);
    }
  }
}

export function buildMultipart(parts: Uint8Array[], boundary: string, partType = 'application/dicom'): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${partType}\r\n\r\n`));
    chunks.push(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}
