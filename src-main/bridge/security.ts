/**
 * The bridge's locks: a per-launch token, an Origin/Host check (loopback origin of this very server only), the
 * page's CSP. Kept apart from the server so each rule can be read and tested on its own.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** 'ok', or why not: 'missing' (→ 401) or 'wrong' (→ 403). Constant-time compare. */
export function checkToken(given: string | null | undefined, token: string): 'ok' | 'missing' | 'wrong' {
  if (!given) return 'missing';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b) ? 'ok' : 'wrong';
}

/** Hosts this server answers to. A DNS-rebinding page arrives with its own host name and is refused. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function allowedOrigins(port: number): string[] {
  return allowedHosts(port).map((h) => `http://${h}`);
}

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // vtk.js and Svelte transitions set inline styles; no inline scripts are allowed.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Cookie that lets the page's own assets load after the token-bearing page request; named per port. */
export function cookieName(port: number): string {
  return `medseg_${port}`;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
