/** Serving the built renderer: files under one root only, by extension-derived content type. */
import { stat, readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff', '.wasm': 'application/wasm',
  '.map': 'application/json', '.txt': 'text/plain; charset=utf-8',
};

/**
 * Resolve a URL path to a file strictly inside root, or null. Decoding happens once; anything with "..", NUL,
 * a backslash or an absolute escape is refused rather than normalised, so there is nothing clever to bypass.
 */
export function resolveStatic(root: string, urlPath: string): string | null {
  let p: string;
  try {
    p = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (p.includes('\0') || p.includes('\\') || p.split('/').some((s) => s === '..')) return null;
  if (p === '/' || p === '') p = '/index.html';
  const base = resolve(root);
  const file = resolve(base, '.' + p);
  return file.startsWith(base + sep) ? file : null;
}

export async function readStatic(file: string): Promise<{ body: Buffer; type: string } | null> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return null;
    return { body: await readFile(file), type: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    return null;
  }
}
